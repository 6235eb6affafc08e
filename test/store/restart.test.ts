/**
 * Durability across close and reopen: messages, flags, UIDs, uidValidity, uidNext, modseqs,
 * counters, subscriptions and the global counters (uidValidity and mailbox ids never go back).
 */
import t from 'tap';
import { openStore } from '../../src/store/index.js';
import { message } from './helpers.js';

t.test('everything survives close and reopen', async (t) => {
  const path = t.testdir();
  let store = await openStore({ path });
  await store.addDomain('example.org');
  await store.createAccount('alice@example.org', 'h');
  await store.addAlias('info@example.org', ['alice@example.org']);
  await store.createMailbox('alice@example.org', 'Work/Reports');
  await store.setSubscribed('alice@example.org', 'Work/Reports', true);
  for (let i = 0; i < 5; i++) await store.append('alice@example.org', 'INBOX', message(`m${i}`));
  const inboxBefore = (await store.getMailbox('alice@example.org', 'INBOX'))!;
  await store.storeFlags(inboxBefore.id, [2, 4], { op: 'add', flags: ['\\Seen', '$Important'] });
  await store.expunge(inboxBefore.id, [5]);
  const mailboxesBefore = await store.listMailboxes('alice@example.org');
  const messagesBefore = await store.listMessages(inboxBefore.id);
  const changesBefore = await store.listChanges(inboxBefore.id, 0);
  const fullBefore = await store.readBlob(messagesBefore[0].blobId, 'full');
  const maxUidValidity = Math.max(...mailboxesBefore.map((m) => m.uidValidity));
  await store.close();

  store = await openStore({ path });
  t.teardown(() => store.close());
  t.same(await store.listDomains(), ['example.org']);
  t.same((await store.getAlias('info@example.org'))!.targets, ['alice@example.org']);
  t.same(await store.listMailboxes('alice@example.org'), mailboxesBefore);
  const inbox = (await store.getMailbox('alice@example.org', 'INBOX'))!;
  t.equal(inbox.uidNext, 6);
  t.equal(inbox.uidValidity, inboxBefore.uidValidity);
  t.equal(inbox.messages, 4);
  t.equal(inbox.unseen, 2);
  t.same(await store.listMessages(inbox.id), messagesBefore);
  t.same(await store.listChanges(inbox.id, 0), changesBefore);
  t.same(await store.readBlob(messagesBefore[0].blobId, 'full'), fullBefore);
  t.ok((await store.listSubscriptions('alice@example.org')).includes('Work/Reports'));

  const next = await store.append('alice@example.org', 'INBOX', message('after restart'));
  t.equal(next.uid, 6, 'UIDs continue, the expunged 5 is not reused');
  const [meta] = await store.getMessages(inbox.id, [6]);
  t.ok(meta.modseq > inbox.highestModSeq, 'modseq continues');

  const created = await store.createMailbox('alice@example.org', 'New');
  t.ok(created.uidValidity > maxUidValidity, 'uidValidity keeps growing across restarts');
  t.notOk(mailboxesBefore.some((m) => m.id === created.id), 'mailbox ids are not reused');
});

t.test('a second process on the same folder gets a clear error', async (t) => {
  const path = t.testdir();
  const first = await openStore({ path });
  t.teardown(() => first.close());
  await t.rejects(openStore({ path }), /is in use by another process \(is a Bridgehead server already running/);
});
