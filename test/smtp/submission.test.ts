import nodemailer from 'nodemailer';
import t from 'tap';
import { dataPayload, HOSTNAME, inboxOf, makeCert, PASSWORD, plainAuth, RawClient, sampleMessage, startListener } from './helpers.js';

const cert = await makeCert();

const EHLO_BEFORE_TLS = [
  `250-${HOSTNAME} Nice to meet you, [127.0.0.1]`,
  '250-PIPELINING',
  '250-8BITMIME',
  '250-SMTPUTF8',
  '250-ENHANCEDSTATUSCODES',
  '250-DSN',
  '250-STARTTLS',
  '250 SIZE 100000',
];
const EHLO_UNDER_TLS = [
  `250-${HOSTNAME} Nice to meet you, [127.0.0.1]`,
  '250-PIPELINING',
  '250-8BITMIME',
  '250-SMTPUTF8',
  '250-ENHANCEDSTATUSCODES',
  '250-DSN',
  '250-AUTH PLAIN LOGIN',
  '250 SIZE 100000',
];

t.test('submission (STARTTLS): no AUTH on plaintext, AUTH required before MAIL under TLS', async (t) => {
  const { port, store, logs } = await startListener(t, 'submission', cert);
  const client = await RawClient.connect(t, port);
  t.same(await client.reply(), [`220 ${HOSTNAME} ESMTP Bridgehead`]);
  t.same(await client.command('EHLO client.example.net'), EHLO_BEFORE_TLS, 'AUTH is not offered before TLS');
  t.same(await client.command(`AUTH PLAIN ${plainAuth('alice@example.org', PASSWORD)}`), ['500 5.5.2 Error: command not recognized'], 'AUTH refused on plaintext');
  t.same(await client.command('MAIL FROM:<alice@example.org>'), ['530 5.7.0 Authentication required'], 'MAIL on plaintext');

  t.same(await client.startTls(), ['220 2.0.0 Ready to start TLS']);
  t.same(await client.command('EHLO client.example.net'), EHLO_UNDER_TLS, 'AUTH PLAIN LOGIN on one line under TLS');
  t.same(await client.command('MAIL FROM:<alice@example.org>'), ['530 5.7.0 Authentication required'], 'MAIL before AUTH');
  t.same(await client.command(`AUTH PLAIN ${plainAuth('alice@example.org', 'wrong password')}`), ['535 5.7.8 Authentication credentials invalid']);
  t.same(await client.command(`AUTH PLAIN ${Buffer.from(`bob@example.org\0alice@example.org\0${PASSWORD}`).toString('base64')}`), ['535 5.7.8 Authentication credentials invalid'], 'acting as another identity is refused');
  t.same(await client.command(`AUTH PLAIN ${plainAuth('Alice@Example.org', PASSWORD)}`), ['235 2.7.0 Authentication successful']);
  t.same(await client.command('MAIL FROM:<bob@example.org>'), ['553 5.7.1 Sender address is not owned by the authenticated user']);
  t.same(await client.command('MAIL FROM:<>'), ['553 5.7.1 Sender address is not owned by the authenticated user']);
  t.same(await client.command('MAIL FROM:<team@example.org> BODY=8BITMIME SIZE=432'), ['250 2.1.0 Accepted'], 'an alias that targets the user, with Thunderbird\'s parameters');
  t.same(await client.command('RCPT TO:<friend@remote.net>'), ['451 4.3.0 Relay to remote domains is not enabled on this server yet; message not accepted']);
  t.same(await client.command('RCPT TO:<nobody@example.org>'), ['550 5.1.1 Mailbox unavailable: no such user here']);
  t.same(await client.command('RCPT TO:<bob@example.org>'), ['250 2.1.5 Accepted']);
  t.same(await client.command('DATA'), ['354 End data with <CR><LF>.<CR><LF>']);
  const message = sampleMessage('From submission');
  client.write(dataPayload(message));
  const [reply] = await client.reply();
  const id = /^250 2\.6\.0 Message accepted, id ([0-9A-Z]{18})$/.exec(reply)?.[1];
  t.ok(id, reply);
  t.same(await client.command('QUIT'), ['221 2.0.0 Bye']);

  const [stored] = await inboxOf(store, 'bob@example.org');
  const text = stored.toString('utf8');
  t.match(text, new RegExp(`^Return-Path: <team@example\\.org>\\r\\nReceived: from client\\.example\\.net \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby ${HOSTNAME.replace(/\./g, '\\.')} \\(Bridgehead\\) with ESMTPSA id ${id}\\r\\n`));
  t.match(text, /\r\n\tfor <bob@example\.org>; [^\r\n]+\+0000\r\nFrom: sender@remote\.net\r\n/);

  const authLines = logs.filter((line) => line.evt === 'smtp.auth');
  t.match(authLines, [
    { result: 'bad-credentials', user: 'alice@example.org', method: 'PLAIN' },
    { result: 'authzid-mismatch', user: 'alice@example.org' },
    { result: 'ok', user: 'alice@example.org' },
  ]);
  t.notMatch(JSON.stringify(logs), /correct horse|wrong password/, 'no password in the logs');
  t.notMatch(JSON.stringify(logs), /Hello there/, 'no message body in the logs');
  t.match(logs.filter((line) => line.evt === 'smtp.transaction'), [
    { result: '530 5.7.0', user: null },
    { result: '553 5.7.1', from: 'bob@example.org' },
    { result: '553 5.7.1', from: '' },
    { result: 'accepted', from: 'team@example.org', rcpts: ['bob@example.org'], refused: 2, id, user: 'alice@example.org', role: 'submission' },
  ]);
});

t.test('nodemailer over STARTTLS (requireTLS) with AUTH PLAIN', async (t) => {
  const { port, store } = await startListener(t, 'submission', cert);
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTLS: true,
    name: 'laptop.example.org',
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.org', pass: PASSWORD },
    authMethod: 'PLAIN',
  });
  t.teardown(() => transport.close());
  const info = await transport.sendMail({
    from: 'Alice <alice@example.org>',
    to: 'Bob <bob@example.org>, Team <team@example.org>',
    subject: 'Lunch',
    text: 'Shall we?',
  });
  t.same(info.accepted, ['bob@example.org', 'team@example.org']);
  t.match(info.response, /^250 2\.6\.0 Message accepted, id [0-9A-Z]{18}$/);
  const [toBob] = await inboxOf(store, 'bob@example.org');
  const [toAlice] = await inboxOf(store, 'alice@example.org');
  t.ok(toBob && toAlice, 'both the direct and the alias recipients got it');
  t.match(toBob.toString(), /with ESMTPSA id /);
  t.match(toBob.toString(), /\r\nSubject: Lunch\r\n/);

  const failure = (mail: Parameters<typeof transport.sendMail>[0]) => transport.sendMail(mail).then(() => null, (error: unknown) => error);
  t.match(
    await failure({ from: 'bob@example.org', to: 'alice@example.org', subject: 'x', text: 'x' }),
    { responseCode: 553, response: '553 5.7.1 Sender address is not owned by the authenticated user' },
    'sender not owned',
  );
  t.match(
    await failure({ from: 'alice@example.org', to: 'friend@remote.net', subject: 'x', text: 'x' }),
    { responseCode: 451, response: /^451 4\.3\.0 / },
    'remote recipient from submission',
  );
  t.equal((await inboxOf(store, 'alice@example.org')).length, 1, 'refused messages were not stored');

  const wrong = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.org', pass: 'not the password' },
  });
  t.teardown(() => wrong.close());
  await t.rejects(wrong.sendMail({ from: 'alice@example.org', to: 'bob@example.org', subject: 'x', text: 'x' }), {
    code: 'EAUTH',
    responseCode: 535,
  });
});

t.test('submissions (implicit TLS): nodemailer with AUTH LOGIN, and the EHLO transcript', async (t) => {
  const { port, store } = await startListener(t, 'submissions', cert);
  const client = await RawClient.connect(t, port, { tls: true });
  t.same(await client.reply(), [`220 ${HOSTNAME} ESMTP Bridgehead`]);
  t.same(await client.command('EHLO client.example.net'), EHLO_UNDER_TLS, 'AUTH offered at once, no STARTTLS');
  t.same(await client.command('STARTTLS'), ['503 5.5.1 Error: TLS already active'], 'STARTTLS within TLS');
  t.same(await client.command('MAIL FROM:<alice@example.org>'), ['530 5.7.0 Authentication required']);
  t.same(await client.command('AUTH LOGIN'), ['334 VXNlcm5hbWU6']);
  t.same(await client.command(Buffer.from('alice@example.org').toString('base64')), ['334 UGFzc3dvcmQ6']);
  t.same(await client.command(Buffer.from(PASSWORD).toString('base64')), ['235 2.7.0 Authentication successful']);
  t.same(await client.command('MAIL FROM:<alice+outgoing@example.org>'), ['250 2.1.0 Accepted'], 'own subaddress');
  t.same(await client.command('QUIT'), ['221 2.0.0 Bye']);

  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'bob@example.org', pass: PASSWORD },
    authMethod: 'LOGIN',
  });
  t.teardown(() => transport.close());
  const raw = Buffer.from('From: bob@example.org\r\nTo: alice@example.org\r\nSubject: raw\r\n\r\nexact bytes\r\n');
  const info = await transport.sendMail({ envelope: { from: 'bob@example.org', to: ['alice@example.org'] }, raw });
  const id = /id ([0-9A-Z]{18})$/.exec(info.response)?.[1];
  const [stored] = await inboxOf(store, 'alice@example.org');
  const trace = /^Return-Path: <bob@example\.org>\r\nReceived: [^]*?\+0000\r\n/.exec(stored.toString());
  t.ok(trace, 'trace headers');
  t.match(trace?.[0], `with ESMTPSA id ${id}\r\n\t(version=TLSv1.`);
  t.same(stored.subarray(trace?.[0].length ?? 0), raw, 'the rest is byte for byte what was sent');
});

t.test('AUTH failures are throttled by the Authenticator and answered 454 4.7.0', async (t) => {
  const { port } = await startListener(t, 'submissions', cert);
  const client = await RawClient.connect(t, port, { tls: true });
  await client.reply();
  await client.command('EHLO client.example.net');
  for (let i = 0; i < 10; i++) {
    t.same(await client.command(`AUTH PLAIN ${plainAuth('alice@example.org', `guess ${i}`)}`), ['535 5.7.8 Authentication credentials invalid'], `guess ${i}`);
  }
  t.same(await client.command(`AUTH PLAIN ${plainAuth('alice@example.org', PASSWORD)}`), ['454 4.7.0 Too many failed authentication attempts, try again later'], 'even the right password waits');
  const other = await RawClient.connect(t, port, { tls: true });
  await other.reply();
  await other.command('EHLO client.example.net');
  t.same(await other.command(`AUTH PLAIN ${plainAuth('bob@example.org', PASSWORD)}`), ['454 4.7.0 Too many failed authentication attempts, try again later'], 'the address is throttled for every account');
});
