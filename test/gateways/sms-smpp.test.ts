/**
 * The SMS gateway against a real SMPP server (the smpp library's server as the SMSC): bind,
 * submit_sm with concatenation UDH and registered_delivery, delivery receipts → acks, and
 * mobile-originated deliver_sm → a mail in the owner's INBOX.
 */
import t, { type Test } from 'tap';
import type { PDU } from 'smpp';
import { eventually, inboxMessages, loadBuiltin, sendThrough, startHarness, users } from './harness.js';
import { startSmsc } from './smsc.js';

async function setup(t: Test) {
  const smsc = await startSmsc(t);
  const plugin = await loadBuiltin('sms', {
    domains: ['sms.example.org'],
    sourceAddress: '+4915199999999',
    maxParts: 3,
    smpp: { url: `smpp://127.0.0.1:${smsc.port}`, systemId: 'bridgehead', password: 'secret', reconnectSeconds: 1 },
  });
  const harness = await startHarness(t, plugin);
  return { smsc, harness };
}

const mail = (subject: string, body: string) =>
  Buffer.from(`From: alice@example.org\r\nTo: +4917612345678@sms.example.org\r\nSubject: ${subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);

t.test('a mail becomes a concatenated SMS; the receipts become acks', async (t) => {
  const { smsc, harness } = await setup(t);
  const body = 'Please call me back about the offer. '.repeat(8).trim();
  await sendThrough(harness, 'sms', { id: 'MSG1', from: users.alice.address, user: users.alice.address, numbers: ['+4917612345678'], raw: mail('Offer', body) });

  t.equal(smsc.binds.length, 1, 'bound once as transceiver');
  t.equal(smsc.submits.length, 3, 'three parts (about 330 GSM characters, 153 per part)');
  const parts = smsc.submits.map((pdu) => pdu.short_message as { udh: Buffer[]; message: string });
  for (const [index, pdu] of smsc.submits.entries()) {
    t.equal(pdu.destination_addr, '4917612345678', 'international number without "+"');
    t.equal(pdu.dest_addr_ton, 1, 'TON international');
    t.equal(pdu.dest_addr_npi, 1, 'NPI E.164');
    t.equal(pdu.source_addr, '4915199999999');
    t.equal(pdu.registered_delivery, 1, 'final delivery receipt requested');
    t.equal(pdu.data_coding, 0, 'GSM default alphabet');
    t.equal(pdu.esm_class & 0x40, 0x40, 'UDHI set');
    const udh = parts[index].udh[0];
    t.same([...udh.subarray(0, 2)], [0x00, 0x03], 'concatenation IE, 8-bit reference');
    t.equal(udh[3], 3, 'total parts');
    t.equal(udh[4], index + 1, 'sequence number');
  }
  t.equal(new Set(parts.map((part) => part.udh[0][2])).size, 1, 'one reference for all parts');
  const text = parts.map((part) => part.message).join('');
  t.equal(text, `alice@example.org: Offer\n${body}`, 'sender, subject and body, reassembled exactly');

  await harness.waitForAcks(4);
  const submitted = harness.acks.filter((ack) => ack.status === 'submitted');
  t.equal(submitted.length, 1);
  t.equal(submitted[0].reference, 'smsc-1,smsc-2,smsc-3');
  const delivered = harness.acks.filter((ack) => ack.status === 'delivered');
  t.same(delivered.map((ack) => ack.reference).sort(), ['smsc-1', 'smsc-2', 'smsc-3']);
  for (const ack of delivered) {
    t.equal(ack.messageId, 'MSG1');
    t.equal(ack.gateway, 'sms');
    t.equal(ack.recipient, '+4917612345678');
    t.equal(ack.detail, 'DELIVRD');
  }
});

t.test('text outside GSM-7 goes as UCS-2; an undeliverable receipt is a failed ack', async (t) => {
  const { smsc, harness } = await setup(t);
  smsc.receiptState = 'UNDELIV';
  await sendThrough(harness, 'sms', { id: 'MSG2', from: users.alice.address, user: users.alice.address, numbers: ['+4917612345678'], raw: mail('=?UTF-8?B?0J/RgNC40LLQtdGC?=', 'Встреча в 10:00') });
  t.equal(smsc.submits.length, 1);
  t.equal(smsc.submits[0].data_coding, 8, 'UCS-2');
  t.equal((smsc.submits[0].short_message as { message: string }).message, 'alice@example.org: Привет\nВстреча в 10:00');
  await harness.waitForAcks(2);
  const failed = harness.acks.find((ack) => ack.status === 'failed');
  t.ok(failed, 'failed ack recorded');
  t.equal(failed?.detail, 'UNDELIV');
});

t.test('an SMS to a user\'s number (also in two UCS-2 parts) arrives in their INBOX', async (t) => {
  const { smsc, harness } = await setup(t);
  const session = await smsc.session();
  const answers: number[] = [];
  const deliver = (options: Record<string, unknown>) =>
    new Promise<void>((resolve) => session.deliver_sm(options, (pdu) => {
      answers.push(pdu.command_status);
      resolve();
    }));
  await deliver({ source_addr: '4917612345678', source_addr_ton: 1, destination_addr: users.alice.phone.slice(1), dest_addr_ton: 1, short_message: 'Running late, see you at 8' });
  const parts = ['Привет! Это первая часть ', 'и вторая часть.'];
  for (const [index, text] of parts.entries()) {
    await deliver({
      source_addr: '4917612345678', source_addr_ton: 1, destination_addr: users.alice.phone.slice(1), dest_addr_ton: 1,
      short_message: { udh: Buffer.from([0x05, 0x00, 0x03, 0x2a, 2, index + 1]), message: text }, data_coding: 8,
    });
  }
  t.same(answers, [0, 0, 0], 'every deliver_sm answered ESME_ROK after it was kept');
  const messages = await eventually(async () => {
    const list = await inboxMessages(harness.store, users.alice.address);
    return list.length >= 2 ? list : undefined;
  }, 'two messages in alice\'s INBOX');
  t.equal(messages[0].from?.value[0].address, '+4917612345678@sms.example.org', 'reply goes back to the phone');
  t.equal(messages[0].text?.trim(), 'Running late, see you at 8');
  t.equal(messages[0].subject, 'SMS from +4917612345678');
  t.equal(messages[1].text?.trim(), parts.join(''), 'parts joined in order');
  const received = harness.acks.filter((ack) => ack.status === 'received');
  t.equal(received.length, 2, 'each incoming SMS is acknowledged in the audit trail');
  t.same(await inboxMessages(harness.store, users.bob.address), [], 'nothing for bob');
});

t.test('a reply to the shared sender number finds the user who wrote last; unknown ones are refused', async (t) => {
  const { smsc, harness } = await setup(t);
  smsc.receiptState = null;
  await sendThrough(harness, 'sms', { id: 'MSG3', from: users.bob.address, user: users.bob.address, numbers: ['+4917699999999'], raw: mail('Question', 'Are you coming?') });
  const session = await smsc.session();
  const reply = (source: string) =>
    new Promise<number>((resolve) => session.deliver_sm({ source_addr: source, source_addr_ton: 1, destination_addr: '4915199999999', dest_addr_ton: 1, short_message: 'Yes!' }, (pdu) => resolve(pdu.command_status)));
  t.equal(await reply('4917699999999'), 0);
  const messages = await eventually(async () => {
    const list = await inboxMessages(harness.store, users.bob.address);
    return list.length === 1 ? list : undefined;
  }, 'the reply in bob\'s INBOX');
  t.equal(messages[0].from?.value[0].address, '+4917699999999@sms.example.org');
  t.equal(await reply('4917600000000'), 0, 'a stranger\'s SMS to the shared number is answered (dropped and logged, not retried forever)');
  t.equal((await inboxMessages(harness.store, users.alice.address)).length, 0);
});
