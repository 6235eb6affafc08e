import nodemailer from 'nodemailer';
import t from 'tap';
import { MESSAGE_ID_PATTERN } from '../../src/pipeline/message-id.js';
import { dataPayload, HOSTNAME, inboxOf, makeCert, PASSWORD, plainAuth, RawClient, sampleMessage, startListener } from './helpers.js';

const cert = await makeCert();

const EHLO_MX_PLAIN = [
  `250-${HOSTNAME} Nice to meet you, [127.0.0.1]`,
  '250-PIPELINING',
  '250-8BITMIME',
  '250-SMTPUTF8',
  '250-ENHANCEDSTATUSCODES',
  '250-STARTTLS',
  '250 SIZE 100000',
];

t.test('EHLO on MX: no AUTH before or after STARTTLS', async (t) => {
  const { port } = await startListener(t, 'mx', cert);
  const client = await RawClient.connect(t, port);
  t.same(await client.reply(), [`220 ${HOSTNAME} ESMTP Bridgehead`]);
  t.same(await client.command('EHLO client.example.net'), EHLO_MX_PLAIN);
  t.same(await client.command(`AUTH PLAIN ${plainAuth('alice@example.org', PASSWORD)}`), ['500 5.5.2 Error: command not recognized']);
  t.same(await client.startTls(), ['220 2.0.0 Ready to start TLS']);
  t.same(await client.command('EHLO client.example.net'), EHLO_MX_PLAIN.filter((line) => line !== '250-STARTTLS'));
  t.same(await client.command(`AUTH PLAIN ${plainAuth('alice@example.org', PASSWORD)}`), ['500 5.5.2 Error: command not recognized']);
  t.same(await client.command('QUIT'), ['221 2.0.0 Bye']);
});

t.test('MX delivers to a user, an alias (one-to-many), a catch-all and a subaddress', async (t) => {
  const { port, store, logs } = await startListener(t, 'mx', cert);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, name: 'client.example.net', tls: { rejectUnauthorized: false } });
  t.teardown(() => transport.close());
  const raw = sampleMessage('One copy each');
  const info = await transport.sendMail({
    envelope: { from: 'sender@remote.net', to: ['alice@example.org', 'team@example.org', 'whoever@catchall.org', 'bob+lists@example.org'] },
    raw,
  });
  t.same(info.rejected, []);
  const id = /^250 2\.6\.0 Message accepted, id ([0-9A-Z]+)$/.exec(info.response)?.[1];
  t.match(id, MESSAGE_ID_PATTERN, '250 names the message id');

  const alice = await inboxOf(store, 'alice@example.org');
  const bob = await inboxOf(store, 'bob@example.org');
  const owner = await inboxOf(store, 'owner@catchall.org');
  t.equal(alice.length, 1, 'alice once, though named directly and through the alias');
  t.equal(bob.length, 1, 'bob once, through the alias and his subaddress');
  t.equal(owner.length, 1, 'the catch-all owner');
  for (const stored of [alice[0], bob[0], owner[0]]) {
    const text = stored.toString('utf8');
    const trace = new RegExp(
      `^Return-Path: <sender@remote\\.net>\\r\\nReceived: from client\\.example\\.net \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby ${HOSTNAME.replace(/\./g, '\\.')} \\(Bridgehead\\) with ESMTPS id ${id}\\r\\n\\t\\(version=TLSv1\\.[23] cipher=[A-Z0-9_-]+\\); [^\\r\\n]+\\+0000\\r\\n`,
    ).exec(text);
    t.ok(trace, 'Return-Path and Received (STARTTLS was used: ESMTPS with TLS details)');
    t.same(stored.subarray(trace?.[0].length ?? 0), raw, 'the delivered bytes are the sent bytes after the trace headers');
  }
  const transaction = logs.find((line) => line.evt === 'smtp.transaction');
  t.match(transaction, {
    cid: String,
    role: 'mx',
    remote: '127.0.0.1',
    user: null,
    from: 'sender@remote.net',
    rcpts: ['alice@example.org', 'team@example.org', 'whoever@catchall.org', 'bob+lists@example.org'],
    size: raw.length,
    id,
    result: 'accepted',
    ms: Number,
  });
  t.equal(logs.filter((line) => line.evt === 'smtp.transaction').length, 1, 'one line per transaction');
  t.notMatch(JSON.stringify(logs), /Hello there/, 'no message body in the logs');
});

t.test('MX refuses unknown users and relay attempts, and stores nothing', async (t) => {
  const { port, store } = await startListener(t, 'mx', cert);
  const client = await RawClient.connect(t, port);
  await client.reply();
  await client.command('EHLO client.example.net');
  t.same(await client.command('MAIL FROM:<>'), ['250 2.1.0 Accepted'], 'null sender accepted on MX');
  t.same(await client.command('RCPT TO:<nobody@example.org>'), ['550 5.1.1 Mailbox unavailable: no such user here']);
  t.same(await client.command('RCPT TO:<victim@remote.net>'), ['550 5.7.1 Relay access denied']);
  const relayAttempts: Array<[string, string]> = [
    ['<victim%remote.net@example.org>', '550 5.1.1'],
    ['<@example.org:victim@remote.net>', '550 5.7.1'],
    ['<@example.org,@mx.example.org:victim@remote.net>', '550 5.7.1'],
    ['<"victim@remote.net"@example.org>', '501 5.1.3'],
    ['<victim@REMOTE.NET>', '550 5.7.1'],
    ['<victim@remote.net.>', '501 5.1.3'],
    ['<alice@example.org.>', '501 5.1.3'],
    ['<victim@[127.0.0.1]>', '550 5.7.1'],
    ['<victim@[IPv6:::1]>', '550 5.7.1'],
    ['<victim@remote.net@example.org>', '501 5.1.3'],
  ];
  for (const [path, expected] of relayAttempts) {
    const reply = await client.command(`RCPT TO:${path}`);
    t.equal(reply.length, 1);
    t.equal(reply[0].slice(0, 9), expected, `RCPT TO:${path}`);
  }
  t.same(await client.command('DATA'), ['503 5.5.1 Error: need RCPT command'], 'no recipient was accepted');
  t.same(await client.command('RCPT TO:<ALICE@EXAMPLE.ORG>'), ['250 2.1.5 Accepted'], 'upper-case local address is local');
  t.same(await client.command('RCPT TO:<victim@remote.net>'), ['550 5.7.1 Relay access denied'], 'a local recipient does not open relay');
  t.same(await client.command('DATA'), ['354 End data with <CR><LF>.<CR><LF>']);
  client.write(dataPayload(sampleMessage()));
  t.match((await client.reply())[0], /^250 2\.6\.0 Message accepted, id /);
  t.equal((await inboxOf(store, 'alice@example.org')).length, 1, 'delivered to the local recipient only');
  t.equal((await inboxOf(store, 'bob@example.org')).length, 0);
  t.same(await client.command('QUIT'), ['221 2.0.0 Bye']);
});

t.test('a message over SIZE gets 552 5.3.4 and is not stored', async (t) => {
  const { port, store, logs } = await startListener(t, 'mx', cert, { maxMessageSize: 1000 });
  const client = await RawClient.connect(t, port);
  await client.reply();
  t.same((await client.command('EHLO client.example.net')).at(-1), '250 SIZE 1000');
  t.same(await client.command('MAIL FROM:<sender@remote.net> SIZE=1001'), ['552 5.3.4 Error: message exceeds fixed maximum message size 1000']);
  t.same(await client.command('MAIL FROM:<sender@remote.net>'), ['250 2.1.0 Accepted']);
  t.same(await client.command('RCPT TO:<alice@example.org>'), ['250 2.1.5 Accepted']);
  t.same(await client.command('DATA'), ['354 End data with <CR><LF>.<CR><LF>']);
  const big = Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(78)}\r\n`.repeat(20));
  client.write(dataPayload(big));
  t.same(await client.reply(), ['552 5.3.4 Error: message exceeds fixed maximum message size 1000']);
  t.equal((await inboxOf(store, 'alice@example.org')).length, 0, 'nothing stored');
  t.match(logs.find((line) => line.evt === 'smtp.transaction'), { result: '552 5.3.4', size: big.length, id: null });

  t.same(await client.command('MAIL FROM:<sender@remote.net>'), ['250 2.1.0 Accepted'], 'the session goes on');
  await client.command('RCPT TO:<alice@example.org>');
  await client.command('DATA');
  const small = Buffer.from('Subject: small\r\n\r\nfits\r\n');
  client.write(dataPayload(small));
  t.match((await client.reply())[0], /^250 2\.6\.0 /);
  t.equal((await inboxOf(store, 'alice@example.org')).length, 1);
});

t.test('recipients over maxRecipients get 452 4.5.3', async (t) => {
  const { port } = await startListener(t, 'mx', cert, { maxRecipients: 2 });
  const client = await RawClient.connect(t, port);
  await client.reply();
  await client.command('EHLO client.example.net');
  await client.command('MAIL FROM:<sender@remote.net>');
  t.same(await client.command('RCPT TO:<alice@example.org>'), ['250 2.1.5 Accepted']);
  t.same(await client.command('RCPT TO:<bob@example.org>'), ['250 2.1.5 Accepted']);
  t.same(await client.command('RCPT TO:<team@example.org>'), ['452 4.5.3 Error: too many recipients']);
});

t.test('a client that leaves during DATA stores nothing and is logged as aborted', async (t) => {
  const { port, store, logs } = await startListener(t, 'mx', cert);
  const client = await RawClient.connect(t, port);
  await client.reply();
  await client.command('EHLO client.example.net');
  await client.command('MAIL FROM:<sender@remote.net>');
  await client.command('RCPT TO:<alice@example.org>');
  await client.command('DATA');
  client.write('Subject: cut short\r\n\r\nhalf a mess');
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.destroy();
  const deadline = Date.now() + 3000;
  while (!logs.some((line) => line.evt === 'smtp.transaction') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.match(logs.find((line) => line.evt === 'smtp.transaction'), { result: 'aborted', rcpts: ['alice@example.org'] });
  t.equal((await inboxOf(store, 'alice@example.org')).length, 0);
});

t.test('a mail loop is refused with 554 5.4.6', async (t) => {
  const { port, store } = await startListener(t, 'mx', cert);
  const client = await RawClient.connect(t, port);
  await client.reply();
  await client.command('EHLO client.example.net');
  await client.command('MAIL FROM:<sender@remote.net>');
  await client.command('RCPT TO:<alice@example.org>');
  await client.command('DATA');
  client.write(dataPayload(Buffer.from(`${'Received: from a by b; Thu, 1 Jan 2026 00:00:00 +0000\r\n'.repeat(51)}Subject: loop\r\n\r\nx\r\n`)));
  t.same(await client.reply(), ['554 5.4.6 Routing loop detected: the message carries 51 Received headers']);
  t.equal((await inboxOf(store, 'alice@example.org')).length, 0);
});

t.test('connections over maxConnections are refused with 421', async (t) => {
  const { port } = await startListener(t, 'mx', cert, { maxConnections: 2 });
  const first = await RawClient.connect(t, port);
  const second = await RawClient.connect(t, port);
  t.same(await first.reply(), [`220 ${HOSTNAME} ESMTP Bridgehead`]);
  t.same(await second.reply(), [`220 ${HOSTNAME} ESMTP Bridgehead`]);
  const third = await RawClient.connect(t, port);
  t.same(await third.reply(), [`421 ${HOSTNAME} Too many connected clients, try again in a moment`]);
  await third.waitClosed();
  t.ok(third.closed, 'the refused connection is closed');
  t.same(await first.command('NOOP'), ['250 2.0.0 OK'], 'existing sessions go on');
  await first.command('QUIT');
  await first.waitClosed();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const fourth = await RawClient.connect(t, port);
  t.same(await fourth.reply(), [`220 ${HOSTNAME} ESMTP Bridgehead`], 'a freed slot is usable again');
});

t.test('an idle connection is closed after idleTimeoutMs', async (t) => {
  const { port } = await startListener(t, 'mx', cert, { idleTimeoutMs: 300 });
  const client = await RawClient.connect(t, port);
  await client.reply();
  t.same(await client.reply(3000), ['421 4.4.2 Timeout - closing connection']);
  await client.waitClosed();
  t.ok(client.closed);
});
