/**
 * QRESYNC (RFC 7162 §3.2) transcripts, modelled on the RFC's examples: SELECT with QRESYNC
 * parameters answering VANISHED (EARLIER) and the changed messages (§3.2.5.1), known UIDs
 * limiting VANISHED, a changed UIDVALIDITY, CLOSED on re-select (§3.2.11), UID FETCH with
 * (CHANGEDSINCE n VANISHED) (§3.2.6), and VANISHED instead of EXPUNGE (§3.2.10) for this
 * session's expunges, other sessions' and MOVE.
 */
import t from 'tap';
import { USER, sampleMessage, startServer, type TestContext, type TranscriptClient } from './harness.js';

/**
 * Ten messages (UIDs 1-10, modseqs 2-11), then, as another client would do after we last saw
 * HIGHESTMODSEQ 11: UID 3 \Seen (12), UIDs 4 and 5 \Deleted (13, 14) and expunged (15), and
 * a new message UID 11 (16).
 */
async function changedMailbox(t: TestContext) {
  const h = await startServer(t);
  for (let i = 1; i <= 10; i++) await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage(`Message ${i}`)));
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  await h.store.storeFlags(inbox.id, [3], { op: 'add', flags: ['\\Seen'] });
  await h.store.storeFlags(inbox.id, [4, 5], { op: 'add', flags: ['\\Deleted'] });
  await h.store.expunge(inbox.id, [4, 5]);
  await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage('Message 11')));
  const client = await h.loggedIn();
  return { h, client, uidValidity: inbox.uidValidity };
}

function selectPreamble(uidValidity: number, options: { exists: number; uidNext: number; highest: number; recent?: number }): string[] {
  return [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted',
    `* ${options.exists} EXISTS`,
    `* ${options.recent ?? 0} RECENT`,
    '* OK [UNSEEN 1] First unseen',
    `* OK [UIDVALIDITY ${uidValidity}] UIDs valid`,
    `* OK [UIDNEXT ${options.uidNext}] Predicted next UID`,
    `* OK [HIGHESTMODSEQ ${options.highest}] Highest`,
  ];
}

async function enableQresync(client: TranscriptClient, t: { same: (a: unknown, b: unknown) => void }): Promise<void> {
  t.same(await client.command('q ENABLE QRESYNC'), ['* ENABLED QRESYNC', 'q OK ENABLE completed']);
}

t.test('SELECT (QRESYNC ...) resynchronises in one round trip', async (t) => {
  const { client: c, uidValidity } = await changedMailbox(t);
  t.same(await c.command(`a SELECT INBOX (QRESYNC (${uidValidity} 11 1:10))`), ['a BAD QRESYNC needs ENABLE QRESYNC first']);
  await enableQresync(c, t);
  t.same(await c.command(`b SELECT INBOX (QRESYNC (${uidValidity} 11 1:10))`), [
    ...selectPreamble(uidValidity, { exists: 9, uidNext: 12, highest: 16, recent: 9 }),
    '* VANISHED (EARLIER) 4:5',
    '* 3 FETCH (UID 3 FLAGS (\\Seen \\Recent) MODSEQ (12))',
    '* 9 FETCH (UID 11 FLAGS (\\Recent) MODSEQ (16))',
    'b OK [READ-WRITE] SELECT completed',
  ]);
  // The RFC's known-uids: VANISHED names only UIDs the client says it knows.
  t.same(await c.command(`c EXAMINE INBOX (QRESYNC (${uidValidity} 11 1:4,6:20 (1:3 1:3)))`), [
    '* OK [CLOSED] Previous mailbox is now closed',
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    '* OK [PERMANENTFLAGS ()] No permanent flags permitted',
    '* 9 EXISTS',
    '* 0 RECENT',
    '* OK [UNSEEN 1] First unseen',
    `* OK [UIDVALIDITY ${uidValidity}] UIDs valid`,
    '* OK [UIDNEXT 12] Predicted next UID',
    '* OK [HIGHESTMODSEQ 16] Highest',
    '* VANISHED (EARLIER) 4',
    '* 3 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (12))',
    '* 9 FETCH (UID 11 FLAGS () MODSEQ (16))',
    'c OK [READ-ONLY] EXAMINE completed',
  ]);
  t.same(await c.command(`d SELECT INBOX (QRESYNC (${uidValidity} 14))`), [
    '* OK [CLOSED] Previous mailbox is now closed',
    ...selectPreamble(uidValidity, { exists: 9, uidNext: 12, highest: 16 }),
    '* VANISHED (EARLIER) 4:5',
    '* 9 FETCH (UID 11 FLAGS () MODSEQ (16))',
    'd OK [READ-WRITE] SELECT completed',
  ], 'no known UIDs: every UID expunged since');
  t.same(await c.command(`e SELECT INBOX (QRESYNC (${uidValidity + 1} 11 1:10))`), [
    '* OK [CLOSED] Previous mailbox is now closed',
    ...selectPreamble(uidValidity, { exists: 9, uidNext: 12, highest: 16 }),
    'e OK [READ-WRITE] SELECT completed',
  ], 'another UIDVALIDITY: the client must start over');
  t.same(await c.command(`f SELECT INBOX (QRESYNC (${uidValidity} 16))`), [
    '* OK [CLOSED] Previous mailbox is now closed',
    ...selectPreamble(uidValidity, { exists: 9, uidNext: 12, highest: 16 }),
    'f OK [READ-WRITE] SELECT completed',
  ], 'nothing changed since');
  t.same(await c.command('g SELECT Nope'), ['* OK [CLOSED] Previous mailbox is now closed', 'g NO [NONEXISTENT] No such mailbox']);
  t.same(await c.command('h SELECT INBOX (QRESYNC (0 1))'), ['h BAD UIDVALIDITY must not be 0']);
  t.same(await c.command('i SELECT INBOX (QRESYNC (1 1 1:2 (1:2)))'), ['i BAD Sequence match data needs a sequence set and a UID set']);
  t.same(await c.command('j SELECT INBOX (QRESYNC (1))'), ['j BAD QRESYNC needs (uidvalidity modseq [known-uids [seq-match-data]])']);
  // RFC 7162 §7: "*" is not allowed in known-uids nor in either set of the sequence match data,
  // and the two sets pair message numbers with UIDs one to one.
  t.same(await c.command('k SELECT INBOX (QRESYNC (1 1 1:*))'), ['k BAD "*" is not allowed in known-uids']);
  t.same(await c.command('l SELECT INBOX (QRESYNC (1 1 1:9 (1:* 1:9)))'), ['l BAD "*" is not allowed in known-sequence-set']);
  t.same(await c.command('m SELECT INBOX (QRESYNC (1 1 1:9 (1:3 2,*)))'), ['m BAD "*" is not allowed in known-uid-set']);
  t.same(await c.command('n SELECT INBOX (QRESYNC (1 1 1:9 (1:3 2,4)))'), ['n BAD known-sequence-set and known-uid-set differ in size']);
  t.equal((await c.command('o SELECT INBOX (QRESYNC (1 1 1:9 (1:3,5 4:2,7)))')).at(-1), 'o OK [READ-WRITE] SELECT completed', 'ranges of equal size, either order');
});

t.test('UID FETCH (CHANGEDSINCE n VANISHED)', async (t) => {
  const { client: c } = await changedMailbox(t);
  await c.command('a SELECT INBOX');
  t.same(await c.command('b UID FETCH 1:* (FLAGS) (CHANGEDSINCE 11 VANISHED)'), ['b BAD VANISHED needs ENABLE QRESYNC first']);
  await c.command('c UNSELECT');
  await enableQresync(c, t);
  await c.command('d SELECT INBOX');
  // RFC 7162 §3.2.6: "A300 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)"
  t.same(await c.command('e UID FETCH 1:* (FLAGS) (CHANGEDSINCE 11 VANISHED)'), [
    '* VANISHED (EARLIER) 4:5',
    '* 3 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (12))',
    '* 9 FETCH (UID 11 FLAGS () MODSEQ (16))',
    'e OK UID FETCH completed',
  ]);
  t.same(await c.command('f UID FETCH 5:10 (FLAGS) (CHANGEDSINCE 11 VANISHED)'), ['* VANISHED (EARLIER) 5', 'f OK UID FETCH completed']);
  t.same(await c.command('g UID FETCH 1:* (FLAGS) (CHANGEDSINCE 15 VANISHED)'), [
    '* 9 FETCH (UID 11 FLAGS () MODSEQ (16))',
    'g OK UID FETCH completed',
  ]);
  t.same(await c.command('h FETCH 1:* (FLAGS) (CHANGEDSINCE 11 VANISHED)'), ['h BAD VANISHED is only allowed in UID FETCH']);
  t.same(await c.command('i UID FETCH 1:* (FLAGS) (VANISHED)'), ['i BAD VANISHED needs CHANGEDSINCE']);
});

t.test('once QRESYNC is enabled, expunges are VANISHED responses', async (t) => {
  const { h, client: a } = await changedMailbox(t);
  const b = await h.loggedIn();
  await enableQresync(a, t);
  await a.command('a1 SELECT INBOX');
  await b.command('b1 SELECT INBOX');
  await a.command('a2 STORE 1:2 +FLAGS.SILENT (\\Deleted)');
  // RFC 7162 §3.2.10: "A202 EXPUNGE / * VANISHED 405,407,410,425"
  t.same(await a.command('a3 EXPUNGE'), ['* VANISHED 1:2', 'a3 OK [HIGHESTMODSEQ 19] EXPUNGE completed']);
  t.same(await b.command('b2 NOOP'), [
    '* 1 FETCH (UID 1 FLAGS (\\Deleted))',
    '* 2 FETCH (UID 2 FLAGS (\\Deleted))',
    '* 2 EXPUNGE',
    '* 1 EXPUNGE',
    'b2 OK NOOP completed',
  ], 'a session without QRESYNC gets EXPUNGE');
  await b.command('b3 UID STORE 3,6 +FLAGS.SILENT (\\Deleted)');
  await b.command('b4 UID EXPUNGE 3,6');
  t.same(await a.command('a4 FETCH 1 (UID)'), [
    '* 1 FETCH (UID 3)',
    '* 1 FETCH (UID 3 FLAGS (\\Seen \\Deleted \\Recent) MODSEQ (20))',
    '* 2 FETCH (UID 6 FLAGS (\\Deleted \\Recent) MODSEQ (21))',
    'a4 OK FETCH completed',
  ], 'not during FETCH');
  t.same(await a.command('a5 NOOP'), ['* VANISHED 3,6', 'a5 OK NOOP completed']);
  await h.store.createMailbox(USER, 'Archive/2026');
  t.same(await a.command('a6 UID MOVE 7:8 Archive/2026'), [
    `* OK [COPYUID ${(await h.store.getMailbox(USER, 'Archive/2026'))!.uidValidity} 7:8 1:2] Moved`,
    '* VANISHED 7:8',
    'a6 OK UID MOVE completed',
  ]);
  t.same(await a.command('a7 UID FETCH 1:* (UID) (CHANGEDSINCE 1 VANISHED)'), [
    '* VANISHED (EARLIER) 1:8',
    '* 1 FETCH (UID 9 MODSEQ (10))',
    '* 2 FETCH (UID 10 MODSEQ (11))',
    '* 3 FETCH (UID 11 MODSEQ (16))',
    'a7 OK UID FETCH completed',
  ]);
});

t.test('an expunge while SELECT (QRESYNC) loads the listing is still told, as VANISHED (EARLIER)', async (t) => {
  // Found by bench/imap/stress.ts --qresync: the listing was read after the expunge, the view
  // dropped the queued event (the UID was not in it), and VANISHED (EARLIER) skipped it because
  // its modseq was above the HIGHESTMODSEQ SELECT reported: the client kept UID 7 for good.
  const { h, client: c, uidValidity } = await changedMailbox(t);
  await enableQresync(c, t);
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  const listMessages = h.store.listMessages.bind(h.store);
  let expungeFirst = true;
  h.store.listMessages = async (mailboxId) => {
    if (expungeFirst && mailboxId === inbox.id) {
      expungeFirst = false;
      await h.store.storeFlags(inbox.id, [7], { op: 'add', flags: ['\\Deleted'] });
      await h.store.expunge(inbox.id, [7]);
    }
    return listMessages(mailboxId);
  };
  const reply = await c.command(`b SELECT INBOX (QRESYNC (${uidValidity} 16 1:3,6:11))`);
  t.ok(reply.includes('* 8 EXISTS'), 'the listing no longer has UID 7');
  t.ok(reply.includes('* VANISHED (EARLIER) 7'), `UID 7 is told: ${reply.join(' | ')}`);
  t.same(await c.command('n NOOP'), ['n OK NOOP completed'], 'and nothing is left to tell');
});
