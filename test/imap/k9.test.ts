/**
 * Thunderbird for Android (K-9 Mail) against Bridgehead, replayed on raw sockets with the
 * command spelling of its IMAP code (thunderbird/thunderbird-android,
 * mail/protocols/imap/src/main/java/com/fsck/k9/mail/store/imap/):
 * - RealImapConnection.kt `open()`: the greeting's [CAPABILITY], `AUTHENTICATE PLAIN` waiting for
 *   "+" (`saslAuthPlain`, no SASL-IR), capabilities from the tagged OK, `COMPRESS DEFLATE`,
 *   `ID ("name" .. "version" ..)`, `ENABLE UTF8=ACCEPT` (Commands.ENABLE), `NAMESPACE`
 *   (`handleNamespace`; `LIST "" ""` only without a delimiter);
 * - RealImapStore.kt `listFolders`: a pooled connection is checked with NOOP, then
 *   `LIST "" "*" RETURN (SPECIAL-USE)` when SPECIAL-USE and LIST-EXTENDED are both advertised;
 * - RealImapFolder.kt: `SELECT`/`EXAMINE` + quoted name, `UID SEARCH a:b NOT DELETED` by sequence
 *   range, `UID SEARCH *:*` for the highest UID, `SEARCH 1:* UNSEEN NOT DELETED` counts,
 *   `UID FETCH <uids, comma separated> (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS
 *   (date subject from content-type to cc bcc reply-to message-id references in-reply-to list-post
 *   list-unsubscribe sender X-K9mail-Identity Chat-Version)] BODYSTRUCTURE BODY.PEEK[]<0.N>)`,
 *   `fetchPart` (`BODY.PEEK[n]`, `BODY.PEEK[TEXT]<0.N>`), `UID STORE .. +FLAGS.SILENT (..)`,
 *   `UID MOVE` (COPYUID read from the untagged OK), `UID COPY`, `UID EXPUNGE`,
 *   `APPEND "box" (flags) {n}` with a synchronizing literal, APPENDUID compared case-sensitively,
 *   and `UID SEARCH HEADER MESSAGE-ID "<id>"` as the fallback;
 * - `parseBodyStructure`: reads the disposition at index 9 for text/*, 8 otherwise, and gives up on
 *   message/rfc822 (caught, the message is then downloaded whole);
 * - RealImapFolderIdler.kt: IDLE on a READ_ONLY (EXAMINE) folder; EXISTS, EXPUNGE or FETCH while
 *   idling makes it send DONE and sync.
 */
import t, { type Test } from 'tap';
import { PASSWORD, POST_LOGIN_CAPABILITIES, PRE_TLS_CAPABILITIES, USER, startServer, type Harness, type TranscriptClient } from './harness.js';
import { ALTERNATIVE, ATTACHMENT, REPLY, parseImapList, type ImapValue, DELIVERED_AT, MESSAGES, b64, octets, headerFields, deliverAll, uidValidity, fixtureInboxOpened } from './client-fixtures.js';
import { formatDateTime } from '../../src/imap/fetch/index.js';

const K9_HEADERS =
  'date subject from content-type to cc bcc reply-to message-id references in-reply-to list-post list-unsubscribe sender X-K9mail-Identity Chat-Version';

/** RealImapConnection.open() with default settings: PLAIN without SASL-IR, compression, ID, ENABLE, NAMESPACE. */
async function k9Connection(t: Test, h: Harness): Promise<TranscriptClient> {
  const c = await h.client();
  t.equal(c.greeting, `* OK [CAPABILITY ${PRE_TLS_CAPABILITIES}] Bridgehead ready`, 'capabilities from the greeting, no CAPABILITY command');
  c.sendLine('1 AUTHENTICATE PLAIN');
  t.equal(await c.readLine(), '+ ');
  c.sendLine(b64(`\0${USER}\0${PASSWORD}`));
  t.same(await c.until('1'), [`1 OK [CAPABILITY ${POST_LOGIN_CAPABILITIES}] Logged in`], 'post-auth capabilities in the tagged OK');
  t.same(await c.command('2 COMPRESS DEFLATE'), ['2 OK DEFLATE active']);
  c.startCompression();
  t.same(await c.command('3 ID ("name" "Thunderbird" "version" "9.0")'), ['* ID ("name" "Bridgehead" "vendor" "Bridgehead")', '3 OK ID completed']);
  t.same(await c.command('4 ENABLE UTF8=ACCEPT'), ['* ENABLED UTF8=ACCEPT', '4 OK ENABLE completed'], 'EnabledResponse needs the untagged ENABLED');
  t.same(await c.command('5 NAMESPACE'), ['* NAMESPACE (("" "/")) NIL NIL', '5 OK NAMESPACE completed'], 'prefix "" and delimiter "/": no LIST "" "" needed');
  return c;
}

/** The K-9 view of one leaf of a BODYSTRUCTURE (RealImapFolder.parseBodyStructure). */
function k9Leaf(bs: ImapValue[]): { mimeType: string; size: string; encoding: string; disposition: ImapValue } {
  const type = String(bs[0]);
  const text = type.toLowerCase() === 'text';
  const disposition = text ? (bs.length > 9 ? bs[9] : null) : bs.length > 8 ? bs[8] : null;
  return { mimeType: `${type}/${String(bs[1])}`.toLowerCase(), size: String(bs[6]), encoding: String(bs[5]), disposition };
}

/** An RFC 2231 extended value (`charset'lang'pct-encoded`) as the client decodes it. */
const decode2231 = (value: string) => decodeURIComponent(value.slice(value.indexOf("'", value.indexOf("'") + 1) + 1));

t.test('connect, folder list, first sync of INBOX: headers, BODYSTRUCTURE by position, partial bodies', async (t) => {
  const h = await startServer(t);
  await deliverAll(h);
  const inboxValidity = await uidValidity(h, 'INBOX');
  const c = await k9Connection(t, h);

  t.same(await c.command('6 NOOP'), ['6 OK NOOP completed'], 'the pooled connection check');
  t.same(await c.command('7 LIST "" "*" RETURN (SPECIAL-USE)'), [
    '* LIST (\\HasNoChildren) "/" "INBOX"',
    '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
    '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
    '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
    '7 OK LIST completed',
  ], 'FolderType from \\Archive \\Drafts \\Sent \\Junk \\Trash');

  t.same(await c.command('8 EXAMINE "INBOX"'), fixtureInboxOpened('8', inboxValidity, { readOnly: true }), 'ImapSync opens READ_ONLY: EXISTS is the message count, UIDVALIDITY and UIDNEXT are read; EXAMINE sees \\Recent without clearing it (RFC 3501 §6.3.2)');
  t.same(await c.command('9 UID SEARCH 1:5 NOT DELETED'), ['* SEARCH 1 2 3 4 5', '9 OK UID SEARCH completed'], 'a sequence range, answered with UIDs');
  t.same(await c.command('10 UID SEARCH *:*'), ['* SEARCH 5', '10 OK UID SEARCH completed'], 'highestUid');
  t.same(await c.command('11 SEARCH 1:* UNSEEN NOT DELETED'), ['* SEARCH 1 2 3 4 5', '11 OK SEARCH completed'], 'unread count');
  t.same(await c.command('12 SEARCH 1:* FLAGGED NOT DELETED'), ['* SEARCH', '12 OK SEARCH completed'], 'flagged count');

  // The envelope window: UIDs newest first, comma separated; replies come in mailbox order.
  const envelope = await c.command(`13 UID FETCH 5,4,3,2,1 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (${K9_HEADERS})])`);
  t.same(envelope, [
    ...MESSAGES.map((raw, index) => {
      const fields = headerFields(raw, K9_HEADERS);
      return (
        `* ${index + 1} FETCH (UID ${index + 1} FLAGS (\\Recent) INTERNALDATE "${formatDateTime(DELIVERED_AT)}" RFC822.SIZE ${octets(raw)} ` +
        `BODY[HEADER.FIELDS (${K9_HEADERS})] {${octets(fields)}}\r\n${fields})`
      );
    }),
    '13 OK UID FETCH completed',
  ], 'the section label echoes the requested list; exact sizes');

  // BODYSTRUCTURE, read by position as parseBodyStructure does.
  const structures = await c.command('14 UID FETCH 5,4,3,2,1 (UID BODYSTRUCTURE)');
  t.equal(structures.length, 6);
  t.equal(structures.at(-1), '14 OK UID FETCH completed');
  const bs = structures.slice(0, 5).map((line) => parseImapList(line, line.indexOf('BODYSTRUCTURE (') + 14));

  const [plain, html, ...alternativeRest] = bs[0];
  t.same([k9Leaf(plain as ImapValue[]), k9Leaf(html as ImapValue[])], [
    { mimeType: 'text/plain', size: '30', encoding: 'QUOTED-PRINTABLE', disposition: null },
    { mimeType: 'text/html', size: '37', encoding: 'QUOTED-PRINTABLE', disposition: null },
  ]);
  t.same(alternativeRest, ['ALTERNATIVE', ['BOUNDARY', 'b1'], null, null, null], 'subtype, then the multipart extension data');

  const pdf = k9Leaf(bs[1][1] as ImapValue[]);
  t.same([pdf.mimeType, pdf.encoding, pdf.size], ['application/pdf', 'BASE64', '74']);
  const pdfDisposition = pdf.disposition as ImapValue[];
  t.equal(pdfDisposition[0], 'ATTACHMENT', 'disposition at index 8 for a non-text part');
  const pdfParams = pdfDisposition[1] as string[];
  t.equal(pdfParams[0], 'FILENAME*');
  t.equal(decode2231(pdfParams[1]), 'Rechnung März.pdf', 'filename* survives as an RFC 2231 value');

  const forwarded = bs[2][1] as ImapValue[];
  t.same(forwarded.slice(0, 2), ['MESSAGE', 'RFC822'], 'message/rfc822: K-9 stops here and downloads the whole message');
  t.same(k9Leaf(bs[2][0] as ImapValue[]).mimeType, 'text/plain');

  t.same(k9Leaf(bs[3]), { mimeType: 'text/plain', size: '8', encoding: '7BIT', disposition: null }, 'a single part: index 9 exists and is NIL');

  const namedText = k9Leaf(bs[4][1] as ImapValue[]);
  const namedDisposition = namedText.disposition as ImapValue[];
  t.equal(namedDisposition[0], 'ATTACHMENT', 'disposition at index 9 for a text part');
  t.equal(decode2231((namedDisposition[1] as string[])[1]), 'Grüße.txt', 'a raw UTF-8 filename arrives intact');

  // Small messages whole, with the download limit as a partial fetch (the reply echoes only the origin).
  const small = ATTACHMENT;
  t.same(await c.command('15 UID FETCH 2 (UID BODY.PEEK[]<0.32768>)'), [
    `* 2 FETCH (UID 2 BODY[]<0> {${octets(small)}}\r\n${small})`,
    '15 OK UID FETCH completed',
  ], 'shorter than the limit: the whole message, labelled <0>');
  t.same(await c.command('16 UID FETCH 1 (UID BODY.PEEK[]<0.300>)'), [
    `* 1 FETCH (UID 1 BODY[]<0> {300}\r\n${ALTERNATIVE.slice(0, 300)})`,
    '16 OK UID FETCH completed',
  ], 'longer than the limit: cut at the limit');
  // fetchPart: a numbered part, and TEXT of a single-part message with the limit.
  t.same(await c.command('17 UID FETCH 2 (UID BODY.PEEK[2])'), [
    '* 2 FETCH (UID 2 BODY[2] {74}\r\nJVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n)',
    '17 OK UID FETCH completed',
  ]);
  t.same(await c.command('18 UID FETCH 4 (UID BODY.PEEK[TEXT]<0.32768>)'), ['* 4 FETCH (UID 4 BODY[TEXT]<0> {8}\r\nDanke!\r\n)', '18 OK UID FETCH completed']);
  t.same(await c.command('19 UID FETCH 5,4,3,2,1 (UID FLAGS)'), [
    ...MESSAGES.map((_, index) => `* ${index + 1} FETCH (UID ${index + 1} FLAGS (\\Recent))`),
    '19 OK UID FETCH completed',
  ], 'PEEK never set \\Seen');
});

t.test('push (IDLE on EXAMINE), flag changes, move, copy, delete, Sent copy, remote search', async (t) => {
  const h = await startServer(t);
  await deliverAll(h);
  const pusher = await k9Connection(t, h);
  const c = await k9Connection(t, h);
  const archiveValidity = await uidValidity(h, 'Archive');
  const sentValidity = await uidValidity(h, 'Sent');

  // The push connection: EXAMINE, then IDLE until something relevant arrives.
  t.same((await pusher.command('6 EXAMINE "INBOX"')).at(-1), '6 OK [READ-ONLY] EXAMINE completed');
  pusher.sendLine('7 IDLE');
  t.equal(await pusher.readLine(), '+ idling', 'a continuation, or K-9 gives up on IDLE');

  // The sync connection opens INBOX read-write and changes flags (setFlags: .SILENT, UID sets).
  t.same((await c.command('6 SELECT "INBOX"')).at(-1), '6 OK [READ-WRITE] SELECT completed');
  t.same(await c.command('7 UID STORE 1,2 +FLAGS.SILENT (\\Seen)'), ['7 OK UID STORE completed'], '.SILENT: no FETCH back');
  t.equal(await pusher.readLine(), '* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))', 'a FETCH is relevant to the idler: it ends IDLE and syncs');
  pusher.sendLine('DONE');
  t.same(await pusher.until('7'), ['* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))', '7 OK IDLE terminated']);

  t.same(await c.command('8 UID STORE 3 +FLAGS.SILENT (\\Flagged $Forwarded)'), ['* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)', '8 OK UID STORE completed'], 'a new keyword is announced (RFC 3501 §7.2.6)');
  t.same(await c.command('9 UID STORE 1 -FLAGS.SILENT (\\Seen)'), ['9 OK UID STORE completed']);
  t.same(await c.command('10 UID FETCH 5,4,3,2,1 (UID FLAGS)'), [
    '* 1 FETCH (UID 1 FLAGS (\\Recent))',
    '* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))',
    '* 3 FETCH (UID 3 FLAGS (\\Flagged $Forwarded \\Recent))',
    '* 4 FETCH (UID 4 FLAGS (\\Recent))',
    '* 5 FETCH (UID 5 FLAGS (\\Recent))',
    '10 OK UID FETCH completed',
  ], 'the flag sync K-9 reads (\\Deleted \\Answered \\Seen \\Flagged $Forwarded \\Draft)');

  // Move to Archive: COPYUID comes in an untagged OK before the EXPUNGE (RFC 6851 §4.3).
  t.same(await c.command('11 UID MOVE 3 "Archive"'), [`* OK [COPYUID ${archiveValidity} 3 1] Moved`, '* 3 EXPUNGE', '11 OK UID MOVE completed']);
  t.same(await c.command('12 UID COPY 2 "Archive"'), [`12 OK [COPYUID ${archiveValidity} 2 2] UID COPY completed`]);
  // Delete with "expunge immediately": \Deleted, then UID EXPUNGE of just those UIDs.
  t.same(await c.command('13 UID STORE 4 +FLAGS.SILENT (\\Deleted)'), ['13 OK UID STORE completed']);
  t.same(await c.command('14 UID EXPUNGE 4'), ['* 3 EXPUNGE', '14 OK UID EXPUNGE completed']);
  t.same(await c.command('15 UID SEARCH 1:3 NOT DELETED'), ['* SEARCH 1 2 5', '15 OK UID SEARCH completed']);

  // The idler comes back with EXAMINE + IDLE and hears of the new message.
  t.same((await pusher.command('8 NOOP')).at(-1), '8 OK NOOP completed');
  pusher.sendLine('9 IDLE');
  t.equal(await pusher.readLine(), '+ idling');
  await h.store.append(USER, 'INBOX', Buffer.from(REPLY.replace('reply-1', 'reply-2')), { internalDate: DELIVERED_AT });
  t.equal(await pusher.readLine(), '* 4 EXISTS', 'EXISTS is relevant');
  pusher.sendLine('DONE');
  // Which session sees the new message as \Recent is not what K-9 reads (it ignores RECENT).
  const withoutRecent = (lines: string[]) => lines.filter((line) => !/^\* \d+ RECENT$/.test(line));
  t.same(withoutRecent(await pusher.until('9')), ['9 OK IDLE terminated']);
  t.same(withoutRecent(await c.command('16 NOOP')), ['* 4 EXISTS', '16 OK NOOP completed']);
  t.same(await c.command('17 UID SEARCH 4:4 NOT DELETED'), ['* SEARCH 6', '17 OK UID SEARCH completed'], 'the new message by its sequence number');

  // Mark all as read: setFlagsForAllMessages.
  t.same(await c.command('18 UID STORE 1:* +FLAGS.SILENT (\\Seen)'), ['18 OK UID STORE completed']);
  t.same(await c.command('19 SEARCH 1:* UNSEEN NOT DELETED'), ['* SEARCH', '19 OK SEARCH completed']);

  // Remote search: UidSearchCommandBuilder, raw UTF-8 in quoted strings after ENABLE UTF8=ACCEPT.
  const search = (text: string) => `UID SEARCH OR OR OR OR SUBJECT "${text}" FROM "${text}" TO "${text}" CC "${text}" BCC "${text}" NOT DELETED`;
  t.same(await c.command(`20 ${search('café')}`), ['* SEARCH 5', '20 OK UID SEARCH completed'], 'a raw UTF-8 Subject');
  t.same(await c.command(`21 ${search('Jörg')}`), ['* SEARCH 1 6', '21 OK UID SEARCH completed'], 'encoded words in From and To are decoded');
  t.same(await c.command('22 UID SEARCH TEXT "Schöne"'), ['* SEARCH 1', '22 OK UID SEARCH completed'], 'TEXT matches the decoded quoted-printable body');

  // The Sent copy: APPEND with a synchronizing literal, flags in parentheses.
  const sent = REPLY.replace('reply-1', 'sent-1');
  c.write(`23 APPEND "Sent" (\\Seen) {${octets(sent)}}\r\n`);
  t.equal(await c.readLine(), '+ Ready for literal');
  c.write(`${sent}\r\n`);
  t.same(await c.until('23'), [`23 OK [APPENDUID ${sentValidity} 1] APPEND completed`], 'APPENDUID in upper case: K-9 compares with ==');
  // Without APPENDUID, K-9 finds it by Message-ID in the selected folder.
  t.same((await c.command('24 SELECT "Sent"')).at(-1), '24 OK [READ-WRITE] SELECT completed');
  t.same(await c.command('25 UID SEARCH HEADER MESSAGE-ID "<sent-1@example.org>"'), ['* SEARCH 1', '25 OK UID SEARCH completed']);
});
