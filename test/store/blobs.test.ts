/**
 * Blobs: stored once per distinct (CRLF-normalised) content whatever the number of recipients
 * or copies, reference-counted, deleted when the last reference goes.
 */
import t from 'tap';
import { message, openTempStore } from './helpers.js';

t.test('one delivery to three recipients stores one blob with refcount 3; expunging all removes it', async (t) => {
  const { store } = await openTempStore(t);
  const accounts = ['a@example.org', 'b@example.org', 'c@example.org'];
  for (const address of accounts) await store.createAccount(address, 'h');
  const delivered = await store.deliver(
    message('to three'),
    accounts.map((account) => ({ account, mailbox: 'INBOX' })),
  );
  t.equal(delivered.length, 3);
  const metas = await Promise.all(delivered.map(async (d) => (await store.listMessages(d.mailboxId))[0]));
  const blobIds = new Set(metas.map((meta) => meta.blobId));
  t.equal(blobIds.size, 1, 'one blob');
  const [blobId] = blobIds;
  t.match(blobId, /^[0-9a-f]{64}$/, 'sha256 hex');
  t.equal(await store.blobRefCount(blobId), 3);

  await store.expunge(delivered[0].mailboxId, [delivered[0].uid]);
  t.equal(await store.blobRefCount(blobId), 2);
  await store.expunge(delivered[1].mailboxId, [delivered[1].uid]);
  t.ok((await store.readBlob(blobId, 'full')).length > 0, 'still readable with one reference');
  await store.expunge(delivered[2].mailboxId, [delivered[2].uid]);
  t.equal(await store.blobRefCount(blobId), 0);
  await t.rejects(store.readBlob(blobId, 'full'), { name: 'StoreError', kind: 'not-found' });
  await t.rejects(store.readBlob(blobId, 'header'), { name: 'StoreError', kind: 'not-found' });
});

t.test('same content in separate deliveries, copies and line-ending variants shares the blob', async (t) => {
  const { store } = await openTempStore(t);
  await store.createAccount('a@example.org', 'h');
  const lf = Buffer.from('Subject: same\n\nbody\n');
  const crlf = Buffer.from('Subject: same\r\n\r\nbody\r\n');
  const first = await store.append('a@example.org', 'INBOX', lf);
  const second = await store.append('a@example.org', 'Archive', crlf);
  const [one] = await store.listMessages(first.mailboxId);
  const [two] = await store.listMessages(second.mailboxId);
  t.equal(one.blobId, two.blobId);
  t.equal(await store.blobRefCount(one.blobId), 2);
  const trash = (await store.getMailbox('a@example.org', 'Trash'))!;
  await store.copy(first.mailboxId, [first.uid], trash.id);
  t.equal(await store.blobRefCount(one.blobId), 3);
  await store.move(second.mailboxId, [second.uid], trash.id);
  t.equal(await store.blobRefCount(one.blobId), 3, 'move keeps the count');
  await store.deleteMailbox('a@example.org', 'Trash');
  t.equal(await store.blobRefCount(one.blobId), 1);
  t.same(await store.readBlob(one.blobId, 'full'), crlf);
});

t.test('a blob deleted and delivered again is stored again', async (t) => {
  const { store } = await openTempStore(t);
  await store.createAccount('a@example.org', 'h');
  const first = await store.append('a@example.org', 'INBOX', message('again'));
  const [meta] = await store.listMessages(first.mailboxId);
  await store.expunge(first.mailboxId, [first.uid]);
  await t.rejects(store.readBlob(meta.blobId, 'full'), { name: 'StoreError', kind: 'not-found' });
  const second = await store.append('a@example.org', 'INBOX', message('again'));
  t.equal(await store.blobRefCount(meta.blobId), 1);
  const [record] = await store.getMessages(second.mailboxId, [second.uid]);
  t.equal(record.blobId, meta.blobId);
  t.ok(record.parsed, 'parsed tree stored again');
  t.ok((await store.readBlob(meta.blobId, 'full')).length > 0);
});
