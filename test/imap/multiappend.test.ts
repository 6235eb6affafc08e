/**
 * MULTIAPPEND (RFC 3502): several messages in one APPEND, stored all or none, with
 * [APPENDUID uidvalidity uid-set] (RFC 4315). The exchange follows RFC 3502 §6.3.11's example:
 * a synchronizing literal per message, each with its own flags and date-time.
 */
import t from 'tap';
import { USER, startServer } from './harness.js';

const FIRST = [
  'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)',
  'From: Fred Foobar <foobar@Blurdybloop.example.COM>',
  'Subject: afternoon meeting',
  'To: mooch@owatagu.example.net',
  'Message-Id: <B27397-0100000@Blurdybloop.example.COM>',
  'MIME-Version: 1.0',
  'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
  '',
  'Hello Joe, do you think we can meet at 3:30 tomorrow?',
  '',
].join('\r\n');
const SECOND = [
  'Date: Mon, 7 Feb 1994 22:43:04 -0800 (PST)',
  'From: Joe Mooch <mooch@OWaTaGu.example.net>',
  'Subject: Re: afternoon meeting',
  'To: foobar@blurdybloop.example.com',
  'Message-Id: <a0434793874930@OWaTaGu.example.net>',
  'MIME-Version: 1.0',
  'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
  '',
  '3:30 is fine with me.',
  '',
].join('\r\n');

t.test('RFC 3502 §6.3.11 example: two messages, synchronizing literals', async (t) => {
  const h = await startServer(t);
  await h.store.createMailbox(USER, 'saved-messages');
  const c = await h.loggedIn();
  const saved = (await h.store.getMailbox(USER, 'saved-messages'))!;
  c.write(`A003 APPEND saved-messages (\\Seen) {${FIRST.length}}\r\n`);
  t.equal(await c.readLine(), '+ Ready for literal');
  c.write(`${FIRST} (\\Seen) " 7-Feb-1994 22:43:04 -0800" {${SECOND.length}}\r\n`);
  t.equal(await c.readLine(), '+ Ready for literal');
  c.write(`${SECOND}\r\n`);
  t.same(await c.until('A003'), [`A003 OK [APPENDUID ${saved.uidValidity} 1:2] APPEND completed`]);
  const stored = await h.store.listMessages(saved.id);
  t.same(stored.map((m) => [m.uid, m.flags, m.size]), [[1, ['\\Seen'], FIRST.length], [2, ['\\Seen'], SECOND.length]]);
  t.equal(stored[1].internalDate, Date.UTC(1994, 1, 8, 6, 43, 4));

  t.same(
    await c.command(`A004 APPEND saved-messages {${FIRST.length}+}\r\n${FIRST} (\\Flagged) {${SECOND.length}+}\r\n${SECOND} {${FIRST.length}+}\r\n${FIRST}`),
    [`A004 OK [APPENDUID ${saved.uidValidity} 3:5] APPEND completed`],
    'LITERAL+, three messages, the same one twice',
  );
});

t.test('all or none: one bad message stores nothing', async (t) => {
  const h = await startServer(t, { limits: { maxMessageSize: 1000 } });
  const c = await h.loggedIn();
  const big = `Subject: big\r\n\r\n${'x'.repeat(1200)}\r\n`;
  t.same(await c.command(`a APPEND INBOX {${FIRST.length}+}\r\n${FIRST} {${big.length}+}\r\n${big}`), [
    'a NO [TOOBIG] Message exceeds the maximum size of 1000 octets',
  ]);
  t.same(await c.command(`b APPEND INBOX {${FIRST.length}+}\r\n${FIRST} {0+}\r\n`), ['b NO [CANNOT] Empty message']);
  t.same(await c.command(`c APPEND Nowhere {${FIRST.length}+}\r\n${FIRST} {${SECOND.length}+}\r\n${SECOND}`), ['c NO [TRYCREATE] No such mailbox']);
  await h.store.setQuota(USER, FIRST.length + SECOND.length - 1);
  t.same(await c.command(`d APPEND INBOX {${FIRST.length}+}\r\n${FIRST} {${SECOND.length}+}\r\n${SECOND}`), ['d NO [OVERQUOTA] Quota exceeded']);
  t.same(await c.command(`e APPEND INBOX {${FIRST.length}+}\r\n${FIRST} "not a date"`), ['e BAD Expected the message as a literal']);
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 0, 'nothing stored');
});

t.test('a selected mailbox learns of all appended messages at once', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a SELECT INBOX');
  const reply = await c.command(`b APPEND INBOX {${FIRST.length}+}\r\n${FIRST} {${SECOND.length}+}\r\n${SECOND}`);
  t.same(reply.slice(0, -1), ['* 2 EXISTS', '* 2 RECENT']);
  t.match(reply.at(-1), /^b OK \[APPENDUID \d+ 1:2\] APPEND completed$/);
});
