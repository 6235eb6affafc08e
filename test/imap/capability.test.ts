import t from 'tap';
import { PASSWORD, POST_LOGIN_CAPABILITIES as POST_LOGIN, PRE_TLS_CAPABILITIES as PRE_TLS, USER, startServer } from './harness.js';

t.test('greeting and CAPABILITY on implicit TLS', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  t.equal(c.greeting, `* OK [CAPABILITY ${PRE_TLS}] Bridgehead ready`);
  t.same(await c.command('a CAPABILITY'), [`* CAPABILITY ${PRE_TLS}`, 'a OK CAPABILITY completed']);
  t.same(await c.command(`b LOGIN ${USER} "${PASSWORD}"`), [`b OK [CAPABILITY ${POST_LOGIN}] Logged in`]);
  t.same(await c.command('c CAPABILITY'), [`* CAPABILITY ${POST_LOGIN}`, 'c OK CAPABILITY completed']);
  t.same(await c.command('d NOOP'), ['d OK NOOP completed']);
  t.same(await c.command('e LOGOUT'), ['* BYE Logging out', 'e OK LOGOUT completed']);
  await c.waitClosed();
});

t.test('plain listener: STARTTLS and LOGINDISABLED before TLS, AUTH= after', async (t) => {
  const h = await startServer(t, { implicitTls: false });
  const c = await h.client();
  const plainCaps = 'IMAP4rev1 SASL-IR LITERAL+ LITERAL- ID ENABLE IDLE STARTTLS LOGINDISABLED';
  t.equal(c.greeting, `* OK [CAPABILITY ${plainCaps}] Bridgehead ready`);
  t.same(await c.command(`a LOGIN ${USER} "${PASSWORD}"`), [
    'a NO [PRIVACYREQUIRED] Use STARTTLS first: no plaintext login on an unencrypted connection',
  ]);
  t.same(await c.command('b AUTHENTICATE PLAIN'), [
    'b NO [PRIVACYREQUIRED] Use STARTTLS first: no plaintext login on an unencrypted connection',
  ]);
  t.same(await c.command('c STARTTLS'), ['c OK Begin TLS negotiation now']);
  await c.startTls();
  t.same(await c.command('d CAPABILITY'), [`* CAPABILITY ${PRE_TLS}`, 'd OK CAPABILITY completed']);
  t.same(await c.command('e STARTTLS'), ['e BAD TLS is already active']);
  t.same(await c.command(`f LOGIN ${USER} "${PASSWORD}"`), [`f OK [CAPABILITY ${POST_LOGIN}] Logged in`]);
  t.same(await c.command('g STARTTLS'), ['g BAD Already authenticated']);
});

t.test('STARTTLS discards what was pipelined after it in the clear', async (t) => {
  const h = await startServer(t, { implicitTls: false });
  const c = await h.client();
  c.write('a STARTTLS\r\nb LOGIN injected command\r\n');
  t.equal(await c.readLine(), 'a OK Begin TLS negotiation now');
  await c.startTls();
  t.same(await c.command('c NOOP'), ['c OK NOOP completed'], 'no reply to the injected command');
});

t.test('closing the server says BYE to every session', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  const b = await h.client();
  a.sendLine('i IDLE');
  t.equal(await a.readLine(), '+ idling');
  await h.server.close();
  t.equal(await a.readLine(), '* BYE Server shutting down');
  t.equal(await b.readLine(), '* BYE Server shutting down');
  await a.waitClosed();
  await b.waitClosed();
  t.equal(h.server.connections, 0);
});
