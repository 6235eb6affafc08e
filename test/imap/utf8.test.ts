/**
 * UTF8=ACCEPT (RFC 6855): modified UTF-7 names until ENABLE, raw UTF-8 names after it (both
 * directions, NFC), `APPEND ... UTF8 (~{n+} ...)` as Thunderbird sends it, and imapflow, which
 * enables UTF8=ACCEPT by itself.
 */
import t from 'tap';
import { USER, startServer, imapflowClient } from './harness.js';

const UTF8_MESSAGE = [
  'From: Jörg <jörg@example.org>',
  'To: Alice <alice@example.org>',
  'Subject: Grüße aus Köln',
  'Message-ID: <utf8@example.org>',
  '',
  'Hallo!',
  '',
].join('\r\n');

t.test('mailbox names before and after ENABLE UTF8=ACCEPT (RFC 6855 §3)', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a CREATE "Entw&APw-rfe"'), ['a OK CREATE completed'], 'modified UTF-7 before ENABLE');
  // 8-bit text cannot be modified UTF-7: read as the UTF-8 it is (clients that send back decoded names).
  t.same(await c.command('b CREATE "Entwürfe2"'), ['b OK CREATE completed'], 'raw UTF-8 before ENABLE: the same as its modified UTF-7');
  t.same(await c.command('b2 CREATE "Entw&APw-rfe2"'), ['b2 NO [ALREADYEXISTS] Mailbox already exists']);
  t.same(await c.command('b3 STATUS "Entwu\u0308rfe" (MESSAGES)'), ['* STATUS "Entw&APw-rfe" (MESSAGES 0)', 'b3 OK STATUS completed'], 'decomposed ü, normalised');
  t.same(await c.command('b4 DELETE "Entw&APw-rfe2"'), ['b4 OK DELETE completed']);
  t.same(await c.command('c LIST "" "Entw*"'), ['* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"', 'c OK LIST completed']);

  t.same(await c.command('d ENABLE UTF8=ACCEPT'), ['* ENABLED UTF8=ACCEPT', 'd OK ENABLE completed']);
  t.same(await c.command('e LIST "" "Entw*"'), ['* LIST (\\HasNoChildren) "/" "Entwürfe"', 'e OK LIST completed'], 'UTF-8 on the wire');
  t.same(await c.command('f CREATE "日本語/メール"'), ['f OK CREATE completed']);
  t.same(await c.command('g CREATE "Cafe\u0301"'), ['g OK CREATE completed'], 'decomposed é');
  t.same(await c.command('h CREATE "Café"'), ['h NO [ALREADYEXISTS] Mailbox already exists'], 'NFC: the same name');
  t.same(await c.command('i LIST "" "*"').then((lines) => lines.filter((line) => /Caf|日本/.test(line))), [
    '* LIST (\\HasNoChildren) "/" "Café"',
    '* LIST (\\HasChildren) "/" "日本語"',
    '* LIST (\\HasNoChildren) "/" "日本語/メール"',
  ]);
  t.ok((await h.store.getMailbox(USER, '日本語/メール')) !== null, 'stored as UTF-8');
  t.same(await c.command('j STATUS "Entwürfe" (MESSAGES)'), ['* STATUS "Entwürfe" (MESSAGES 0)', 'j OK STATUS completed']);
  t.same(await c.command('k CREATE "Zeile\u2028zwei"'), ['k NO [CANNOT] Mailbox name contains invalid characters']);
  c.write(Buffer.concat([Buffer.from('l CREATE "bad'), Buffer.from([0xc3, 0x28]), Buffer.from('"\r\n')]));
  t.same(await c.until('l'), ['l BAD Mailbox name is not valid UTF-8']);
  t.match((await c.command('m SELECT "Entwürfe"')).at(-1), /^m OK \[READ-WRITE\]/, 'SELECT by UTF-8 name');
});

t.test("APPEND UTF8 (~{n+} ...) as Thunderbird sends it (RFC 6855 §4)", async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a ENABLE UTF8=ACCEPT');
  await c.command('b CREATE "Gesendet/Köln"');
  const target = (await h.store.getMailbox(USER, 'Gesendet/Köln'))!;
  const size = Buffer.byteLength(UTF8_MESSAGE);
  t.same(await c.command(`c APPEND "Gesendet/Köln" (\\Seen) UTF8 (~{${size}+}\r\n${UTF8_MESSAGE})`), [
    `c OK [APPENDUID ${target.uidValidity} 1] APPEND completed`,
  ]);
  t.same(await c.command(`d APPEND "Gesendet/Köln" UTF8 ({${size}+}\r\n${UTF8_MESSAGE})`), ['d BAD APPEND UTF8 expects one literal8']);
  await c.command('e SELECT "Gesendet/Köln"');
  const fetched = await c.command('f FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
  t.equal(fetched[0], `* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {${Buffer.byteLength('Subject: Grüße aus Köln\r\n\r\n')}}\r\nSubject: Grüße aus Köln\r\n\r\n)`);
  const [stored] = await h.store.listMessages(target.id);
  t.equal(stored.size, size, 'the UTF-8 octets as sent');
});

t.test('imapflow with UTF8=ACCEPT: UTF-8 names end to end', async (t) => {
  const h = await startServer(t);
  const imap = await imapflowClient(t, h);
  t.ok(imap.enabled.has('UTF8=ACCEPT'));
  await imap.mailboxCreate('Überweisungen');
  await imap.append('Überweisungen', UTF8_MESSAGE);
  const box = await imap.mailboxOpen('Überweisungen');
  t.equal(box.exists, 1);
  const message = await imap.fetchOne('1', { envelope: true });
  t.equal(message && message.envelope?.subject, 'Grüße aus Köln');
  t.ok((await imap.list()).some((folder) => folder.path === 'Überweisungen'));
  t.ok(await h.store.getMailbox(USER, 'Überweisungen'), 'the store holds the UTF-8 name');
  await imap.logout();
});
