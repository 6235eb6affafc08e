/**
 * End to end with a real client library: imapflow against the server, as mail apps use it.
 */
import { once } from 'node:events';
import { ImapFlow } from 'imapflow';
import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { PASSWORD, USER, sampleMessage, startServer } from './harness.js';

function client(port: number, options: { secure: boolean } = { secure: true }) {
  return new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: options.secure,
    doSTARTTLS: options.secure ? undefined : true,
    tls: { rejectUnauthorized: false },
    auth: { user: USER, pass: PASSWORD },
    logger: false,
  });
}

t.test('imapflow: list, open, append, fetch, flags, move, delete, idle', async (t) => {
  const h = await startServer(t);
  const imap = client(h.port);
  await imap.connect();
  t.teardown(() => imap.close());

  const folders = await imap.list();
  t.same(
    folders.map((folder) => [folder.path, folder.specialUse ?? null, folder.subscribed]).sort(),
    [
      ['Archive', '\\Archive', true],
      ['Drafts', '\\Drafts', true],
      ['INBOX', '\\Inbox', true],
      ['Junk', '\\Junk', true],
      ['Sent', '\\Sent', true],
      ['Trash', '\\Trash', true],
    ],
  );

  const appended = await imap.append('INBOX', sampleMessage('First'), ['\\Flagged']);
  t.ok(appended && appended.uid === 1 && appended.uidValidity, 'APPENDUID read');
  await imap.append('INBOX', sampleMessage('Second'));

  const inbox = await imap.mailboxOpen('INBOX');
  t.equal(inbox.exists, 2);
  t.equal(inbox.uidNext, 3);
  t.same([...inbox.permanentFlags!].sort(), ['\\*', '\\Answered', '\\Deleted', '\\Draft', '\\Flagged', '\\Seen'].sort());

  const fetched = [];
  for await (const message of imap.fetch('1:*', { uid: true, flags: true, envelope: true, source: true, size: true })) {
    fetched.push(message);
  }
  t.same(
    fetched.map((message) => [message.seq, message.uid, message.envelope?.subject, [...message.flags!]]),
    [
      [1, 1, 'First', ['\\Flagged']],
      [2, 2, 'Second', []],
    ],
  );
  t.equal(fetched[1].source!.toString(), sampleMessage('Second'));
  t.equal(fetched[1].size, Buffer.byteLength(sampleMessage('Second')));

  t.ok(await imap.messageFlagsAdd('2', ['\\Seen', '$Label1']));
  const flagged = await imap.fetchOne('2', { flags: true });
  t.same([...(flagged ? flagged.flags! : [])].sort(), ['$Label1', '\\Seen']);

  const moved = await imap.messageMove('1', 'Archive');
  t.ok(moved, 'moved');
  if (moved) t.same([...moved.uidMap!], [[1, 1]], 'COPYUID read from the untagged OK');
  t.equal(imap.mailbox && imap.mailbox.exists, 1, 'EXPUNGE applied to the client view');

  t.ok(await imap.messageDelete('1'), 'deleted');
  const status = await imap.status('INBOX', { messages: true, unseen: true });
  t.same(status && [status.messages, status.unseen], [0, 0]);
  const archive = await imap.status('Archive', { messages: true, uidNext: true });
  t.same(archive && [archive.messages, archive.uidNext], [1, 2]);

  // Another session delivers while imapflow IDLEs.
  const arrived = once(imap, 'exists');
  const idling = imap.idle();
  await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage('Pushed')));
  const [exists] = (await arrived) as [{ count: number; prevCount: number }];
  t.same([exists.prevCount, exists.count], [0, 1], 'EXISTS pushed during IDLE');
  const pushed = await imap.fetchOne('*', { envelope: true });
  await idling;
  t.equal(pushed && pushed.envelope?.subject, 'Pushed');
  await imap.logout();
});

t.test('imapflow over STARTTLS with AUTHENTICATE', async (t) => {
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
  const h = await startServer(t, { implicitTls: false, log: createLogger({ level: 'debug', destination }) });
  const imap = client(h.port, { secure: false });
  await imap.connect();
  t.teardown(() => imap.close());
  t.ok(imap.secureConnection || (imap as unknown as { socket: { encrypted?: boolean } }).socket.encrypted, 'upgraded to TLS');
  t.ok(commands.includes('STARTTLS OK') && commands.includes('AUTHENTICATE OK'), commands.join(', '));
  t.ok(imap.capabilities.has('UIDPLUS'), 'post-login capabilities');
  t.ok(imap.enabled.has('UTF8=ACCEPT'), 'ENABLE UTF8=ACCEPT answered with * ENABLED');
  const box = await imap.mailboxOpen('Sent');
  t.equal(box.path, 'Sent');
  await imap.logout();
});
