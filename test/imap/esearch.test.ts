/**
 * ESEARCH (RFC 4731), SEARCHRES (RFC 5182) and WITHIN (RFC 5032) transcripts, on the RFC's
 * examples: `SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"` over a mailbox
 * where messages 2, 10 and 11 are the matches.
 */
import t from 'tap';
import { USER, startServer, type TestContext } from './harness.js';

const DAY = 86_400_000;

function message(from: string, subject: string): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: alice@example.org\r\nSubject: ${subject}\r\nDate: Tue, 03 Mar 2026 10:00:00 +0000\r\n\r\nBody of ${subject}\r\n`);
}

/** Eleven messages: 2, 10 and 11 flagged and not from Smith; 5 flagged from Smith; 7 flagged but from 1990. */
async function rfcMailbox(t: TestContext) {
  const h = await startServer(t);
  for (let i = 1; i <= 11; i++) {
    const flagged = [2, 5, 7, 10, 11].includes(i);
    const from = i === 5 ? 'John Smith <smith@example.com>' : 'Bob <bob@example.org>';
    const internalDate = i === 7 ? Date.UTC(1990, 0, 1) : Date.now() - (12 - i) * DAY;
    await h.store.append(USER, 'INBOX', message(from, `Message ${i}`), { flags: flagged ? ['\\Flagged'] : [], internalDate });
  }
  const c = await h.loggedIn();
  await c.command('s SELECT INBOX');
  return { h, c };
}

const PROGRAM = 'FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"';

t.test('ESEARCH result options (RFC 4731 §3.1 examples)', async (t) => {
  const { c } = await rfcMailbox(t);
  t.same(await c.command(`A282 SEARCH RETURN (MIN COUNT) ${PROGRAM}`), ['* ESEARCH (TAG "A282") MIN 2 COUNT 3', 'A282 OK SEARCH completed']);
  t.same(await c.command(`A283 SEARCH RETURN () ${PROGRAM}`), ['* ESEARCH (TAG "A283") ALL 2,10:11', 'A283 OK SEARCH completed']);
  t.same(await c.command(`A284 SEARCH RETURN (MIN) ${PROGRAM}`), ['* ESEARCH (TAG "A284") MIN 2', 'A284 OK SEARCH completed']);
  t.same(await c.command(`A285 UID SEARCH RETURN (MIN MAX) ${PROGRAM}`), ['* ESEARCH (TAG "A285") UID MIN 2 MAX 11', 'A285 OK UID SEARCH completed']);
  t.same(await c.command(`A286 SEARCH RETURN (COUNT) ${PROGRAM}`), ['* ESEARCH (TAG "A286") COUNT 3', 'A286 OK SEARCH completed']);
  t.same(await c.command('A287 SEARCH RETURN (MIN MAX ALL COUNT) SUBJECT nothing'), ['* ESEARCH (TAG "A287") COUNT 0', 'A287 OK SEARCH completed'], 'no MIN, MAX or ALL without matches');
  t.same(await c.command('A288 UID SEARCH RETURN (ALL) SUBJECT nothing'), ['* ESEARCH (TAG "A288") UID', 'A288 OK UID SEARCH completed']);
  t.same(await c.command('A289 SEARCH RETURN (PARTIAL 1:5) ALL'), ['A289 BAD Unknown SEARCH RETURN option']);
  t.same(await c.command(`A290 SEARCH RETURN (ALL) MODSEQ 1 ${PROGRAM}`), [
    '* OK [HIGHESTMODSEQ 12] Highest',
    '* ESEARCH (TAG "A290") ALL 2,10:11 MODSEQ 12',
    'A290 OK SEARCH completed',
  ], 'RFC 7162 §3.1.5; the first CONDSTORE-enabling command when selected reports HIGHESTMODSEQ (§3.1)');
  t.same(await c.command(`A291 SEARCH RETURN (MIN) MODSEQ 1 ${PROGRAM}`), ['* ESEARCH (TAG "A291") MIN 2 MODSEQ 3', 'A291 OK SEARCH completed'], 'MODSEQ of the message returned');
});

t.test('SEARCHRES: RETURN (SAVE) and $ (RFC 5182 examples)', async (t) => {
  const { h, c } = await rfcMailbox(t);
  t.same(await c.command('A281 FETCH $ (UID)'), ['A281 OK FETCH completed'], '$ starts empty');
  t.same(await c.command(`A282 SEARCH RETURN (SAVE) ${PROGRAM}`), ['A282 OK SEARCH completed'], 'SAVE alone: no ESEARCH');
  t.same(await c.command('A283 FETCH $ (UID FLAGS)'), [
    '* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))',
    '* 10 FETCH (UID 10 FLAGS (\\Flagged \\Recent))',
    '* 11 FETCH (UID 11 FLAGS (\\Flagged \\Recent))',
    'A283 OK FETCH completed',
  ]);
  t.same(await c.command('A284 STORE $ +FLAGS (\\Answered)'), [
    '* 2 FETCH (FLAGS (\\Flagged \\Answered \\Recent))',
    '* 10 FETCH (FLAGS (\\Flagged \\Answered \\Recent))',
    '* 11 FETCH (FLAGS (\\Flagged \\Answered \\Recent))',
    'A284 OK STORE completed',
  ]);
  t.same(await c.command('A285 SEARCH $ SMALLER 4096'), ['* SEARCH 2 10 11', 'A285 OK SEARCH completed']);
  t.same(await c.command('A286 UID SEARCH UID $ NOT 10'), ['* SEARCH 2 11', 'A286 OK UID SEARCH completed']);
  t.same(await c.command(`A287 SEARCH RETURN (SAVE MIN MAX) ${PROGRAM}`), ['* ESEARCH (TAG "A287") MIN 2 MAX 11', 'A287 OK SEARCH completed']);
  t.same(await c.command('A288 SEARCH $'), ['* SEARCH 2 11', 'A288 OK SEARCH completed'], 'SAVE with MIN and MAX saves those two');
  t.same(await c.command(`A289 SEARCH RETURN (SAVE MIN COUNT) ${PROGRAM}`), ['* ESEARCH (TAG "A289") MIN 2 COUNT 3', 'A289 OK SEARCH completed']);
  t.same(await c.command('A290 SEARCH $'), ['* SEARCH 2 10 11', 'A290 OK SEARCH completed'], 'with COUNT: every match');

  // Expunged messages leave $ by themselves; numbers follow the renumbering.
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  await h.store.storeFlags(inbox.id, [1], { op: 'add', flags: ['\\Deleted'] });
  await h.store.expunge(inbox.id, [1]);
  await c.command('A291 NOOP');
  t.same(await c.command('A292 SEARCH $'), ['* SEARCH 1 9 10', 'A292 OK SEARCH completed']);
  await h.store.expunge(inbox.id, [10]);
  await c.command('A293 NOOP');
  t.same(await c.command('A294 UID SEARCH $'), ['* SEARCH 2 11', 'A294 OK UID SEARCH completed']);
  t.same(await c.command('A295 COPY $ Archive'), [`A295 OK [COPYUID ${(await h.store.getMailbox(USER, 'Archive'))!.uidValidity} 2,11 1:2] COPY completed`]);

  // A SEARCH that asked to SAVE and failed leaves $ empty, even a NO from the parser.
  t.match((await c.command('A296 SEARCH RETURN (SAVE) CHARSET KOI8-R ALL'))[0], /^A296 NO \[BADCHARSET/);
  t.same(await c.command('A297 SEARCH $'), ['* SEARCH', 'A297 OK SEARCH completed']);
  await c.command(`A298 SEARCH RETURN (SAVE) ${PROGRAM}`);
  t.same(await c.command('A299 SEARCH RETURN (SAVE) BOGUS'), ['A299 BAD Unknown search key BOGUS']);
  t.same(await c.command('A300 SEARCH $'), ['* SEARCH', 'A300 OK SEARCH completed']);
  await c.command(`A301 SEARCH RETURN (SAVE) ${PROGRAM}`);
  await c.command('A302 SELECT INBOX');
  t.same(await c.command('A303 SEARCH $'), ['* SEARCH', 'A303 OK SEARCH completed'], 'SELECT starts a new, empty $');
  await c.command(`A304 SEARCH RETURN (SAVE) ${PROGRAM}`);
  await c.command('A305 UID STORE $ +FLAGS.SILENT (\\Deleted)');
  t.same(await c.command('A306 UID EXPUNGE $'), ['* 9 EXPUNGE', '* 1 EXPUNGE', 'A306 OK UID EXPUNGE completed']);
  t.same(await c.command('A307 FETCH $,1 FLAGS'), ['A307 BAD Invalid sequence set: $,1']);
});

t.test('WITHIN: OLDER and YOUNGER (RFC 5032)', async (t) => {
  const h = await startServer(t);
  const now = Date.now();
  const ages = [10 * DAY, 5 * DAY, 2 * DAY, 3_600_000, 60_000];
  for (const [i, age] of ages.entries()) {
    await h.store.append(USER, 'INBOX', message('Bob <bob@example.org>', `Aged ${i + 1}`), { internalDate: now - age, flags: i === 3 ? ['\\Seen'] : [] });
  }
  const c = await h.loggedIn();
  await c.command('s SELECT INBOX');
  // RFC 5032 §3: "a1 SEARCH UNSEEN YOUNGER 259200"
  t.same(await c.command('a1 SEARCH UNSEEN YOUNGER 259200'), ['* SEARCH 3 5', 'a1 OK SEARCH completed']);
  t.same(await c.command('a2 SEARCH OLDER 259200'), ['* SEARCH 1 2', 'a2 OK SEARCH completed']);
  t.same(await c.command('a3 UID SEARCH YOUNGER 7200 OLDER 120'), ['* SEARCH 4', 'a3 OK UID SEARCH completed']);
  t.same(await c.command('a4 SEARCH YOUNGER 0'), ['a4 BAD YOUNGER needs a positive number of seconds']);
  t.same(await c.command('a5 SEARCH OLDER x'), ['a5 BAD OLDER needs a number of seconds']);
});
