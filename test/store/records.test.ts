/**
 * The directory read cache (store/level/records.ts) and the store paths that use it: a cached
 * record is answered without a disk read, every write through the store is seen at once
 * (absences included), a read that raced a write never installs the older value, and the
 * bound holds. Also deliver's `freshBytes`, which skips the lookup of an existing blob.
 */
import t, { type Test } from 'tap';
import { Level } from 'level';
import { GroupCommitter } from '../../src/store/level/committer.js';
import { openSublevels, type RootDb } from '../../src/store/level/keys.js';
import { RecordCache } from '../../src/store/level/records.js';
import { message, openTempStore, withAccount } from './helpers.js';

async function openCache(t: Test, maxEntries = 100) {
  const db: RootDb = new Level<string, unknown>(t.testdir(), { valueEncoding: 'json' });
  await db.open();
  t.teardown(() => db.close());
  const s = openSublevels(db);
  const cache = new RecordCache();
  cache.add(s.domains, { maxEntries });
  const committer = new GroupCommitter(db, () => undefined, (ops) => cache.written(ops));
  let diskReads = 0;
  const get = s.domains.get.bind(s.domains);
  s.domains.get = ((key: string) => {
    diskReads++;
    return get(key);
  }) as typeof s.domains.get;
  const put = (key: string) => committer.submit([{ type: 'put', sublevel: s.domains, key, value: { addedAt: 1 } }], () => undefined);
  const del = (key: string) => committer.submit([{ type: 'del', sublevel: s.domains, key }], () => undefined);
  return { s, cache, put, del, reads: () => diskReads };
}

t.test('records and absences are read from disk once, then from memory', async (t) => {
  const { s, cache, put, reads } = await openCache(t);
  await put('example.org');
  t.same(await cache.get(s.domains, 'example.org'), { addedAt: 1 });
  t.equal(await cache.get(s.domains, 'other.org'), undefined);
  t.equal(reads(), 2);
  t.same(await cache.get(s.domains, 'example.org'), { addedAt: 1 });
  t.equal(await cache.get(s.domains, 'other.org'), undefined);
  t.same(await cache.getMany(s.domains, ['other.org', 'example.org']), [undefined, { addedAt: 1 }]);
  t.equal(reads(), 2, 'no further disk reads');
  t.ok(Object.isFrozen(await cache.get(s.domains, 'example.org')), 'shared values are frozen');
});

t.test('a durable write replaces what the cache answers, absences included', async (t) => {
  const { s, cache, put, del } = await openCache(t);
  t.equal(await cache.get(s.domains, 'example.org'), undefined);
  await put('example.org');
  t.same(await cache.get(s.domains, 'example.org'), { addedAt: 1 }, 'a cached absence is dropped by the put');
  await del('example.org');
  t.equal(await cache.get(s.domains, 'example.org'), undefined, 'a cached record is dropped by the del');
  t.same(await cache.getMany(s.domains, ['example.org']), [undefined]);
});

t.test('a read that raced a write returns its value but does not keep it', async (t) => {
  const { s, cache, put, reads } = await openCache(t);
  await put('example.org');
  const racing = cache.get(s.domains, 'example.org');
  // The write lands while the read is in flight: whatever it read must not be cached.
  cache.written([{ type: 'del', sublevel: s.domains, key: 'example.org' }]);
  await racing;
  const before = reads();
  await cache.get(s.domains, 'example.org');
  t.equal(reads(), before + 1, 'read from disk again');
});

t.test('at most maxEntries per key space; a dropped entry is read again', async (t) => {
  const { s, cache, put, reads } = await openCache(t, 10);
  for (let i = 0; i < 10; i++) await put(`d${i}.org`);
  for (let i = 0; i < 10; i++) await cache.get(s.domains, `d${i}.org`);
  await cache.get(s.domains, 'd10.org');
  const before = reads();
  await cache.get(s.domains, 'd0.org');
  t.equal(reads(), before + 1, 'the oldest entry was dropped');
  await cache.get(s.domains, 'd9.org');
  t.equal(reads(), before + 1, 'newer entries stayed');
  cache.clear();
  await cache.get(s.domains, 'd9.org');
  t.equal(reads(), before + 2, 'clear drops everything');
});

t.test('the store answers from the cache and sees each of its own writes at once', async (t) => {
  const { store } = await openTempStore(t);
  t.equal(await store.hasDomain('example.org'), false);
  await store.addDomain('example.org');
  t.equal(await store.hasDomain('example.org'), true);

  t.equal(await store.getAccount('alice@example.org'), null);
  await withAccount(store);
  t.equal((await store.getAccount('alice@example.org'))!.quotaBytes, null);
  await store.setQuota('alice@example.org', 5000);
  t.equal((await store.getAccount('alice@example.org'))!.quotaBytes, 5000);
  await store.setPasswordHash('alice@example.org', 'hash-2');
  t.equal((await store.getAccount('Alice@Example.org'))!.passwordHash, 'hash-2');
  const account = await store.getAccount('alice@example.org');
  t.throws(() => {
    (account as { quotaBytes: number | null }).quotaBytes = 1;
  }, TypeError, 'callers cannot change the shared record');

  t.equal(await store.getAlias('team@example.org'), null);
  await store.addAlias('team@example.org', ['alice@example.org']);
  await store.addAlias('team@example.org', ['bob@example.org']);
  t.same((await store.getAlias('team@example.org'))!.targets, ['alice@example.org', 'bob@example.org']);
  await store.removeAlias('team@example.org', []);
  t.equal(await store.getAlias('team@example.org'), null);

  t.equal(await store.getProfile('alice@example.org'), null);
  await store.setProfile({ address: 'alice@example.org', phone: '+4915112345678', fax: null, notify: [] });
  t.equal((await store.getProfile('alice@example.org'))!.phone, '+4915112345678');

  t.ok(await store.getMailbox('alice@example.org', 'Drafts'));
  await store.renameMailbox('alice@example.org', 'Drafts', 'Entwürfe');
  t.equal(await store.getMailbox('alice@example.org', 'Drafts'), null, 'the old name is gone');
  t.ok(await store.getMailbox('alice@example.org', 'Entwürfe'));

  await store.deleteAccount('alice@example.org');
  t.equal(await store.getAccount('alice@example.org'), null);
  t.equal(await store.getProfile('alice@example.org'), null);
  t.equal(await store.getMailbox('alice@example.org', 'INBOX'), null);
});

t.test('deliveries follow renamed mailboxes through the cached names', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const [first] = await store.deliver(message('one'), [{ account, mailbox: 'Archive' }]);
  await store.renameMailbox(account, 'Archive', 'Archiv');
  const [second] = await store.deliver(message('two'), [{ account, mailbox: 'Archiv' }]);
  t.equal(second.mailboxId, first.mailboxId, 'the new name leads to the same mailbox');
  await t.rejects(store.deliver(message('three'), [{ account, mailbox: 'Archive' }]), { name: 'StoreError', kind: 'not-found' });
  await store.createMailbox(account, 'Archive');
  const [third] = await store.deliver(message('four'), [{ account, mailbox: 'Archive' }]);
  t.not(third.mailboxId, first.mailboxId, 'a mailbox created under the old name is a new one');
  t.equal((await store.getMailbox(account, 'Archiv'))!.messages, 2);
  t.equal((await store.getMailbox(account, 'Archive'))!.messages, 1);
});

t.test('freshBytes: the blob is written without a lookup and counted per copy', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const bytes = message('fresh', 'Received with a new id.\r\n');
  const delivered = await store.deliver(bytes, [{ account, mailbox: 'INBOX' }, { account, mailbox: 'Archive' }], { freshBytes: true });
  const [record] = await store.getMessages(delivered[0].mailboxId, [delivered[0].uid]);
  t.equal(await store.blobRefCount(record.blobId), 2);
  // The same bytes again without the promise: found and shared.
  await store.deliver(bytes, [{ account, mailbox: 'INBOX' }]);
  t.equal(await store.blobRefCount(record.blobId), 3);
  await store.expunge(delivered[0].mailboxId, [delivered[0].uid]);
  t.equal(await store.blobRefCount(record.blobId), 2);
  t.equal((await store.readBlob(record.blobId, 'full')).toString().includes('Received with a new id.'), true);
});
