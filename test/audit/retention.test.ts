/**
 * Retention: with an injected clock, what is older than audit.retentionDays / stats.retentionDays
 * goes (by range deletes on time-ordered keys), at start and on the daily schedule; what is newer
 * stays, including the index entries that find it.
 */
import t from 'tap';
import { Audit } from '../../src/audit/index.js';
import { silentLogger } from '../../src/log.js';
import { messageIdTimePrefix } from '../../src/store/level/keys.js';
import { openStore, type LevelStore } from '../../src/store/index.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

/** A message id made at `ms` (what pipeline/message-id.ts would make then). */
const idAt = (ms: number, tail = '0000000A') => messageIdTimePrefix(ms) + tail;

async function seed(store: LevelStore, audit: Audit, at: number, address: string): Promise<string> {
  const id = idAt(at);
  await audit.record(id, [{ step: 'removed', reason: 'done' }], [{ kind: 'address', value: address }, { kind: 'header', value: `${address}-mid` }], at);
  store.audit.count(at, { 'messages.in': 1 });
  return id;
}

t.test('expire removes old stories, index entries and counters, and keeps recent ones', async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  let now = NOW;
  const audit = new Audit({ store, log: silentLogger(), auditRetentionDays: 30, statsRetentionDays: 60, clock: () => now });

  const old = await seed(store, audit, NOW - 45 * DAY, 'old@example.org');
  const middle = await seed(store, audit, NOW - 40 * DAY, 'mid@example.org');
  const recent = await seed(store, audit, NOW - 2 * DAY, 'new@example.org');
  // A message accepted 45 days ago whose last step (indexed then) was 29 days ago.
  await audit.record(old, [{ step: 'removed', reason: 'done' }], [{ kind: 'address', value: 'late@example.org' }], NOW - 29 * DAY);
  store.audit.count(NOW - 70 * DAY, { 'messages.in': 5 });
  await audit.flush();
  const everything = { since: NOW - 100 * DAY, until: NOW };
  t.equal((await store.audit.counters(everything)).length, 4, 'four hours with counters before');

  await audit.start();
  t.teardown(() => audit.close());

  t.same(await store.audit.events(old), [], 'the story of a message accepted 45 days ago is gone');
  t.same(await store.audit.events(middle), [], 'and of one accepted 40 days ago');
  t.equal((await store.audit.events(recent)).length, 1, 'a recent story stays');
  t.same(await store.audit.find('address', 'old@example.org', everything), [], 'old index entries are gone');
  t.same(await store.audit.find('header', 'mid@example.org-mid', everything), []);
  t.same(await store.audit.find('address', 'new@example.org', everything), [recent], 'recent ones stay');
  t.same(await store.audit.find('address', 'late@example.org', everything), [old], 'an index entry inside the period stays until its own day expires');

  const counters = await store.audit.counters(everything);
  t.same(
    counters.map((row) => row.hour),
    [NOW - 45 * DAY, NOW - 40 * DAY, NOW - 2 * DAY],
    'counters older than 60 days are gone, younger ones stay',
  );

  now += 20 * DAY;
  await audit.expire();
  t.same(await store.audit.find('address', 'late@example.org', everything), [], 'the daily run removes what aged out since');
  t.same(
    (await store.audit.counters(everything)).map((row) => row.hour),
    [NOW - 40 * DAY, NOW - 2 * DAY],
    'the hour at the cutoff stays, older ones go',
  );
  t.equal((await store.audit.events(recent)).length, 1, 'a story 22 days old stays');
});

t.test('retention runs on its schedule', async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  let now = NOW;
  const audit = new Audit({ store, log: silentLogger(), auditRetentionDays: 1, statsRetentionDays: 1, clock: () => now, retentionIntervalMs: 20 });
  const id = await seed(store, audit, NOW - 1000, 'soon@example.org');
  await audit.start();
  t.teardown(() => audit.close());
  t.equal((await store.audit.events(id)).length, 1, 'kept while inside the period');
  now += 2 * DAY;
  for (let i = 0; i < 50 && (await store.audit.events(id)).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.same(await store.audit.events(id), [], 'removed by the scheduled run once it aged out');
});
