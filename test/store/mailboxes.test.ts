/**
 * Mailboxes: creation with superiors, INBOX naming, deletion rules (RFC 9051 §6.3.4-§6.3.5),
 * uidValidity growth across delete and re-create (RFC 9051 §2.3.1.1), RENAME with inferiors and
 * of INBOX (RFC 9051 §6.3.6), subscriptions (RFC 9051 §6.3.7-§6.3.9) and mailbox events.
 */
import t from 'tap';
import type { StoreEvent } from '../../src/store/index.js';
import { message, openTempStore, withAccount } from './helpers.js';

t.test('createMailbox creates missing superiors and refuses duplicates', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));

  const created = await store.createMailbox(account, 'a/b/c', { specialUse: '\\Flagged' });
  t.equal(created.name, 'a/b/c');
  t.equal(created.specialUse, '\\Flagged');
  t.equal(created.uidNext, 1);
  t.equal(created.highestModSeq, 1);
  t.ok(await store.getMailbox(account, 'a'));
  t.ok(await store.getMailbox(account, 'a/b'));
  t.same(await store.getMailboxById(created.id), created);
  t.same(
    events.map((ev) => (ev.kind === 'mailbox-created' ? ev.name : ev.kind)),
    ['a', 'a/b', 'a/b/c'],
  );

  await t.rejects(store.createMailbox(account, 'a/b'), { name: 'StoreError', kind: 'exists' });
  await t.rejects(store.createMailbox(account, 'inbox'), { name: 'StoreError', kind: 'exists' });
  await t.rejects(store.createMailbox(account, 'x//y'), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.createMailbox(account, ''), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.createMailbox('nobody@example.org', 'x'), { name: 'StoreError', kind: 'not-found' });
  const trailing = await store.createMailbox(account, 'Lists/');
  t.equal(trailing.name, 'Lists', 'a trailing delimiter only declares intent (RFC 9051 §6.3.4)');
});

t.test('INBOX is case-insensitive and always named "INBOX"', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const inbox = await store.getMailbox(account, 'iNbOx');
  t.equal(inbox!.name, 'INBOX');
  const child = await store.createMailbox(account, 'inbox/Receipts');
  t.equal(child.name, 'INBOX/Receipts');
  t.equal((await store.getMailbox(account, 'Inbox/Receipts'))!.id, child.id);
  t.not((await store.createMailbox(account, 'Other/inbox')).name, 'Other/INBOX', 'only the first level is INBOX');
  const delivered = await store.append(account, 'inbox', message('hi'));
  t.equal(delivered.mailboxId, inbox!.id);
});

t.test('deleteMailbox: INBOX protected, inferiors refused, messages and blobs gone', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  await t.rejects(store.deleteMailbox(account, 'inbox'), { name: 'StoreError', kind: 'protected' });
  await t.rejects(store.deleteMailbox(account, 'Nope'), { name: 'StoreError', kind: 'not-found' });

  await store.createMailbox(account, 'Old/Child');
  await t.rejects(store.deleteMailbox(account, 'Old'), { name: 'StoreError', kind: 'inferior-exists' });

  const delivered = await store.append(account, 'Old/Child', message('to be deleted'));
  const [meta] = await store.listMessages(delivered.mailboxId);
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));
  await store.deleteMailbox(account, 'Old/Child');
  t.equal(await store.getMailbox(account, 'Old/Child'), null);
  t.equal(await store.getMailboxById(delivered.mailboxId), null);
  t.same(await store.listMessages(delivered.mailboxId), []);
  t.equal(await store.blobRefCount(meta.blobId), 0);
  await t.rejects(store.readBlob(meta.blobId, 'header'), { name: 'StoreError', kind: 'not-found' });
  t.same(events, [{ kind: 'mailbox-deleted', account, mailboxId: delivered.mailboxId, name: 'Old/Child' }]);
  await store.deleteMailbox(account, 'Old');
  t.equal(await store.getMailbox(account, 'Old'), null);
});

t.test('a mailbox deleted and re-created gets a greater uidValidity and a new id', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const first = await store.createMailbox(account, 'Work');
  await store.append(account, 'Work', message('one'));
  await store.deleteMailbox(account, 'Work');
  const second = await store.createMailbox(account, 'Work');
  t.ok(second.uidValidity > first.uidValidity, `${second.uidValidity} > ${first.uidValidity}`);
  t.not(second.id, first.id);
  t.equal(second.uidNext, 1);
  t.equal(second.messages, 0);
});

t.test('renameMailbox renames inferiors, keeps ids, UIDs and moves subscriptions', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const parent = await store.createMailbox(account, 'Work');
  const child = await store.createMailbox(account, 'Work/2024');
  await store.createMailbox(account, 'Workshop');
  await store.setSubscribed(account, 'Work/2024', true);
  const delivered = await store.append(account, 'Work/2024', message('report'));
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));

  await store.renameMailbox(account, 'Work', 'Archive/Jobs/Old');
  t.equal(await store.getMailbox(account, 'Work'), null);
  t.equal(await store.getMailbox(account, 'Work/2024'), null);
  const renamed = await store.getMailbox(account, 'Archive/Jobs/Old');
  const renamedChild = await store.getMailbox(account, 'Archive/Jobs/Old/2024');
  t.equal(renamed!.id, parent.id);
  t.equal(renamed!.uidValidity, parent.uidValidity);
  t.equal(renamedChild!.id, child.id);
  t.equal((await store.getMailboxById(child.id))!.name, 'Archive/Jobs/Old/2024');
  t.ok(await store.getMailbox(account, 'Archive/Jobs'), 'missing superior created');
  t.ok(await store.getMailbox(account, 'Workshop'), 'a sibling with the same prefix is untouched');
  t.same((await store.listMessages(child.id)).map((m) => m.uid), [delivered.uid]);
  const subscriptions = await store.listSubscriptions(account);
  t.ok(subscriptions.includes('Archive/Jobs/Old/2024'));
  t.notOk(subscriptions.includes('Work/2024'));
  t.same(
    events.filter((ev) => ev.kind === 'mailbox-renamed').map((ev) => ev.kind === 'mailbox-renamed' && [ev.oldName, ev.name]),
    [['Work', 'Archive/Jobs/Old'], ['Work/2024', 'Archive/Jobs/Old/2024']],
  );

  await t.rejects(store.renameMailbox(account, 'Workshop', 'Sent'), { name: 'StoreError', kind: 'exists' });
  await t.rejects(store.renameMailbox(account, 'Missing', 'Else'), { name: 'StoreError', kind: 'not-found' });
  await t.rejects(store.renameMailbox(account, 'Workshop', 'Workshop/Sub'), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.renameMailbox(account, 'Workshop', 'inbox'), { name: 'StoreError', kind: 'exists' });
  // A mailbox created after the rename under the old name is a new mailbox.
  const recreated = await store.createMailbox(account, 'Work');
  t.ok(recreated.uidValidity > parent.uidValidity);
});

t.test('renaming INBOX moves its messages to a new mailbox and leaves INBOX empty', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const first = await store.append(account, 'INBOX', message('one'));
  const second = await store.append(account, 'INBOX', message('two'));
  await store.storeFlags(first.mailboxId, [first.uid], { op: 'add', flags: ['\\Seen'] });
  await store.createMailbox(account, 'INBOX/Sub');
  const before = (await store.getMailbox(account, 'INBOX'))!;
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));

  await store.renameMailbox(account, 'inbox', 'Old Mail');
  const inbox = (await store.getMailbox(account, 'INBOX'))!;
  const moved = (await store.getMailbox(account, 'Old Mail'))!;
  t.equal(inbox.id, before.id, 'INBOX stays');
  t.equal(inbox.messages, 0);
  t.equal(inbox.unseen, 0);
  t.equal(inbox.size, 0);
  t.equal(inbox.uidNext, before.uidNext, 'UIDs are not reused in INBOX');
  t.ok(inbox.highestModSeq > before.highestModSeq);
  t.same(await store.listMessages(inbox.id), []);
  t.not(moved.id, inbox.id);
  t.equal(moved.messages, 2);
  t.equal(moved.unseen, 1);
  t.equal(moved.size, before.size);
  const metas = await store.listMessages(moved.id);
  t.same(metas.map((m) => m.uid), [first.uid, second.uid]);
  t.same(metas[0].flags, ['\\Seen']);
  t.ok(await store.getMailbox(account, 'INBOX/Sub'), 'inferiors of INBOX are not moved');
  const expunged = events.find((ev) => ev.kind === 'expunge');
  t.same(expunged && expunged.kind === 'expunge' && expunged.uids, [first.uid, second.uid]);
  t.same((await store.listChanges(moved.id, 0)).map((c) => c.kind), ['flags'], 'flag history moves along');
  t.same((await store.listChanges(inbox.id, 0)).map((c) => c.kind), ['expunge']);

  const third = await store.append(account, 'INBOX', message('three'));
  t.equal(third.uid, before.uidNext);

  await store.renameMailbox(account, 'INBOX', 'INBOX/Older');
  t.same((await store.listMessages((await store.getMailbox(account, 'INBOX/Older'))!.id)).map((m) => m.uid), [third.uid]);
  t.equal((await store.getMailbox(account, 'INBOX'))!.messages, 0, 'INBOX may be renamed to one of its inferiors');
});

t.test('subscriptions are kept by name, may name missing mailboxes, survive deletion', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  await store.setSubscribed(account, 'Not/There', true);
  await store.setSubscribed(account, 'Junk', false);
  await store.setSubscribed(account, 'inbox', true);
  let subscriptions = await store.listSubscriptions(account);
  t.ok(subscriptions.includes('Not/There'));
  t.notOk(subscriptions.includes('Junk'));
  t.equal(subscriptions.filter((name) => name === 'INBOX').length, 1);
  await store.createMailbox(account, 'Temp');
  await store.setSubscribed(account, 'Temp', true);
  await store.deleteMailbox(account, 'Temp');
  subscriptions = await store.listSubscriptions(account);
  t.ok(subscriptions.includes('Temp'), 'RFC 9051 §6.3.9: not removed unilaterally');
  await t.rejects(store.setSubscribed(account, 'a//b', true), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.setSubscribed('nobody@example.org', 'INBOX', true), { name: 'StoreError', kind: 'not-found' });
});
