/**
 * Concurrency: UIDs and modseqs never collide, counters stay exact and concurrent deliveries
 * share fsyncs (group commit).
 */
import t, { type Test } from 'tap';
import type { LevelStore, Mailbox, MessageMeta } from '../../src/store/index.js';
import { message, openTempStore, withAccount } from './helpers.js';

/** The mailbox's counters must equal what its message records say. */
async function checkCounters(t: Test, store: LevelStore, mailboxId: string): Promise<{ mailbox: Mailbox; metas: MessageMeta[] }> {
  const mailbox = (await store.getMailboxById(mailboxId))!;
  const metas = await store.listMessages(mailboxId);
  t.equal(mailbox.messages, metas.length, `${mailbox.name}: messages`);
  t.equal(mailbox.unseen, metas.filter((m) => !m.flags.includes('\\Seen')).length, `${mailbox.name}: unseen`);
  t.equal(mailbox.size, metas.reduce((sum, m) => sum + m.size, 0), `${mailbox.name}: size`);
  const maxUid = Math.max(0, ...metas.map((m) => m.uid));
  t.ok(mailbox.uidNext > maxUid, `${mailbox.name}: uidNext above every UID`);
  t.ok(metas.every((m) => m.modseq <= mailbox.highestModSeq), `${mailbox.name}: highestModSeq is highest`);
  t.equal(new Set(metas.map((m) => m.modseq)).size, metas.length, `${mailbox.name}: modseqs distinct`);
  return { mailbox, metas };
}

t.test('200 concurrent deliveries to one INBOX: 200 distinct UIDs, few fsyncs', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const appended: number[] = [];
  store.events.on('change', (ev) => {
    if (ev.kind === 'append') appended.push(...ev.messages.map((m) => m.uid));
  });
  const syncsBefore = store.stats.syncs;
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => store.append(account, 'INBOX', message(`concurrent ${i}`))),
  );
  const syncs = store.stats.syncs - syncsBefore;
  t.comment(`200 deliveries took ${syncs} synced writes`);
  t.ok(syncs <= 50, `far fewer fsyncs than deliveries (${syncs})`);

  const uids = results.map((r) => r.uid).sort((a, b) => a - b);
  t.equal(new Set(uids).size, 200, 'distinct UIDs');
  t.same(uids, Array.from({ length: 200 }, (_, i) => i + 1), 'no gaps');
  t.same(appended, uids, 'append events in commit order, which is UID order');
  const { mailbox, metas } = await checkCounters(t, store, results[0].mailboxId);
  t.equal(mailbox.messages, 200);
  t.equal(mailbox.uidNext, 201);
  t.equal(mailbox.highestModSeq, 201);
  t.same(metas.map((m) => m.uid), uids);
});

t.test('mixed concurrent deliveries, flag changes, copies, moves and expunges keep counters exact', async (t) => {
  const { store } = await openTempStore(t);
  const alice = await withAccount(store, 'alice@example.org');
  const bob = await withAccount(store, 'bob@example.org');
  const seed = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(alice, 'INBOX', message(`seed ${i}`))));
  const inbox = seed[0].mailboxId;
  const archive = (await store.getMailbox(alice, 'Archive'))!.id;
  const trash = (await store.getMailbox(alice, 'Trash'))!.id;
  const same = message('identical bytes');

  const work: Array<Promise<unknown>> = [];
  for (let i = 0; i < 30; i++) {
    work.push(store.deliver(message(`new ${i}`), [{ account: alice, mailbox: 'INBOX' }, { account: bob, mailbox: 'INBOX' }]));
    work.push(store.append(bob, 'INBOX', same, { flags: i % 2 ? ['\\Seen'] : [] }));
    if (i < 10) work.push(store.storeFlags(inbox, [i + 1, i + 2], { op: 'add', flags: ['\\Seen'] }));
    if (i < 5) work.push(store.copy(inbox, [i + 1, 15], archive));
    if (i === 6) work.push(store.move(inbox, [16, 17], trash));
    if (i === 8) work.push(store.expunge(inbox, [18, 19, 20]));
  }
  await Promise.all(work);

  for (const id of [inbox, archive, trash, (await store.getMailbox(bob, 'INBOX'))!.id]) await checkCounters(t, store, id);
  const aliceInbox = await store.listMessages(inbox);
  t.equal(aliceInbox.length, 20 - 2 - 3 + 30);
  t.equal((await store.listMessages(archive)).length, 10);
  const bobInbox = await store.listMessages((await store.getMailbox(bob, 'INBOX'))!.id);
  t.equal(bobInbox.length, 60);
  const identical = new Set(bobInbox.map((m) => m.blobId));
  t.equal(identical.size, 31, '30 distinct deliveries and one shared blob');
  const refs = await Promise.all([...identical].map((id) => store.blobRefCount(id)));
  t.ok(refs.includes(30), 'the identical message counted exactly 30 times');
});

t.test('concurrent creation of the same mailbox: one wins, the others get "exists"', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => store.createMailbox(account, 'Race')));
  t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') t.match(outcome.reason, { name: 'StoreError', kind: 'exists' });
  }
});

t.test('deliveries racing a mailbox deletion never leave orphaned messages', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const doomed = await store.createMailbox(account, 'Doomed');
  const deliveries = Array.from({ length: 20 }, (_, i) => store.append(account, 'Doomed', message(`d${i}`)).catch((err) => err));
  await store.deleteMailbox(account, 'Doomed');
  const outcomes = await Promise.all(deliveries);
  t.ok(outcomes.every((o) => !(o instanceof Error) || (o as { kind?: string }).kind === 'not-found'));
  t.same(await store.listMessages(doomed.id), [], 'no message records left under the deleted id');
  t.equal(await store.getMailboxById(doomed.id), null);
});
