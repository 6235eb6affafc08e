/**
 * Message summaries: the RFC 5256 §2.1 base subject (a table of cases, one per rule of the
 * algorithm) and the sort/thread keys taken from a parsed message.
 */
import t from 'tap';
import { parseMessage } from '../../src/mime/index.js';
import { baseSubject, summarizeMessage } from '../../src/mime/summary.js';

t.test('base subject (RFC 5256 §2.1)', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['hello', 'hello', false],
    ['Re: hello', 'hello', true],
    ['RE: Re: re[2]: hello', 'hello', true],
    ['re :hello', 'hello', true],
    ['Fw: hello', 'hello', true],
    ['FWD:hello', 'hello', true],
    ['Fwd: [list] Re: hello', 'hello', true],
    ['[list] hello', 'hello', false],
    ['[list] [other] hello', 'hello', false],
    ['[list] Re: [list] Re: hello', 'hello', true],
    ['[list]', '[list]', false],
    ['[a][b]', '[b]', false],
    ['hello (fwd)', 'hello', true],
    ['hello (FWD) (fwd)  ', 'hello', true],
    ['[fwd: hello]', 'hello', true],
    ['[Fwd: Re: hello (fwd)]', 'hello', true],
    ['[fwd: hello', '[fwd: hello', false],
    ['  hello \t  world  ', 'hello world', false],
    ['Re:\thello', 'hello', true],
    ['Re:', '', true],
    ['Rescue: hello', 'Rescue: hello', false],
    ['Re: Rescue', 'Rescue', true],
    ['', '', false],
  ];
  for (const [subject, base, reply] of cases) {
    t.same(baseSubject(subject), { base, replyOrForward: reply }, JSON.stringify(subject));
  }
});

t.test('summary of a message', async (t) => {
  const raw = Buffer.from(
    [
      'From: =?UTF-8?Q?Andr=C3=A9?= <andre@example.org>',
      'To: undisclosed:;, "" <Beth@Example.org>',
      'Cc: carl@example.org, dora@example.org',
      'Subject: =?UTF-8?Q?Re:_caf=C3=A9?=',
      'Date: Mon, 01 Mar 2021 09:00:00 +0100',
      'Message-ID: <m1@example.org>',
      'In-Reply-To: <parent@example.org>',
      'References: <root@example.org>',
      ' <parent@example.org>',
      '',
      'Body',
      '',
    ].join('\r\n'),
  );
  const summary = summarizeMessage(raw, parseMessage(raw));
  t.same(summary, {
    version: 1,
    sentDate: Date.UTC(2021, 2, 1, 8),
    baseSubject: 'café',
    replyOrForward: true,
    fromMailbox: 'andre',
    toMailbox: 'Beth',
    ccMailbox: 'carl',
    fromDisplay: 'André',
    toDisplay: 'Beth@Example.org',
    messageId: '<m1@example.org>',
    references: ['<root@example.org>', '<parent@example.org>'],
  });

  const bare = Buffer.from('Subject: hi\r\nIn-Reply-To: <a@x> <b@x>\r\n\r\n');
  t.same(summarizeMessage(bare, parseMessage(bare)), {
    version: 1,
    sentDate: null,
    baseSubject: 'hi',
    replyOrForward: false,
    fromMailbox: '',
    toMailbox: '',
    ccMailbox: '',
    fromDisplay: '',
    toDisplay: '',
    messageId: null,
    references: ['<a@x>'],
  }, 'no References: the first In-Reply-To msg-id');
});
