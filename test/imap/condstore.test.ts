/**
 * CONDSTORE (RFC 7162 §3.1) transcripts, modelled on the RFC's own examples: HIGHESTMODSEQ in
 * SELECT and STATUS (§3.1.2.1, §3.1.9), FETCH MODSEQ and CHANGEDSINCE (§3.1.4), conditional STORE
 * with [MODIFIED] (§3.1.3), SEARCH MODSEQ (§3.1.5) and MODSEQ in unsolicited FETCH once enabled.
 * Modseqs are exact: a new mailbox starts at 1, and each append, flag change and expunge takes
 * the next one.
 */
import t from 'tap';
import { USER, sampleMessage, startServer, type TestContext } from './harness.js';

async function mailboxOfNine(t: TestContext) {
  const h = await startServer(t);
  for (let i = 1; i <= 9; i++) await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage(`Message ${i}`)));
  return h;
}

t.test('FETCH MODSEQ, CHANGEDSINCE, conditional STORE, SEARCH MODSEQ, EXPUNGE and STATUS', async (t) => {
  const h = await mailboxOfNine(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  const selected = await a.command('a1 SELECT INBOX');
  t.ok(selected.includes('* OK [HIGHESTMODSEQ 10] Highest'), 'messages 1-9 took modseqs 2-10');
  t.same(await a.command('a2 FETCH 1:2 (FLAGS MODSEQ)'), [
    '* OK [HIGHESTMODSEQ 10] Highest',
    '* 1 FETCH (FLAGS (\\Recent) MODSEQ (2))',
    '* 2 FETCH (FLAGS (\\Recent) MODSEQ (3))',
    'a2 OK FETCH completed',
  ]);
  // FETCH MODSEQ enabled CONDSTORE, the first such command in the selected state, so it reported
  // HIGHESTMODSEQ; from now on every FETCH a STORE causes carries UID and MODSEQ (RFC 7162 §3.1;
  // the §3.1.3 examples predate that rule and show no UID).
  t.same(await a.command('a3 STORE 2 +FLAGS (\\Seen)'), ['* 2 FETCH (UID 2 MODSEQ (11) FLAGS (\\Seen \\Recent))', 'a3 OK STORE completed']);
  t.same(await a.command('a4 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 10)'), [
    '* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) MODSEQ (11))',
    'a4 OK UID FETCH completed',
  ]);
  t.same(await a.command('a5 FETCH 1:* (UID) (CHANGEDSINCE 9)'), [
    '* 2 FETCH (UID 2 MODSEQ (11))',
    '* 9 FETCH (UID 9 MODSEQ (10))',
    'a5 OK FETCH completed',
  ]);
  const all = await a.command('a6 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 0)');
  t.equal(all.length, 10, 'CHANGEDSINCE 0 answers every message (iPhone Mail)');

  // §3.1.3: "a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\Deleted)"
  t.same(await a.command('a7 UID STORE 6,4,8 (UNCHANGEDSINCE 11) +FLAGS.SILENT (\\Deleted)'), [
    '* 4 FETCH (UID 4 MODSEQ (12))',
    '* 6 FETCH (UID 6 MODSEQ (13))',
    '* 8 FETCH (UID 8 MODSEQ (14))',
    'a7 OK UID STORE completed',
  ]);
  // §3.1.3: "d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\Deleted)" after another
  // client changed 7 and 9.
  await b.command('b1 SELECT INBOX');
  t.same(await b.command('b2 STORE 7,9 +FLAGS.SILENT (\\Flagged)'), ['b2 OK STORE completed'], 'B has not enabled CONDSTORE');
  t.same(await a.command('a8 STORE 7,5,9 (UNCHANGEDSINCE 14) +FLAGS.SILENT (\\Deleted)'), [
    '* 5 FETCH (UID 5 MODSEQ (17))',
    '* 7 FETCH (UID 7 FLAGS (\\Flagged \\Recent) MODSEQ (15))',
    '* 9 FETCH (UID 9 FLAGS (\\Flagged \\Recent) MODSEQ (16))',
    'a8 OK [MODIFIED 7,9] Conditional STORE failed',
  ]);
  t.same(await a.command('a9 UID STORE 7 (UNCHANGEDSINCE 14) +FLAGS (\\Deleted)'), ['a9 OK [MODIFIED 7] Conditional STORE failed'], 'UIDs for UID STORE');
  t.same(await a.command('a10 STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)'), ['a10 OK [MODIFIED 1] Conditional STORE failed'], 'UNCHANGEDSINCE 0 always fails');
  t.same(await a.command('a11 STORE 1 (UNCHANGEDSINCE 100) +FLAGS (\\Answered)'), ['* 1 FETCH (UID 1 MODSEQ (18) FLAGS (\\Answered \\Recent))', 'a11 OK STORE completed']);
  t.same(await a.command('a12 STORE 1 (UNCHANGEDSINCE 100) +FLAGS (\\Answered)'), ['* 1 FETCH (UID 1 MODSEQ (18) FLAGS (\\Answered \\Recent))', 'a12 OK STORE completed'], 'no change: same modseq');
  t.same(await a.command('a13 STORE 1 (UNCHANGEDSINCE 100) +FLAGS.SILENT (\\Answered)'), ['a13 OK STORE completed'], 'no change, silent: nothing');
  t.same(await a.command('a14 STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Answered)'), ['a14 BAD Invalid mod-sequence value']);
  t.same(await a.command('a15 STORE 1 (CHANGEDSINCE 1) +FLAGS (\\Answered)'), ['a15 BAD Unknown STORE modifier']);

  // §3.1.5: the highest modseq of the messages found ends the reply.
  t.same(await a.command('a16 SEARCH MODSEQ 15'), ['* SEARCH 1 5 7 9 (MODSEQ 18)', 'a16 OK SEARCH completed']);
  t.same(await a.command('a17 SEARCH MODSEQ "/flags/\\\\draft" all 17'), ['* SEARCH 1 5 (MODSEQ 18)', 'a17 OK SEARCH completed']);
  t.same(await a.command('a18 UID SEARCH MODSEQ 16 DELETED'), ['* SEARCH 5 (MODSEQ 17)', 'a18 OK UID SEARCH completed']);
  t.same(await a.command('a19 SEARCH OR NOT MODSEQ 1 LARGER 50000'), ['* SEARCH', 'a19 OK SEARCH completed']);

  // EXPUNGE's tagged OK tells the new HIGHESTMODSEQ.
  t.same(await a.command('a20 EXPUNGE'), [
    '* 8 EXPUNGE',
    '* 6 EXPUNGE',
    '* 5 EXPUNGE',
    '* 4 EXPUNGE',
    'a20 OK [HIGHESTMODSEQ 19] EXPUNGE completed',
  ]);
  t.same(await b.command('b3 NOOP'), [
    '* 5 FETCH (UID 5 FLAGS (\\Deleted))',
    '* 1 FETCH (UID 1 FLAGS (\\Answered))',
    '* 8 EXPUNGE',
    '* 6 EXPUNGE',
    '* 5 EXPUNGE',
    '* 4 EXPUNGE',
    'b3 OK NOOP completed',
  ]);
  await a.command('a21 UNSELECT');
  t.same(await a.command('a22 STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)'), [
    '* STATUS "INBOX" (MESSAGES 5 UIDNEXT 10 HIGHESTMODSEQ 19)',
    'a22 OK STATUS completed',
  ]);
});

t.test('ENABLE CONDSTORE, SELECT (CONDSTORE) and STATUS HIGHESTMODSEQ turn MODSEQ on in updates', async (t) => {
  const h = await mailboxOfNine(t);
  const plain = await h.loggedIn();
  const enabled = await h.loggedIn();
  const viaSelect = await h.loggedIn();
  const viaStatus = await h.loggedIn();
  const writer = await h.loggedIn();
  t.same(await enabled.command('e1 ENABLE CONDSTORE'), ['* ENABLED CONDSTORE', 'e1 OK ENABLE completed']);
  t.same(await enabled.command('e2 ENABLE CONDSTORE'), ['* ENABLED', 'e2 OK ENABLE completed'], 'listed once');
  await plain.command('p1 SELECT INBOX');
  await enabled.command('e3 SELECT INBOX');
  await viaSelect.command('s1 SELECT INBOX (CONDSTORE)');
  await viaStatus.command('t1 STATUS INBOX (HIGHESTMODSEQ)');
  await viaStatus.command('t2 SELECT INBOX');
  await writer.command('w1 SELECT INBOX');
  await writer.command('w2 STORE 3 +FLAGS.SILENT (\\Flagged)');
  t.same(await plain.command('p2 NOOP'), ['* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent))', 'p2 OK NOOP completed']);
  for (const [client, tag] of [[enabled, 'e4'], [viaSelect, 's2'], [viaStatus, 't3']] as const) {
    t.same(await client.command(`${tag} NOOP`), ['* 3 FETCH (UID 3 FLAGS (\\Flagged) MODSEQ (11))', `${tag} OK NOOP completed`]);
  }
  t.same(await plain.command('p3 STORE 1 +FLAGS (\\Seen)'), ['* 1 FETCH (FLAGS (\\Seen \\Recent))', 'p3 OK STORE completed'], 'no MODSEQ unless enabled');
  t.same(await plain.command('p4 EXPUNGE'), ['p4 OK EXPUNGE completed'], 'no HIGHESTMODSEQ unless enabled');
});

t.test('an expunge held back during FETCH comes later; the flag change after it does not wait', async (t) => {
  const h = await mailboxOfNine(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  await a.command('a1 SELECT INBOX (CONDSTORE)');
  await b.command('b1 SELECT INBOX');
  await b.command('b2 STORE 1 +FLAGS.SILENT (\\Deleted)');
  await b.command('b3 EXPUNGE');
  await b.command('b4 UID STORE 2 +FLAGS.SILENT (\\Seen)');
  // FETCH may not announce the expunge (modseq 12), but does announce the flag change (13).
  t.same(await a.command('a2 FETCH 2 (FLAGS)'), [
    '* 2 FETCH (FLAGS (\\Recent))',
    '* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent) MODSEQ (11))',
    '* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) MODSEQ (13))',
    'a2 OK FETCH completed',
  ]);
  t.same(await a.command('a3 EXPUNGE'), ['* 1 EXPUNGE', 'a3 OK [HIGHESTMODSEQ 13] EXPUNGE completed']);
});

t.test('a FETCH that sets \\Seen tells a CONDSTORE client the new MODSEQ', async (t) => {
  const h = await mailboxOfNine(t);
  const c = await h.loggedIn();
  await c.command('a1 ENABLE CONDSTORE');
  await c.command('a2 SELECT INBOX');
  t.same(await c.command('a3 FETCH 1 (BODY[TEXT])'), ['* 1 FETCH (BODY[TEXT] {11}\r\nHi there.\r\n FLAGS (\\Seen \\Recent) MODSEQ (11))', 'a3 OK FETCH completed']);
  t.same(await c.command('a4 FETCH 1 (BODY[TEXT])'), ['* 1 FETCH (BODY[TEXT] {11}\r\nHi there.\r\n)', 'a4 OK FETCH completed'], 'already seen');
  t.same(await c.command('a5 FETCH 2 (MODSEQ BODY[TEXT])'), ['* 2 FETCH (MODSEQ (12) BODY[TEXT] {11}\r\nHi there.\r\n FLAGS (\\Seen \\Recent))', 'a5 OK FETCH completed']);
});

t.test('SELECT (CONDSTORE) over a selected mailbox reports HIGHESTMODSEQ once, for the new one (RFC 7162 §3.1)', async (t) => {
  const h = await mailboxOfNine(t);
  const c = await h.loggedIn();
  await c.command('a SELECT INBOX');
  const reselected = await c.command('b SELECT INBOX (CONDSTORE)');
  t.same(reselected.filter((line) => line.includes('HIGHESTMODSEQ')), ['* OK [HIGHESTMODSEQ 10] Highest']);
  t.same(await c.command('c FETCH 1 (MODSEQ)'), ['* 1 FETCH (MODSEQ (2))', 'c OK FETCH completed'], 'not again');
});
