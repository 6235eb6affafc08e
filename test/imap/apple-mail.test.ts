/**
 * Apple Mail (iOS 18 / macOS) against Bridgehead. There is no source: the sequence and spelling
 * follow the raw iOS 18 session in stalwartlabs/stalwart#765 (`A1 AUTHENTICATE PLAIN <ir>` with
 * SASL-IR, `ID`, `LIST`, `A5 SELECT "INBOX" (CONDSTORE)`) and the reports in /work/shared/CLIENTS.md
 * §1 "Apple Mail / iOS Mail":
 * - FETCH items whose section label does not echo the requested HEADER.FIELDS list (in Apple's
 *   lower-case spelling) are dropped and the message list stays empty (spartanz51/tutabridge#15);
 * - `UID FETCH 1:* (FLAGS) (CHANGEDSINCE 0)` from iPhone Mail (modern-email/defects#29);
 * - special-use attributes expected in plain `LIST "" "*"` replies (cyrusimap/cyrus-imapd#1514),
 *   and every folder listed whatever the subscriptions (openradar 21401308);
 * - an empty personal namespace prefix with "/" (scanner/asimap#427, #435);
 * - bodies in partial chunks, where the last chunk is short and one past the end is empty
 *   (Progressiverobot/hmailserver#26; RFC 3501 §6.4.5).
 */
import t, { type Test } from 'tap';
import { PASSWORD, POST_LOGIN_CAPABILITIES, USER, startServer, type Harness, type TranscriptClient } from './harness.js';
import { REPLY, DELIVERED_AT, MESSAGES, b64, octets, headerFields, deliverAll, uidValidity, fixtureInboxOpened } from './client-fixtures.js';
import { formatDateTime } from '../../src/imap/fetch/index.js';

const APPLE_HEADERS = 'date subject from to cc message-id in-reply-to references x-priority x-uniform-type-identifier x-universally-unique-identifier';

async function appleLogin(t: Test, h: Harness): Promise<TranscriptClient> {
  const c = await h.client();
  t.same(await c.command(`A1 AUTHENTICATE PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`), [`A1 OK [CAPABILITY ${POST_LOGIN_CAPABILITIES}] Logged in`]);
  t.same(await c.command('A2 ID ("name" "iPhone Mail" "version" "22B83" "os" "iOS" "os-version" "18.1 (22B83)")'), [
    '* ID ("name" "Bridgehead" "vendor" "Bridgehead")',
    'A2 OK ID completed',
  ]);
  return c;
}

t.test('account setup and first sync: namespace, all folders, CONDSTORE select, header list, chunks', async (t) => {
  const h = await startServer(t);
  await deliverAll(h);
  await h.store.createMailbox(USER, 'Projects');
  const inboxValidity = await uidValidity(h, 'INBOX');
  const sentValidity = await uidValidity(h, 'Sent');
  const c = await appleLogin(t, h);

  t.same(await c.command('A3 NAMESPACE'), ['* NAMESPACE (("" "/")) NIL NIL', 'A3 OK NAMESPACE completed'], 'an empty prefix, not a root mailbox to create');
  t.same(await c.command('A4 LIST "" ""'), ['* LIST (\\Noselect) "/" ""', 'A4 OK LIST completed'], 'the delimiter query (RFC 3501 §6.3.8)');
  t.same(await c.command('A5 LIST "" "*"'), [
    '* LIST (\\HasNoChildren) "/" "INBOX"',
    '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
    '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
    '* LIST (\\HasNoChildren) "/" "Projects"',
    '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
    'A5 OK LIST completed',
  ], 'special-use attributes without RETURN (SPECIAL-USE), unsubscribed folders included');
  t.same(await c.command('A6 STATUS "Sent" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ)'), [
    `* STATUS "Sent" (MESSAGES 0 UNSEEN 0 UIDNEXT 1 UIDVALIDITY ${sentValidity} HIGHESTMODSEQ 1)`,
    'A6 OK STATUS completed',
  ]);

  t.same(await c.command('A7 SELECT "INBOX" (CONDSTORE)'), fixtureInboxOpened('A7', inboxValidity, { readOnly: false }));
  t.same(await c.command('A8 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 0)'), [
    ...MESSAGES.map((_, index) => `* ${index + 1} FETCH (UID ${index + 1} FLAGS (\\Recent) MODSEQ (${index + 2}))`),
    'A8 OK UID FETCH completed',
  ], 'CHANGEDSINCE 0: every message, with MODSEQ');

  const list = await c.command(`A9 UID FETCH 1:5 (UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (${APPLE_HEADERS})])`);
  t.same(list, [
    ...MESSAGES.map((raw, index) => {
      const fields = headerFields(raw, APPLE_HEADERS);
      return (
        `* ${index + 1} FETCH (UID ${index + 1} FLAGS (\\Recent) RFC822.SIZE ${octets(raw)} INTERNALDATE "${formatDateTime(DELIVERED_AT)}" ` +
        `BODY[HEADER.FIELDS (${APPLE_HEADERS})] {${octets(fields)}}\r\n${fields})`
      );
    }),
    'A9 OK UID FETCH completed',
  ], 'the label echoes the request exactly, lower case and unknown fields included');

  // The attachment in 64-octet chunks: full, short, then empty past the end.
  const part = 'JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n';
  t.same(await c.command('A10 UID FETCH 2 (BODY.PEEK[2]<0.64>)'), [`* 2 FETCH (UID 2 BODY[2]<0> {64}\r\n${part.slice(0, 64)})`, 'A10 OK UID FETCH completed']);
  t.same(await c.command('A11 UID FETCH 2 (BODY.PEEK[2]<64.64>)'), [`* 2 FETCH (UID 2 BODY[2]<64> {${part.length - 64}}\r\n${part.slice(64)})`, 'A11 OK UID FETCH completed'], 'the short last chunk tells the client it is done');
  t.same(await c.command('A12 UID FETCH 2 (BODY.PEEK[2]<128.64>)'), ['* 2 FETCH (UID 2 BODY[2]<128> "")', 'A12 OK UID FETCH completed'], 'past the end: an empty string');
  t.same(await c.command('A13 UID FETCH 1 (BODY.PEEK[1.MIME] BODY.PEEK[1]<0.10>)'), [
    '* 1 FETCH (UID 1 BODY[1.MIME] {88}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n BODY[1]<0> {10}\r\nSch=C3=B6n)',
    'A13 OK UID FETCH completed',
  ], 'the part header and a preview chunk in one FETCH');
});

t.test('flag changes seen through CHANGEDSINCE, IDLE, draft, move to Trash', async (t) => {
  const h = await startServer(t);
  await deliverAll(h);
  const trashValidity = await uidValidity(h, 'Trash');
  const draftsValidity = await uidValidity(h, 'Drafts');
  const phone = await appleLogin(t, h);
  const mac = await appleLogin(t, h);
  t.same((await phone.command('A3 SELECT "INBOX" (CONDSTORE)')).at(-1), 'A3 OK [READ-WRITE] SELECT completed');
  t.same((await mac.command('A3 SELECT "INBOX" (CONDSTORE)')).at(-1), 'A3 OK [READ-WRITE] SELECT completed');

  // The Mac reads and flags; the phone resynchronizes from its last HIGHESTMODSEQ (6).
  t.same(await mac.command('A4 UID STORE 1 +FLAGS.SILENT (\\Seen)'), ['* 1 FETCH (UID 1 MODSEQ (7))', 'A4 OK UID STORE completed'], 'with CONDSTORE on, .SILENT still reports the new MODSEQ (RFC 7162 §3.1.3)');
  t.same(await mac.command('A5 UID STORE 2 +FLAGS (\\Flagged)'), ['* 2 FETCH (UID 2 MODSEQ (8) FLAGS (\\Flagged))', 'A5 OK UID STORE completed']);
  const changes = ['* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) MODSEQ (7))', '* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent) MODSEQ (8))'];
  t.same(await phone.command('A4 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 6)'), [...changes, ...changes, 'A4 OK UID FETCH completed'], 'the pending unsolicited updates, then only what changed since 6');

  // The phone idles; a message arrives; the phone fetches just the new UID range.
  phone.sendLine('A5 IDLE');
  t.equal(await phone.readLine(), '+ idling');
  await h.store.append(USER, 'INBOX', Buffer.from(REPLY.replace('reply-1', 'reply-2')), { internalDate: DELIVERED_AT });
  t.equal(await phone.readLine(), '* 6 EXISTS');
  phone.sendLine('DONE');
  t.same(await phone.until('A5'), ['* 6 RECENT', 'A5 OK IDLE terminated']);
  t.same(await phone.command('A6 UID FETCH 6:* (UID FLAGS RFC822.SIZE)'), [`* 6 FETCH (UID 6 FLAGS (\\Recent) RFC822.SIZE ${octets(REPLY)})`, 'A6 OK UID FETCH completed']);
  // A draft, then the message moved to Trash.
  const draft = REPLY.replace('reply-1', 'draft-1');
  t.same(await phone.command(`A7 APPEND "Drafts" (\\Seen \\Draft) {${octets(draft)}+}\r\n${draft}`), [`A7 OK [APPENDUID ${draftsValidity} 1] APPEND completed`]);
  t.same(await phone.command('A8 UID MOVE 3 "Trash"'), [`* OK [COPYUID ${trashValidity} 3 1] Moved`, '* 3 EXPUNGE', 'A8 OK UID MOVE completed']);
  t.same(await mac.command('A6 NOOP'), ['* 6 EXISTS', '* 0 RECENT', '* 3 EXPUNGE', 'A6 OK NOOP completed'], 'the other session learns of both, in the order they happened');
});
