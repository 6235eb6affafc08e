import { once } from 'node:events';
import { Writable } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { PASSWORD, USER, appendMessage, sampleMessage, startServer } from './harness.js';

t.test('bad commands get BAD and the session goes on', async (t) => {
  const h = await startServer(t, { limits: { maxLineLength: 200 } });
  const c = await h.loggedIn();
  t.same(await c.command('a FROBNICATE'), ['a BAD Unknown command']);
  t.same(await c.command(`b NOOP ${'x'.repeat(300)}`), ['b BAD [TOOBIG] Line too long']);
  c.sendLine('(((');
  t.equal(await c.readLine(), '* BAD Invalid tag', 'no tag: untagged BAD');
  t.same(await c.command('c FETCH 1 FLAGS'), ['c BAD No mailbox selected']);
  await c.command('d SELECT INBOX');
  t.same(await c.command('e UID FETCH 1:x FLAGS'), ['e BAD Invalid sequence set: 1:x']);
  t.same(await c.command('f LOGIN a b'), ['f BAD Already authenticated']);
  t.same(await c.command('g NOOP'), ['g OK NOOP completed']);
});

t.test('literals over the limit', async (t) => {
  const h = await startServer(t, { limits: { maxLiteralSize: 1000, maxMessageSize: 1000 } });
  const c = await h.loggedIn();
  // A synchronizing literal is refused before the client sends it.
  t.same(await c.command('a APPEND INBOX {5000}'), ['a BAD [TOOBIG] Literal too large']);
  t.same(await c.command('b NOOP'), ['b OK NOOP completed']);
  const message = sampleMessage();
  t.same(await appendMessage(c, 'c', 'INBOX', message), [
    `c OK [APPENDUID ${(await h.store.getMailbox(USER, 'INBOX'))!.uidValidity} 1] APPEND completed`,
  ], 'a literal within the limit still works');
  // A non-synchronizing literal is already on its way: the stream cannot be resynchronised.
  c.write('d APPEND INBOX {5000+}\r\n');
  t.equal(await c.readLine(), '* BYE [TOOBIG] Literal too large');
  await c.waitClosed();
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 1, 'nothing lost, nothing half-stored');
});

t.test('too many connections', async (t) => {
  const h = await startServer(t, { limits: { maxConnections: 2 } });
  const first = await h.client();
  await h.client();
  const third = await h.client();
  t.equal(third.greeting, '* BYE Too many connections');
  await third.waitClosed();
  t.same(await first.command('a NOOP'), ['a OK NOOP completed'], 'the others are not affected');
  first.destroy();
  for (let i = 0; i < 50 && h.server.connections > 1; i++) await new Promise((r) => setTimeout(r, 20));
  const fourth = await h.client();
  t.match(fourth.greeting, /^\* OK \[CAPABILITY /, 'a slot is free again');
});

t.test('idle timeout', async (t) => {
  const h = await startServer(t, { limits: { idleTimeoutMs: 300 } });
  const c = await h.loggedIn();
  await new Promise((r) => setTimeout(r, 150));
  t.same(await c.command('a NOOP'), ['a OK NOOP completed'], 'activity resets the timer');
  t.equal(await c.readLine(2000), '* BYE Autologout; idle for too long');
  await c.waitClosed();
});

t.test('too many invalid commands in a row', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  for (let i = 0; i < 19; i++) t.same(await c.command(`x${i} BOGUS`), [`x${i} BAD Unknown command`]);
  t.same(await c.command('y BOGUS'), ['y BAD Unknown command']);
  t.equal(await c.readLine(), '* BYE Too many invalid commands');
  await c.waitClosed();
});

t.test('a client that never reads is disconnected, output stays bounded', async (t) => {
  const logs: Array<{ evt?: string; buffered?: number }> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const h = await startServer(t, {
    limits: { idleTimeoutMs: 1000, maxOutputBuffer: 64 * 1024 },
    log: createLogger({ level: 'info', destination }),
  });
  const c = await h.loggedIn();
  const big = sampleMessage('Big', 'y'.repeat(400 * 1024));
  await c.command(`a APPEND INBOX {${big.length}+}\r\n${big}`);
  c.destroy();
  const socket = connectTls({ host: '127.0.0.1', port: h.port, rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  socket.pause();
  const commands = [`l LOGIN ${USER} "${PASSWORD}"`, 's SELECT INBOX'];
  for (let i = 0; i < 60; i++) commands.push(`f${i} FETCH 1 BODY.PEEK[]`);
  socket.write(commands.map((line) => `${line}\r\n`).join(''));
  socket.on('error', () => {});
  t.teardown(() => socket.destroy());
  const started = Date.now();
  while (h.server.connections === 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
  while (h.server.connections > 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
  t.equal(h.server.connections, 0, 'disconnected by the server');
  // 60 FETCHes of a 400 KiB message were asked for; the server held at most one reply beyond the bound.
  const overflow = logs.find((entry) => entry.evt === 'imap.output-overflow');
  t.ok(overflow && overflow.buffered! < 64 * 1024 + big.length + 1024, `buffered ${overflow?.buffered} octets`);
});
