import t, { type Test } from 'tap';
import { SmtpError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { countReceivedHeaders, Pipeline, type SessionInfo } from '../../src/pipeline/index.js';
import { MESSAGE_ID_PATTERN, newMessageId } from '../../src/pipeline/message-id.js';
import { inbox, openTestStore, populate } from './fixture.js';

const mx: SessionInfo = { id: 'c1', role: 'mx', remoteAddress: '192.0.2.7', heloName: 'client.example.net', user: null, secure: false };
const submission = (user: string | null): SessionInfo => ({
  id: 'c2',
  role: 'submission',
  remoteAddress: '2001:db8::7',
  heloName: '[192.0.2.8]',
  user,
  secure: true,
  tlsProtocol: 'TLSv1.3',
  tlsCipher: 'TLS_AES_256_GCM_SHA384',
});

const message = Buffer.from('From: a@remote.net\r\nTo: alice@example.org\r\nSubject: hi\r\n\r\nHello\r\n');

async function setup(t: Test, limits: { maxMessageSize?: number; maxRecipients?: number } = {}) {
  const store = await openTestStore(t);
  await populate(store, {
    domains: ['example.org'],
    users: [
      ['alice@example.org', 'correct horse'],
      ['bob@example.org', 'correct horse'],
    ],
    aliases: [
      ['team@example.org', ['alice@example.org', 'bob@example.org']],
      ['postmaster@example.org', ['alice@example.org']],
      ['sales@example.org', ['bob@example.org']],
    ],
  });
  const pipeline = new Pipeline({
    store,
    log: silentLogger(),
    hostname: 'example.org',
    maxMessageSize: limits.maxMessageSize ?? 10_000,
    maxRecipients: limits.maxRecipients ?? 5,
  });
  return { store, pipeline };
}

async function rejectsWith(t: Test, promise: Promise<unknown>, reply: string, name = reply) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(error instanceof SmtpError, `${name}: rejected with an SmtpError`);
  if (error instanceof SmtpError) t.equal(`${error.code} ${error.enhanced}`, reply, name);
}

t.test('message ids are short, unique and sortable', async (t) => {
  const ids = Array.from({ length: 2000 }, () => newMessageId());
  t.ok(ids.every((id) => MESSAGE_ID_PATTERN.test(id)), 'format');
  t.equal(new Set(ids).size, ids.length, 'unique');
  t.same([...ids].sort(), ids, 'made in order, sorted in order');
  const before = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 5));
  t.ok(newMessageId() > ids[ids.length - 1], 'a later id sorts last');
  t.ok(ids[0].slice(0, 10) <= newMessageId(before + 10).slice(0, 10), 'the time comes first');
});

t.test('checkSender', async (t) => {
  const { pipeline } = await setup(t);
  await pipeline.checkSender(mx, '');
  await pipeline.checkSender(mx, 'anyone@remote.net');
  await pipeline.checkSender(mx, 'alice@example.org');
  t.pass('MX takes any sender, including the null sender');

  await rejectsWith(t, pipeline.checkSender(submission(null), 'alice@example.org'), '530 5.7.0', 'submission without AUTH');
  await pipeline.checkSender(submission('alice@example.org'), 'alice@example.org');
  await pipeline.checkSender(submission('alice@example.org'), 'Alice@EXAMPLE.org');
  await pipeline.checkSender(submission('alice@example.org'), 'team@example.org');
  await pipeline.checkSender(submission('alice@example.org'), 'alice+lists@example.org');
  await pipeline.checkSender(submission('bob@example.org'), 'team@example.org');
  t.pass('own account, alias targeting it, subaddress');
  await rejectsWith(t, pipeline.checkSender(submission('alice@example.org'), 'bob@example.org'), '553 5.7.1', "another user's address");
  await rejectsWith(t, pipeline.checkSender(submission('alice@example.org'), 'sales@example.org'), '553 5.7.1', "an alias of someone else's");
  await rejectsWith(t, pipeline.checkSender(submission('alice@example.org'), 'nobody@example.org'), '553 5.7.1', 'unknown local');
  await rejectsWith(t, pipeline.checkSender(submission('alice@example.org'), 'alice@remote.net'), '553 5.7.1', 'remote address');
  await rejectsWith(t, pipeline.checkSender(submission('alice@example.org'), ''), '553 5.7.1', 'null sender on submission');
  await rejectsWith(t, pipeline.checkSender(submission('alice@example.org'), 'alice@example.org.'), '501 5.1.7', 'bad syntax');
});

t.test('checkRecipient', async (t) => {
  const { pipeline } = await setup(t);
  await pipeline.checkRecipient(mx, 'alice@example.org');
  await pipeline.checkRecipient(mx, 'team@example.org');
  await pipeline.checkRecipient(mx, 'Postmaster');
  t.pass('local recipients and the bare postmaster (RFC 5321 §4.1.1.3)');
  await rejectsWith(t, pipeline.checkRecipient(mx, 'nobody@example.org'), '550 5.1.1', 'MX unknown local');
  await rejectsWith(t, pipeline.checkRecipient(mx, 'someone@remote.net'), '550 5.7.1', 'MX relay');
  await rejectsWith(t, pipeline.checkRecipient(mx, 'someone@[127.0.0.1]'), '550 5.7.1', 'MX address literal');
  await rejectsWith(t, pipeline.checkRecipient(mx, 'alice@example.org.'), '501 5.1.3', 'MX trailing dot');

  await pipeline.checkRecipient(submission('alice@example.org'), 'bob@example.org');
  await rejectsWith(t, pipeline.checkRecipient(submission('alice@example.org'), 'someone@remote.net'), '451 4.3.0', 'submission relay');
  await rejectsWith(t, pipeline.checkRecipient(submission('alice@example.org'), 'nobody@example.org'), '550 5.1.1', 'submission unknown local');
  await rejectsWith(t, pipeline.checkRecipient(submission(null), 'bob@example.org'), '530 5.7.0', 'submission without AUTH');
});

t.test('deliver: trace headers, one blob for all recipients, durable before resolving', async (t) => {
  const { store, pipeline } = await setup(t);
  const { id } = await pipeline.deliver(mx, { from: 'a@remote.net', to: ['team@example.org', 'alice@example.org'] }, message);
  t.match(id, MESSAGE_ID_PATTERN);
  const [alice] = await inbox(store, 'alice@example.org');
  const [bob] = await inbox(store, 'bob@example.org');
  t.equal((await inbox(store, 'alice@example.org')).length, 1, 'alice gets one copy although named twice');
  t.equal(alice.blobId, bob.blobId, 'the bytes are stored once');
  const text = alice.raw.toString('utf8');
  const header = /^Return-Path: <a@remote\.net>\r\nReceived: from client\.example\.net \(\[192\.0\.2\.7\]\)\r\n\tby example\.org \(Bridgehead\) with ESMTP id ([0-9A-Z]{18}); (\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000)\r\n/.exec(text);
  t.ok(header, 'Return-Path and Received lead the message');
  t.equal(header?.[1], id, 'the Received id is the message id');
  t.notMatch(text, /\bfor </, 'no "for" clause with several recipients');
  t.ok(Math.abs(Date.parse(header?.[2] ?? '') - Date.now()) < 60_000, 'date is now');
  t.same(alice.raw.subarray(alice.raw.length - message.length), message, 'the received bytes follow unchanged');

  const sent = await pipeline.deliver(submission('alice@example.org'), { from: 'alice@example.org', to: ['bob@example.org'] }, message);
  const latest = (await inbox(store, 'bob@example.org'))[1].raw.toString('utf8');
  t.match(
    latest,
    `Received: from [192.0.2.8] ([IPv6:2001:db8::7])\r\n\tby example.org (Bridgehead) with ESMTPSA id ${sent.id}\r\n\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384)\r\n\tfor <bob@example.org>; `,
  );
});

t.test('deliver refuses what the checks refuse, and stores nothing', async (t) => {
  const { store, pipeline } = await setup(t, { maxMessageSize: 200, maxRecipients: 2 });
  await rejectsWith(t, pipeline.deliver(mx, { from: '', to: ['alice@example.org', 'x@remote.net'] }, message), '550 5.7.1', 'relay in deliver');
  await rejectsWith(t, pipeline.deliver(mx, { from: '', to: ['nobody@example.org'] }, message), '550 5.1.1', 'unknown in deliver');
  await rejectsWith(t, pipeline.deliver(submission('bob@example.org'), { from: 'alice@example.org', to: ['bob@example.org'] }, message), '553 5.7.1', 'sender re-checked');
  await rejectsWith(t, pipeline.deliver(mx, { from: '', to: ['alice@example.org'] }, Buffer.alloc(201, 0x61)), '552 5.3.4', 'too big');
  await rejectsWith(t, pipeline.deliver(mx, { from: '', to: ['alice@example.org', 'bob@example.org', 'team@example.org'] }, message), '452 4.5.3', 'too many recipients');
  t.equal((await inbox(store, 'alice@example.org')).length, 0, 'nothing stored');
});

t.test('loop detection counts Received headers (RFC 5321 §6.3)', async (t) => {
  const { store, pipeline } = await setup(t, { maxMessageSize: 100_000 });
  const withReceived = (count: number) =>
    Buffer.from(`${'Received: from x by y; Thu, 1 Jan 2026 00:00:00 +0000\r\n'.repeat(count)}Subject: loop\r\n\r\nReceived: in the body does not count\r\n`);
  t.equal(countReceivedHeaders(withReceived(3)), 3);
  t.equal(countReceivedHeaders(Buffer.from('Subject: x\r\nX-Received: no\r\nreceived : yes\r\n\r\n')), 1);
  await pipeline.deliver(mx, { from: '', to: ['alice@example.org'] }, withReceived(50));
  await rejectsWith(t, pipeline.deliver(mx, { from: '', to: ['alice@example.org'] }, withReceived(51)), '554 5.4.6', 'loop');
  t.equal((await inbox(store, 'alice@example.org')).length, 1, 'only the message within the limit was stored');
});
