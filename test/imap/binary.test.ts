/**
 * BINARY (RFC 3516): FETCH BINARY[section]<partial>, BINARY.PEEK and BINARY.SIZE decode the
 * Content-Transfer-Encoding; an unknown one is NO [UNKNOWN-CTE]; APPEND takes literal8 and the
 * stored binary content comes back as literal8. imapflow, which uses BINARY.PEEK when BINARY is
 * advertised, reads decoded parts.
 */
import t from 'tap';
import { USER, startServer, imapflowClient } from './harness.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
const MESSAGE = [
  'From: Bob <bob@example.org>',
  'To: Alice <alice@example.org>',
  'Subject: Parts',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Gr=C3=BC=C3=9Fe, soft=',
  ' break',
  '--b',
  'Content-Type: image/png',
  'Content-Transfer-Encoding: base64',
  '',
  PNG.toString('base64'),
  '--b',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: x-uuencode',
  '',
  'begin 644 x',
  '--b--',
  '',
].join('\r\n');

t.test('FETCH BINARY, BINARY.PEEK, BINARY.SIZE (RFC 3516 §4.2)', async (t) => {
  const h = await startServer(t);
  await h.store.append(USER, 'INBOX', Buffer.from(MESSAGE));
  const c = await h.loggedIn();
  await c.command('a SELECT INBOX');
  const text = Buffer.from('Grüße, soft break');
  t.same(await c.command('b FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2])'), [
    `* 1 FETCH (BINARY.SIZE[1] ${text.length} BINARY.SIZE[2] ${PNG.length})`,
    'b OK FETCH completed',
  ]);
  t.same(
    await c.command('c FETCH 1 (BINARY.PEEK[1])'),
    [`* 1 FETCH (BINARY[1] {${text.length}}\r\nGrüße, soft break)`, 'c OK FETCH completed'],
    'decoded quoted-printable',
  );
  t.same(await c.command('d FETCH 1 (FLAGS)'), ['* 1 FETCH (FLAGS (\\Recent))', 'd OK FETCH completed'], 'PEEK left \\Seen alone');

  const png = await c.command('e FETCH 1 (BINARY[2])');
  // The harness reads responses as UTF-8, as it does the PNG octets here.
  t.equal(png[0], `* 1 FETCH (BINARY[2] ~{${PNG.length}}\r\n${PNG.toString('utf8')} FLAGS (\\Seen \\Recent))`, 'NUL: literal8; BINARY sets \\Seen');
  t.same(await c.command('f FETCH 1 (BINARY.PEEK[1]<4.5>)'), [
    `* 1 FETCH (BINARY[1]<4> {5}\r\n${text.subarray(4, 9).toString('utf8')})`,
    'f OK FETCH completed',
  ], 'partial: origin echoed');
  t.same(await c.command('g FETCH 1 (BINARY.PEEK[9] BINARY.SIZE[9])'), ['* 1 FETCH (BINARY[9] NIL BINARY.SIZE[9] 0)', 'g OK FETCH completed']);
  t.same(await c.command('h FETCH 1 (BINARY.PEEK[3])'), ['h NO [UNKNOWN-CTE] Cannot decode Content-Transfer-Encoding X-UUENCODE']);
  // Section texts are not in RFC 3516's grammar; accepted as Dovecot does, answered as BODY[...].
  const mime = (await c.command('i1 FETCH 1 (BODY.PEEK[1.MIME])'))[0].replace('BODY[1.MIME]', 'BINARY[1.MIME]');
  t.same(await c.command('i2 FETCH 1 (BINARY.PEEK[1.MIME])'), [mime, 'i2 OK FETCH completed'], 'a part header, unchanged');
  const fields = (await c.command('i3 FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)])'))[0].replace('BODY[', 'BINARY[');
  t.same(await c.command('i4 FETCH 1 (BINARY.PEEK[HEADER.FIELDS (Subject)])'), [fields, 'i4 OK FETCH completed']);
  const size = Buffer.byteLength((await c.command('i5 FETCH 1 (BODY.PEEK[TEXT])'))[0].replace(/^[^}]*}\r\n/, '').replace(/\)$/, ''));
  t.same(await c.command('i6 FETCH 1 (BINARY.SIZE[TEXT])'), [`* 1 FETCH (BINARY.SIZE[TEXT] ${size})`, 'i6 OK FETCH completed']);
  t.same(await c.command('i7 FETCH 1 (BINARY.PEEK[1.TEXT.X])'), ['i7 BAD Bad section specification']);
  t.same(await c.command('j FETCH 1 (BINARY.SIZE[1]<0.5>)'), ['j BAD BINARY.SIZE cannot take a partial range']);
});

t.test('APPEND with literal8 (RFC 3516 §4.4); binary content comes back as literal8', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  const body = Buffer.concat([
    Buffer.from('Subject: raw\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n'),
    Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00]),
  ]);
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  c.write(Buffer.concat([Buffer.from(`a APPEND INBOX ~{${body.length}}\r\n`)]));
  t.equal(await c.readLine(), '+ Ready for literal');
  c.write(Buffer.concat([body, Buffer.from('\r\n')]));
  t.same(await c.until('a'), [`a OK [APPENDUID ${inbox.uidValidity} 1] APPEND completed`]);
  const [stored] = await h.store.listMessages(inbox.id);
  t.equal(stored.size, body.length, 'stored as sent');
  await c.command('b SELECT INBOX');
  const reply = await c.command('c FETCH 1 (BODY.PEEK[] BINARY.SIZE[])');
  t.match(reply[0], new RegExp(`^\\* 1 FETCH \\(BODY\\[\\] ~\\{${body.length}\\}\\r\\n`), 'BODY[] with NUL is a literal8');
  t.match(reply[0], new RegExp(` BINARY.SIZE\\[\\] ${body.length}\\)$`));
});

t.test('imapflow downloads parts with BINARY.PEEK', async (t) => {
  const h = await startServer(t);
  await h.store.append(USER, 'INBOX', Buffer.from(MESSAGE));
  const imap = await imapflowClient(t, h);
  await imap.mailboxOpen('INBOX');
  const { content } = await imap.download('1', '2');
  if (!content) throw new Error('no content');
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
  t.same(Buffer.concat(chunks), PNG, 'decoded image bytes');
  await imap.logout();
});
