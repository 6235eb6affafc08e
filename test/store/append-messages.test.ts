/**
 * Store support for MULTIAPPEND, quotas and SCRAM: appendMessages (one batch, all or none),
 * setQuota, and SCRAM data kept with the password hash.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import type { StoreEvent } from '../../src/store/types.js';
import { message, openTempStore, withAccount } from './helpers.js';

t.test('appendMessages stores every message in one batch, UIDs in order', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const events: StoreEvent[] = [];
  store.events.on('change', (event) => events.push(event));
  const delivered = await store.appendMessages(account, 'inbox', [
    { raw: message('One'), options: { flags: ['\\Seen'] } },
    { raw: message('Two'), options: { internalDate: Date.UTC(2020, 0, 1) } },
    { raw: message('One') },
  ]);
  t.same(delivered.map((entry) => entry.uid), [1, 2, 3]);
  const inbox = (await store.getMailbox(account, 'INBOX'))!;
  t.equal(inbox.messages, 3);
  t.equal(inbox.unseen, 2);
  const metas = await store.listMessages(inbox.id);
  t.same(metas.map((meta) => meta.flags), [['\\Seen'], [], []]);
  t.equal(metas[1].internalDate, Date.UTC(2020, 0, 1));
  t.equal(metas[0].blobId, metas[2].blobId, 'the same bytes are stored once');
  const crlf = Buffer.from(message('One').toString().replace(/\n/g, '\r\n'));
  t.equal(await store.blobRefCount(createHash('sha256').update(crlf).digest('hex')), 2);
  t.same(events.filter((event) => event.kind === 'append').map((event) => event.kind === 'append' && event.messages.length), [3], 'one event');
});

t.test('appendMessages is all or none', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  await t.rejects(store.appendMessages(account, 'INBOX', [{ raw: message('One') }, { raw: Buffer.alloc(0) }]), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.appendMessages(account, 'Nowhere', [{ raw: message('One') }]), { name: 'StoreError', kind: 'not-found' });
  await t.rejects(store.appendMessages(account, 'INBOX', []), { name: 'StoreError', kind: 'invalid' });
  t.equal((await store.getMailbox(account, 'INBOX'))!.messages, 0);
});

t.test('setQuota and SCRAM data', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  t.equal((await store.getAccount(account))!.quotaBytes, null);
  await store.setQuota(account, 4096);
  t.equal((await store.getAccount(account))!.quotaBytes, 4096);
  await store.setQuota(account, null);
  t.equal((await store.getAccount(account))!.quotaBytes, null);
  await t.rejects(store.setQuota(account, -1), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.setQuota('nobody@example.org', 1), { name: 'StoreError', kind: 'not-found' });

  const scram = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'a2V5', serverKey: 'c2Vy' };
  const created = await store.createAccount('bob@example.org', 'h1', { scram });
  t.same(created.scram, scram);
  t.same((await store.getAccount('bob@example.org'))!.scram, scram);
  await store.setPasswordHash('bob@example.org', 'h2', { scram: { ...scram, iterations: 8192 } });
  t.equal((await store.getAccount('bob@example.org'))!.scram!.iterations, 8192);
  await store.setPasswordHash('bob@example.org', 'h3');
  t.equal((await store.getAccount('bob@example.org'))!.scram, undefined, 'a new password without SCRAM data drops the old');
  t.equal((await store.getAccount('bob@example.org'))!.passwordHash, 'h3');
});
