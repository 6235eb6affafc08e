/**
 * CONDSTORE, QRESYNC and IMAP4rev2 with a client nobody here wrote: imapflow with `qresync: true`
 * enables all three, then relies on HIGHESTMODSEQ, MODSEQ in flag updates, VANISHED, CHANGEDSINCE,
 * ESEARCH replies and SELECT (QRESYNC ...).
 */
import { once } from 'node:events';
import t from 'tap';
import { USER, sampleMessage, startServer, imapflowClient } from './harness.js';

t.test('imapflow with QRESYNC follows another session\'s changes', async (t) => {
  const h = await startServer(t);
  for (let i = 1; i <= 5; i++) await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage(`Message ${i}`)));
  const imap = await imapflowClient(t, h, { logger: process.env.IMAPFLOW_DEBUG ? (undefined as never) : false, qresync: true });
  for (const name of ['CONDSTORE', 'QRESYNC', 'IMAP4REV2']) t.ok(imap.enabled.has(name), `${name} enabled`);

  const mailbox = await imap.mailboxOpen('INBOX');
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  t.equal(mailbox.highestModseq, BigInt(inbox.highestModSeq), 'HIGHESTMODSEQ at SELECT');
  const since = mailbox.highestModseq!;

  const flags = once(imap, 'flags');
  const other = await h.loggedIn();
  await other.command('b1 SELECT INBOX');
  await other.command('b2 UID STORE 2 +FLAGS (\\Flagged)');
  // imapflow starts IDLE only after a while; NOOP collects the update at once.
  await imap.noop();
  const [update] = await flags;
  t.equal(update.uid, 2);
  t.ok(update.flags.has('\\Flagged'));
  t.equal(update.modseq, since + 1n, 'MODSEQ in the unsolicited FETCH');

  const expunged = once(imap, 'expunge');
  await other.command('b3 UID STORE 4 +FLAGS.SILENT (\\Deleted)');
  await other.command('b4 UID EXPUNGE 4');
  await imap.noop();
  const [gone] = await expunged;
  t.match(gone, { uid: 4, vanished: true, earlier: false }, 'VANISHED, not EXPUNGE');

  const changed = await imap.fetchAll('1:*', { flags: true }, { uid: true, changedSince: since });
  t.same(changed.map((message) => message.uid), [2]);
  t.same(await imap.search({ flagged: true }, { uid: true }), [2], 'ESEARCH reply understood');

  await imap.mailboxClose();
  await other.command('b5 UID STORE 5 +FLAGS.SILENT (\\Deleted)');
  await other.command('b6 UID EXPUNGE 5');
  const vanished: number[] = [];
  const onExpunge = (event: { uid: number; earlier: boolean }) => {
    if (event.earlier) vanished.push(event.uid);
  };
  imap.on('expunge', onExpunge);
  const reopened = await imap.mailboxOpen('INBOX', { uidValidity: mailbox.uidValidity, changedSince: since } as never);
  imap.off('expunge', onExpunge);
  t.ok((reopened as unknown as { qresync?: boolean }).qresync, 'SELECT (QRESYNC ...) accepted');
  t.same(vanished, [4, 5], 'VANISHED (EARLIER) for what was expunged since');
  t.equal(reopened.exists, 3);
});
