/**
 * SMS text rules as tables of examples: GSM 7-bit vs UCS-2 (3GPP TS 23.038), part sizes
 * (160/153 septets, 70/67 units), escapes and surrogate pairs never split, trimming with "...",
 * the concatenation UDH (3GPP TS 23.040 §9.2.3.24.1), and mail → SMS words.
 */
import t from 'tap';
import { concatenationHeader, isGsm7, planSms } from '../../plugins/sms/encoding.js';
import { atGatewayDomain, condensedText as smsText, senderAllowed } from '../../src/plugins/api.js';

t.test('alphabet choice', async (t) => {
  for (const [text, gsm] of [
    ['Hello, world!', true],
    ['Grüße aus Köln: 5€ {ok} [x] ~ ^ | \\', true],
    ['ΔΦΓΛΩΠΨΣΘΞ @£$¥', true],
    ['Ça va? ç', false],
    ['Привет', false],
    ['emoji 😀', false],
  ] as const) {
    t.equal(isGsm7(text), gsm, text);
  }
});

t.test('part sizes and boundaries', async (t) => {
  const sizes = (text: string, maxParts = 10) => planSms(text, { maxParts }).parts.map((part) => part.length);
  t.same(sizes('a'.repeat(160)), [160], '160 septets fit one SMS');
  t.same(sizes('a'.repeat(161)), [153, 8], 'then 153 per part');
  t.same(sizes('€'.repeat(80)), [160], 'an extension character is two septets');
  t.same(sizes(`${'a'.repeat(158)}€`), [160], '158 + ESC + code still fit one SMS');
  t.same(sizes(`${'a'.repeat(159)}€`), [153, 8], 'one septet more does not');
  const split = planSms(`${'a'.repeat(152)}€${'a'.repeat(10)}`, { maxParts: 10 });
  t.same(split.parts.map((part) => part.length), [152, 12], 'ESC and its code stay in one part');
  t.equal(split.parts[1][0], 0x1b, 'the next part starts with the escape');
  t.same(sizes('ж'.repeat(70)), [140], '70 UCS-2 units in one SMS');
  t.same(sizes('ж'.repeat(71)), [134, 8], 'then 67 units per part');
  const emoji = planSms(`${'ж'.repeat(66)}😀жжж`, { maxParts: 10 });
  t.same(emoji.parts.map((part) => part.length), [132, 10], 'a surrogate pair is never split (the first part keeps 66 units)');
  t.equal(emoji.dataCoding, 8);
});

t.test('trimming to maxParts ends with "..."', async (t) => {
  const plan = planSms('word '.repeat(100), { maxParts: 2 });
  t.ok(plan.truncated);
  t.equal(plan.parts.length, 2);
  t.ok(plan.text.endsWith('...'));
  t.equal(plan.parts.reduce((sum, part) => sum + part.length, 0), 306, 'both parts full');
  const single = planSms('x'.repeat(200), { maxParts: 1 });
  t.same(single.parts.map((part) => part.length), [160], 'one part holds 160 when only one is allowed');
  t.notOk(planSms('short', { maxParts: 1 }).truncated);
});

t.test('concatenation header', async (t) => {
  t.same([...concatenationHeader(300, 3, 2)], [0x05, 0x00, 0x03, 300 & 0xff, 3, 2]);
});

t.test('mail → SMS words', async (t) => {
  const text = [
    'Yes,  that works.',
    '',
    '',
    'On Mon, 5 Jan 2026, Bob wrote:',
    '> Can we meet at 10?',
    '> Or later?',
    '-- ',
    'Alice, +49 151 ...',
  ].join('\r\n');
  t.equal(smsText({ from: 'alice@example.org', subject: 'Re:  meeting', text, maxLength: 500 }), 'alice@example.org: Re: meeting\nYes, that works.');
  t.equal(smsText({ from: null, subject: '', text: 'only body', maxLength: 500 }), 'only body');
  t.equal(smsText({ from: null, subject: 'only subject', text: '', maxLength: 500 }), 'only subject');
  t.equal(smsText({ from: null, subject: '', text: '😀😀😀', maxLength: 2 }), '😀😀', 'cut by code points');
});

t.test('gateway addresses and allowed senders', async (t) => {
  t.same(atGatewayDomain('+4915112345678@SMS.example.org', ['sms.example.org']), { local: '+4915112345678', domain: 'sms.example.org' });
  t.equal(atGatewayDomain('+4915112345678@example.org', ['sms.example.org']), null);
  t.ok(senderAllowed('Monitor@Ops.example.org', ['monitor@ops.example.org']));
  t.ok(senderAllowed('any@ops.example.org', ['@ops.example.org']));
  t.notOk(senderAllowed('', ['@ops.example.org']), 'the null sender never');
  t.notOk(senderAllowed('x@evil.example', ['@ops.example.org']));
});
