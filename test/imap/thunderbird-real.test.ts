/**
 * Transcripts recorded from the real Thunderbird 153.7 ESR against Bridgehead (tools/thunderbird,
 * run.ts, MOZ_LOG=IMAP:5), replayed on raw sockets with Thunderbird's exact spelling: the
 * account wizard's probe, the keyboard actions of a user (read, star, tag, unread, junk, archive),
 * draft saving, a folder with a non-ASCII name through create / rename / delete / empty Trash,
 * and a folder connection learning of a MOVE when its IDLE starts. thunderbird.test.ts replays
 * the first-login session of CLIENTS.md §5; this file covers what came after it.
 *
 * Each Thunderbird connection: `authenticate PLAIN` (no SASL-IR), then `ID (...)` and
 * `ENABLE UTF8=ACCEPT`, as recorded (COMPRESS DEFLATE is left out: compress.test.ts covers it).
 */
import { once } from 'node:events';
import { connect } from 'node:tls';
import t, { type Test } from 'tap';
import { PASSWORD, POST_LOGIN_CAPABILITIES, PRE_TLS_CAPABILITIES, USER, sampleMessage, startServer, type Harness, type TranscriptClient } from './harness.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const HEADER_FIELDS =
  'From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To Received';

/** A Thunderbird connection after its login sequence; `tag` is its first tag. */
async function thunderbirdConnection(t: Test, h: Harness, tag: number): Promise<TranscriptClient> {
  const c = await h.client();
  c.sendLine(`${tag} authenticate PLAIN`);
  t.equal(await c.readLine(), '+ ');
  c.sendLine(b64(`\0${USER}\0${PASSWORD}`));
  t.same(await c.until(String(tag)), [`${tag} OK [CAPABILITY ${POST_LOGIN_CAPABILITIES}] Logged in`]);
  t.same(await c.command(`${tag + 1} ID ("name" "Thunderbird" "version" "153.7.0")`), [
    '* ID ("name" "Bridgehead" "vendor" "Bridgehead")',
    `${tag + 1} OK ID completed`,
  ]);
  t.same(await c.command(`${tag + 2} ENABLE UTF8=ACCEPT`), ['* ENABLED UTF8=ACCEPT', `${tag + 2} OK ENABLE completed`]);
  return c;
}

async function uidValidity(h: Harness, mailbox: string): Promise<number> {
  return (await h.store.getMailbox(USER, mailbox))!.uidValidity;
}

/** A command's replies with the HIGHESTMODSEQ value masked (CONDSTORE numbering: condstore.test.ts). */
async function command(c: TranscriptClient, line: string): Promise<string[]> {
  return (await c.command(line)).map((reply) => reply.replace(/^\* OK \[HIGHESTMODSEQ \d+\]/, '* OK [HIGHESTMODSEQ n]'));
}

const select = command;

t.test('account wizard probe: CAPABILITY and LOGOUT written before the greeting arrives', async (t) => {
  const h = await startServer(t);
  // GuessConfig.sys.mjs socketUtil writes `1 CAPABILITY` as soon as the connection is up and
  // `2 LOGOUT` on the first data it receives; the server must answer both, in order.
  const socket = connect({ host: '127.0.0.1', port: h.port, rejectUnauthorized: false });
  t.teardown(() => socket.destroy());
  await once(socket, 'secureConnect');
  socket.write('1 CAPABILITY\r\n2 LOGOUT\r\n');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  t.same(Buffer.concat(chunks).toString().split('\r\n'), [
    `* OK [CAPABILITY ${PRE_TLS_CAPABILITIES}] Bridgehead ready`,
    `* CAPABILITY ${PRE_TLS_CAPABILITIES}`,
    '1 OK CAPABILITY completed',
    '* BYE Logging out',
    '2 OK LOGOUT completed',
    '',
  ]);
});

t.test('keyboard actions in INBOX, then archive (a) into a new yearly folder', async (t) => {
  const h = await startServer(t);
  const a = await thunderbirdConnection(t, h, 36);
  const inbox = await thunderbirdConnection(t, h, 66);
  for (const subject of ['Pushed', 'Sent from TB', 'Keyboard check']) await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage(subject)));
  t.same(await a.command('62 create "Filed"'), ['62 OK CREATE completed']);
  await select(inbox, '69 select "INBOX"');
  const filedValidity = await uidValidity(h, 'Filed');
  t.same(await inbox.command('87 uid move 1 "Filed"'), [`* OK [COPYUID ${filedValidity} 1 1] Moved`, '* 1 EXPUNGE', '87 OK UID MOVE completed']);

  // Open the message (marks it read), s, 1, m, j: one UID STORE each, in Thunderbird's spelling.
  // This session selected INBOX first, so the messages are \Recent to it (RFC 3501 §2.3.2).
  // A keyword new to the mailbox is announced by a FLAGS response first (RFC 3501 §7.2.6).
  const stores: Array<[string, string, string?]> = [
    ['100 uid store 3 +Flags (\\Seen)', '(\\Seen \\Recent)'],
    ['101 uid store 3 +Flags (\\Flagged)', '(\\Seen \\Flagged \\Recent)'],
    ['102 uid store 3 +FLAGS ($label1)', '(\\Seen \\Flagged $label1 \\Recent)', '$label1'],
    ['103 uid store 3 -Flags (\\Seen)', '(\\Flagged $label1 \\Recent)'],
    ['104 uid store 3 +Flags (\\Seen)', '(\\Flagged $label1 \\Seen \\Recent)'],
    ['105 uid store 3 +FLAGS (Junk)', '(\\Flagged $label1 \\Seen Junk \\Recent)', '$label1 Junk'],
    ['106 uid store 3 -FLAGS (NonJunk)', '(\\Flagged $label1 \\Seen Junk \\Recent)'],
  ];
  for (const [line, flags, keywords] of stores) {
    const tag = line.split(' ')[0];
    const announce = keywords ? [`* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft ${keywords})`] : [];
    t.same(await command(inbox, line), [...announce, `* 2 FETCH (UID 3 FLAGS ${flags})`, `${tag} OK UID STORE completed`], line);
  }

  // a: the archive folder for the message's year is created on another connection, then MOVE.
  t.same(await a.command('66 create "Archive/2026"'), ['66 OK CREATE completed']);
  t.same(await a.command('67 subscribe "Archive/2026"'), ['67 OK SUBSCRIBE completed']);
  t.same(await a.command('68 list "" "Archive/2026"'), ['* LIST (\\HasNoChildren) "/" "Archive/2026"', '68 OK LIST completed']);
  t.same(await command(inbox, '108 uid store 2 +Flags (\\Seen)'), ['* 1 FETCH (UID 2 FLAGS (\\Seen \\Recent))', '108 OK UID STORE completed']);
  const archiveValidity = await uidValidity(h, 'Archive/2026');
  t.same(await inbox.command('110 uid move 3 "Archive/2026"'), [`* OK [COPYUID ${archiveValidity} 3 1] Moved`, '* 2 EXPUNGE', '110 OK UID MOVE completed']);
  t.same(await inbox.command('111 noop'), ['111 OK NOOP completed']);
  t.same(await command(inbox, '113 UID fetch 4:* (FLAGS)'), ['* 1 FETCH (UID 2 FLAGS (\\Seen \\Recent))', '113 OK UID FETCH completed'], 'n:* past the end is the last message');
  // The junk filter then works on UIDs that are gone: nothing to report, no error.
  t.same(await inbox.command('114 UID fetch 1 (UID RFC822.SIZE BODY.PEEK[])'), ['114 OK UID FETCH completed']);
  t.same(await inbox.command('115 uid store 1 +FLAGS (Junk)'), ['115 OK UID STORE completed']);
  t.same(await inbox.command('116 check'), ['116 OK CHECK completed']);
  t.same(await inbox.command('117 uid store 1 -FLAGS (NonJunk)'), ['117 OK UID STORE completed']);
  t.same(await command(inbox, '120 uid store 1:2 +FLAGS (Junk)'), ['* 1 FETCH (UID 2 FLAGS (\\Seen Junk \\Recent))', '120 OK UID STORE completed']);

  // The archive folder offers the keywords it holds, so Thunderbird keeps tag and junk state.
  t.same(await select(a, '90 select "Archive/2026"'), [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $label1 Junk)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $label1 Junk \\*)] Flags permitted',
    '* 1 EXISTS',
    '* 1 RECENT',
    `* OK [UIDVALIDITY ${archiveValidity}] UIDs valid`,
    '* OK [UIDNEXT 2] Predicted next UID',
    '* OK [HIGHESTMODSEQ n] Highest',
    '90 OK [READ-WRITE] SELECT completed',
  ]);
  t.same(await command(a, '92 UID fetch 1:* (FLAGS)'), ['* 1 FETCH (UID 1 FLAGS (\\Flagged $label1 \\Seen Junk \\Recent))', '92 OK UID FETCH completed']);
});

t.test('a draft saved twice: APPEND UTF8 literal8, then the older copy removed with UID EXPUNGE', async (t) => {
  const h = await startServer(t);
  const drafts = await thunderbirdConnection(t, h, 18);
  await select(drafts, '21 select "Drafts"');
  const validity = await uidValidity(h, 'Drafts');
  const first = sampleMessage('Draft', 'A draft.');
  const second = sampleMessage('Draft', 'A draft. Edited.');
  t.same(await drafts.command(`26 append "Drafts" (\\Draft) UTF8 (~{${first.length}+}\r\n${first})`), [
    '* 1 EXISTS',
    '* 1 RECENT',
    `26 OK [APPENDUID ${validity} 1] APPEND completed`,
  ]);
  t.same(await command(drafts, '30 UID fetch 1:* (FLAGS)'), ['* 1 FETCH (UID 1 FLAGS (\\Draft \\Recent))', '30 OK UID FETCH completed']);
  t.same(await drafts.command(`33 append "Drafts" (\\Draft) UTF8 (~{${second.length}+}\r\n${second})`), [
    '* 2 EXISTS',
    '* 2 RECENT',
    `33 OK [APPENDUID ${validity} 2] APPEND completed`,
  ]);
  t.same(await command(drafts, '37 UID fetch 2:* (FLAGS)'), ['* 2 FETCH (UID 2 FLAGS (\\Draft \\Recent))', '37 OK UID FETCH completed']);
  const headers = await command(drafts, `38 UID fetch 1:2 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (${HEADER_FIELDS})])`);
  t.equal(headers.length, 3);
  t.match(headers[0], `* 1 FETCH (UID 1 RFC822.SIZE ${first.length} FLAGS (\\Draft \\Recent) BODY[HEADER.FIELDS (${HEADER_FIELDS})] {`);
  t.match(headers[1], `* 2 FETCH (UID 2 RFC822.SIZE ${second.length} FLAGS (\\Draft \\Recent) BODY[HEADER.FIELDS (${HEADER_FIELDS})] {`);
  t.same(await command(drafts, '39 uid store 1 +Flags (\\Seen \\Deleted)'), ['* 1 FETCH (UID 1 FLAGS (\\Draft \\Seen \\Deleted \\Recent))', '39 OK UID STORE completed']);
  t.same(await drafts.command('40 uid expunge 1'), ['* 1 EXPUNGE', '40 OK UID EXPUNGE completed']);
  t.same(await drafts.command('41 UID fetch 1 (UID RFC822.SIZE BODY.PEEK[])'), ['41 OK UID FETCH completed']);
  t.same(await command(drafts, '42 UID fetch 1:* (FLAGS)'), ['* 1 FETCH (UID 2 FLAGS (\\Draft \\Recent))', '42 OK UID FETCH completed']);
});

t.test('a folder named "Privé Ω": create, rename, delete into Trash, empty Trash', async (t) => {
  const h = await startServer(t);
  const a = await thunderbirdConnection(t, h, 51);
  await h.store.append(USER, 'Trash', Buffer.from(sampleMessage('Deleted earlier')));
  t.same(await a.command('70 create "Privé Ω"'), ['70 OK CREATE completed']);
  t.same(await a.command('71 subscribe "Privé Ω"'), ['71 OK SUBSCRIBE completed']);
  t.same(await a.command('72 list "" "Privé Ω"'), ['* LIST (\\HasNoChildren) "/" "Privé Ω"', '72 OK LIST completed']);
  // Rename: Thunderbird first looks for subscribed children, then renames and moves the subscription.
  t.same(await a.command('73 list (subscribed) "" "Privé Ω/*" return (special-use)'), ['73 OK LIST completed']);
  t.same(await a.command('74 rename "Privé Ω" "Privé Ω 2"'), ['74 OK RENAME completed']);
  t.same(await a.command('75 subscribe "Privé Ω 2"'), ['75 OK SUBSCRIBE completed']);
  t.same(await a.command('76 unsubscribe "Privé Ω"'), ['76 OK UNSUBSCRIBE completed']);
  t.same(await a.command('77 list "" "Privé Ω 2"'), ['* LIST (\\HasNoChildren) "/" "Privé Ω 2"', '77 OK LIST completed']);
  // Delete: an IMAP folder goes to Trash by RENAME.
  t.same(await a.command('79 list (subscribed) "" "Privé Ω 2/*" return (special-use)'), ['79 OK LIST completed']);
  t.same(await a.command('80 rename "Privé Ω 2" "Trash/Privé Ω 2"'), ['80 OK RENAME completed']);
  t.same(await a.command('81 subscribe "Trash/Privé Ω 2"'), ['81 OK SUBSCRIBE completed']);
  t.same(await a.command('82 unsubscribe "Privé Ω 2"'), ['82 OK UNSUBSCRIBE completed']);
  t.same(await a.command('78 list "" "Trash"'), ['* LIST (\\HasChildren \\Trash) "/" "Trash"', '78 OK LIST completed']);
  // Empty Trash: flag everything deleted, expunge, delete the subfolders, close.
  const trash = await select(a, '83 select "Trash"');
  t.same(trash.slice(-1), ['83 OK [READ-WRITE] SELECT completed']);
  t.ok(trash.includes('* 1 EXISTS'));
  t.same(await a.command('84 store 1:* +FLAGS.SILENT (\\Deleted)'), ['84 OK STORE completed']);
  t.same(await a.command('85 expunge'), ['* 1 EXPUNGE', '85 OK EXPUNGE completed']);
  t.same(await command(a, '86 list "" "Trash/*"'), ['* LIST (\\HasNoChildren) "/" "Trash/Privé Ω 2"', '86 OK LIST completed']);
  t.same(await a.command('87 delete "Trash/Privé Ω 2"'), ['87 OK DELETE completed']);
  t.same(await a.command('88 unsubscribe "Trash/Privé Ω 2"'), ['88 OK UNSUBSCRIBE completed']);
  t.same(await a.command('89 close'), ['89 OK CLOSE completed']);
  t.same(await a.command('90 list "" "Trash/*"'), ['90 OK LIST completed']);
  t.same(await a.command('91 STATUS "Trash" (MESSAGES)'), ['* STATUS "Trash" (MESSAGES 0)', '91 OK STATUS completed']);
});

t.test('a folder connection selected before a MOVE into it learns of the message when IDLE starts', async (t) => {
  const h = await startServer(t);
  const a = await thunderbirdConnection(t, h, 36);
  const inbox = await thunderbirdConnection(t, h, 66);
  await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage('Pushed by SMTP')));
  t.same(await a.command('62 create "Filed"'), ['62 OK CREATE completed']);
  const filed = await select(a, '81 select "Filed"');
  t.ok(filed.includes('* 0 EXISTS'));
  await select(inbox, '69 select "INBOX"');
  const validity = await uidValidity(h, 'Filed');
  t.same(await inbox.command('112 uid move 1 "Filed"'), [`* OK [COPYUID ${validity} 1 1] Moved`, '* 1 EXPUNGE', '112 OK UID MOVE completed']);
  a.sendLine('83 IDLE');
  t.equal(await a.readLine(), '+ idling');
  t.equal(await a.readLine(), '* 1 EXISTS');
  t.equal(await a.readLine(), '* 1 RECENT');
  a.sendLine('DONE');
  t.same(await a.until('83'), ['83 OK IDLE terminated']);
  t.same(await command(a, '86 UID fetch 1:* (FLAGS)'), ['* 1 FETCH (UID 1 FLAGS (\\Recent))', '86 OK UID FETCH completed']);
});
