/**
 * Bad input against a live server (issue 3, "Bad input"), not just the parser: a bounded run of
 * random and mutated IMAP sessions over real sockets, after each of which the server still
 * answers NOOP on another connection, and one test per named abuse: deeply nested lists, 1 GB
 * literal announcements, invalid modified UTF-7, out-of-range and `*:*` sequence sets, huge
 * SEARCH programs, and a client that never reads (IDLE flooded with updates). The longer run is
 * bench/imap/fuzz.ts; both share the session generator in fuzz-sessions.ts.
 */
import t, { type Test } from 'tap';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { PASSWORD, USER, appendMessage, sampleMessage, startServer, type Harness, type TranscriptClient } from './harness.js';
import { fuzzSession, seededRandom } from './fuzz-sessions.js';

/** Wall time of the random run (bounded so the suite stays fast). */
const FUZZ_MS = 3000;

async function assertAlive(t: Test, watcher: TranscriptClient, what: string): Promise<void> {
  const reply = await watcher.command('w NOOP');
  t.equal(reply[reply.length - 1], 'w OK NOOP completed', `server still answers after ${what}`);
}

/** Writes raw input on a fresh TLS connection, reads for a moment, then drops the connection. */
async function rawSession(h: Harness, chunks: Buffer[], readMs: number): Promise<string> {
  const socket: TLSSocket = connectTls({ host: '127.0.0.1', port: h.port, rejectUnauthorized: false });
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    if (received.length < 65536) received += chunk.toString('latin1');
  });
  await once(socket, 'secureConnect');
  for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
  await new Promise((resolve) => setTimeout(resolve, readMs));
  socket.destroy();
  return received;
}

async function selectedWithMessages(h: Harness, count: number): Promise<TranscriptClient> {
  const c = await h.loggedIn();
  for (let i = 0; i < count; i++) await appendMessage(c, `p${i}`, 'INBOX', sampleMessage(`Fuzz ${i}`));
  await c.command('s SELECT INBOX');
  return c;
}

t.test('random and mutated sessions: no crash, no hang, the server keeps answering', async (t) => {
  const h = await startServer(t, { limits: { maxLiteralSize: 64 * 1024, maxLineLength: 4096, idleTimeoutMs: 5000 } });
  const watcher = await selectedWithMessages(h, 3);
  const seed = Date.now() % 1_000_000;
  const random = seededRandom(seed);
  const deadline = Date.now() + FUZZ_MS;
  let sessions = 0;
  while (Date.now() < deadline) {
    const session = fuzzSession(random, { user: USER, password: PASSWORD });
    await rawSession(h, session, 20);
    sessions++;
    const reply = await watcher.command('w NOOP');
    if (reply[reply.length - 1] !== 'w OK NOOP completed') {
      t.fail(`seed ${seed}, session ${sessions}: NOOP got ${reply.join(' | ')}`);
      return;
    }
  }
  t.ok(sessions > 10, `${sessions} sessions run (seed ${seed})`);
  // Every fuzz connection is gone; only the watcher remains.
  for (let i = 0; i < 100 && h.server.connections > 1; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(h.server.connections, 1, 'no fuzz connection lingers');
  await assertAlive(t, watcher, 'the whole run');
});

t.test('deeply nested lists are refused, the session goes on', async (t) => {
  const h = await startServer(t);
  const c = await selectedWithMessages(h, 1);
  const deep = `${'('.repeat(5000)}${')'.repeat(5000)}`;
  t.match((await c.command(`a FETCH 1 ${deep}`)).pop(), /^a BAD /);
  t.match((await c.command(`b SEARCH ${'NOT '.repeat(3000)}ALL`)).pop(), /^b (OK|BAD) /, 'NOT nested 3,000 deep: answered, no stack overflow');
  t.match((await c.command(`c SEARCH ${'('.repeat(200)}ALL${')'.repeat(200)}`)).pop(), /^c BAD /);
  t.same(await c.command('d NOOP'), ['d OK NOOP completed']);
});

t.test('1 GB literal announcements', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a APPEND INBOX {1073741824}'), ['a BAD [TOOBIG] Literal too large'], 'synchronizing: refused before any octet is sent');
  t.same(await c.command('b LOGIN {1073741824}'), ['b BAD [TOOBIG] Literal too large']);
  t.same(await c.command('c NOOP'), ['c OK NOOP completed']);
  const other = await h.loggedIn();
  other.write('x APPEND INBOX {1073741824+}\r\n');
  t.equal(await other.readLine(), '* BYE [TOOBIG] Literal too large', 'non-synchronizing: the stream cannot be resynchronised');
  await other.waitClosed();
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 0, 'nothing stored');
  t.same(await c.command('d NOOP'), ['d OK NOOP completed'], 'other sessions are not affected');
});

t.test('invalid modified UTF-7 mailbox names get BAD or NO, never a crash', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  // Unterminated shift, non-canonical (ASCII encoded), bad base64, odd UTF-16, lone surrogate, "&" alone.
  const names = ['"&Jjo"', '"&AGE-"', '"&A!A-"', '"&AAA-"', '"&2D0-"', '"a&b"', '"&ZeVnLIqe"', '"&-&"'];
  for (const [i, name] of names.entries()) {
    for (const command of ['SELECT', 'CREATE', 'STATUS', 'DELETE']) {
      const args = command === 'STATUS' ? `${name} (MESSAGES)` : name;
      const reply = (await c.command(`t${i} ${command} ${args}`)).pop()!;
      t.match(reply, new RegExp(`^t${i} (BAD|NO) `), `${command} ${name}`);
    }
  }
  t.same((await c.command('l LIST "" "*"')).filter((line) => line.includes('&')), [], 'nothing was created');
  t.same(await c.command('n NOOP'), ['n OK NOOP completed']);
});

t.test('sequence sets: 1:4294967296 is refused, *:* is the last message', async (t) => {
  const h = await startServer(t);
  const c = await selectedWithMessages(h, 3);
  t.match((await c.command('a FETCH 1:4294967296 FLAGS')).pop(), /^a BAD /, 'beyond 2^32-1');
  t.match((await c.command('b UID FETCH 1:4294967296 FLAGS')).pop(), /^b BAD /);
  t.match((await c.command('c UID FETCH 0:5 FLAGS')).pop(), /^c BAD /, 'zero is not a number in a set');
  t.same(await c.command('d UID FETCH 1:4294967295 UID'), ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 2)', '* 3 FETCH (UID 3)', 'd OK UID FETCH completed']);
  t.same(await c.command('e FETCH *:* UID'), ['* 3 FETCH (UID 3)', 'e OK FETCH completed']);
  t.same(await c.command('f UID FETCH *:* UID'), ['* 3 FETCH (UID 3)', 'f OK UID FETCH completed']);
  t.same(await c.command(`g UID SEARCH UID ${Array.from({ length: 600 }, (_, i) => `${i * 3 + 1}:${i * 3 + 2}`).join(',')}`), ['* SEARCH 1 2', 'g OK UID SEARCH completed'], 'a long set');
});

t.test('huge SEARCH programs are answered or refused within the limits', async (t) => {
  const h = await startServer(t, { limits: { maxLineLength: 1024 * 1024 } });
  const c = await selectedWithMessages(h, 2);
  const ors = (n: number) => `${'OR SUBJECT x '.repeat(n)}SUBJECT "Fuzz 1"`;
  const started = Date.now();
  t.same(await c.command(`a SEARCH ${ors(900)}`), ['* SEARCH 2', 'a OK SEARCH completed'], '900 nested ORs');
  t.same(await c.command(`b SEARCH ${ors(50_000)}`), ['b BAD Search program nested too deeply'], '50,000 nested ORs');
  t.same(await c.command(`c SEARCH ${'SUBJECT fuzz '.repeat(20_000)}`), ['* SEARCH 1 2', 'c OK SEARCH completed'], '20,000 keys ANDed');
  t.ok(Date.now() - started < 10_000, 'in reasonable time');
  t.same(await c.command('d NOOP'), ['d OK NOOP completed']);
});

t.test('a SEARCH program over the line limit', async (t) => {
  const h = await startServer(t, { limits: { maxLineLength: 8192 } });
  const c = await selectedWithMessages(h, 1);
  t.same(await c.command(`a SEARCH ${'SUBJECT fuzz '.repeat(2000)}`), ['a BAD [TOOBIG] Line too long']);
  t.same(await c.command('b NOOP'), ['b OK NOOP completed']);
});

t.test('a client in IDLE that never reads is disconnected once its updates overflow; one that reads is not', async (t) => {
  const h = await startServer(t, { limits: { maxOutputBuffer: 256 * 1024 } });
  const mailbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  const uids = (await Promise.all(Array.from({ length: 200 }, (_, i) => h.store.append(USER, 'INBOX', Buffer.from(sampleMessage(`Flood ${i}`)))))).map(
    (delivered) => delivered.uid,
  );
  const reader = await h.loggedIn();
  await reader.command('s SELECT INBOX');
  reader.write('i IDLE\r\n');
  t.match(await reader.readLine(), /^\+ /);
  const socket = connectTls({ host: '127.0.0.1', port: h.port, rejectUnauthorized: false });
  socket.on('error', () => {});
  t.teardown(() => socket.destroy());
  await once(socket, 'secureConnect');
  socket.write(`l LOGIN ${USER} "${PASSWORD}"\r\ns SELECT INBOX\r\ni IDLE\r\n`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.pause();
  const before = h.server.connections;
  // Each round pushes one `* n FETCH (UID u FLAGS (..))` per message (~90 KB in all, under the
  // bound) to both IDLE sessions; long keywords make long lines, so few rounds fill the buffers.
  const keywords = Array.from({ length: 6 }, (_, i) => `$Flood${i}${'x'.repeat(60)}`);
  let rounds = 0;
  while (h.server.connections === before && rounds < 1000) {
    await h.store.storeFlags(mailbox.id, uids, { op: rounds % 2 === 0 ? 'add' : 'remove', flags: keywords });
    rounds++;
  }
  t.equal(h.server.connections, before - 1, `the client that never reads was disconnected after ${rounds} rounds`);
  reader.pending();
  reader.sendLine('DONE');
  t.equal((await reader.until('i', 10_000)).pop(), 'i OK IDLE terminated', 'the client that reads is still served');
});
