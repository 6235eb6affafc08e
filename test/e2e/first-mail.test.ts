/**
 * The foundation's whole path, as a new user walks it: add a domain and a user with the command
 * line while the server runs, send with nodemailer through submission (implicit TLS and
 * STARTTLS), receive with imapflow through IDLE, fetch and compare, set flags, file into
 * Archive, save a Sent copy with APPEND as Thunderbird does, delete; then restart and find
 * everything as it was.
 */
import { once } from 'node:events';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import t from 'tap';
import { startApp } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import { cli, shortTempDir, startTestServer, writeTestConfig } from '../support/app.js';

const PASSWORD = 'correct horse battery staple';

function imapClient(port: number, user = 'me@example.test', pass = PASSWORD) {
  return new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user, pass },
    logger: false,
  });
}

async function status(imap: ImapFlow, path: string) {
  const result = await imap.status(path, { messages: true, unseen: true });
  if (!result) throw new Error(`STATUS ${path} failed`);
  return result;
}

function smtpTransport(port: number, secure: boolean) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure,
    requireTLS: !secure,
    tls: { rejectUnauthorized: false },
    auth: { user: 'me@example.test', pass: PASSWORD },
  });
}

t.test('from a fresh data folder to reading, filing and deleting mail', async (t) => {
  const server = await startTestServer(t);
  const config = ['--config', server.configPath];

  t.match(await cli(['domain', 'add', 'example.test', ...config]), { code: 0, stdout: 'added domain example.test\n' });
  t.match(await cli(['user', 'add', 'me@example.test', '--password-stdin', ...config], { stdin: `${PASSWORD}\n` }), { code: 0 });
  t.match(await cli(['user', 'list', ...config]), { code: 0, stdout: 'me@example.test\n' });

  const imap = imapClient(server.port('imap.imaps'));
  await imap.connect();
  t.teardown(() => imap.close());
  const folders = await imap.list();
  t.same(
    folders.map((folder) => [folder.path, folder.specialUse ?? null]).sort(),
    [['Archive', '\\Archive'], ['Drafts', '\\Drafts'], ['INBOX', '\\Inbox'], ['Junk', '\\Junk'], ['Sent', '\\Sent'], ['Trash', '\\Trash']],
    'a new account has its six mailboxes with special-use attributes',
  );
  await imap.mailboxOpen('INBOX');
  const arrived = once(imap, 'exists');
  const idling = imap.idle();

  const text = `Hello from Bridgehead, ${'é'.repeat(3)}\n`;
  const sent = await smtpTransport(server.port('smtp.submissions'), true).sendMail({
    from: 'me@example.test',
    to: 'me@example.test',
    subject: 'First mail',
    text,
  });
  t.match(sent.response, /^250 /, 'submission over implicit TLS accepted');

  const [exists] = (await arrived) as [{ count: number }];
  t.equal(exists.count, 1, 'IDLE announced the new message');

  // The next command ends IDLE (imapflow sends DONE first); idle() then resolves.
  const message = await imap.fetchOne('1', { source: true, envelope: true, flags: true, uid: true, size: true });
  await idling;
  t.ok(message, 'fetched');
  if (!message) return;
  t.equal(message.envelope?.subject, 'First mail');
  t.equal(message.size, message.source?.length, 'RFC822.SIZE is the exact size');
  const source = message.source!.toString('utf8');
  t.match(source, /^Return-Path: <me@example\.test>\r\nReceived: from /, 'Return-Path and Received were added at the top');
  t.ok(source.includes('Hello from Bridgehead') || source.includes('=C3=A9'), 'body delivered');

  await imap.messageFlagsAdd(String(message.uid), ['\\Seen', '$Important'], { uid: true });
  const flagged = await imap.fetchOne(String(message.uid), { flags: true }, { uid: true });
  t.ok(flagged && flagged.flags?.has('\\Seen') && flagged.flags.has('$Important'), 'flags stored');

  const moved = await imap.messageMove(String(message.uid), 'Archive', { uid: true });
  t.ok(moved && moved.uidMap && moved.uidMap.size === 1, 'moved to Archive with COPYUID');
  const inbox = await status(imap, 'INBOX');
  t.equal(inbox.messages, 0, 'INBOX is empty after the move');
  const archive = await status(imap, 'Archive');
  t.equal(archive.messages, 1, 'Archive holds it');
  t.equal(archive.unseen, 0, 'still \\Seen in Archive');

  // Thunderbird sends through SMTP, then stores its own copy in Sent with APPEND.
  const starttls = await smtpTransport(server.port('smtp.submission'), false).sendMail({
    from: 'me@example.test',
    to: 'me@example.test',
    subject: 'Second mail',
    text: 'through STARTTLS',
  });
  t.match(starttls.response, /^250 /, 'submission over STARTTLS accepted');
  const copy = Buffer.from('From: me@example.test\r\nTo: me@example.test\r\nSubject: Second mail\r\n\r\nthrough STARTTLS\r\n');
  const appended = await imap.append('Sent', copy, ['\\Seen']);
  t.ok(appended && appended.uid, 'APPEND to Sent answered with APPENDUID');
  await imap.mailboxOpen('Sent');
  const sentCopy = await imap.fetchOne('*', { source: true });
  t.ok(sentCopy && sentCopy.source?.equals(copy), 'the Sent copy is byte-identical');

  await imap.mailboxOpen('Archive');
  t.ok(await imap.messageDelete('1:*'), 'deleted');
  t.equal((await status(imap, 'Archive')).messages, 0);
  await imap.logout();
});

t.test('messages, flags, UIDs and UIDVALIDITY survive a restart', async (t) => {
  const dir = shortTempDir(t);
  const { config, configPath } = writeTestConfig(dir);
  let app = await startApp(config, silentLogger());
  const args = ['--config', configPath];
  t.equal((await cli(['domain', 'add', 'example.test', ...args])).code, 0);
  t.equal((await cli(['user', 'add', 'me@example.test', '--password-stdin', ...args], { stdin: `${PASSWORD}\n` })).code, 0);
  const port = () => app.listeners.find((listener) => listener.name === 'imap.imaps')!.port;

  let imap = imapClient(port());
  await imap.connect();
  await imap.append('INBOX', 'Subject: one\r\n\r\n1\r\n', ['\\Flagged']);
  await imap.append('INBOX', 'Subject: two\r\n\r\n2\r\n');
  const before = await imap.mailboxOpen('INBOX');
  const beforeMessages = [];
  for await (const message of imap.fetch('1:*', { uid: true, flags: true, envelope: true })) {
    beforeMessages.push([message.uid, [...(message.flags ?? [])].sort(), message.envelope?.subject]);
  }
  await imap.logout();
  await app.close();

  app = await startApp(config, silentLogger());
  t.teardown(() => app.close());
  imap = imapClient(port());
  await imap.connect();
  const after = await imap.mailboxOpen('INBOX');
  t.equal(after.uidValidity, before.uidValidity, 'UIDVALIDITY unchanged');
  t.equal(after.uidNext, before.uidNext, 'UIDNEXT unchanged');
  const afterMessages = [];
  for await (const message of imap.fetch('1:*', { uid: true, flags: true, envelope: true })) {
    afterMessages.push([message.uid, [...(message.flags ?? [])].sort(), message.envelope?.subject]);
  }
  t.same(afterMessages, beforeMessages, 'same messages, UIDs and flags');
  t.equal(afterMessages.length, 2);
  await imap.logout();
});
