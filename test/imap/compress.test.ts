/**
 * COMPRESS=DEFLATE (RFC 4978): a raw zlib client in the transcript harness, over implicit TLS and
 * over STARTTLS, and imapflow, which turns compression on by itself when it is advertised.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { constants as zlib, deflateRawSync } from 'node:zlib';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { PASSWORD, USER, sampleMessage, startServer, imapflowClient } from './harness.js';

t.test('RFC 4978 §3 example: compression after TLS, then a compressed session', async (t) => {
  const h = await startServer(t, { implicitTls: false });
  const c = await h.loggedIn();
  const caps = await c.command('a CAPABILITY');
  t.match(caps[0], / COMPRESS=DEFLATE( |$)/, 'advertised after login');
  t.same(await c.command('b COMPRESS DEFLATE'), ['b OK DEFLATE active']);
  c.startCompression();
  t.same(await c.command('c NOOP'), ['c OK NOOP completed'], 'compressed command, compressed reply');
  const message = sampleMessage('Squeezed', 'x'.repeat(20_000));
  t.match((await c.command(`d APPEND INBOX {${message.length}+}\r\n${message}`)).at(-1), /^d OK \[APPENDUID \d+ 1\]/);
  await c.command('e SELECT INBOX');
  const fetched = await c.command('f FETCH 1 BODY.PEEK[]');
  t.equal(fetched[0], `* 1 FETCH (BODY[] {${message.length}}\r\n${message})`, 'a large literal arrives whole');
  t.same(await c.command('g COMPRESS DEFLATE'), ['g NO [COMPRESSIONACTIVE] DEFLATE is already active']);
  t.same(await c.command('h LOGOUT'), ['* BYE Logging out', 'h OK LOGOUT completed'], 'last replies flushed before close');
  await c.waitClosed();
});

t.test('COMPRESS arguments and states', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  t.same(await c.command('a COMPRESS DEFLATE'), ['a BAD Log in first']);
  t.notMatch(c.greeting, /COMPRESS/, 'not advertised before login');
  await c.command(`b LOGIN ${USER} "${PASSWORD}"`);
  t.same(await c.command('c COMPRESS LZ4'), ['c BAD Unknown compression mechanism LZ4']);
  t.same(await c.command('d COMPRESS'), ['d BAD Missing arguments']);
});

t.test('commands pipelined right after COMPRESS are read compressed', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  c.write('a COMPRESS DEFLATE\r\n');
  t.equal(await c.readLine(), 'a OK DEFLATE active');
  c.startCompression();
  c.write('b NOOP\r\nc NOOP\r\n');
  t.same(await c.until('c'), ['b OK NOOP completed', 'c OK NOOP completed']);
});

t.test('updates pushed during IDLE are flushed at once', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a COMPRESS DEFLATE');
  c.startCompression();
  await c.command('b SELECT INBOX');
  c.sendLine('i IDLE');
  t.equal(await c.readLine(), '+ idling');
  await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage('Pushed')));
  t.equal(await c.readLine(1000), '* 1 EXISTS', 'no stall waiting for more output');
  t.equal(await c.readLine(1000), '* 1 RECENT');
  c.sendLine('DONE');
  t.same(await c.until('i'), ['i OK IDLE terminated']);
});

t.test('corrupt compressed input drops the connection', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a COMPRESS DEFLATE');
  // Not a deflate stream: the first octets declare an invalid block type (0b11).
  (c as unknown as { socket: { write(data: Buffer): void } }).socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  await c.waitClosed();
  t.pass('closed');
});

t.test('imapflow uses COMPRESS by default and works through it', async (t) => {
  const commands: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line);
        if (entry.evt === 'imap.command') commands.push(`${entry.command} ${entry.result}`);
      }
      done();
    },
  });
  const h = await startServer(t, { log: createLogger({ level: 'debug', destination }) });
  const imap = await imapflowClient(t, h);
  t.ok(commands.includes('COMPRESS OK'), commands.join(', '));
  const body = sampleMessage('Through deflate', 'y'.repeat(50_000));
  await imap.append('INBOX', body);
  await imap.mailboxOpen('INBOX');
  const message = await imap.fetchOne('1', { source: true, envelope: true });
  t.equal(message && message.envelope?.subject, 'Through deflate');
  t.equal(message && message.source!.toString(), body);
  await imap.logout();
});

t.test('a compressed client that never reads is disconnected, output stays bounded', async (t) => {
  const logs: Array<{ evt?: string; buffered?: number }> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const h = await startServer(t, {
    limits: { idleTimeoutMs: 1000, maxOutputBuffer: 64 * 1024 },
    log: createLogger({ level: 'debug', destination }),
  });
  // Random text: it does not compress away, so the compressed replies fill the socket.
  const big = sampleMessage('Big', randomBytes(300 * 1024).toString('base64'));
  await h.store.append(USER, 'INBOX', Buffer.from(big));
  const socket = connectTls({ host: '127.0.0.1', port: h.port, rejectUnauthorized: false });
  socket.on('error', () => {});
  t.teardown(() => socket.destroy());
  await once(socket, 'secureConnect');
  socket.pause();
  const commands = ['s SELECT INBOX'];
  for (let i = 0; i < 60; i++) commands.push(`f${i} FETCH 1 BODY.PEEK[]`);
  const compressed = deflateRawSync(commands.map((line) => `${line}\r\n`).join(''), { finishFlush: zlib.Z_SYNC_FLUSH });
  // Pipelined: what follows COMPRESS in the same packet is already compressed.
  socket.write(Buffer.concat([Buffer.from(`l LOGIN ${USER} "${PASSWORD}"\r\nz COMPRESS DEFLATE\r\n`), compressed]));
  const started = Date.now();
  while (h.server.connections === 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
  while (h.server.connections > 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
  t.equal(h.server.connections, 0, 'disconnected by the server');
  const commandsRun = logs.filter((entry) => entry.evt === 'imap.command').length;
  t.ok(commandsRun >= 3 && commandsRun < 62, `stopped after ${commandsRun} commands, not all 62`);
  const overflow = logs.find((entry) => entry.evt === 'imap.output-overflow');
  t.ok(overflow && overflow.buffered! < 64 * 1024 + 2 * big.length, `buffered ${overflow?.buffered} octets`);
});
