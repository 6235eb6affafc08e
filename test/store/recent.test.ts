/**
 * claimRecent (\Recent, RFC 3501 §2.3.2): the mailbox's firstRecentUid moves to uidNext and the
 * UIDs passed over are returned once; it survives a restart; a record written before the marker
 * existed reads as "nothing recent" and keeps new mail recent.
 */
import t from 'tap';
import { openStore } from '../../src/store/index.js';
import { message } from './helpers.js';

const USER = 'alice@example.org';

t.test('claimRecent hands out each UID once, and the marker survives a restart', async (t) => {
  const path = t.testdir();
  let store = await openStore({ path });
  await store.addDomain('example.org');
  await store.createAccount(USER, 'h');
  const inbox = (await store.getMailbox(USER, 'INBOX'))!;
  t.equal(inbox.firstRecentUid, 1, 'a new mailbox has nothing claimed');
  t.same(await store.claimRecent(inbox.id), { from: 1, to: 0 }, 'empty mailbox: empty range');
  for (let i = 0; i < 3; i++) await store.append(USER, 'INBOX', message(`m${i}`));
  const [first, second] = await Promise.all([store.claimRecent(inbox.id), store.claimRecent(inbox.id)]);
  t.same(first, { from: 1, to: 3 }, 'the first claim gets all three');
  t.same(second, { from: 4, to: 3 }, 'a concurrent claim gets nothing');
  await store.append(USER, 'INBOX', message('m3'));
  t.equal((await store.getMailbox(USER, 'INBOX'))!.firstRecentUid, 4);
  await store.close();

  store = await openStore({ path });
  t.teardown(() => store.close());
  t.equal((await store.getMailbox(USER, 'INBOX'))!.firstRecentUid, 4, 'persisted');
  t.same(await store.claimRecent(inbox.id), { from: 4, to: 4 });
  t.same(await store.claimRecent(inbox.id), { from: 5, to: 4 });
  await t.rejects(store.claimRecent('no-such-mailbox'), { name: 'StoreError', kind: 'not-found' });
});

t.test('INBOX renamed: the new mailbox keeps the marker', async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  await store.addDomain('example.org');
  await store.createAccount(USER, 'h');
  for (let i = 0; i < 3; i++) await store.append(USER, 'INBOX', message(`m${i}`));
  const inbox = (await store.getMailbox(USER, 'INBOX'))!;
  t.same(await store.claimRecent(inbox.id), { from: 1, to: 3 });
  await store.append(USER, 'INBOX', message('m3'));
  await store.renameMailbox(USER, 'INBOX', 'Old');
  const old = (await store.getMailbox(USER, 'Old'))!;
  t.equal(old.firstRecentUid, 4, 'message 4 is still unclaimed in its new mailbox');
  t.same(await store.claimRecent(old.id), { from: 4, to: 4 });
});
