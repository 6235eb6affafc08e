/**
 * Never an open relay, with the outbound queue switched on: every trick the issue lists is
 * refused on MX and on submission without AUTH; MX accepts only local and relay domains;
 * submission relays only for an authenticated user sending as one of their own addresses.
 */
import type { Test } from 'tap';
import t from 'tap';
import { plainAuth, RawClient } from '../smtp/helpers.js';
import { startTestServer } from '../support/app.js';

const PASSWORD = 'relay test password';

async function server(t: Test) {
  const s = await startTestServer(t, undefined, {
    mailauth: { enabled: false },
    dns: { staticOnly: true },
    relayDomains: ['inner.test'],
    routes: { 'inner.test': { host: '127.0.0.1', port: 9, tls: 'none' } },
  });
  await s.app.users.addDomain('example.test');
  await s.app.users.addUser('alice@example.test', PASSWORD);
  return s;
}

const TRICKS: Array<[string, string]> = [
  ['<victim@remote.test>', '550 5.7.1'],
  ['<victim%remote.test@example.test>', '550 5.1.1'],
  ['<@example.test:victim@remote.test>', '550 5.7.1'],
  ['<@example.test,@mail.example.test:victim@remote.test>', '550 5.7.1'],
  ['<"victim@remote.test"@example.test>', '501 5.1.3'],
  ['<victim@REMOTE.TEST>', '550 5.7.1'],
  ['<victim@remote.test.>', '501 5.1.3'],
  ['<victim@[127.0.0.1]>', '550 5.7.1'],
  ['<victim@[IPv6:::1]>', '550 5.7.1'],
  ['<victim@inner.test.>', '501 5.1.3'],
  ['<victim@sub.inner.test>', '550 5.7.1'],
];

t.test('MX with the queue on: relay tricks refused, relay domains accepted, nothing queued for the refused', async (t) => {
  const s = await server(t);
  const client = await RawClient.connect(t, s.port('smtp.mx'));
  await client.reply();
  await client.command('EHLO attacker.test');
  t.same(await client.command('MAIL FROM:<spammer@attacker.test>'), ['250 2.1.0 Accepted']);
  for (const [path, expected] of TRICKS) {
    const reply = await client.command(`RCPT TO:${path}`);
    t.equal(reply[0]?.slice(0, 9), expected, `RCPT TO:${path}`);
  }
  t.same(await client.command('RCPT TO:<Anyone@INNER.test>'), ['250 2.1.5 Accepted'], 'a relay domain (any case) is accepted');
  await client.command('QUIT');
  t.same(await s.app.store.queue.list({ limit: 10 }), [], 'no DATA, nothing queued');
});

t.test('submission without AUTH: every recipient needs authentication first', async (t) => {
  const s = await server(t);
  const client = await RawClient.connect(t, s.port('smtp.submission'));
  await client.reply();
  await client.command('EHLO client.test');
  await client.startTls();
  await client.command('EHLO client.test');
  t.same(await client.command('MAIL FROM:<alice@example.test>'), ['530 5.7.0 Authentication required']);
  // smtp-server cuts a session off after 10 unauthenticated commands; the first tricks fit.
  for (const [path] of TRICKS.slice(0, 6)) {
    t.same(await client.command(`RCPT TO:${path}`), ['530 5.7.0 Authentication required'], `RCPT TO:${path}`);
  }
  t.same(await client.command('DATA'), ['530 5.7.0 Authentication required']);
  t.same(await s.app.store.queue.list({ limit: 10 }), [], 'nothing queued');
});

t.test('submission with AUTH: relays for the user\'s own address only, never to address literals', async (t) => {
  const s = await server(t);
  const client = await RawClient.connect(t, s.port('smtp.submission'));
  await client.reply();
  await client.command('EHLO client.test');
  await client.startTls();
  const ehlo = await client.command('EHLO client.test');
  t.ok(ehlo.some((line) => /^250[ -]DSN$/.test(line)), 'DSN is offered on submission (RFC 3461)');
  t.match((await client.command(`AUTH PLAIN ${plainAuth('alice@example.test', PASSWORD)}`))[0], /^235/);
  t.same(await client.command('MAIL FROM:<boss@example.test>'), ['553 5.7.1 Sender address is not owned by the authenticated user']);
  t.same(await client.command('MAIL FROM:<alice@example.test> RET=HDRS ENVID=QQ1'), ['250 2.1.0 Accepted']);
  t.same(await client.command('RCPT TO:<friend@remote.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;friend@remote.test'), ['250 2.1.5 Accepted']);
  t.equal((await client.command('RCPT TO:<victim@[192.0.2.1]>'))[0].slice(0, 9), '550 5.7.1');
  t.same(await client.command('DATA'), ['354 End data with <CR><LF>.<CR><LF>']);
  client.write('From: alice@example.test\r\nTo: friend@remote.test\r\nSubject: out\r\n\r\nhi\r\n.\r\n');
  const reply = await client.reply();
  t.match(reply[0], /^250 2\.6\.0 Message accepted, id (\w+)$/);
  const id = /id (\w+)$/.exec(reply[0])![1];
  const entry = await s.app.store.queue.get(id);
  t.match(entry, { id, from: 'alice@example.test', user: 'alice@example.test', source: 'submission', ret: 'HDRS', envid: 'QQ1' });
  t.match(entry?.recipients, [{ address: 'friend@remote.test', notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;friend@remote.test' }]);
  t.notMatch((await s.app.store.queue.readMessage(id))?.toString() ?? '', /^Return-Path:/m, 'no Return-Path on the queued copy');
});
