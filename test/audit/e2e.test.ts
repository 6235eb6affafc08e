/**
 * The audit trail and the traffic counters through the whole server: mail sent with nodemailer,
 * then `bridgehead audit` by message id, by address and by Message-ID header, while the server
 * runs (control socket) and after it stopped (the command opens the store itself); counters of
 * sessions, rejections and authentication failures through `bridgehead stats`.
 */
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import t from 'tap';
import type { AuditReport } from '../../src/audit/query.js';
import type { StatsReport } from '../../src/audit/stats.js';
import { COUNTERS } from '../../src/audit/events.js';
import { startPeer } from '../queue/helpers.js';
import { cli, startTestServer } from '../support/app.js';

const PASSWORD = 'correct horse battery staple';

async function setUp(t: Parameters<typeof startTestServer>[0], overrides: Record<string, unknown> = {}) {
  const server = await startTestServer(t, undefined, overrides);
  const config = ['--config', server.configPath];
  t.equal((await cli(['domain', 'add', 'example.test', ...config])).code, 0);
  for (const user of ['me@example.test', 'bob@example.test']) {
    t.equal((await cli(['user', 'add', user, '--password-stdin', ...config], { stdin: `${PASSWORD}\n` })).code, 0);
  }
  t.equal((await cli(['alias', 'add', 'team@example.test', 'bob@example.test', ...config])).code, 0);
  return { server, config };
}

function submit(port: number, options: { user?: string; pass?: string } = {}) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: options.user ?? 'me@example.test', pass: options.pass ?? PASSWORD },
  });
}

const idOf = (response: string) => /id ([0-9A-Z]{18})/.exec(response)?.[1] ?? '';

t.test('a local delivery tells its story by message id, address and Message-ID', async (t) => {
  const { server, config } = await setUp(t);
  const transport = submit(server.port('smtp.submissions'));
  t.teardown(() => transport.close());
  const sent = await transport.sendMail({
    from: 'me@example.test',
    to: ['bob@example.test', 'team@example.test'],
    subject: 'Audit me',
    text: 'hello',
    messageId: '<audit-1@client.example.test>',
  });
  const id = idOf(sent.response);
  t.match(id, /^[0-9A-Z]{18}$/, 'the 250 reply names the message id');

  const byId = await cli(['audit', id, ...config]);
  t.equal(byId.code, 0, byId.stderr);
  const lines = byId.stdout.split('\n');
  t.match(lines[0], new RegExp(`^Message ${id}, accepted \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} UTC$`));
  t.match(lines[1], /^ {2}\d{4}-\d\d-\d\d [\d:.]+ {2}received {2}from <me@example\.test> to <bob@example\.test>, <team@example\.test>; \d+ bytes; via smtp\/submission; client 127\.0\.0\.1 \(helo [^)]+\); user me@example\.test; TLS; Message-ID <audit-1@client\.example\.test>$/);
  t.match(lines[2], /^ {2}[\d\- :.]+ {2}stored {4}bob@example\.test INBOX uid 1$/, 'one copy for bob (the alias resolves to him)');
  t.equal(lines[3], '  Recipients:');
  t.equal(lines[4], "    bob@example.test   stored  in bob@example.test's INBOX (uid 1)");
  t.equal(lines[5], '    team@example.test  stored  delivered locally to bob@example.test', 'the alias went to bob');
  t.equal(lines.length, 7, 'nothing else (and a final newline)');

  const byAddress = JSON.parse((await cli(['audit', 'TEAM@example.test', '--json', ...config])).stdout) as AuditReport;
  t.same(byAddress.messages.map((message) => message.messageId), [id], 'found by an envelope recipient, case-insensitively');
  const bySender = JSON.parse((await cli(['audit', 'me@example.test', '--json', ...config])).stdout) as AuditReport;
  t.same(bySender.messages.map((message) => message.messageId), [id], 'found by the sender');
  const byHeader = JSON.parse((await cli(['audit', '<audit-1@client.example.test>', '--json', ...config])).stdout) as AuditReport;
  t.same(byHeader.messages.map((message) => message.messageId), [id], 'found by the Message-ID header');
  const byBareHeader = JSON.parse((await cli(['audit', 'audit-1@client.example.test', '--json', ...config])).stdout) as AuditReport;
  t.same(byBareHeader.messages.map((message) => message.messageId), [id], 'also without angle brackets');

  t.match(byAddress, {
    query: 'TEAM@example.test',
    since: null,
    found: 1,
    messages: [
      {
        messageId: id,
        acceptedAt: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
        events: [
          {
            step: 'received',
            at: /Z$/,
            via: 'smtp/submission',
            clientIp: '127.0.0.1',
            user: 'me@example.test',
            tls: true,
            from: 'me@example.test',
            to: ['bob@example.test', 'team@example.test'],
            messageIdHeader: 'audit-1@client.example.test',
          },
          { step: 'stored', account: 'bob@example.test', mailbox: 'INBOX', uid: 1, uidValidity: Number },
        ],
        recipients: [
          { recipient: 'bob@example.test', state: 'stored', at: /Z$/ },
          { recipient: 'team@example.test', state: 'stored' },
        ],
      },
    ],
  });
  t.equal(byAddress.messages[0].events.length, 2);

  const nothing = await cli(['audit', 'nobody@example.test', ...config]);
  t.same(nothing, { code: 0, stdout: 'No message found for "nobody@example.test".\n', stderr: '' });
  const later = await cli(['audit', 'bob@example.test', '--since', '2099-01-01', ...config]);
  t.match(later.stdout, /^No message found for "bob@example\.test" since 2099-01-01 00:00:00\.000 UTC\.$/m, '--since excludes older messages');
  const recent = JSON.parse((await cli(['audit', 'bob@example.test', '--since', '1h', '--json', ...config])).stdout) as AuditReport;
  t.equal(recent.messages.length, 1, '--since 1h includes it');
  t.match(await cli(['audit', 'bob@example.test', '--since', 'yesterday', ...config]), { code: 2, stderr: /cannot read the time "yesterday"/ });
  t.match(await cli(['audit', ...config]), { code: 2, stderr: /audit needs a message id/ });

  await server.app.close();
  const offline = await cli(['audit', id, ...config]);
  t.equal(offline.code, 0, offline.stderr);
  t.equal(offline.stdout, byId.stdout, 'the same story when the command opens the store itself');
});

t.test('counters: sessions, messages, deliveries, rejections and authentication failures', async (t) => {
  const { server, config } = await setUp(t, { smtp: { maxConnections: 2 } });

  const transport = submit(server.port('smtp.submissions'));
  await transport.sendMail({ from: 'me@example.test', to: 'bob@example.test', subject: 'one', text: 'x' });
  await transport.sendMail({ from: 'me@example.test', to: ['bob@example.test', 'me@example.test'], subject: 'two', text: 'y' });
  transport.close();

  const wrong = submit(server.port('smtp.submissions'), { pass: 'not the password' });
  await wrong.sendMail({ from: 'me@example.test', to: 'bob@example.test', text: 'z' }).then(
    () => t.fail('a wrong password was accepted'),
    (error: { responseCode?: number }) => t.equal(error.responseCode, 535, 'wrong password refused'),
  );
  wrong.close();

  // MX: one unknown recipient refused, one accepted.
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('smtp.mx'), secure: false, ignoreTLS: true });
  const partly = await mx.sendMail({ from: 'x@remote.test', to: ['nobody@example.test', 'me@example.test'], text: 'mx' });
  t.same(partly.rejected, ['nobody@example.test']);
  mx.close();

  // Over the connection limit (2 per listener): the third connection gets 421 before a greeting.
  const holders = await Promise.all([0, 1].map(() => openGreeted(server.port('smtp.mx'))));
  const refused = await openRaw(server.port('smtp.mx'));
  t.match(refused, /^421 /, 'the third connection is refused');
  for (const socket of holders) socket.destroy();

  // IMAP: one session that logs in, one whose password is wrong.
  for (const pass of [PASSWORD, 'wrong password']) {
    const imap = new ImapFlow({ host: '127.0.0.1', port: server.port('imap.imaps'), secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'me@example.test', pass }, logger: false });
    imap.on('error', () => undefined);
    const connected = await imap.connect().then(() => true, () => false);
    t.equal(connected, pass === PASSWORD, pass === PASSWORD ? 'IMAP login' : 'IMAP login refused');
    if (connected) await imap.logout();
  }

  const messageIn = [`one`, `two`, `mx`];
  const report = await waitForStats(config, (stats) => stats.totals['rejected.connections'] >= 1 && stats.totals['sessions.smtp'] >= 6);
  t.same(report.counters, [...COUNTERS], 'every counter is a column');
  t.match(report.totals, {
    'sessions.smtp': 6,
    'sessions.imap': 2,
    'messages.in': messageIn.length,
    'messages.out': 0,
    'deliveries.local': 4,
    'deliveries.remote': 0,
    deferrals: 0,
    bounces: 0,
    'rejected.connections': 1,
    'rejected.recipients': 1,
    'auth.failures': 2,
  });
  t.ok(report.totals['bytes.in'] > 0, 'bytes in counted');
  // Normally one hour bucket; two when the test runs across the full hour.
  t.ok(report.hours.length >= 1 && report.hours.length <= 2, 'hour buckets');
  t.match(report.hours[0], { hour: /^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/ });

  const table = await cli(['stats', ...config]);
  t.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  const [title, header, row] = lines;
  const total = lines[lines.length - 1];
  t.match(title, /^Traffic from \d{4}-\d\d-\d\d \d\d:\d\d to \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  t.match(header, /^hour \(UTC\) +smtp +imap +msgs in +msgs out +bytes in +bytes out +local +remote +deferred +bounced +rej conn +rej rcpt +auth fail$/);
  t.match(row, /^\d{4}-\d\d-\d\d \d\d:00 +\d+ +\d +\d+ +0 +\d+ +0 +\d+ +0 +0 +0 +[01] +[01] +[0-2]$/, 'an hour row');
  t.match(total, new RegExp(`^total +6 +2 +3 +0 +${report.totals['bytes.in']} +0 +4 +0 +0 +0 +1 +1 +2$`), 'the total row');

  // Written to the store on close: the same figures when the command opens the store itself.
  await server.app.close();
  const offline = JSON.parse((await cli(['stats', '--json', ...config])).stdout) as StatsReport;
  t.same(offline.totals, report.totals, 'counters were flushed at close');
});

/** Resolves with the socket once the SMTP greeting arrived. */
function openGreeted(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('data', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The first reply of a connection, which is then closed. */
function openRaw(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once('error', reject);
  });
}

/** Session ends reach the counters asynchronously (onClose): poll briefly. */
async function waitForStats(config: string[], ready: (stats: StatsReport) => boolean): Promise<StatsReport> {
  let stats: StatsReport;
  for (let i = 0; ; i++) {
    stats = JSON.parse((await cli(['stats', '--json', ...config])).stdout) as StatsReport;
    if (ready(stats) || i >= 40) return stats;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

t.test('a relayed message: one recipient delivered, one bounced, the bounce stored for the sender', async (t) => {
  const peer = await startPeer(t, { rcpt: (address) => (address.startsWith('carol') ? '550 5.1.1 no such user carol' : '250 2.1.5 OK') });
  const { server, config } = await setUp(t, { routes: { 'remote.test': { host: '127.0.0.1', port: peer.port, tls: 'none' } } });
  const transport = submit(server.port('smtp.submissions'));
  t.teardown(() => transport.close());
  const sent = await transport.sendMail({ from: 'me@example.test', to: ['bob@remote.test', 'carol@remote.test'], subject: 'Out', text: 'hello' });
  const id = idOf(sent.response);

  let report: AuditReport;
  for (let i = 0; ; i++) {
    report = JSON.parse((await cli(['audit', 'carol@remote.test', '--json', ...config])).stdout) as AuditReport;
    const states = report.messages[0]?.recipients.map((status) => status.state) ?? [];
    const done = report.messages[0]?.events.some((event) => event.step === 'dsn-sent') && states.includes('delivered');
    if (done || i >= 100) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.equal(report.messages.length, 1);
  const story = report.messages[0];
  t.equal(story.messageId, id);
  const steps = story.events.map((event) => event.step);
  t.same(steps.slice(0, 3), ['received', 'queued', 'attempt'], 'received, queued, then the attempt');
  t.ok(steps.includes('delivered') && steps.includes('bounced') && steps.includes('dsn-sent'), `all outcomes recorded: ${steps.join(' ')}`);
  t.match(story.events.find((event) => event.step === 'attempt'), { host: '127.0.0.1', port: peer.port, ms: Number, results: Array });
  t.match(story.recipients, [
    { recipient: 'bob@remote.test', state: 'delivered', detail: /250/ },
    { recipient: 'carol@remote.test', state: 'bounced', detail: /550 5\.1\.1 no such user carol; failure notice [0-9A-Z]{18} sent to <me@example\.test>/ },
  ]);

  const text = (await cli(['audit', 'carol@remote.test', ...config])).stdout;
  t.match(text, /Recipients:\n {4}bob@remote\.test +delivered +to 127\.0\.0\.1: 250 .*\n {4}carol@remote\.test +bounced +refused: 550 5\.1\.1 no such user carol/);

  const dsnId = (story.events.find((event) => event.step === 'dsn-sent') as { dsnMessageId: string }).dsnMessageId;
  const byDsn = JSON.parse((await cli(['audit', dsnId, '--json', ...config])).stdout) as AuditReport;
  t.ok(byDsn.messages.some((message) => message.messageId === id), 'the DSN id leads back to the message');
  const notice = byDsn.messages.find((message) => message.messageId === dsnId);
  t.match(notice, {
    events: [
      { step: 'received', via: 'internal/dsn', from: '', to: ['me@example.test'], clientIp: null },
      { step: 'stored', account: 'me@example.test', mailbox: 'INBOX' },
    ],
  }, "the notice's own story: made here, stored in the sender's INBOX");

  const stats = await waitForStats(config, (s) => s.totals['deliveries.remote'] >= 1 && s.totals.bounces >= 1);
  t.match(stats.totals, { 'messages.in': 1, 'messages.out': 1, 'deliveries.remote': 1, bounces: 1 });
  t.ok(stats.totals['bytes.out'] > 0, 'bytes out counted');
});

t.test('help texts', async (t) => {
  const top = await cli(['--help']);
  t.match(top.stdout, /\n {2}audit +show what happened to a message/);
  t.match(top.stdout, /\n {2}stats +traffic per hour/);
  t.match(await cli(['audit', '--help']), { code: 0, stdout: /^Usage: bridgehead audit <message-id \| Message-ID \| queue-id \| address> \[options\]/ });
  t.match(await cli(['stats', '--help']), { code: 0, stdout: /^Usage: bridgehead stats \[options\]/ });
  t.match(await cli(['stats', 'extra']), { code: 2, stderr: /unexpected argument: extra/ });
});
