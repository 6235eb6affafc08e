/**
 * Message operations: delivery (CRLF normalisation, size, parse-once), listing and full records,
 * blob reads, flags (RFC 9051 §6.4.6, CONDSTORE UNCHANGEDSINCE RFC 7162 §3.1.3), expunge,
 * COPY with COPYUID order (RFC 4315 §3), MOVE (RFC 6851), counters, change records and events.
 */
import t from 'tap';
import type { StoreEvent } from '../../src/store/index.js';
import { message, openTempStore, withAccount } from './helpers.js';

t.test('append normalises to CRLF, sizes by stored bytes, and keeps header and body apart', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const raw = Buffer.from('Subject: lf\nFrom: a@example.org\n\nline 1\nline 2\n');
  const crlf = Buffer.from('Subject: lf\r\nFrom: a@example.org\r\n\r\nline 1\r\nline 2\r\n');
  const delivered = await store.append(account, 'INBOX', raw, { flags: ['\\seen', 'Work', 'work', '\\Recent'], internalDate: 1700000000000 });
  const inbox = (await store.getMailbox(account, 'INBOX'))!;
  t.equal(delivered.uid, 1);
  t.equal(delivered.mailboxId, inbox.id);
  t.equal(delivered.uidValidity, inbox.uidValidity);
  t.equal(delivered.account, account);

  const [meta] = await store.listMessages(inbox.id);
  t.equal(meta.size, crlf.length);
  t.same(meta.flags, ['\\Seen', 'Work'], 'canonical system flags, keywords deduplicated, no \\Recent');
  t.equal(meta.internalDate, 1700000000000);
  t.ok(meta.savedAt >= Date.now() - 60_000);
  t.equal(meta.modseq, 2);
  t.same(await store.readBlob(meta.blobId, 'full'), crlf);
  t.same(await store.readBlob(meta.blobId, 'header'), Buffer.from('Subject: lf\r\nFrom: a@example.org\r\n\r\n'));

  const [record] = await store.getMessages(inbox.id, [1]);
  t.equal(record.uid, 1);
  t.equal(record.parsed.version, 1);
  t.equal(record.parsed.root.bodyEnd, crlf.length, 'parsed from the normalised bytes');

  t.equal(inbox.messages, 1);
  t.equal(inbox.unseen, 0);
  t.equal(inbox.size, crlf.length);
  t.equal(inbox.uidNext, 2);
  t.equal(inbox.highestModSeq, 2);
});

t.test('a message without a body: header is the whole message', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const delivered = await store.append(account, 'INBOX', Buffer.from('Subject: only a header\r\n'));
  const [meta] = await store.listMessages(delivered.mailboxId);
  t.same(await store.readBlob(meta.blobId, 'header'), Buffer.from('Subject: only a header\r\n'));
  t.same(await store.readBlob(meta.blobId, 'full'), Buffer.from('Subject: only a header\r\n'));
});

t.test('delivery errors', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  await t.rejects(store.append(account, 'Nope', message('x')), { name: 'StoreError', kind: 'not-found' });
  await t.rejects(store.append('nobody@example.org', 'INBOX', message('x')), { name: 'StoreError', kind: 'not-found' });
  await t.rejects(store.append(account, 'INBOX', Buffer.alloc(0)), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.append(account, 'INBOX', message('x'), { flags: ['\\Bogus'] }), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.append(account, 'INBOX', message('x'), { flags: ['bad keyword'] }), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.deliver(message('x'), []), { name: 'StoreError', kind: 'invalid' });
  await t.rejects(store.readBlob('0'.repeat(64), 'full'), { name: 'StoreError', kind: 'not-found' });
  const inbox = (await store.getMailbox(account, 'INBOX'))!;
  t.equal(inbox.messages, 0, 'failed deliveries leave no trace');
  t.equal(inbox.uidNext, 1);
});

t.test('listMessages and getMessages: UID order, missing UIDs skipped', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  for (let i = 1; i <= 5; i++) await store.append(account, 'INBOX', message(`m${i}`));
  const inbox = (await store.getMailbox(account, 'INBOX'))!;
  await store.expunge(inbox.id, [2]);
  t.same((await store.listMessages(inbox.id)).map((m) => m.uid), [1, 3, 4, 5]);
  const records = await store.getMessages(inbox.id, [5, 2, 1, 1, 99, 0, -1]);
  t.same(records.map((r) => r.uid), [1, 5]);
  t.ok(records.every((r) => r.parsed && typeof r.blobId === 'string'));
  t.same(await store.listMessages('ffffffffffff'), []);
});

t.test('storeFlags: add, remove, set; only real changes get a modseq', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  await store.append(account, 'INBOX', message('1'));
  await store.append(account, 'INBOX', message('2'), { flags: ['\\Seen'] });
  await store.append(account, 'INBOX', message('3'));
  const id = (await store.getMailbox(account, 'INBOX'))!.id;
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));

  let result = await store.storeFlags(id, [1, 2, 3, 42], { op: 'add', flags: ['\\SEEN', '$Label1'] });
  t.same(result.changed.map((c) => [c.uid, c.flags]), [
    [1, ['\\Seen', '$Label1']],
    [2, ['\\Seen', '$Label1']],
    [3, ['\\Seen', '$Label1']],
  ]);
  t.same(result.modified, []);
  const modseqs = result.changed.map((c) => c.modseq);
  t.same(modseqs, [5, 6, 7], 'each changed message gets the next modseq');
  let mailbox = (await store.getMailboxById(id))!;
  t.equal(mailbox.unseen, 0);
  t.equal(mailbox.highestModSeq, 7);

  result = await store.storeFlags(id, [1, 2], { op: 'add', flags: ['$label1'] });
  t.same(result.changed, [], 'keywords compare case-insensitively: nothing changed');
  t.equal((await store.getMailboxById(id))!.highestModSeq, 7, 'no modseq spent on no-ops');

  result = await store.storeFlags(id, [2], { op: 'remove', flags: ['\\seen', '$LABEL1'] });
  t.same(result.changed, [{ uid: 2, flags: [], modseq: 8 }]);
  result = await store.storeFlags(id, [3], { op: 'set', flags: ['\\Flagged', '\\Recent'] });
  t.same(result.changed, [{ uid: 3, flags: ['\\Flagged'], modseq: 9 }]);
  mailbox = (await store.getMailboxById(id))!;
  t.equal(mailbox.unseen, 2);
  t.same((await store.listMessages(id)).map((m) => [m.uid, m.modseq, m.flags]), [
    [1, 5, ['\\Seen', '$Label1']],
    [2, 8, []],
    [3, 9, ['\\Flagged']],
  ]);
  t.same(
    events.map((ev) => ev.kind === 'flags' && ev.changes.map((c) => c.uid)),
    [[1, 2, 3], [2], [3]],
    'one flags event per changing operation',
  );
  await t.rejects(store.storeFlags('ffffffffffff', [1], { op: 'add', flags: ['\\Seen'] }), { name: 'StoreError', kind: 'not-found' });
  await t.rejects(store.storeFlags(id, [1], { op: 'add', flags: ['\\Nope'] }), { name: 'StoreError', kind: 'invalid' });
});

t.test('storeFlags honours UNCHANGEDSINCE (RFC 7162 §3.1.3)', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  await store.append(account, 'INBOX', message('1'));
  await store.append(account, 'INBOX', message('2'));
  const id = (await store.getMailbox(account, 'INBOX'))!.id;
  await store.storeFlags(id, [2], { op: 'add', flags: ['\\Answered'] });
  const [one, two] = await store.listMessages(id);
  t.equal(one.modseq, 2);
  t.equal(two.modseq, 4);
  const result = await store.storeFlags(id, [1, 2], { op: 'add', flags: ['\\Deleted'], unchangedSince: 3 });
  t.same(result.changed.map((c) => c.uid), [1]);
  t.same(result.modified, [2]);
  t.same((await store.listMessages(id))[1].flags, ['\\Answered'], 'the modified message is untouched');
});

t.test('expunge removes records, counts, writes change records, returns UIDs ascending', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  for (let i = 1; i <= 4; i++) await store.append(account, 'INBOX', message(`m${i}`), { flags: i === 1 ? ['\\Seen'] : [] });
  const before = (await store.getMailbox(account, 'INBOX'))!;
  const [m1, , m3] = await store.listMessages(before.id);
  await store.storeFlags(before.id, [3], { op: 'add', flags: ['\\Deleted'] });
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));

  t.same(await store.expunge(before.id, [3, 1, 77]), [1, 3]);
  const after = (await store.getMailboxById(before.id))!;
  t.equal(after.messages, 2);
  t.equal(after.unseen, 2);
  t.equal(after.size, before.size - m1.size - m3.size);
  t.equal(after.uidNext, before.uidNext);
  t.same((await store.listMessages(before.id)).map((m) => m.uid), [2, 4]);
  t.same(events, [{ kind: 'expunge', mailboxId: before.id, account, uids: [1, 3], modseq: after.highestModSeq }]);
  const changes = await store.listChanges(before.id, 0);
  t.same(changes, [{ kind: 'expunge', uids: [1, 3], modseq: after.highestModSeq }], "the expunged message's flag record is gone");
  t.same(await store.expunge(before.id, [1, 3]), [], 'nothing left to expunge');
  t.equal((await store.getMailboxById(before.id))!.highestModSeq, after.highestModSeq);
  await t.rejects(store.expunge('ffffffffffff', [1]), { name: 'StoreError', kind: 'not-found' });
});

t.test('listChanges answers "what changed since modseq"', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  for (let i = 1; i <= 3; i++) await store.append(account, 'INBOX', message(`m${i}`));
  const id = (await store.getMailbox(account, 'INBOX'))!.id;
  await store.storeFlags(id, [1], { op: 'add', flags: ['\\Seen'] }); // modseq 5
  await store.storeFlags(id, [2], { op: 'add', flags: ['\\Seen'] }); // modseq 6
  await store.storeFlags(id, [1], { op: 'add', flags: ['\\Flagged'] }); // modseq 7 replaces 5
  await store.expunge(id, [3]); // modseq 8
  t.same(await store.listChanges(id, 0), [
    { kind: 'flags', uid: 2, modseq: 6 },
    { kind: 'flags', uid: 1, modseq: 7 },
    { kind: 'expunge', uids: [3], modseq: 8 },
  ]);
  t.same(await store.listChanges(id, 7), [{ kind: 'expunge', uids: [3], modseq: 8 }]);
  t.same(await store.listChanges(id, 8), []);
});

t.test('copy: new UIDs in source UID order, flags and dates kept, blob shared', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  for (let i = 1; i <= 4; i++) await store.append(account, 'INBOX', message(`m${i}`), { internalDate: 1000 * i });
  const inbox = (await store.getMailbox(account, 'INBOX'))!;
  await store.storeFlags(inbox.id, [4], { op: 'add', flags: ['\\Seen', 'Keep'] });
  const archive = (await store.getMailbox(account, 'Archive'))!;
  await store.append(account, 'Archive', message('already there'));
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));

  const result = await store.copy(inbox.id, [4, 2, 99], archive.id);
  t.same(result, { uidValidity: archive.uidValidity, map: [[2, 2], [4, 3]] });
  const copies = await store.listMessages(archive.id);
  const originals = await store.listMessages(inbox.id);
  t.same(copies.map((m) => [m.uid, m.flags, m.internalDate]), [
    [1, [], copies[0].internalDate],
    [2, [], 2000],
    [3, ['\\Seen', 'Keep'], 4000],
  ]);
  t.equal(copies[2].blobId, originals[3].blobId);
  t.equal(await store.blobRefCount(originals[3].blobId), 2);
  const target = (await store.getMailboxById(archive.id))!;
  t.equal(target.messages, 3);
  t.equal(target.unseen, 2);
  t.equal(target.uidNext, 4);
  t.equal((await store.getMailboxById(inbox.id))!.messages, 4, 'source untouched');
  t.same(events.map((ev) => ev.kind), ['append']);
  t.same(await store.copy(inbox.id, [99], archive.id), { uidValidity: archive.uidValidity, map: [] });
  await t.rejects(store.copy(inbox.id, [1], 'ffffffffffff'), { name: 'StoreError', kind: 'not-found' });

  const self = await store.copy(inbox.id, [1], inbox.id);
  t.same(self.map, [[1, 5]], 'copy into the same mailbox is allowed');
});

t.test('move: copy and expunge in one operation (RFC 6851)', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  for (let i = 1; i <= 3; i++) await store.append(account, 'INBOX', message(`m${i}`));
  const inbox = (await store.getMailbox(account, 'INBOX'))!;
  const trash = (await store.getMailbox(account, 'Trash'))!;
  const blobs = (await store.listMessages(inbox.id)).map((m) => m.blobId);
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));

  const syncsBefore = store.stats.syncs;
  const result = await store.move(inbox.id, [3, 1], trash.id);
  t.equal(store.stats.syncs - syncsBefore, 1, 'one batch');
  t.same(result, { uidValidity: trash.uidValidity, map: [[1, 1], [3, 2]] });
  t.same((await store.listMessages(inbox.id)).map((m) => m.uid), [2]);
  t.same((await store.listMessages(trash.id)).map((m) => m.blobId), [blobs[0], blobs[2]]);
  t.equal(await store.blobRefCount(blobs[0]), 1, 'references moved, not added');
  t.equal((await store.getMailboxById(inbox.id))!.messages, 1);
  t.equal((await store.getMailboxById(trash.id))!.messages, 2);
  t.same(events.map((ev) => ev.kind), ['append', 'expunge']);
  const expunge = events[1];
  t.same(expunge.kind === 'expunge' && expunge.uids, [1, 3]);
});

t.test('events are emitted after the batch is durable', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  const inbox = (await store.getMailbox(account, 'INBOX'))!;
  const seen: Array<{ kind: string; listed: number }> = [];
  const checks: Array<Promise<void>> = [];
  const listener = (ev: StoreEvent) => {
    if (ev.kind !== 'append') return;
    // When the event fires, the message must already be readable from disk.
    checks.push(store.listMessages(ev.mailboxId).then((metas) => void seen.push({ kind: ev.kind, listed: metas.length })));
    t.same(ev.messages.map((m) => m.uid), [1]);
  };
  store.events.on('change', listener);
  let resolved = false;
  const pending = store.append(account, 'INBOX', message('x')).then(() => (resolved = true));
  t.equal(resolved, false);
  await pending;
  await Promise.all(checks);
  t.same(seen, [{ kind: 'append', listed: 1 }]);
  t.equal((await store.getMailboxById(inbox.id))!.messages, 1);
  store.events.off('change', listener);

  store.events.on('change', () => {
    throw new Error('a broken listener');
  });
  await t.resolves(store.append(account, 'INBOX', message('y')), 'a throwing listener does not fail the operation');
});
