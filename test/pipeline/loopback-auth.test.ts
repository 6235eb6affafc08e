/**
 * auth.plaintextOnLoopback: passwords without TLS from this host only (pipeline/auth.ts). Off by
 * default: the plain IMAP port says LOGINDISABLED and submission hides AUTH until STARTTLS. On:
 * a webmail or test tool on the same machine logs in on the plain ports, STARTTLS still works.
 */
import t, { type Test } from 'tap';
import { Authenticator, isLoopbackAddress } from '../../src/pipeline/auth.js';
import { TranscriptClient } from '../imap/harness.js';
import { plainAuth, RawClient } from '../smtp/helpers.js';
import { cli, startTestServer } from '../support/app.js';

const PASSWORD = 'a long enough password';
const AUTH = { failureDelayMs: 0, maxFailures: 5, windowSeconds: 60, cacheTtlSeconds: 60 };

t.test('which addresses are loopback', async (t) => {
  for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) t.ok(isLoopbackAddress(address), address);
  for (const address of ['10.0.0.1', '192.168.1.127', '::ffff:10.0.0.1', '2001:db8::1', '', undefined]) t.notOk(isLoopbackAddress(address), String(address));
});

t.test('acceptsPasswords: TLS always; plaintext only from loopback and only when allowed', async (t) => {
  const store = null as never; // acceptsPasswords never touches the store
  const off = new Authenticator(store);
  const on = new Authenticator(store, { plaintextOnLoopback: true });
  t.ok(off.acceptsPasswords({ tls: true, remoteAddress: '192.0.2.1' }));
  t.notOk(off.acceptsPasswords({ tls: false, remoteAddress: '127.0.0.1' }));
  t.ok(on.acceptsPasswords({ tls: false, remoteAddress: '127.0.0.1' }));
  t.ok(on.acceptsPasswords({ tls: false, remoteAddress: '::1' }));
  t.notOk(on.acceptsPasswords({ tls: false, remoteAddress: '192.0.2.1' }), 'never from the network');
});

async function serverWithUser(t: Test, plaintextOnLoopback: boolean) {
  const server = await startTestServer(t, undefined, { auth: { ...AUTH, plaintextOnLoopback } });
  await cli(['domain', 'add', 'example.org', '--config', server.configPath]);
  await cli(['user', 'add', 'alice@example.org', '--password-stdin', '--config', server.configPath], { stdin: `${PASSWORD}\n` });
  return server;
}

t.test('off (the default): LOGINDISABLED and no AUTH before STARTTLS', async (t) => {
  const server = await serverWithUser(t, false);
  const imap = await TranscriptClient.connect(server.port('imap.imap'), { tls: false });
  t.teardown(() => imap.destroy());
  t.match(imap.greeting, /^\* OK \[CAPABILITY IMAP4rev1 SASL-IR LITERAL\+ LITERAL- ID ENABLE IDLE STARTTLS LOGINDISABLED\] /);
  t.same(await imap.command(`a LOGIN alice@example.org "${PASSWORD}"`), [
    'a NO [PRIVACYREQUIRED] Use STARTTLS first: no plaintext login on an unencrypted connection',
  ]);

  const smtp = await RawClient.connect(t, server.port('smtp.submission'));
  await smtp.reply();
  t.notOk((await smtp.command('EHLO client.example.net')).some((line) => line.includes('AUTH')), 'no AUTH advertised');
});

t.test('on: the plain ports accept passwords from loopback, STARTTLS still offered', async (t) => {
  const server = await serverWithUser(t, true);
  const imap = await TranscriptClient.connect(server.port('imap.imap'), { tls: false });
  t.teardown(() => imap.destroy());
  t.match(
    imap.greeting,
    /^\* OK \[CAPABILITY IMAP4rev1 SASL-IR LITERAL\+ LITERAL- ID ENABLE IDLE STARTTLS AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256\] /,
  );
  t.match((await imap.command(`a LOGIN alice@example.org "${PASSWORD}"`)).at(-1), /^a OK \[CAPABILITY IMAP4rev1 /);
  t.same((await imap.command('b SELECT INBOX')).at(-1), 'b OK [READ-WRITE] SELECT completed');

  const tls = await TranscriptClient.connect(server.port('imap.imap'), { tls: false });
  t.teardown(() => tls.destroy());
  t.same(await tls.command('s STARTTLS'), ['s OK Begin TLS negotiation now']);
  await tls.startTls();
  t.same(await tls.command('c CAPABILITY'), [
    '* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ LITERAL- ID ENABLE IDLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256',
    'c OK CAPABILITY completed',
  ]);

  const smtp = await RawClient.connect(t, server.port('smtp.submission'));
  await smtp.reply();
  const ehlo = await smtp.command('EHLO client.example.net');
  t.ok(ehlo.includes('250-AUTH PLAIN LOGIN'), 'AUTH advertised on plaintext from loopback');
  t.ok(ehlo.includes('250-STARTTLS'), 'STARTTLS still advertised');
  t.same(await smtp.command(`AUTH PLAIN ${plainAuth('alice@example.org', 'wrong')}`), ['535 5.7.8 Authentication credentials invalid']);
  t.same(await smtp.command(`AUTH PLAIN ${plainAuth('alice@example.org', PASSWORD)}`), ['235 2.7.0 Authentication successful']);
  t.same(await smtp.command('MAIL FROM:<alice@example.org>'), ['250 2.1.0 Accepted']);

  const mx = await RawClient.connect(t, server.port('smtp.mx'));
  await mx.reply();
  t.notOk((await mx.command('EHLO client.example.net')).some((line) => line.includes('AUTH')), 'never AUTH on the MX');
});
