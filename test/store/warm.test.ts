/**
 * warmCaches: the largest mailboxes' listings and search fields are loaded at start-up, up to a
 * bound, so their first SELECT and SEARCH do not read every record (store/level/index.ts). New
 * blobs' search fields enter the cache when written.
 */
import t from 'tap';
import { openStore, type LevelStore } from '../../src/store/index.js';
import { message, openTempStore, withAccount } from './helpers.js';

/** Counts calls of one method of one of the store's sublevels (`s.messages.values`, ...). */
function countCalls(store: LevelStore, sublevel: 'messages' | 'blobSearchFields', method: 'values' | 'getMany'): () => number {
  const target = (store as unknown as { s: Record<string, Record<string, (...args: unknown[]) => unknown>> }).s[sublevel];
  const original = target[method].bind(target);
  let calls = 0;
  target[method] = (...args: unknown[]) => {
    calls++;
    return original(...args);
  };
  return () => calls;
}

t.test('largest mailboxes first, within the bound; loaded listings are served from memory', async (t) => {
  const { store } = await openTempStore(t);
  const alice = await withAccount(store);
  const bob = await withAccount(store, 'bob@example.org');
  for (let i = 0; i < 5; i++) await store.append(alice, 'INBOX', message(`a${i}`));
  for (let i = 0; i < 3; i++) await store.append(bob, 'INBOX', message(`b${i}`));
  for (let i = 0; i < 2; i++) await store.append(alice, 'Archive', message(`c${i}`));
  t.same(await store.warmCaches(7), { mailboxes: 2, messages: 7, searchFields: 7 }, '5 and 2; the 3 would pass the bound');

  // Count reads of message records from here on: the warmed mailboxes need none.
  const reads = countCalls(store, 'messages', 'values');
  t.equal((await store.listMessages((await store.getMailbox(alice, 'INBOX'))!.id)).length, 5);
  t.equal((await store.listMessages((await store.getMailbox(alice, 'Archive'))!.id)).length, 2);
  t.equal(reads(), 0, 'warmed listings come from memory');
  t.equal((await store.listMessages((await store.getMailbox(bob, 'INBOX'))!.id)).length, 3);
  t.equal(reads(), 1, 'the one left out is read when asked');
});

t.test('close waits for a warm-up that is running, which stops early', async (t) => {
  const { store } = await openTempStore(t);
  const alice = await withAccount(store);
  for (let i = 0; i < 3; i++) await store.append(alice, 'INBOX', message(`a${i}`));
  const warming = store.warmCaches();
  await store.close();
  const result = await warming;
  t.ok(result.messages <= 3, 'finished or stopped without an error');
});

t.test('search fields: cached when written, and loaded by the warm-up after a restart', async (t) => {
  const path = t.testdir();
  let store = await openStore({ path });
  const alice = await withAccount(store);
  for (let i = 0; i < 4; i++) await store.append(alice, 'INBOX', message(`a${i}`));
  const inbox = (await store.getMailbox(alice, 'INBOX'))!;
  const blobIds = (await store.listMessages(inbox.id)).map((meta) => meta.blobId);
  let reads = countCalls(store, 'blobSearchFields', 'getMany');
  t.same((await store.getSearchFields(blobIds)).map((fields) => fields?.subject), [['a0'], ['a1'], ['a2'], ['a3']]);
  t.equal(reads(), 0, 'the fields of blobs written by this process come from memory');

  const [expunged] = await store.listMessages(inbox.id);
  await store.expunge(inbox.id, [expunged.uid]);
  t.same(await store.getSearchFields([expunged.blobId]), [null], 'a deleted blob has none (read again from disk)');
  t.equal(reads(), 1);
  await store.close();

  store = await openStore({ path });
  t.teardown(() => store.close());
  reads = countCalls(store, 'blobSearchFields', 'getMany');
  t.same(await store.warmCaches(), { mailboxes: 1, messages: 3, searchFields: 3 });
  const readsByWarmUp = reads();
  t.same((await store.getSearchFields(blobIds.slice(1))).map((fields) => fields?.subject), [['a1'], ['a2'], ['a3']]);
  t.equal(reads(), readsByWarmUp, 'after the warm-up, SEARCH fields come from memory');
});
