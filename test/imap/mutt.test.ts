/**
 * mutt 2.2.12 (Debian 12, GnuTLS + GNU SASL) against Bridgehead, replayed on raw sockets: the
 * commands mutt sent in recorded sessions (its `-d 4` log, driven by tools/mutt/run.sh), in its
 * order, spelling and pipelining, with the exact replies it got.
 *
 * What mutt relies on (imap/command.c, imap/imap.c, imap/message.c):
 * - it pipelines up to $imap_pipeline_depth (15) commands in one write: `ENABLE` + `LIST "" ""`,
 *   `STATUS "Drafts" (MESSAGES)` + `SELECT`, one `UID STORE +FLAGS.SILENT` per flag at sync, and
 *   after IDLE `DONE` followed by the next command in the same write;
 * - it has no MOVE/UIDPLUS logic: save = `UID COPY`, then `UID STORE +FLAGS.SILENT (\Deleted)` and
 *   `EXPUNGE` at sync; a missing target must answer `NO [TRYCREATE]` so that it offers CREATE;
 * - headers come by sequence range with its own HEADER.FIELDS list; bodies by `UID FETCH n
 *   BODY.PEEK[]`; the Fcc copy is `APPEND "Sent" (\Seen) "date" {n}` with a synchronizing literal;
 * - the "Old" state is the keyword `Old` (PERMANENTFLAGS must allow keywords, `\*`);
 * - with $imap_qresync it reopens with `UID FETCH 1:<uidnext-1> (FLAGS) (CHANGEDSINCE m VANISHED)`
 *   after `SELECT ... (CONDSTORE)`, never SELECT's QRESYNC parameter.
 */
import t, { type Test } from 'tap';
import { formatDateTime } from '../../src/imap/fetch/index.js';
import { PASSWORD, POST_LOGIN_CAPABILITIES as POST_LOGIN, PRE_TLS_CAPABILITIES as PRE_TLS, USER, startServer, type Harness } from './harness.js';

/** mutt's header list ($imap_headers empty), imap/message.c. */
const MUTT_HEADERS = 'DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL';
const HEADER_FETCH = `(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (${MUTT_HEADERS})])`;
const DELIVERED_AT = Date.UTC(2026, 10, 24, 4, 28, 54);
const b64 = (text: string) => Buffer.from(text).toString('base64');

interface TestMessage {
  raw: string;
  /** What BODY[HEADER.FIELDS (mutt's list)] returns: the matching lines, then the blank line. */
  headerFields: string;
}

function plainMessage(n: number): TestMessage {
  const fields = [
    'From: Bob Sender <bob@remote.example>',
    `To: ${USER}`,
    `Subject: Plain message ${n}`,
    'Date: Tue, 24 Nov 2026 04:28:54 +0000',
    `Message-ID: <plain-${n}@remote.example>`,
    'Content-Type: text/plain; charset="utf-8"',
  ];
  const raw = [...fields, 'Content-Transfer-Encoding: 7bit', 'MIME-Version: 1.0', '', 'Hello Alice,', '', `this is plain message number ${n}.`, ''].join('\r\n');
  return { raw, headerFields: `${fields.join('\r\n')}\r\n\r\n` };
}

/** The multipart message with a non-ASCII subject and a PDF attachment, as Python's email builds it. */
function multipartMessage(): TestMessage {
  const boundary = '===============0545501515281555839==';
  const fields = [
    'From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@remote.example>',
    `To: Alice <${USER}>`,
    'Subject: =?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4g4oCTIFJlY2hudW5nIOKEliA0MiDinJM=?=',
    'Date: Tue, 24 Nov 2026 04:28:54 +0000',
    'Message-ID: <multi-1@remote.example>',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ];
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
  const raw = [
    ...fields,
    'MIME-Version: 1.0',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset="utf-8"',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Hallo Alice,',
    '',
    'anbei die Rechnung. Schöne Grüße!',
    '',
    `--${boundary}`,
    'Content-Type: application/pdf',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="Rechnung-42.pdf"',
    'MIME-Version: 1.0',
    '',
    ...(pdf.toString('base64').match(/.{1,76}/g) ?? []),
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { raw, headerFields: `${fields.join('\r\n')}\r\n\r\n` };
}

const octets = (text: string) => Buffer.byteLength(text);

/**
 * Replies with the RECENT counts masked: which session first sees a message \Recent is not what
 * this transcript pins down; mutt reads RECENT only for $mail_check_recent's first check.
 * Messages mutt is the first to see do show \Recent in FLAGS (RFC 3501 §2.3.2).
 */
const maskRecent = (lines: string[]) => lines.map((line) => line.replace(/^\* \d+ RECENT$/, '* n RECENT').replace(/ RECENT \d+\)$/, ' RECENT n)'));

/** mutt's reply line for one message of its header fetch. */
function headerFetchReply(seq: number, uid: number, message: TestMessage, flags = '', internalDate = DELIVERED_AT): string {
  return (
    `* ${seq} FETCH (UID ${uid} FLAGS (${flags}) INTERNALDATE "${formatDateTime(internalDate)}" RFC822.SIZE ${octets(message.raw)} ` +
    `BODY[HEADER.FIELDS (${MUTT_HEADERS})] {${octets(message.headerFields)}}\r\n${message.headerFields})`
  );
}

async function deliver(h: Harness, mailbox: string, message: TestMessage): Promise<void> {
  await h.store.append(USER, mailbox, Buffer.from(message.raw), { internalDate: DELIVERED_AT });
}

/** Greeting, mutt's AUTHENTICATE PLAIN with an initial response (GNU SASL), and its CAPABILITY. */
async function muttLogin(t: Test, h: Harness) {
  const c = await h.client();
  t.equal(c.greeting, `* OK [CAPABILITY ${PRE_TLS}] Bridgehead ready`);
  t.same(await c.command(`a0000 AUTHENTICATE PLAIN ${b64(`${USER}\0${USER}\0${PASSWORD}`)}`), [`a0000 OK [CAPABILITY ${POST_LOGIN}] Logged in`]);
  t.same(await c.command('a0001 CAPABILITY'), [`* CAPABILITY ${POST_LOGIN}`, 'a0001 OK CAPABILITY completed']);
  return c;
}

t.test('mutt with the default muttrc: read, flag, save, delete and sync, Fcc, folders, new mail', async (t) => {
  const h = await startServer(t);
  const messages = [plainMessage(1), multipartMessage(), plainMessage(2), plainMessage(3)];
  for (const message of messages) await deliver(h, 'INBOX', message);
  const validity = async (name: string) => (await h.store.getMailbox(USER, name))!.uidValidity;
  const inboxValidity = await validity('INBOX');

  const c = await muttLogin(t, h);
  c.write('a0002 ENABLE UTF8=ACCEPT\r\na0003 LIST "" ""\r\n');
  t.same(await c.until('a0003'), ['* ENABLED UTF8=ACCEPT', 'a0002 OK ENABLE completed', '* LIST (\\Noselect) "/" ""', 'a0003 OK LIST completed']);

  // Opening INBOX: the postponed count is asked in the same write as SELECT.
  c.write('a0004 STATUS "Drafts" (MESSAGES)\r\na0005 SELECT "INBOX"\r\n');
  t.same(maskRecent(await c.until('a0005')), [
    '* STATUS "Drafts" (MESSAGES 0)',
    'a0004 OK STATUS completed',
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted',
    '* 4 EXISTS',
    '* n RECENT',
    '* OK [UNSEEN 1] First unseen',
    `* OK [UIDVALIDITY ${inboxValidity}] UIDs valid`,
    '* OK [UIDNEXT 5] Predicted next UID',
    '* OK [HIGHESTMODSEQ 5] Highest',
    'a0005 OK [READ-WRITE] SELECT completed',
  ]);
  t.same(await c.command(`a0006 FETCH 1:4 ${HEADER_FETCH}`), [
    ...messages.map((message, index) => headerFetchReply(index + 1, index + 1, message, '\\Recent')),
    'a0006 OK FETCH completed',
  ]);
  t.same(await c.command('a0007 NOOP'), ['a0007 OK NOOP completed'], 'the $timeout check while the index is shown');

  // Reading a message (and the multipart one, whose attachments mutt parses itself) never sets \Seen.
  for (const [tag, uid] of [['a0008', 1], ['a0009', 2]] as const) {
    const raw = messages[uid - 1].raw;
    t.same(await c.command(`${tag} UID FETCH ${uid} BODY.PEEK[]`), [
      `* ${uid} FETCH (UID ${uid} BODY[] {${octets(raw)}}\r\n${raw})`,
      `${tag} OK UID FETCH completed`,
    ]);
  }

  // `s` to =Archive: mutt checks the target, copies, and marks the source deleted locally only.
  const archiveValidity = await validity('Archive');
  t.same(await c.command('a0010 STATUS "Archive" (UIDVALIDITY)'), [`* STATUS "Archive" (UIDVALIDITY ${archiveValidity})`, 'a0010 OK STATUS completed']);
  t.same(await c.command('a0011 UID COPY 4 "Archive"'), [`a0011 OK [COPYUID ${archiveValidity} 4 1] UID COPY completed`]);

  // `$`: one UID STORE per flag, pipelined, then EXPUNGE (no UIDPLUS, no MOVE).
  c.write('a0012 UID STORE 3:4 +FLAGS.SILENT (\\Deleted)\r\na0013 UID STORE 2 +FLAGS.SILENT (\\Flagged)\r\na0014 UID STORE 1:2 +FLAGS.SILENT (\\Seen)\r\n');
  t.same(await c.until('a0014'), ['a0012 OK UID STORE completed', 'a0013 OK UID STORE completed', 'a0014 OK UID STORE completed']);
  t.same(await c.command('a0015 EXPUNGE'), ['* 4 EXPUNGE', '* 3 EXPUNGE', 'a0015 OK EXPUNGE completed']);
  t.same(await c.command('a0016 FETCH 1:2 (UID FLAGS)'), [
    '* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))',
    '* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen \\Recent))',
    'a0016 OK FETCH completed',
  ], 'the synced flags (a check, not a mutt command)');

  // `c` to another folder: the keyword Old for messages seen as new, then CLOSE.
  t.same(await c.command('a0017 UID STORE 1 +FLAGS.SILENT (Old)'), [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Old)',
    'a0017 OK UID STORE completed',
  ], 'a new keyword is announced even for .SILENT (RFC 3501 §7.2.6)');
  t.same(await c.command('a0018 CLOSE'), ['a0018 OK CLOSE completed']);

  // Sending: after SMTP, the Fcc copy, with a synchronizing literal.
  const sentValidity = await validity('Sent');
  const sent = 'Date: Tue, 24 Nov 2026 04:30:35 +0000\r\nFrom: Alice <alice@example.org>\r\nTo: alice@example.org\r\nSubject: Mutt says hi =?utf-8?B?4oCTIOKckw==?=\r\n\r\nHello me,\r\n';
  t.same(await c.command('a0019 STATUS "Sent" (UIDVALIDITY)'), [`* STATUS "Sent" (UIDVALIDITY ${sentValidity})`, 'a0019 OK STATUS completed']);
  c.write(`a0020 APPEND "Sent" (\\Seen) "24-Nov-2026 04:30:35 +0000" {${octets(sent)}}\r\n`);
  t.equal(await c.readLine(), '+ Ready for literal');
  c.write(`${sent}\r\n`);
  t.same(await c.until('a0020'), [`a0020 OK [APPENDUID ${sentValidity} 1] APPEND completed`]);

  // Saving to a folder that does not exist: TRYCREATE makes mutt ask, then CREATE and copy again.
  c.write('a0021 STATUS "Drafts" (MESSAGES)\r\na0022 SELECT "INBOX"\r\n');
  t.same((await c.until('a0022')).at(-1), 'a0022 OK [READ-WRITE] SELECT completed');
  t.same(await c.command('a0023 STATUS "Projekte/Köln" (UIDVALIDITY)'), ['a0023 NO [NONEXISTENT] No such mailbox']);
  t.same(await c.command('a0024 UID COPY 2 "Projekte/Köln"'), ['a0024 NO [TRYCREATE] No such mailbox']);
  t.same(await c.command('a0025 CREATE "Projekte/Köln"'), ['a0025 OK CREATE completed']);
  const created = await validity('Projekte/Köln');
  t.same(await c.command('a0026 UID COPY 2 "Projekte/Köln"'), [`a0026 OK [COPYUID ${created} 2 1] UID COPY completed`]);

  // The folder browser (`c` then Tab; `T` for subscribed folders, RFC 5258 RECURSIVEMATCH).
  t.same(await c.command('a0027 LIST "" "%" RETURN (CHILDREN)'), [
    '* LIST (\\HasNoChildren) "/" "INBOX"',
    '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
    '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
    '* LIST (\\HasChildren) "/" "Projekte"',
    '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
    'a0027 OK LIST completed',
  ]);
  t.same(await c.command('a0028 SUBSCRIBE "Projekte/Köln"'), ['a0028 OK SUBSCRIBE completed']);
  t.same(await c.command('a0029 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)'), [
    '* LIST (\\Subscribed \\HasNoChildren) "/" "INBOX"',
    '* LIST (\\Subscribed \\HasNoChildren \\Archive) "/" "Archive"',
    '* LIST (\\Subscribed \\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\Subscribed \\HasNoChildren \\Junk) "/" "Junk"',
    '* LIST (\\HasChildren) "/" "Projekte" ("CHILDINFO" ("SUBSCRIBED"))',
    '* LIST (\\Subscribed \\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\Subscribed \\HasNoChildren \\Trash) "/" "Trash"',
    'a0029 OK LIST completed',
  ]);
  t.same(await c.command('a0030 LIST "" "Projekte/%" RETURN (CHILDREN)'), ['* LIST (\\HasNoChildren) "/" "Projekte/Köln"', 'a0030 OK LIST completed']);

  // New mail while the index is open: the next NOOP ($mail_check) reports it; mutt fetches its headers.
  const late = plainMessage(4);
  await deliver(h, 'INBOX', late);
  t.same(await c.command('a0031 NOOP'), ['* 3 EXISTS', '* 1 RECENT', 'a0031 OK NOOP completed']);
  t.same(await c.command(`a0032 FETCH 3:3 ${HEADER_FETCH}`), [headerFetchReply(3, 5, late, '\\Recent'), 'a0032 OK FETCH completed']);

  // Server-side search (`l =b Grüße | =h "From: Müller"`): UTF-8 without CHARSET after ENABLE UTF8=ACCEPT.
  t.same(await c.command('a0033 UID SEARCH (OR BODY "Grüße" HEADER "From" "Müller")'), ['* SEARCH 2', 'a0033 OK UID SEARCH completed']);

  t.same(await c.command('a0034 CLOSE'), ['a0034 OK CLOSE completed']);
  t.same(await c.command('a0035 LOGOUT'), ['* BYE Logging out', 'a0035 OK LOGOUT completed']);
  const archive = (await h.store.getMailbox(USER, 'Archive'))!;
  t.equal(archive.messages, 1, 'the saved message is in Archive');
});

t.test('mutt with imap_idle, header_cache, imap_condstore, imap_qresync and imap_deflate', async (t) => {
  const h = await startServer(t);
  const first = [plainMessage(1), plainMessage(2)];
  for (const message of first) await deliver(h, 'INBOX', message);
  const inboxValidity = (await h.store.getMailbox(USER, 'INBOX'))!.uidValidity;
  const archiveValidity = (await h.store.getMailbox(USER, 'Archive'))!.uidValidity;
  const sentValidity = (await h.store.getMailbox(USER, 'Sent'))!.uidValidity;

  const c = await muttLogin(t, h);
  t.same(await c.command('a0002 COMPRESS DEFLATE'), ['a0002 OK DEFLATE active']);
  c.startCompression();
  c.write('a0003 ENABLE UTF8=ACCEPT\r\na0004 ENABLE QRESYNC\r\na0005 LIST "" ""\r\n');
  t.same(await c.until('a0005'), [
    '* ENABLED UTF8=ACCEPT',
    'a0003 OK ENABLE completed',
    '* ENABLED QRESYNC',
    'a0004 OK ENABLE completed',
    '* LIST (\\Noselect) "/" ""',
    'a0005 OK LIST completed',
  ]);
  c.write('a0006 STATUS "Drafts" (MESSAGES)\r\na0007 SELECT "INBOX" (CONDSTORE)\r\n');
  t.same(maskRecent(await c.until('a0007')), [
    '* STATUS "Drafts" (MESSAGES 0)',
    'a0006 OK STATUS completed',
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted',
    '* 2 EXISTS',
    '* n RECENT',
    '* OK [UNSEEN 1] First unseen',
    `* OK [UIDVALIDITY ${inboxValidity}] UIDs valid`,
    '* OK [UIDNEXT 3] Predicted next UID',
    '* OK [HIGHESTMODSEQ 3] Highest',
    'a0007 OK [READ-WRITE] SELECT completed',
  ]);
  t.same(await c.command(`a0008 FETCH 1:2 ${HEADER_FETCH}`), [
    headerFetchReply(1, 1, first[0], '\\Recent'),
    headerFetchReply(2, 2, first[1], '\\Recent'),
    'a0008 OK FETCH completed',
  ]);
  // The $mailboxes poll, pipelined, before going idle.
  c.write('a0009 STATUS "Archive" (UIDNEXT UIDVALIDITY UNSEEN RECENT)\r\na0010 STATUS "Sent" (UIDNEXT UIDVALIDITY UNSEEN RECENT)\r\n');
  t.same(maskRecent(await c.until('a0010')), [
    `* STATUS "Archive" (UIDNEXT 1 UIDVALIDITY ${archiveValidity} UNSEEN 0 RECENT n)`,
    'a0009 OK STATUS completed',
    `* STATUS "Sent" (UIDNEXT 1 UIDVALIDITY ${sentValidity} UNSEEN 0 RECENT n)`,
    'a0010 OK STATUS completed',
  ]);

  // New mail is pushed during IDLE; mutt ends IDLE and fetches the headers in the same write.
  c.sendLine('a0011 IDLE');
  t.equal(await c.readLine(), '+ idling');
  const late = plainMessage(3);
  await deliver(h, 'INBOX', late);
  t.equal(await c.readLine(), '* 3 EXISTS');
  t.equal(await c.readLine(), '* 3 RECENT');
  c.write(`DONE\r\na0012 FETCH 3:3 ${HEADER_FETCH}\r\n`);
  t.same(await c.until('a0012'), ['a0011 OK IDLE terminated', headerFetchReply(3, 3, late, '\\Recent'), 'a0012 OK FETCH completed']);

  // `$` after `d` and `F`, leaving IDLE: with CONDSTORE on, .SILENT still reports MODSEQ (RFC 7162 §3.1.3);
  // with QRESYNC on, EXPUNGE is reported as VANISHED (RFC 7162 §3.2.10).
  c.sendLine('a0013 IDLE');
  t.equal(await c.readLine(), '+ idling');
  c.write('DONE\r\na0014 UID STORE 3 +FLAGS.SILENT (\\Deleted)\r\na0015 UID STORE 1 +FLAGS.SILENT (\\Flagged)\r\n');
  t.same(await c.until('a0015'), [
    'a0013 OK IDLE terminated',
    '* 3 FETCH (UID 3 MODSEQ (5))',
    'a0014 OK UID STORE completed',
    '* 1 FETCH (UID 1 MODSEQ (6))',
    'a0015 OK UID STORE completed',
  ]);
  t.same(await c.command('a0016 EXPUNGE'), ['* VANISHED 3', 'a0016 OK [HIGHESTMODSEQ 7] EXPUNGE completed']);
  t.same(await c.command('a0017 CLOSE'), ['a0017 OK CLOSE completed']);
  t.same(await c.command('a0018 LOGOUT'), ['* BYE Logging out', 'a0018 OK LOGOUT completed']);

  // Meanwhile another client flags message 2 and delivers one more.
  const other = await h.loggedIn();
  await other.command('o1 SELECT INBOX');
  await other.command('o2 UID STORE 2 +FLAGS.SILENT (\\Answered)');
  const later = plainMessage(4);
  await deliver(h, 'INBOX', later);

  // Reopening with the header cache (uidvalidity, uidnext 4, modseq 7): flag changes and expunges since.
  const d = await muttLogin(t, h);
  c.destroy();
  d.write('a0002 ENABLE UTF8=ACCEPT\r\na0003 ENABLE QRESYNC\r\na0004 LIST "" ""\r\n');
  t.same((await d.until('a0004')).at(-1), 'a0004 OK LIST completed');
  d.write('a0005 STATUS "Drafts" (MESSAGES)\r\na0006 SELECT "INBOX" (CONDSTORE)\r\n');
  const select = await d.until('a0006');
  t.same(select.filter((line) => /EXISTS|UIDNEXT|HIGHESTMODSEQ/.test(line)), [
    '* 3 EXISTS',
    '* OK [UIDNEXT 5] Predicted next UID',
    '* OK [HIGHESTMODSEQ 9] Highest',
  ]);
  t.same(await d.command('a0007 UID FETCH 1:3 (FLAGS) (CHANGEDSINCE 7 VANISHED)'), [
    '* 2 FETCH (UID 2 FLAGS (\\Answered) MODSEQ (8))',
    'a0007 OK UID FETCH completed',
  ]);
  t.same(await d.command('a0008 UID FETCH 1:3 (FLAGS) (CHANGEDSINCE 4 VANISHED)'), [
    '* VANISHED (EARLIER) 3',
    '* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (6))',
    '* 2 FETCH (UID 2 FLAGS (\\Answered) MODSEQ (8))',
    'a0008 OK UID FETCH completed',
  ], 'an older cache also learns of the expunge');
  t.same(await d.command(`a0009 FETCH 3:3 ${HEADER_FETCH}`), [headerFetchReply(3, 4, later), 'a0009 OK FETCH completed']);
  t.same(await d.command('a0010 LOGOUT'), ['* BYE Logging out', 'a0010 OK LOGOUT completed']);
});
