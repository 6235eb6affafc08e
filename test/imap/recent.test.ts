/**
 * \Recent (RFC 3501 §2.3.2): the first read-write session to learn of a message sees it \Recent
 * (SELECT's `* n RECENT`, FETCH FLAGS, SEARCH RECENT/NEW/OLD), later sessions do not; EXAMINE
 * shows the unclaimed ones without claiming; STATUS RECENT counts the unclaimed ones; new mail
 * during IDLE is \Recent in exactly one session; IMAP4rev2 sessions never see \Recent and claim
 * nothing (RFC 9051).
 */
import t from 'tap';
import { USER, sampleMessage, startServer, type Harness } from './harness.js';

async function deliver(h: Harness, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage(`Message ${i}`)));
}

/** The `* n RECENT` line of a SELECT/EXAMINE reply, or null when there is none. */
function recentLine(reply: string[]): string | null {
  return reply.find((line) => / RECENT$/.test(line)) ?? null;
}

t.test('the first read-write SELECT gets \\Recent, a second session does not', async (t) => {
  const h = await startServer(t);
  await deliver(h, 2);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  t.equal(recentLine(await a.command('a1 SELECT INBOX')), '* 2 RECENT');
  t.same(await a.command('a2 STORE 1 +FLAGS (\\Seen)'), ['* 1 FETCH (FLAGS (\\Seen \\Recent))', 'a2 OK STORE completed']);
  t.same(await a.command('a3 FETCH 1:2 (FLAGS)'), [
    '* 1 FETCH (FLAGS (\\Seen \\Recent))',
    '* 2 FETCH (FLAGS (\\Recent))',
    'a3 OK FETCH completed',
  ]);
  t.same(await a.command('a4 SEARCH RECENT'), ['* SEARCH 1 2', 'a4 OK SEARCH completed']);
  t.same(await a.command('a5 SEARCH NEW'), ['* SEARCH 2', 'a5 OK SEARCH completed'], 'NEW is RECENT UNSEEN');
  t.same(await a.command('a6 SEARCH OLD'), ['* SEARCH', 'a6 OK SEARCH completed']);

  t.equal(recentLine(await b.command('b1 SELECT INBOX')), '* 0 RECENT');
  t.same(await b.command('b2 FETCH 1:2 (FLAGS)'), ['* 1 FETCH (FLAGS (\\Seen))', '* 2 FETCH (FLAGS ())', 'b2 OK FETCH completed']);
  t.same(await b.command('b3 SEARCH RECENT'), ['* SEARCH', 'b3 OK SEARCH completed']);
  t.same(await b.command('b4 SEARCH OLD'), ['* SEARCH 1 2', 'b4 OK SEARCH completed']);

  t.equal(recentLine(await a.command('a7 SELECT INBOX')), '* 0 RECENT', 'reselecting does not claim again');
  t.same(await h.store.listMessages((await h.store.getMailbox(USER, 'INBOX'))!.id).then((m) => m.map((x) => x.flags)), [['\\Seen'], []], '\\Recent is never stored');
});

t.test('EXAMINE shows the unclaimed messages as \\Recent without claiming them', async (t) => {
  const h = await startServer(t);
  await deliver(h, 2);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  t.equal(recentLine(await a.command('a1 EXAMINE INBOX')), '* 2 RECENT');
  t.same(await a.command('a2 FETCH 2 (FLAGS)'), ['* 2 FETCH (FLAGS (\\Recent))', 'a2 OK FETCH completed']);
  t.equal(recentLine(await b.command('b1 EXAMINE INBOX')), '* 2 RECENT', 'still unclaimed');
  t.same(await b.command('b2 STATUS INBOX (RECENT)'), ['* STATUS "INBOX" (RECENT 2)', 'b2 OK STATUS completed']);
  t.equal(recentLine(await b.command('b3 SELECT INBOX')), '* 2 RECENT', 'the first read-write SELECT claims them');
  t.equal(recentLine(await a.command('a3 EXAMINE INBOX')), '* 0 RECENT');
});

t.test('new mail a read-write session was told of is not \\Recent in an EXAMINE session', async (t) => {
  const h = await startServer(t);
  const reader = await h.loggedIn();
  const writer = await h.loggedIn();
  t.equal(recentLine(await reader.command('r1 EXAMINE INBOX')), '* 0 RECENT');
  await writer.command('w1 SELECT INBOX');
  await deliver(h, 1);
  t.same(await writer.command('w2 NOOP'), ['* 1 EXISTS', '* 1 RECENT', 'w2 OK NOOP completed']);
  t.same(await reader.command('r2 NOOP'), ['* 1 EXISTS', '* 0 RECENT', 'r2 OK NOOP completed']);
  t.same(await reader.command('r3 FETCH 1 (FLAGS)'), ['* 1 FETCH (FLAGS ())', 'r3 OK FETCH completed']);
  await writer.command('w3 CLOSE');
  await deliver(h, 1);
  t.same(await reader.command('r4 NOOP'), ['* 2 EXISTS', '* 1 RECENT', 'r4 OK NOOP completed'], 'unclaimed new mail is \\Recent there');
  t.same(await reader.command('r5 FETCH 2 (FLAGS)'), ['* 2 FETCH (FLAGS (\\Recent))', 'r5 OK FETCH completed']);
});

t.test('STATUS RECENT counts the messages no read-write session has claimed', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  t.same(await a.command('a1 STATUS INBOX (RECENT)'), ['* STATUS "INBOX" (RECENT 0)', 'a1 OK STATUS completed']);
  await deliver(h, 3);
  t.same(await a.command('a2 STATUS INBOX (MESSAGES RECENT)'), ['* STATUS "INBOX" (MESSAGES 3 RECENT 3)', 'a2 OK STATUS completed']);
  await a.command('a3 SELECT INBOX');
  await a.command('a4 CLOSE');
  t.same(await a.command('a5 STATUS INBOX (RECENT)'), ['* STATUS "INBOX" (RECENT 0)', 'a5 OK STATUS completed']);
  await deliver(h, 2);
  t.same(await a.command('a6 STATUS INBOX (RECENT)'), ['* STATUS "INBOX" (RECENT 2)', 'a6 OK STATUS completed'], 'mutt: new mail while closed');
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  await h.store.expunge(inbox.id, [5]);
  t.same(await a.command('a7 STATUS INBOX (RECENT)'), ['* STATUS "INBOX" (RECENT 1)', 'a7 OK STATUS completed'], 'expunged ones do not count');
});

t.test('new mail during IDLE is \\Recent in exactly one session', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  await a.command('a1 SELECT INBOX');
  await b.command('b1 SELECT INBOX');
  a.sendLine('a2 IDLE');
  b.sendLine('b2 IDLE');
  t.equal(await a.readLine(), '+ idling');
  t.equal(await b.readLine(), '+ idling');
  await deliver(h, 1);
  t.equal(await a.readLine(), '* 1 EXISTS');
  t.equal(await b.readLine(), '* 1 EXISTS');
  a.sendLine('DONE');
  b.sendLine('DONE');
  await a.until('a2');
  await b.until('b2');
  const flags = [await a.command('a3 FETCH 1 (FLAGS)'), await b.command('b3 FETCH 1 (FLAGS)')].map((reply) => reply[0]);
  t.same(flags.filter((line) => line === '* 1 FETCH (FLAGS (\\Recent))').length, 1, 'one session has it');
  t.same(flags.filter((line) => line === '* 1 FETCH (FLAGS ())').length, 1, 'the other does not');
  t.same(await a.command('a4 STATUS INBOX (RECENT)'), ['* STATUS "INBOX" (RECENT 0)', 'a4 OK STATUS completed'], 'claimed');
});

t.test('new mail announced after a command is \\Recent in that session', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  await a.command('a1 SELECT INBOX');
  await deliver(h, 1);
  t.same(await a.command('a2 NOOP'), ['* 1 EXISTS', '* 1 RECENT', 'a2 OK NOOP completed'], 'RECENT follows EXISTS (RFC 3501 §7.3.2)');
  t.same(await a.command('a3 UID FETCH 1 (FLAGS)'), ['* 1 FETCH (UID 1 FLAGS (\\Recent))', 'a3 OK UID FETCH completed']);
});

t.test('IMAP4rev2 sessions never see \\Recent and claim nothing', async (t) => {
  const h = await startServer(t);
  await deliver(h, 2);
  const rev2 = await h.loggedIn();
  await rev2.command('r1 ENABLE IMAP4rev2');
  t.equal(recentLine(await rev2.command('r2 SELECT INBOX')), null);
  t.same(await rev2.command('r3 FETCH 1:2 (FLAGS)'), ['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS ())', 'r3 OK FETCH completed']);
  await deliver(h, 1);
  t.same(await rev2.command('r4 NOOP'), ['* 3 EXISTS', 'r4 OK NOOP completed']);
  t.same(await rev2.command('r5 FETCH 3 (FLAGS)'), ['* 3 FETCH (FLAGS ())', 'r5 OK FETCH completed']);
  t.same(await rev2.command('r6 STATUS INBOX (MESSAGES)'), ['* STATUS "INBOX" (MESSAGES 3)', 'r6 OK STATUS completed']);
  const rev1 = await h.loggedIn();
  t.equal(recentLine(await rev1.command('a1 SELECT INBOX')), '* 3 RECENT', 'the rev2 session claimed none');
});
