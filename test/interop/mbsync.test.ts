/**
 * Interoperability with mbsync (isync 1.4, Debian `isync`; .ci/run installs it): a 1,000-message
 * INBOX synchronised both ways with a local Maildir, twice, with no errors and no duplicates
 * (issue 3, "Conformance"). mbsync uses UIDPLUS, LITERAL+ and UID FETCH of X-TUID headers
 * (CLIENTS.md §1), and checks UIDVALIDITY and UIDNEXT.
 *
 * Round 1 pulls everything. Between rounds both sides change: mail arrives on the server, the
 * server expunges one message and flags another, and the Maildir gains new messages and marks one
 * seen. Round 2 must carry every change across; round 3 must find nothing left to do. After each
 * round both sides hold the same set of Message-IDs, each exactly once.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { shortTempDir } from '../support/app.js';
import { PASSWORD, USER, interopServer, run } from './support.js';

const COUNT = 1000;

function message(id: string, subject: string): Buffer {
  return Buffer.from(
    [
      'From: Bob <bob@interop.test>',
      `To: ${USER}`,
      `Subject: ${subject}`,
      'Date: Tue, 03 Mar 2026 10:00:00 +0000',
      `Message-ID: <${id}@interop.test>`,
      '',
      `Body of ${subject}.`,
      '',
    ].join('\r\n'),
  );
}

/** Message-IDs of every message in a Maildir folder (new/ and cur/). */
function maildirIds(folder: string): string[] {
  const ids: string[] = [];
  for (const sub of ['new', 'cur']) {
    const dir = join(folder, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const id = /^Message-ID: <([^>]+)>/im.exec(readFileSync(join(dir, name), 'latin1'))?.[1];
      ids.push(id ?? `(no id: ${name})`);
    }
  }
  return ids.sort();
}

/** The path of the Maildir file holding a Message-ID. */
function maildirFile(folder: string, id: string): string | undefined {
  for (const sub of ['new', 'cur']) {
    for (const name of readdirSync(join(folder, sub))) {
      if (readFileSync(join(folder, sub, name), 'latin1').includes(`<${id}@interop.test>`)) return join(folder, sub, name);
    }
  }
  return undefined;
}

function mbsyncrc(options: { port: number; certPath: string; maildir: string; state: string }): string {
  return [
    'IMAPAccount bridgehead',
    'Host 127.0.0.1',
    `Port ${options.port}`,
    `User ${USER}`,
    `Pass "${PASSWORD}"`,
    'SSLType IMAPS',
    'SSLVersions TLSv1.2 TLSv1.3',
    `CertificateFile ${options.certPath}`,
    '',
    'IMAPStore remote',
    'Account bridgehead',
    '',
    'MaildirStore local',
    `Path ${options.maildir}/`,
    `Inbox ${options.maildir}/INBOX`,
    '',
    'Channel inbox',
    'Far :remote:INBOX',
    'Near :local:INBOX',
    'Create Both',
    'Expunge Both',
    'Sync All',
    `SyncState ${options.state}/`,
    '',
  ].join('\n');
}

t.test('mbsync synchronises 1,000 messages both ways, twice, without errors or duplicates', async (t) => {
  const server = await interopServer(t);
  const store = server.app.store;
  for (let start = 0; start < COUNT; start += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.append(USER, 'INBOX', message(`m${start + i}`, `Message ${start + i}`), { internalDate: Date.UTC(2026, 0, 1) + (start + i) * 60_000 })),
    );
  }
  const dir = shortTempDir(t);
  const maildir = join(dir, 'mail');
  const state = join(dir, 'state');
  mkdirSync(maildir);
  mkdirSync(state);
  const config = join(dir, 'mbsyncrc');
  writeFileSync(config, mbsyncrc({ port: server.port('imap.imaps'), certPath: server.certPath, maildir, state }));
  const inbox = join(maildir, 'INBOX');
  const serverIds = async (): Promise<string[]> => {
    const mailbox = (await store.getMailbox(USER, 'INBOX'))!;
    const blobs = await store.readBlobs((await store.listMessages(mailbox.id)).map((meta) => meta.blobId), 'header');
    return blobs.map((header) => /^Message-ID: <([^>]+)>/im.exec(header?.toString('latin1') ?? '')?.[1] ?? '(no id)').sort();
  };
  const sync = async (round: number) => {
    const result = await run('mbsync', ['-c', config, '-a'], { timeoutMs: 40_000 });
    t.equal(result.code, 0, `round ${round}: mbsync exits cleanly${result.code ? `: ${result.stderr}${result.stdout}` : ''}`);
    t.notMatch(result.stderr, /error|warning/i, `round ${round}: nothing on stderr`);
    const near = maildirIds(inbox);
    const far = await serverIds();
    t.equal(new Set(near).size, near.length, `round ${round}: no duplicates in the Maildir`);
    t.equal(new Set(far).size, far.length, `round ${round}: no duplicates on the server`);
    t.same(near, far, `round ${round}: both sides hold the same messages`);
    return near;
  };

  t.equal((await sync(1)).length, COUNT, 'round 1 pulled every message');

  // Server side: new mail, one message expunged, one flagged. The appends above ran 100 at a
  // time, so UIDs need not follow the subjects: the messages are found by their Message-ID.
  const mailbox = (await store.getMailbox(USER, 'INBOX'))!;
  const metaOf = async (id: string) => {
    const metas = await store.listMessages(mailbox.id);
    const headers = await store.readBlobs(metas.map((meta) => meta.blobId), 'header');
    return metas[headers.findIndex((header) => header?.includes(`<${id}@interop.test>`))];
  };
  const [expunged, flagged] = [(await metaOf('m0')).uid, (await metaOf('m1')).uid];
  for (let i = 0; i < 3; i++) await store.append(USER, 'INBOX', message(`server-new${i}`, `Server new ${i}`));
  await store.expunge(mailbox.id, [expunged]);
  await store.storeFlags(mailbox.id, [flagged], { op: 'add', flags: ['\\Flagged'] });
  // Maildir side: new mail, one message marked seen (RFC 5322 files; flags in the name, ":2,S").
  for (let i = 0; i < 2; i++) writeFileSync(join(inbox, 'new', `1767225600.local${i}.host`), message(`local-new${i}`, `Local new ${i}`));
  const seen = maildirFile(inbox, 'm10')!;
  renameSync(seen, join(inbox, 'cur', `${seen.slice(seen.lastIndexOf('/') + 1).replace(/:2,.*$/, '')}:2,S`));

  const afterTwo = await sync(2);
  t.equal(afterTwo.length, COUNT + 3 + 2 - 1, 'round 2 carried new mail and the expunge both ways');
  t.notOk(afterTwo.includes('m0'), 'the expunged message left the Maildir');
  t.ok((await metaOf('m10')).flags.includes('\\Seen'), 'the Maildir\'s \\Seen reached the server');
  t.match(maildirFile(inbox, 'm1'), /:2,[A-Z]*F/, 'the server\'s \\Flagged reached the Maildir');

  t.same(await sync(3), afterTwo, 'round 3 finds nothing left to do');
});
