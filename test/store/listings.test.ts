/**
 * listMessages answers from memory (store/level/listings.ts): what it returns must always be what
 * the disk holds — after appends, flag changes, expunges, copies, moves, renames and deletions,
 * and while writes race with the first (cold) listing. The disk's view is taken by reopening the
 * store. Also: the prepared SEARCH records and readBlobs.
 */
import t from 'tap';
import { openStore } from '../../src/store/index.js';
import type { LevelStore } from '../../src/store/level/index.js';
import type { MessageMeta } from '../../src/store/types.js';
import { message, openTempStore, withAccount } from './helpers.js';

const plain = (metas: MessageMeta[]) => metas.map((meta) => ({ ...meta, flags: [...meta.flags] }));

async function fromDisk(store: LevelStore, path: string, mailboxIds: string[]): Promise<{ store: LevelStore; listings: MessageMeta[][] }> {
  await store.close();
  const reopened = await openStore({ path });
  const listings = await Promise.all(mailboxIds.map((id) => reopened.listMessages(id)));
  return { store: reopened, listings: listings.map(plain) };
}

t.test('cached listings follow every change and equal the disk', async (t) => {
  const { store, path } = await openTempStore(t);
  const user = await withAccount(store);
  const inbox = (await store.getMailbox(user, 'INBOX'))!;
  const archive = (await store.getMailbox(user, 'Archive'))!;
  for (let i = 0; i < 20; i++) await store.append(user, 'INBOX', message(`m${i}`), { flags: i % 3 ? ['\\Seen'] : [] });
  t.equal((await store.listMessages(inbox.id)).length, 20, 'cold listing');
  t.equal((await store.listMessages(archive.id)).length, 0);
  await store.append(user, 'INBOX', message('late'));
  await store.storeFlags(inbox.id, [1, 2, 3], { op: 'add', flags: ['\\Flagged', '$Work'] });
  await store.storeFlags(inbox.id, [2], { op: 'remove', flags: ['\\Seen'] });
  await store.expunge(inbox.id, [4, 5]);
  await store.copy(inbox.id, [6, 7], archive.id);
  await store.move(inbox.id, [8], archive.id);
  await store.appendMessages(user, 'Archive', [{ raw: message('multi 1') }, { raw: message('multi 2') }]);
  const cached = [plain(await store.listMessages(inbox.id)), plain(await store.listMessages(archive.id))];
  t.same(cached[0].map((meta) => meta.uid), [1, 2, 3, 6, 7, ...Array.from({ length: 13 }, (_, i) => i + 9)]);
  t.same(cached[1].map((meta) => meta.uid), [1, 2, 3, 4, 5]);
  const disk = await fromDisk(store, path, [inbox.id, archive.id]);
  t.teardown(() => disk.store.close());
  t.same(cached, disk.listings, 'what the cache said is what the disk holds');
});

t.test('a rename of INBOX and a deletion drop what the cache held', async (t) => {
  const { store } = await openTempStore(t);
  const user = await withAccount(store);
  await store.createMailbox(user, 'Old');
  for (let i = 0; i < 3; i++) await store.append(user, 'INBOX', message(`m${i}`));
  await store.append(user, 'Old', message('old'));
  const inbox = (await store.getMailbox(user, 'INBOX'))!;
  const old = (await store.getMailbox(user, 'Old'))!;
  t.equal((await store.listMessages(inbox.id)).length, 3);
  t.equal((await store.listMessages(old.id)).length, 1);
  await store.renameMailbox(user, 'INBOX', 'Moved');
  t.equal((await store.listMessages(inbox.id)).length, 0, 'INBOX is empty after its rename');
  const moved = (await store.getMailbox(user, 'Moved'))!;
  t.same((await store.listMessages(moved.id)).map((meta) => meta.uid), [1, 2, 3]);
  await store.deleteMailbox(user, 'Old');
  t.same(await store.listMessages(old.id), [], 'a deleted mailbox lists nothing');
});

t.test('writes racing with the first listing are never lost or doubled', async (t) => {
  const { store, path } = await openTempStore(t);
  const user = await withAccount(store);
  const inbox = (await store.getMailbox(user, 'INBOX'))!;
  for (let i = 0; i < 200; i++) await store.append(user, 'INBOX', message(`m${i}`));
  for (let round = 0; round < 5; round++) {
    // A fresh store each round: its first listMessages reads the disk while the writes commit.
    const writes = Promise.all([
      ...Array.from({ length: 20 }, (_, i) => store.append(user, 'INBOX', message(`r${round}-${i}`))),
      store.storeFlags(inbox.id, [round * 10 + 1, round * 10 + 2], { op: 'add', flags: ['\\Deleted'] }),
      store.expunge(inbox.id, [round * 10 + 3]),
    ]);
    const listings = await Promise.all([store.listMessages(inbox.id), store.listMessages(inbox.id)]);
    await writes;
    t.same(plain(listings[0]), plain(listings[1]), 'concurrent readers share one load');
  }
  const cached = plain(await store.listMessages(inbox.id));
  t.equal(new Set(cached.map((meta) => meta.uid)).size, cached.length, 'no UID twice');
  const disk = await fromDisk(store, path, [inbox.id]);
  t.teardown(() => disk.store.close());
  t.same(cached, disk.listings[0]);
});

t.test('listings are copies of shared, frozen metas', async (t) => {
  const { store } = await openTempStore(t);
  const user = await withAccount(store);
  const inbox = (await store.getMailbox(user, 'INBOX'))!;
  await store.append(user, 'INBOX', message('a'), { flags: ['\\Seen'] });
  await store.append(user, 'INBOX', message('b'), { flags: ['\\Seen'] });
  const first = await store.listMessages(inbox.id);
  first.pop();
  t.equal((await store.listMessages(inbox.id)).length, 2, 'changing the array changes nothing');
  t.equal(first[0].flags, (await store.listMessages(inbox.id))[1].flags, 'equal flag sets share one array');
  t.throws(() => (first[0].flags as string[]).push('\\Draft'), TypeError, 'flag arrays are frozen');
});

t.test('readBlobs and the prepared SEARCH records', async (t) => {
  const { store } = await openTempStore(t);
  const user = await withAccount(store);
  const raw = Buffer.from('From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\nSubject: Quarterly  Budget\r\n\r\nSee   the NUMBERS.\r\n');
  await store.append(user, 'INBOX', raw);
  const inbox = (await store.getMailbox(user, 'INBOX'))!;
  const [meta] = await store.listMessages(inbox.id);
  const [header, missing] = await store.readBlobs([meta.blobId, 'f'.repeat(64)], 'header');
  t.equal(header?.toString(), raw.subarray(0, raw.indexOf('\r\n\r\n') + 4).toString());
  t.equal(missing, null, 'a missing blob is null');
  t.same((await store.readBlobs([meta.blobId], 'full'))[0], raw);
  const [fields, none] = await store.getSearchFields([meta.blobId, 'f'.repeat(64)]);
  const expected = { from: ['jürgen <j@example.org>'], to: [], cc: [], bcc: [], subject: ['quarterly budget'] };
  // Field by field: the cache hands out packed records that read like plain ones.
  const plain = (read: typeof fields) => ({ from: read?.from, to: read?.to, cc: read?.cc, bcc: read?.bcc, subject: read?.subject });
  t.same(plain(fields), expected);
  t.equal(none, null);
  t.same(plain((await store.getSearchFields([meta.blobId]))[0]), expected, 'the second read, same answer');
  const [text] = await store.readSearchText([meta.blobId]);
  t.match(text?.toString(), /^from: jürgen <j@example\.org> subject: quarterly budget ?\nsee the numbers\. ?$/);
});
