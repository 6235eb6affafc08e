/**
 * The shared SORT/THREAD key cache (src/imap/sort/keys-cache.ts) over a real store: keys equal
 * what the summaries give, a blob is read once, concurrent cold lookups share one read, a
 * missing blob is not remembered, and both bounds (count, idle time) drop entries without
 * changing answers.
 */
import t, { type Test } from 'tap';
import { SortKeyCache, sortKeyCache } from '../../../src/imap/sort/keys-cache.js';
import { casemap, sortKeysOf } from '../../../src/imap/sort/order.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';

const USER = 'alice@example.org';

async function storeWith(t: Test, count: number) {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  await store.addDomain('example.org');
  await store.createAccount(USER, 'x');
  for (let i = 1; i <= count; i++) {
    const subject = i % 2 === 0 ? `Re: Topic ${i}` : `Straße ${i}`;
    const lines = [`From: Sender ${i} <s${i}@example.org>`, `To: r${i}@example.org`, `Subject: ${subject}`, `Message-ID: <${i}@x>`];
    if (i > 1) lines.push(`References: <${i - 1}@x>`);
    await store.append(USER, 'INBOX', Buffer.from([...lines, '', `Body ${i}`, ''].join('\r\n')));
  }
  const box = await store.getMailbox(USER, 'INBOX');
  const blobIds = (await store.listMessages(box!.id)).map((meta) => meta.blobId);
  return { store, blobIds };
}

/** The store's getSummaries, counting the blob ids asked for. */
function counting(store: Store) {
  const asked: number[] = [];
  return {
    asked,
    source: {
      getSummaries: (blobIds: string[]) => {
        asked.push(blobIds.length);
        return store.getSummaries(blobIds);
      },
    },
  };
}

t.test('keys are the folded summary keys; a second lookup reads nothing', async (t) => {
  const { store, blobIds } = await storeWith(t, 5);
  const { asked, source } = counting(store);
  const cache = new SortKeyCache(source);
  t.teardown(() => cache.clear());
  const keys = await cache.keysFor(blobIds);
  const summaries = await store.getSummaries(blobIds);
  t.same(keys, blobIds.map((id) => sortKeysOf(summaries.get(id)!)));
  t.equal(keys[0]!.subject, Buffer.from('STRAßE 1').toString('latin1'), 'non-ASCII compared by UTF-8 octets');
  t.equal(keys[1]!.subject, 'TOPIC 2');
  t.same(keys[1]!.references, ['<1@x>']);
  t.same(asked, [5]);
  t.same(await cache.keysFor([blobIds[3], blobIds[3], blobIds[0]]), [keys[3], keys[3], keys[0]]);
  t.same(asked, [5], 'answered from memory');
  t.equal(cache.size, 5);
});

t.test('casemap folds only a-z in ASCII text (the characters around them stay)', async (t) => {
  t.equal(casemap('a`{z~@[Z] m_0'), 'A`{Z~@[Z] M_0');
  t.equal(casemap('été'), Buffer.from('éTé').toString('latin1'));
});

t.test('a missing blob gets no keys and is asked again', async (t) => {
  const { store, blobIds } = await storeWith(t, 2);
  const { asked, source } = counting(store);
  const cache = new SortKeyCache(source);
  t.teardown(() => cache.clear());
  const unknown = 'f'.repeat(64);
  const first = await cache.keysFor([blobIds[0], unknown, blobIds[1]]);
  t.equal(first[1], undefined);
  t.ok(first[0] && first[2]);
  t.same(asked, [3]);
  t.equal((await cache.keysFor([unknown]))[0], undefined);
  t.same(asked, [3, 1], 'not remembered as missing');
});

t.test('concurrent cold lookups read each blob once', async (t) => {
  const { store, blobIds } = await storeWith(t, 6);
  const { asked, source } = counting(store);
  const cache = new SortKeyCache(source);
  t.teardown(() => cache.clear());
  const [a, b] = await Promise.all([cache.keysFor(blobIds), cache.keysFor(blobIds.slice(2))]);
  t.same(b, a.slice(2));
  t.same(asked, [6], 'the second waited for the first and found its keys');
});

t.test('bounded by count: evicted keys are read again, answers unchanged', async (t) => {
  const { store, blobIds } = await storeWith(t, 6);
  const { asked, source } = counting(store);
  const cache = new SortKeyCache(source, { maxEntries: 4, idleMs: 60_000 });
  t.teardown(() => cache.clear());
  const expected = await new SortKeyCache(store).keysFor(blobIds);
  t.same(await cache.keysFor(blobIds), expected);
  t.ok(cache.size <= 4, `size ${cache.size}`);
  t.same(await cache.keysFor(blobIds), expected);
  t.ok(cache.size <= 4, `size ${cache.size}`);
  t.ok(asked.length === 2 && asked[1] > 0, 'dropped keys were read again');
  const before = asked.length;
  const last = await cache.keysFor(blobIds.slice(5));
  t.same(last, expected.slice(5));
  t.equal(asked.length, before, 'the key used last stays');
});

t.test('bounded by time: unused keys go after two periods and the timer stops', async (t) => {
  const { store, blobIds } = await storeWith(t, 3);
  const { asked, source } = counting(store);
  const cache = new SortKeyCache(source, { maxEntries: 100, idleMs: 15 });
  t.teardown(() => cache.clear());
  await cache.keysFor(blobIds);
  t.equal(cache.size, 3);
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.equal(cache.size, 0, 'dropped');
  await cache.keysFor(blobIds.slice(0, 1));
  t.same(asked, [3, 1], 'read again after expiry');
});

t.test('one cache per store', async (t) => {
  const { store } = await storeWith(t, 0);
  const other = await openStore({ path: t.testdir() + '-other' });
  t.teardown(() => other.close());
  t.equal(sortKeyCache(store), sortKeyCache(store));
  t.not(sortKeyCache(store), sortKeyCache(other));
});
