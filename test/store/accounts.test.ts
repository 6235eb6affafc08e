/**
 * Domains, accounts and aliases: lower-casing, default mailboxes of a new account, duplicates
 * and missing records as StoreError kinds, deleteAccount removing everything of the account.
 */
import t from 'tap';
import { StoreError } from '../../src/errors.js';
import { message, openTempStore } from './helpers.js';

t.test('domains are lower-cased, listed, removed; duplicates are "exists"', async (t) => {
  const { store } = await openTempStore(t);
  await store.addDomain('Example.ORG');
  await store.addDomain('example.net');
  t.same((await store.listDomains()).sort(), ['example.net', 'example.org']);
  t.equal(await store.hasDomain('EXAMPLE.org'), true);
  t.equal(await store.hasDomain('other.org'), false);
  await t.rejects(store.addDomain('example.org'), { name: 'StoreError', kind: 'exists' });
  await t.rejects(store.addDomain('bad domain'), { name: 'StoreError', kind: 'invalid' });
  t.equal(await store.removeDomain('EXAMPLE.NET'), true);
  t.equal(await store.removeDomain('example.net'), false);
  t.same(await store.listDomains(), ['example.org']);
});

t.test('createAccount makes the account and its six subscribed special-use mailboxes', async (t) => {
  const { store } = await openTempStore(t);
  const account = await store.createAccount('Alice@Example.ORG', 'hash-1');
  t.equal(account.address, 'alice@example.org');
  t.equal(account.passwordHash, 'hash-1');
  t.equal(account.quotaBytes, null);
  t.ok(account.createdAt > 0);
  t.same(await store.getAccount('ALICE@example.org'), account);

  const mailboxes = await store.listMailboxes('alice@example.org');
  const byName = new Map(mailboxes.map((mailbox) => [mailbox.name, mailbox]));
  t.same([...byName.keys()].sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
  t.equal(byName.get('INBOX')!.specialUse, null);
  t.equal(byName.get('Drafts')!.specialUse, '\\Drafts');
  t.equal(byName.get('Sent')!.specialUse, '\\Sent');
  t.equal(byName.get('Trash')!.specialUse, '\\Trash');
  t.equal(byName.get('Junk')!.specialUse, '\\Junk');
  t.equal(byName.get('Archive')!.specialUse, '\\Archive');
  for (const mailbox of mailboxes) {
    t.equal(mailbox.account, 'alice@example.org');
    t.equal(mailbox.uidNext, 1);
    t.equal(mailbox.messages, 0);
    t.ok(mailbox.uidValidity > 0);
  }
  t.equal(new Set(mailboxes.map((mailbox) => mailbox.id)).size, 6, 'distinct ids');
  t.same((await store.listSubscriptions('alice@example.org')).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);

  await t.rejects(store.createAccount('alice@example.org', 'x'), { name: 'StoreError', kind: 'exists' });
  await t.rejects(store.createAccount('no-at-sign', 'x'), { name: 'StoreError', kind: 'invalid' });
  t.same((await store.listAccounts()).map((a) => a.address), ['alice@example.org']);
});

t.test('setPasswordHash changes the hash; unknown accounts are not-found', async (t) => {
  const { store } = await openTempStore(t);
  await store.createAccount('bob@example.org', 'old');
  await store.setPasswordHash('BOB@example.org', 'new');
  t.equal((await store.getAccount('bob@example.org'))!.passwordHash, 'new');
  await t.rejects(store.setPasswordHash('nobody@example.org', 'x'), { name: 'StoreError', kind: 'not-found' });
  t.equal(await store.getAccount('nobody@example.org'), null);
});

t.test('deleteAccount removes mailboxes, messages, subscriptions and blob references', async (t) => {
  const { store } = await openTempStore(t);
  await store.createAccount('carol@example.org', 'h');
  await store.createAccount('dave@example.org', 'h');
  await store.createMailbox('carol@example.org', 'Projects/2024');
  await store.setSubscribed('carol@example.org', 'Projects/2024', true);
  const shared = message('shared');
  const [toCarol, toDave] = await store.deliver(shared, [
    { account: 'carol@example.org', mailbox: 'INBOX' },
    { account: 'dave@example.org', mailbox: 'INBOX' },
  ]);
  const own = await store.append('carol@example.org', 'Projects/2024', message('only carol'));
  const sharedBlob = (await store.listMessages(toCarol.mailboxId))[0].blobId;
  const ownBlob = (await store.listMessages(own.mailboxId))[0].blobId;
  t.equal(await store.blobRefCount(sharedBlob), 2);

  const deleted: string[] = [];
  store.events.on('change', (ev) => {
    if (ev.kind === 'mailbox-deleted') deleted.push(ev.name);
  });
  t.equal(await store.deleteAccount('Carol@Example.org'), true);
  t.equal(await store.getAccount('carol@example.org'), null);
  t.same(await store.listMailboxes('carol@example.org'), []);
  t.same(await store.listSubscriptions('carol@example.org'), []);
  t.same(await store.listMessages(toCarol.mailboxId), []);
  t.same(await store.listMessages(own.mailboxId), []);
  t.equal(await store.getMailboxById(toCarol.mailboxId), null);
  t.equal(deleted.length, 8, 'six default mailboxes and Projects, Projects/2024');
  t.equal(await store.blobRefCount(sharedBlob), 1, 'dave still references the shared blob');
  t.equal(await store.blobRefCount(ownBlob), 0);
  await t.rejects(store.readBlob(ownBlob, 'full'), { name: 'StoreError', kind: 'not-found' });
  t.equal((await store.listMessages(toDave.mailboxId)).length, 1);
  t.equal(await store.deleteAccount('carol@example.org'), false);

  // The address can be used again, starting from scratch.
  await store.createAccount('carol@example.org', 'h2');
  const inbox = await store.getMailbox('carol@example.org', 'INBOX');
  t.equal(inbox!.messages, 0);
});

t.test('aliases: lower-cased, targets merged, removed one by one or whole', async (t) => {
  const { store } = await openTempStore(t);
  const alias = await store.addAlias('Sales@Example.org', ['Alice@example.org']);
  t.same(alias, { address: 'sales@example.org', targets: ['alice@example.org'] });
  t.same(await store.addAlias('sales@example.org', ['bob@example.org', 'ALICE@example.org']), {
    address: 'sales@example.org',
    targets: ['alice@example.org', 'bob@example.org'],
  });
  await store.addAlias('*@example.org', ['catchall@example.org']);
  t.same((await store.getAlias('*@EXAMPLE.org'))!.targets, ['catchall@example.org']);
  t.equal((await store.listAliases()).length, 2);

  t.equal(await store.removeAlias('sales@example.org', ['Alice@example.org']), true);
  t.same((await store.getAlias('sales@example.org'))!.targets, ['bob@example.org']);
  t.equal(await store.removeAlias('sales@example.org', ['nobody@example.org']), false);
  t.equal(await store.removeAlias('sales@example.org', ['bob@example.org']), true, 'last target removes the alias');
  t.equal(await store.getAlias('sales@example.org'), null);
  t.equal(await store.removeAlias('*@example.org', []), true, 'empty list removes the whole alias');
  t.equal(await store.removeAlias('*@example.org', []), false);
  t.same(await store.listAliases(), []);
  await t.rejects(store.addAlias('x@example.org', []), { name: 'StoreError', kind: 'invalid' });
});

t.test('errors are StoreError instances', async (t) => {
  const { store } = await openTempStore(t);
  const err = await store.createAccount('bad', 'x').catch((e: unknown) => e);
  t.ok(err instanceof StoreError);
});
