/**
 * What the store keeps for SORT and THREAD (RFC 5256): the sent date in each message's meta
 * (copied along with the message) and a summary per blob, dropped with the blob; blobs stored
 * before summaries existed get one computed on reading.
 */
import { Level } from 'level';
import t from 'tap';
import { openStore } from '../../src/store/index.js';

const RAW = Buffer.from(
  'From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: Re: [list] Plans\r\nDate: Mon, 01 Mar 2021 09:00:00 +0100\r\n' +
    'Message-ID: <plans@example.org>\r\nReferences: <root@example.org>\r\n\r\nHello\r\n',
);
const EXPECTED = {
  version: 1,
  sentDate: Date.UTC(2021, 2, 1, 8),
  baseSubject: 'Plans',
  replyOrForward: true,
  fromMailbox: 'ann',
  toMailbox: 'bob',
  ccMailbox: '',
  fromDisplay: 'Ann',
  toDisplay: 'bob@example.org',
  messageId: '<plans@example.org>',
  references: ['<root@example.org>'],
};

t.test('sent date in the meta, summary per blob, both follow copies and expunges', async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  await store.createAccount('a@example.org', 'h');
  const delivered = await store.append('a@example.org', 'INBOX', RAW);
  const noDate = await store.append('a@example.org', 'INBOX', Buffer.from('Subject: x\r\n\r\nbody\r\n'));
  const [meta, undated] = await store.listMessages(delivered.mailboxId);
  t.equal(meta.sentDate, Date.UTC(2021, 2, 1, 8));
  t.equal(undated.sentDate, null, 'no Date header: null, not absent');
  t.same(Object.fromEntries(await store.getSummaries([meta.blobId, 'f'.repeat(64)])), { [meta.blobId]: EXPECTED }, 'unknown blobs skipped');

  const archive = (await store.getMailbox('a@example.org', 'Archive'))!;
  await store.copy(delivered.mailboxId, [delivered.uid, noDate.uid], archive.id);
  const copies = await store.listMessages(archive.id);
  t.same(copies.map((copy) => copy.sentDate), [Date.UTC(2021, 2, 1, 8), null], 'COPY keeps the sent date');

  await store.appendMessages('a@example.org', 'Drafts', [{ raw: Buffer.from(RAW.toString().replace('Subject:', 'X-Draft: 1\r\nSubject:')) }, { raw: Buffer.from('Subject: y\r\n\r\nbody\r\n') }]);
  const drafts = await store.listMessages((await store.getMailbox('a@example.org', 'Drafts'))!.id);
  t.same(drafts.map((draft) => draft.sentDate), [Date.UTC(2021, 2, 1, 8), null], 'MULTIAPPEND records the sent date too');

  await store.expunge(delivered.mailboxId, [delivered.uid]);
  t.equal((await store.getSummaries([meta.blobId])).size, 1, 'kept while a copy references the blob');
  await store.expunge(archive.id, [copies[0].uid]);
  t.equal((await store.getSummaries([meta.blobId])).size, 0, 'dropped with the blob');
});

t.test('a blob stored without a summary gets one computed from its header and tree', async (t) => {
  const path = t.testdir();
  let store = await openStore({ path });
  await store.createAccount('a@example.org', 'h');
  const delivered = await store.append('a@example.org', 'INBOX', RAW);
  const [meta] = await store.listMessages(delivered.mailboxId);
  await store.close();

  // Remove what a store of an earlier version would not have written.
  const db = new Level<string, unknown>(path, { valueEncoding: 'json' });
  await db.sublevel('blob-summaries').clear();
  const messages = db.sublevel<string, Record<string, unknown>>('messages', { valueEncoding: 'json' });
  for await (const [key, value] of messages.iterator()) {
    delete value.sentDate;
    await messages.put(key, value);
  }
  await db.close();

  store = await openStore({ path });
  t.teardown(() => store.close());
  const [old] = await store.listMessages(delivered.mailboxId);
  t.equal(old.sentDate, undefined, 'the meta is as an older store wrote it');
  t.same(Object.fromEntries(await store.getSummaries([meta.blobId])), { [meta.blobId]: EXPECTED });
});
