/**
 * Pipelined commands and other sessions' expunges (RFC 9051 §5.5, §7.5.1; RFC 3501 §5.5,
 * §7.4.1). A client that writes several commands at once composed every sequence number in them
 * against the view it had before any reply came back. When the server already holds such a
 * command (non-UID FETCH, STORE, SEARCH, COPY, MOVE, SORT, THREAD) behind the one it is
 * finishing, an EXPUNGE announced now would renumber the messages under it, so the expunge waits
 * for a command with nothing sequence-numbered queued behind it. UID commands are not affected.
 *
 * Each test writes its commands in one write on a raw socket, while another session has
 * expunged message 2 of 3 (UIDs 1, 2, 3).
 */
import t from 'tap';
import type { Test } from 'tap';
import { appendMessage, sampleMessage, startServer, type TranscriptClient } from './harness.js';

/**
 * A session selected on INBOX (UIDs 1, 2, 3, all \\Recent here) that has not yet heard that
 * another session expunged UID 2.
 */
async function staleView(t: Test): Promise<TranscriptClient> {
  const h = await startServer(t);
  const watcher = await h.loggedIn();
  for (let i = 1; i <= 3; i++) await appendMessage(watcher, `p${i}`, 'INBOX', sampleMessage(`M${i}`));
  await watcher.command('p4 SELECT INBOX');
  const other = await h.loggedIn();
  await other.command('o1 SELECT INBOX');
  await other.command('o2 STORE 2 +FLAGS.SILENT (\\Deleted)');
  t.same(await watcher.command('p5 NOOP'), ['* 2 FETCH (UID 2 FLAGS (\\Deleted \\Recent))', 'p5 OK NOOP completed']);
  t.same(await other.command('o3 EXPUNGE'), ['* 2 EXPUNGE', 'o3 OK EXPUNGE completed']);
  return watcher;
}

/** Reads every response up to the tagged reply of each tag, in order, one list per tag. */
async function replies(client: TranscriptClient, tags: string[]): Promise<string[][]> {
  const out: string[][] = [];
  for (const tag of tags) out.push(await client.until(tag));
  return out;
}

t.test('NOOP with FETCH by sequence number queued behind it: the expunge waits until after the FETCH', async (t) => {
  const c = await staleView(t);
  c.write('a1 NOOP\r\na2 FETCH 3 (UID)\r\na3 NOOP\r\n');
  t.same(await replies(c, ['a1', 'a2', 'a3']), [
    ['a1 OK NOOP completed'],
    ['* 3 FETCH (UID 3)', 'a2 OK FETCH completed'],
    ['* 2 EXPUNGE', 'a3 OK NOOP completed'],
  ]);
});

t.test('an APPEND literal between them is skipped over: STORE by number still holds the expunge', async (t) => {
  const c = await staleView(t);
  const message = sampleMessage('M4');
  c.write(`b1 NOOP\r\nb2 APPEND INBOX {${Buffer.byteLength(message)}+}\r\n${message}\r\nb3 STORE 3 +FLAGS (\\Flagged)\r\nb4 CHECK\r\n`);
  const [noop, append, store, check] = await replies(c, ['b1', 'b2', 'b3', 'b4']);
  t.same(noop, ['b1 OK NOOP completed']);
  t.notOk(append.some((line) => /EXPUNGE/.test(line)), `no EXPUNGE before the queued STORE: ${append.join(' | ')}`);
  t.same(store, ['* 3 FETCH (FLAGS (\\Flagged \\Recent))', 'b3 OK STORE completed'], 'seq 3 is still UID 3 for the STORE');
  t.same(check, ['* 2 EXPUNGE', 'b4 OK CHECK completed']);
});

t.test('a queued UID command does not hold the expunge', async (t) => {
  const c = await staleView(t);
  c.write('c1 NOOP\r\nc2 UID FETCH 3 (FLAGS)\r\n');
  t.same(await replies(c, ['c1', 'c2']), [
    ['* 2 EXPUNGE', 'c1 OK NOOP completed'],
    ['* 2 FETCH (UID 3 FLAGS (\\Recent))', 'c2 OK UID FETCH completed'],
  ]);
});

t.test('COPY by sequence number queued behind CHECK: the expunge waits until the COPY has run', async (t) => {
  const c = await staleView(t);
  c.write('d1 CHECK\r\nd2 COPY 3 INBOX\r\nd3 NOOP\r\n');
  const [check, copy, noop] = await replies(c, ['d1', 'd2', 'd3']);
  t.same(check, ['d1 OK CHECK completed']);
  t.match(copy[copy.length - 1], /^d2 OK \[COPYUID \d+ 3 4\]/, 'seq 3 is still UID 3 for the COPY');
  // COPY may carry an EXPUNGE (only FETCH, STORE and SEARCH may not): it comes once the copy is done.
  t.same(copy.slice(0, -1), ['* 2 EXPUNGE', '* 3 EXISTS', '* 3 RECENT'], 'then the expunge, and the copy as new mail');
  t.same(noop, ['d3 OK NOOP completed']);
});

t.test('a UID command that announces at its start also holds the expunge when FETCH by number is queued', async (t) => {
  const c = await staleView(t);
  c.write('d1 UID FETCH 3 (FLAGS)\r\nd2 FETCH 3 (UID)\r\nd3 NOOP\r\n');
  t.same(await replies(c, ['d1', 'd2', 'd3']), [
    ['* 3 FETCH (UID 3 FLAGS (\\Recent))', 'd1 OK UID FETCH completed'],
    ['* 3 FETCH (UID 3)', 'd2 OK FETCH completed'],
    ['* 2 EXPUNGE', 'd3 OK NOOP completed'],
  ]);
});
