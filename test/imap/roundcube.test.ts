/**
 * Roundcube webmail 1.6/1.7 against Bridgehead, replayed on raw sockets with the command spelling of
 * roundcube/roundcubemail program/lib/Roundcube/rcube_imap_generic.php (and rcube_imap.php, which
 * decides what to ask):
 * - `connect()`/`authenticate()`: tags `A%04d` (`nextTag`); the best advertised mechanism of
 *   DIGEST-MD5 CRAM-MD5 PLAIN LOGIN, so `AUTHENTICATE PLAIN <initial response>` with SASL-IR;
 *   capabilities taken from the tagged OK's [CAPABILITY]; ID only in debug mode;
 *   rcube_imap `set_env()` then sends NAMESPACE;
 * - arguments through `escape()`: atoms bare (`SELECT INBOX`), `""` and `"*"` quoted, LITERAL+
 *   `{n+}` for APPEND;
 * - folders: `LIST (SUBSCRIBED) "" "*"` with LIST-EXTENDED (`list_folders_subscribed_direct`),
 *   `LIST "" "*"`, special folders with `LIST (SPECIAL-USE) "" "*"`, counts with
 *   `STATUS <box> (MESSAGES UNSEEN)`, quota with `GETQUOTAROOT INBOX` (only `* QUOTA ` lines read);
 * - the message list (`index_direct`, `search_index`, `thread`): `UID SEARCH RETURN (ALL) ..` when
 *   ESEARCH is advertised, `UID SORT (<field>) US-ASCII ALL UNDELETED` (DISPLAYFROM with
 *   SORT=DISPLAY), `UID THREAD REFERENCES US-ASCII ALL UNDELETED`, id/UID lookups
 *   (`UID SEARCH <seq>`, `SEARCH RETURN (ALL) UID <uid>`), counts with `RETURN (COUNT)`;
 * - `fetchHeaders`: `UID FETCH <set> (UID RFC822.SIZE FLAGS INTERNALDATE [BODYSTRUCTURE]
 *   BODY.PEEK[HEADER.FIELDS (DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST
 *   DISPOSITION-NOTIFICATION-TO X-PRIORITY ..)])`; `fetchMIMEHeaders` matches
 *   `/^\* [0-9]+ FETCH [0-9UID( ]+/` then `BODY[n.MIME]`, so UID must come before the sections;
 *   `handlePartBody`: `BINARY.PEEK[n]` for base64/QP parts when BINARY is advertised, else `BODY.PEEK[n]`;
 * - changes: `UID STORE <set> +FLAGS.SILENT (\Seen)`, `UID MOVE <set> Trash` (COPYUID read from the
 *   untagged OK), `UID EXPUNGE <set>` (UIDPLUS), `APPEND Sent (\Seen) {n+}`, empty folder =
 *   `UID STORE 1:* +FLAGS.SILENT (\Deleted)` then CLOSE.
 * Roundcube normally talks to 127.0.0.1:143 in clear text (`auth.plaintextOnLoopback`); the
 * transcript runs over the harness's TLS listener, which does not change any command.
 */
import t, { type Test } from 'tap';
import { PASSWORD, POST_LOGIN_CAPABILITIES, PRE_TLS_CAPABILITIES, USER, startServer, type Harness, type TranscriptClient } from './harness.js';
import { REPLY, parseImapList, type ImapValue, DELIVERED_AT, MESSAGES, b64, octets, headerFields, deliverAll, uidValidity, fixtureInboxOpened } from './client-fixtures.js';
import { formatDateTime } from '../../src/imap/fetch/index.js';

const LIST_HEADERS = 'DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST DISPOSITION-NOTIFICATION-TO X-PRIORITY';

/** rcube_imap_generic::connect() then rcube_imap::set_env(). */
async function roundcubeLogin(t: Test, h: Harness): Promise<TranscriptClient> {
  const c = await h.client();
  t.equal(c.greeting, `* OK [CAPABILITY ${PRE_TLS_CAPABILITIES}] Bridgehead ready`);
  t.same(await c.command(`A0001 AUTHENTICATE PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`), [`A0001 OK [CAPABILITY ${POST_LOGIN_CAPABILITIES}] Logged in`]);
  t.same(await c.command('A0002 NAMESPACE'), ['* NAMESPACE (("" "/")) NIL NIL', 'A0002 OK NAMESPACE completed'], 'personal[0][1] gives the delimiter');
  return c;
}

t.test('login, folder list, message list (ESEARCH, SORT, THREAD), reading a message', async (t) => {
  const h = await startServer(t);
  await deliverAll(h);
  await h.store.setQuota(USER, 512 * 1024);
  const inboxValidity = await uidValidity(h, 'INBOX');
  const c = await roundcubeLogin(t, h);

  const folders = ['INBOX', 'Archive', 'Drafts', 'Junk', 'Sent', 'Trash'];
  const uses: Record<string, string> = { Archive: ' \\Archive', Drafts: ' \\Drafts', Junk: ' \\Junk', Sent: ' \\Sent', Trash: ' \\Trash' };
  t.same(await c.command('A0003 LIST (SUBSCRIBED) "" "*"'), [
    ...folders.map((name) => `* LIST (\\Subscribed \\HasNoChildren${uses[name] ?? ''}) "/" "${name}"`),
    'A0003 OK LIST completed',
  ], 'no \\NonExistent: nothing to unsubscribe');
  t.same(await c.command('A0004 LIST (SPECIAL-USE) "" "*"'), [
    ...folders.slice(1).map((name) => `* LIST (\\HasNoChildren${uses[name]}) "/" "${name}"`),
    'A0004 OK LIST completed',
  ], 'get_special_use_folders (RFC 6154 §5.2)');
  t.same(await c.command('A0005 STATUS INBOX (MESSAGES UNSEEN)'), ['* STATUS "INBOX" (MESSAGES 5 UNSEEN 5)', 'A0005 OK STATUS completed']);
  const quota = await c.command('A0006 GETQUOTAROOT INBOX');
  t.equal(quota.filter((line) => line.startsWith('* QUOTA ')).length, 1, 'one `* QUOTA ` line, the only ones Roundcube reads');
  t.match(quota.find((line) => line.startsWith('* QUOTA ')), /^\* QUOTA "" \(STORAGE \d+ 512\)$/);

  t.same(await c.command('A0007 SELECT INBOX'), fixtureInboxOpened('A0007', inboxValidity, { readOnly: false }), 'parsed line by line: `* OK [TOKEN n`, `* n EXISTS`');
  // The list with no sort column, with a sort column, and threaded.
  t.same(await c.command('A0008 UID SEARCH RETURN (ALL) UNDELETED'), ['* ESEARCH (TAG "A0008") UID ALL 1:5', 'A0008 OK UID SEARCH completed']);
  t.same(await c.command('A0009 UID SORT (DATE) US-ASCII ALL UNDELETED'), ['* SORT 1 2 3 4 5', 'A0009 OK UID SORT completed'], 'Date header order, 09:15 +0100 first');
  t.same(await c.command('A0010 UID SORT (ARRIVAL) US-ASCII ALL UNDELETED'), ['* SORT 1 2 3 4 5', 'A0010 OK UID SORT completed'], 'equal INTERNALDATEs keep sequence order');
  t.same(await c.command('A0011 UID SORT (DISPLAYFROM) US-ASCII ALL UNDELETED'), ['* SORT 4 2 3 1 5', 'A0011 OK UID SORT completed'], 'Alice, Bob, Carol, Jörg (decoded), Zoë');
  t.same(await c.command('A0012 UID SORT (SUBJECT) US-ASCII ALL UNDELETED'), ['* SORT 5 1 4 2 3', 'A0012 OK UID SORT completed'], 'base subjects (RFC 5256 §2.1 strips Re: and Fwd:): Café, Grüße ×2, Invoice, Lunch');
  t.same(await c.command('A0013 UID THREAD REFERENCES US-ASCII ALL UNDELETED'), ['* THREAD (1 4)(2)(3)(5)', 'A0013 OK UID THREAD completed'], 'the reply under its parent');
  // Counts and id <-> UID lookups.
  t.same(await c.command('A0014 SEARCH RETURN (COUNT) ALL UNDELETED'), ['* ESEARCH (TAG "A0014") COUNT 5', 'A0014 OK SEARCH completed']);
  t.same(await c.command('A0015 UID SEARCH RETURN (COUNT MAX) ALL UNDELETED'), ['* ESEARCH (TAG "A0015") UID MAX 5 COUNT 5', 'A0015 OK UID SEARCH completed'], 'folder_status reads maxuid');
  t.same(await c.command('A0016 UID SEARCH 5'), ['* SEARCH 5', 'A0016 OK UID SEARCH completed'], 'ID2UID: digits only, so no RETURN');
  t.same(await c.command('A0017 SEARCH RETURN (ALL) UID 3'), ['* ESEARCH (TAG "A0017") ALL 3', 'A0017 OK SEARCH completed'], 'UID2ID');

  // One page of headers: fetch_headers by UID set.
  const page = await c.command(`A0018 UID FETCH 1:5 (UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (${LIST_HEADERS})])`);
  t.same(page, [
    ...MESSAGES.map((raw, index) => {
      const fields = headerFields(raw, LIST_HEADERS);
      return (
        `* ${index + 1} FETCH (UID ${index + 1} RFC822.SIZE ${octets(raw)} FLAGS (\\Recent) INTERNALDATE "${formatDateTime(DELIVERED_AT)}" ` +
        `BODY[HEADER.FIELDS (${LIST_HEADERS})] {${octets(fields)}}\r\n${fields})`
      );
    }),
    'A0018 OK UID FETCH completed',
  ], 'items in the order asked; the tokenizer reads name/value pairs');

  // Opening message 3: headers with BODYSTRUCTURE, then the MIME headers and bodies of its parts.
  const opened = await c.command(`A0019 UID FETCH 3 (UID RFC822.SIZE FLAGS INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (${LIST_HEADERS})])`);
  t.equal(opened.length, 2);
  const structure = parseImapList(opened[0], opened[0].indexOf('BODYSTRUCTURE (') + 14);
  const forwarded = structure[1] as ImapValue[];
  t.same(forwarded.slice(0, 7), ['MESSAGE', 'RFC822', null, null, null, '7BIT', '160'], 'getStructurePartData: type, subtype, encoding at 5, size at 6');
  t.same((forwarded[8] as ImapValue[]).slice(0, 2), ['TEXT', 'PLAIN'], 'getStructurePartArray descends into message/rfc822 through index 8');
  t.same(structure.slice(2), ['MIXED', ['BOUNDARY', 'b3'], null, null, null]);
  t.same(await c.command('A0020 UID FETCH 3 (BODY.PEEK[1.MIME] BODY.PEEK[2.MIME])'), [
    '* 3 FETCH (UID 3 BODY[1.MIME] {46}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n BODY[2.MIME] {87}\r\n' +
      'Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="Lunch.eml"\r\n\r\n)',
    'A0020 OK UID FETCH completed',
  ], 'UID first, then the sections in order');
  t.same(await c.command('A0021 UID FETCH 3 (BODY.PEEK[1])'), ['* 3 FETCH (UID 3 BODY[1] {18}\r\nForwarding this.\r\n)', 'A0021 OK UID FETCH completed']);
  t.same(await c.command('A0022 UID FETCH 3 (BODY.PEEK[2.HEADER])'), [
    '* 3 FETCH (UID 3 BODY[2.HEADER] {153}\r\nFrom: Dave <dave@remote.example>\r\nTo: carol@remote.example\r\nSubject: Lunch\r\n' +
      'Date: Sun, 22 Nov 2026 12:00:00 +0000\r\nMessage-ID: <lunch@remote.example>\r\n\r\n)',
    'A0022 OK UID FETCH completed',
  ], 'fetchPartHeader of the attached message');
  // Quoted-printable and base64 parts come decoded through BINARY (RFC 3516).
  t.same(await c.command('A0023 UID FETCH 1 (BINARY.PEEK[1])'), ['* 1 FETCH (UID 1 BINARY[1] {18}\r\nSchöne Grüße!\r\n)', 'A0023 OK UID FETCH completed']);
  const pdf = Buffer.from('JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK', 'base64');
  t.same(await c.command('A0024 UID FETCH 2 (BINARY.PEEK[2])'), [`* 2 FETCH (UID 2 BINARY[2] {${pdf.length}}\r\n${pdf.toString('utf8')})`, 'A0024 OK UID FETCH completed']);
  // Reading marks it seen.
  t.same(await c.command('A0025 UID STORE 3 +FLAGS.SILENT (\\Seen)'), ['A0025 OK UID STORE completed']);
  t.same(await c.command('A0026 UID SEARCH RETURN (ALL) UNDELETED UNSEEN'), ['* ESEARCH (TAG "A0026") UID ALL 1:2,4:5', 'A0026 OK UID SEARCH completed']);
});

t.test('quick search, flags, move to Trash, delete, Sent copy, empty Trash', async (t) => {
  const h = await startServer(t);
  await deliverAll(h);
  const trashValidity = await uidValidity(h, 'Trash');
  const sentValidity = await uidValidity(h, 'Sent');
  const c = await roundcubeLogin(t, h);
  t.same((await c.command('A0003 SELECT INBOX')).at(-1), 'A0003 OK [READ-WRITE] SELECT completed');

  // Quick search (subject + from), ASCII: rcube_imap drops CHARSET; UTF-8: a literal with CHARSET UTF-8.
  t.same(await c.command('A0004 UID SEARCH RETURN (ALL) UNDELETED OR HEADER SUBJECT lunch HEADER FROM lunch'), ['* ESEARCH (TAG "A0004") UID ALL 3', 'A0004 OK UID SEARCH completed']);
  c.write(`A0005 UID SEARCH RETURN (ALL) CHARSET UTF-8 UNDELETED OR HEADER SUBJECT {${octets('grüße')}+}\r\ngrüße HEADER FROM {${octets('grüße')}+}\r\ngrüße\r\n`);
  t.same(await c.until('A0005'), ['* ESEARCH (TAG "A0005") UID ALL 1,4', 'A0005 OK UID SEARCH completed'], 'encoded-word subjects match case-insensitively');
  c.write(`A0006 UID SORT (DATE) UTF-8 ALL UNDELETED OR HEADER SUBJECT {${octets('köln')}+}\r\nköln HEADER FROM {${octets('köln')}+}\r\nköln\r\n`);
  t.same(await c.until('A0006'), ['* SORT 1 4', 'A0006 OK UID SORT completed'], 'search_index with a sort column');
  t.same(await c.command('A0007 UID SEARCH RETURN (ALL) UNDELETED SINCE 23-Nov-2026'), ['* ESEARCH (TAG "A0007") UID ALL 1:5', 'A0007 OK UID SEARCH completed'], 'date filter (INTERNALDATE)');
  t.same(await c.command('A0008 UID SEARCH RETURN (ALL) UNDELETED BODY "Forwarding"'), ['* ESEARCH (TAG "A0008") UID ALL 3', 'A0008 OK UID SEARCH completed']);
  t.same(await c.command('A0009 UID SEARCH RETURN (ALL) UNDELETED HEADER SUBJECT nothing-like-this'), ['* ESEARCH (TAG "A0009") UID', 'A0009 OK UID SEARCH completed'], 'no match: no ALL (RFC 4731 §3.1)');

  // Flag, unflag, mark unread.
  t.same(await c.command('A0010 UID STORE 2 +FLAGS.SILENT (\\Flagged)'), ['A0010 OK UID STORE completed']);
  t.same(await c.command('A0011 UID SEARCH RETURN (ALL) UNDELETED FLAGGED'), ['* ESEARCH (TAG "A0011") UID ALL 2', 'A0011 OK UID SEARCH completed']);
  t.same(await c.command('A0012 UID STORE 2 -FLAGS.SILENT (\\Flagged)'), ['A0012 OK UID STORE completed']);
  // Delete = move to Trash (flag_for_deletion off).
  t.same(await c.command('A0013 UID MOVE 1:2 Trash'), [`* OK [COPYUID ${trashValidity} 1:2 1:2] Moved`, '* 2 EXPUNGE', '* 1 EXPUNGE', 'A0013 OK UID MOVE completed']);
  t.same(await c.command('A0014 UID SEARCH RETURN (ALL) UNDELETED'), ['* ESEARCH (TAG "A0014") UID ALL 3:5', 'A0014 OK UID SEARCH completed']);
  // Delete for good (skip Trash): \Deleted, then UID EXPUNGE of those UIDs.
  t.same(await c.command('A0015 UID STORE 4 +FLAGS.SILENT (\\Deleted)'), ['A0015 OK UID STORE completed']);
  t.same(await c.command('A0016 UID EXPUNGE 4'), ['* 2 EXPUNGE', 'A0016 OK UID EXPUNGE completed']);

  // The Sent copy with LITERAL+.
  const sent = REPLY.replace('reply-1', 'sent-rc');
  t.same(await c.command(`A0017 APPEND Sent (\\Seen) {${octets(sent)}+}\r\n${sent}`), [`A0017 OK [APPENDUID ${sentValidity} 1] APPEND completed`]);
  t.same(await c.command('A0018 STATUS Sent (MESSAGES UNSEEN)'), ['* STATUS "Sent" (MESSAGES 1 UNSEEN 0)', 'A0018 OK STATUS completed']);

  // Empty Trash: count, flag all deleted by UID, CLOSE (it is selected).
  t.same((await c.command('A0019 SELECT Trash')).at(-1), 'A0019 OK [READ-WRITE] SELECT completed');
  t.same(await c.command('A0020 UID STORE 1:* +FLAGS.SILENT (\\Deleted)'), ['A0020 OK UID STORE completed']);
  t.same(await c.command('A0021 CLOSE'), ['A0021 OK CLOSE completed'], 'CLOSE expunges silently');
  t.same(await c.command('A0022 STATUS Trash (MESSAGES UNSEEN)'), ['* STATUS "Trash" (MESSAGES 0 UNSEEN 0)', 'A0022 OK STATUS completed']);
  t.same(await c.command('A0023 LOGOUT'), ['* BYE Logging out', 'A0023 OK LOGOUT completed']);
});
