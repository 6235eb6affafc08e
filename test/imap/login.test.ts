import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { PASSWORD, POST_LOGIN_CAPABILITIES as POST_LOGIN, USER, startServer } from './harness.js';

const LOGGED_IN = `OK [CAPABILITY ${POST_LOGIN}] Logged in`;
const b64 = (text: string) => Buffer.from(text).toString('base64');

t.test('LOGIN', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  t.same(await c.command('a SELECT INBOX'), ['a BAD Log in first']);
  t.same(await c.command(`b LOGIN ${USER} wrong`), ['b NO [AUTHENTICATIONFAILED] Authentication failed']);
  t.same(await c.command(`c LOGIN nobody@example.org "${PASSWORD}"`), ['c NO [AUTHENTICATIONFAILED] Authentication failed']);
  t.same(await c.command('d LOGIN onlyone'), ['d BAD Missing arguments']);
  // A synchronizing literal for the password: the server asks for it first.
  c.write(`e LOGIN "${USER}" {${PASSWORD.length}}\r\n`);
  t.equal(await c.readLine(), '+ Ready for literal');
  c.sendLine(PASSWORD);
  t.same(await c.until('e'), [`e ${LOGGED_IN}`]);
  t.same(await c.command(`f LOGIN ${USER} "${PASSWORD}"`), ['f BAD Already authenticated']);
  t.same(await c.command('g AUTHENTICATE PLAIN'), ['g BAD Already authenticated']);
});

t.test('LOGIN with a LITERAL+ password (no continuation)', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  t.same(await c.command(`a LOGIN ${USER} {${PASSWORD.length}+}\r\n${PASSWORD}`), [`a ${LOGGED_IN}`]);
});

t.test('AUTHENTICATE PLAIN without and with an initial response', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  // Thunderbird's way: no initial response, wait for "+ ", then one base64 line.
  c.sendLine('a AUTHENTICATE PLAIN');
  t.equal(await c.readLine(), '+ ');
  c.sendLine(b64(`\0${USER}\0wrong`));
  t.same(await c.until('a'), ['a NO [AUTHENTICATIONFAILED] Authentication failed']);

  c.sendLine('b AUTHENTICATE PLAIN');
  t.equal(await c.readLine(), '+ ');
  c.sendLine('*');
  t.same(await c.until('b'), ['b BAD Authentication cancelled']);

  c.sendLine('c AUTHENTICATE PLAIN');
  t.equal(await c.readLine(), '+ ');
  c.sendLine('not base64!');
  t.same(await c.until('c'), ['c BAD Invalid base64 in authentication response']);

  t.same(await c.command(`d AUTHENTICATE PLAIN ${b64(`admin\0${USER}\0${PASSWORD}`)}`), [
    'd NO [AUTHORIZATIONFAILED] Acting as another user is not allowed',
  ]);
  t.same(await c.command('e AUTHENTICATE CRAM-MD5'), ['e NO [CANNOT] Unsupported authentication mechanism']);

  c.sendLine('f AUTHENTICATE PLAIN');
  t.equal(await c.readLine(), '+ ');
  c.sendLine(b64(`\0${USER}\0${PASSWORD}`));
  t.same(await c.until('f'), [`f ${LOGGED_IN}`]);

  const d = await h.client();
  t.same(await d.command(`g AUTHENTICATE PLAIN ${b64(`${USER}\0${USER}\0${PASSWORD}`)}`), [`g ${LOGGED_IN}`], 'SASL-IR');
});

t.test('AUTHENTICATE LOGIN', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  c.sendLine('a AUTHENTICATE LOGIN');
  t.equal(await c.readLine(), '+ VXNlcm5hbWU6', 'Username:');
  c.sendLine(b64(USER));
  t.equal(await c.readLine(), '+ UGFzc3dvcmQ6', 'Password:');
  c.sendLine(b64(PASSWORD));
  t.same(await c.until('a'), [`a ${LOGGED_IN}`]);

  const d = await h.client();
  d.sendLine(`b AUTHENTICATE LOGIN ${b64(USER)}`);
  t.equal(await d.readLine(), '+ UGFzc3dvcmQ6', 'the initial response is the user name');
  d.sendLine(b64('wrong'));
  t.same(await d.until('b'), ['b NO [AUTHENTICATIONFAILED] Authentication failed']);
});

t.test('one log line per command, never a password', async (t) => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const h = await startServer(t, { log: createLogger({ level: 'debug', destination }) });
  const c = await h.client();
  await c.command(`a LOGIN ${USER} "${PASSWORD}"`);
  await c.command('b NOOP');
  t.same(await c.command('c AUTHENTICATE PLAIN'), ['c BAD Already authenticated']);
  const d = await h.client();
  d.sendLine('d AUTHENTICATE PLAIN');
  await d.readLine();
  d.sendLine(b64(`\0${USER}\0${PASSWORD}`));
  await d.until('d');
  await d.command(`e LOGIN ${USER} "${PASSWORD}"`);
  const commands = lines.map((line) => JSON.parse(line)).filter((entry) => entry.evt === 'imap.command');
  t.same(
    commands.map(({ command, result, user }) => ({ command, result, user })),
    [
      { command: 'LOGIN', result: 'OK', user: USER },
      { command: 'NOOP', result: 'OK', user: USER },
      { command: 'AUTHENTICATE', result: 'BAD', user: USER },
      { command: 'AUTHENTICATE', result: 'OK', user: USER },
      { command: 'LOGIN', result: 'BAD', user: USER },
    ],
  );
  t.same(
    commands.map((entry) => entry.level),
    [20, 20, 30, 20, 30],
    'OK at debug; BAD (and NO) at info, where an admin looks',
  );
  t.same(commands.map((entry) => entry.text), [undefined, undefined, undefined, undefined, undefined], 'no reply text for LOGIN and AUTHENTICATE');
  await c.command('f SELECT INBOX (XYZZY)');
  const refused = lines.map((line) => JSON.parse(line)).filter((entry) => entry.evt === 'imap.command').at(-1);
  t.match(refused, { command: 'SELECT', result: 'BAD', text: 'Unknown SELECT parameter XYZZY', level: 30 }, 'other refusals say why');
  for (const entry of commands) {
    t.type(entry.cid, 'string');
    t.type(entry.ms, 'number');
  }
  t.notOk(lines.some((line) => line.includes(PASSWORD) || line.includes(b64(`\0${USER}\0${PASSWORD}`))), 'no secrets logged');
});
