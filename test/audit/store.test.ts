/**
 * The audit key spaces of the LevelDB store: entries in time and write order, index lookups
 * over day ranges, counters as increments (pending ones visible, nothing counted twice, durable
 * across a reopen), the delivery's trail in the delivery's own batch, and the small parsers.
 */
import t from 'tap';
import { messageIdHeader } from '../../src/audit/index.js';
import { parseSince } from '../../src/audit/time.js';
import { newMessageId } from '../../src/pipeline/message-id.js';
import { messageIdTimePrefix, timeOfMessageId } from '../../src/store/level/keys.js';
import { openStore } from '../../src/store/index.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1, 8, 30, 0);

t.test('message ids and the key prefix agree', async (t) => {
  const at = Date.UTC(2026, 10, 24, 10, 0, 0, 123);
  const id = newMessageId(at);
  t.equal(id.slice(0, 10), messageIdTimePrefix(at));
  t.equal(timeOfMessageId(id), at);
  t.ok(messageIdTimePrefix(at - 1) < id && id < messageIdTimePrefix(at + 1), 'ids sort between the prefixes around them');
});

t.test('entries come back in time order, and in write order within a millisecond', async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  const id = newMessageId(T0);
  const steps = ['a', 'b', 'c', 'd', 'e'];
  // Written out of time order, several in the same millisecond.
  await store.audit.append({ entries: [{ messageId: id, at: T0 + 5, event: { step: 'e' } }], index: [] });
  await Promise.all([
    store.audit.append({ entries: [{ messageId: id, at: T0, event: { step: 'a' } }, { messageId: id, at: T0, event: { step: 'b' } }], index: [] }),
    store.audit.append({ entries: [{ messageId: id, at: T0, event: { step: 'c' } }], index: [] }),
    store.audit.append({ entries: [{ messageId: id, at: T0 + 1, event: { step: 'd' } }], index: [] }),
  ]);
  const entries = await store.audit.events(id);
  t.same(entries.map((entry) => entry.event.step), steps);
  t.same(entries.map((entry) => entry.at), [T0, T0, T0, T0 + 1, T0 + 5]);
  t.same(await store.audit.events(newMessageId(T0 + 1)), [], 'another id has no entries');
  await t.rejects(store.audit.append({ entries: [{ messageId: 'x:y', at: T0, event: { step: 'a' } }], index: [] }), /not a message id/);
});

t.test('find looks only at the days of the range, with sparse days skipped', async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  const ids = [0, 3, 9, 20].map((days) => newMessageId(T0 + days * DAY));
  const index = (id: string, days: number, value: string) => ({ kind: 'address' as const, value, messageId: id, at: T0 + days * DAY });
  await store.audit.append({
    entries: [],
    index: [
      index(ids[0], 0, 'bob@example.org'),
      index(ids[1], 3, 'Bob@Example.org'),
      index(ids[1], 3, 'other@example.org'),
      index(ids[2], 9, 'bob@example.org'),
      index(ids[3], 20, 'bob@example.org'),
      index(ids[3], 20, 'bob@example.org.evil'),
    ],
  });
  const all = { since: T0 - DAY, until: T0 + 30 * DAY };
  t.same(await store.audit.find('address', 'BOB@example.org', all), ids, 'every day, lower-cased, exact value only');
  t.same(await store.audit.find('address', 'bob@example.org', { since: T0 + 2 * DAY, until: T0 + 10 * DAY }), [ids[1], ids[2]], 'days within the range');
  t.same(await store.audit.find('header', 'bob@example.org', all), [], 'kinds are separate');
  t.same(await store.audit.find('address', 'bob@example.org', { since: T0 + 21 * DAY, until: T0 + 40 * DAY }), []);
});

t.test('counters add up: pending increments are visible, flushes never count twice, reopen keeps them', async (t) => {
  const path = t.testdir();
  let store = await openStore({ path });
  const range = { since: T0, until: T0 + 3 * HOUR };
  store.audit.count(T0, { 'messages.in': 2, 'bytes.in': 100 });
  store.audit.count(T0 + HOUR, { 'messages.in': 1 });
  t.same(await store.audit.counters(range), [
    { hour: T0 - 30 * 60_000, counters: { 'messages.in': 2, 'bytes.in': 100 } },
    { hour: T0 + 30 * 60_000, counters: { 'messages.in': 1 } },
  ], 'pending increments, per hour (hours start on the hour)');

  await Promise.all([store.audit.flushCounters(), store.audit.flushCounters()]);
  store.audit.count(T0, { 'messages.in': 3 });
  const flushing = store.audit.flushCounters();
  store.audit.count(T0, { 'messages.in': 4 });
  await Promise.all([flushing, store.audit.flushCounters()]);
  t.same((await store.audit.counters(range))[0].counters, { 'messages.in': 9, 'bytes.in': 100 }, 'increments added once each');

  store.audit.count(T0, { 'messages.in': 1 });
  await store.close();
  store = await openStore({ path });
  t.teardown(() => store.close());
  t.same(
    (await store.audit.counters(range)).map((row) => row.counters),
    [{ 'messages.in': 10, 'bytes.in': 100 }, { 'messages.in': 1 }],
    'pending increments were written at close',
  );
  t.same(await store.audit.counters({ since: T0 + 2 * HOUR, until: T0 + 3 * HOUR }), [], 'hours outside the range are left out');
});

t.test("a delivery's trail is written in the delivery's batch", async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  await store.addDomain('example.org');
  await store.createAccount('bob@example.org', 'h');
  const id = newMessageId();
  const syncsBefore = store.stats.syncs;
  const delivered = await store.deliver(Buffer.from('Subject: x\r\n\r\nbody\r\n'), [{ account: 'bob@example.org', mailbox: 'INBOX' }], {
    trail: (copies) => ({
      entries: copies.map((copy) => ({ messageId: id, at: T0, event: { step: 'stored', uid: copy.uid } })),
      index: [{ kind: 'address', value: 'bob@example.org', messageId: id, at: T0 }],
    }),
  });
  t.equal(store.stats.syncs - syncsBefore, 1, 'one synced write for the message and its trail');
  t.same((await store.audit.events(id)).map((entry) => entry.event), [{ step: 'stored', uid: delivered[0].uid }]);
  t.same(await store.audit.find('address', 'bob@example.org', { since: T0, until: T0 }), [id]);

  const failing = await store.deliver(Buffer.from('Subject: y\r\n\r\nbody\r\n'), [{ account: 'bob@example.org', mailbox: 'INBOX' }], {
    trail: () => {
      throw new Error('a bug in the trail');
    },
  });
  t.equal(failing.length, 1, 'a faulty trail does not lose the message');
});

t.test('Message-ID header and --since parsing', async (t) => {
  const header = (text: string) => messageIdHeader(Buffer.from(text));
  t.equal(header('Subject: a\r\nMessage-ID: <abc@example.org>\r\n\r\nMessage-ID: <body@x>\r\n'), 'abc@example.org');
  t.equal(header('message-id:\r\n <folded@example.org>\r\n\r\n'), 'folded@example.org', 'folded and lower-case');
  t.equal(header('Message-Id: bare@example.org\n\nbody'), 'bare@example.org', 'without brackets, LF only');
  t.equal(header('Subject: none\r\n\r\nMessage-ID: <body@x>\r\n'), null, 'only the header block counts');

  const now = Date.UTC(2026, 10, 24, 12, 0, 0);
  t.equal(parseSince('2h', now), now - 2 * HOUR);
  t.equal(parseSince('30m', now), now - 30 * 60_000);
  t.equal(parseSince('7d', now), now - 7 * DAY);
  t.equal(parseSince('2026-11-24', now), Date.UTC(2026, 10, 24));
  t.equal(parseSince('2026-11-24T10:00Z', now), Date.UTC(2026, 10, 24, 10));
  t.throws(() => parseSince('2026-02-30', now), /cannot read the time/);
  t.throws(() => parseSince('yesterday', now), /cannot read the time/);
});
