/**
 * Thunderbird's recorded session (CLIENTS.md §5), replayed on raw sockets: the exact commands TB
 * sends, in its order and spelling, and the replies it needs.
 */
import t from 'tap';
import { PASSWORD, POST_LOGIN_CAPABILITIES as POST_LOGIN, USER, startServer } from './harness.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

async function tbLogin(h: Awaited<ReturnType<typeof startServer>>, tag: number) {
  const c = await h.client();
  // No CAPABILITY command: TB reads the greeting's, and uses AUTHENTICATE PLAIN without SASL-IR.
  c.sendLine(`${tag} authenticate PLAIN`);
  t.equal(await c.readLine(), '+ ');
  c.sendLine(b64(`\0${USER}\0${PASSWORD}`));
  t.same(await c.until(String(tag)), [`${tag} OK [CAPABILITY ${POST_LOGIN}] Logged in`]);
  return c;
}

t.test('Thunderbird 153 first login, discovery, Fcc, and folder sync', async (t) => {
  const h = await startServer(t);
  const c1 = await tbLogin(h, 96);
  t.same(await c1.command('97 namespace'), ['* NAMESPACE (("" "/")) NIL NIL', '97 OK NAMESPACE completed']);
  t.same(await c1.command('98 ID ("name" "Thunderbird" "version" "153.7.0")'), [
    '* ID ("name" "Bridgehead" "vendor" "Bridgehead")',
    '98 OK ID completed',
  ]);
  const discovery = await c1.command('99 list (subscribed) "" "*" return (special-use)');
  t.same(discovery.slice(-2), ['* LIST (\\Subscribed \\HasNoChildren \\Trash) "/" "Trash"', '99 OK LIST completed']);
  t.same(await c1.command('100 list "" "INBOX"'), ['* LIST (\\HasNoChildren) "/" "INBOX"', '100 OK LIST completed']);
  t.same(await c1.command('101 list "" "TBcheck"'), ['101 OK LIST completed'], 'existence check of a missing folder');
  t.same(await c1.command('102 create "TBcheck"'), ['102 OK CREATE completed']);
  t.same(await c1.command('103 subscribe "TBcheck"'), ['103 OK SUBSCRIBE completed']);
  t.same(await c1.command('104 list "" "TBcheck"'), ['* LIST (\\HasNoChildren) "/" "TBcheck"', '104 OK LIST completed']);
  t.same(await c1.command('105 list "" "Sent"'), ['* LIST (\\HasNoChildren \\Sent) "/" "Sent"', '105 OK LIST completed']);

  // c2 keeps INBOX open.
  const c2 = await tbLogin(h, 75);
  await c2.command('76 ID ("name" "Thunderbird" "version" "153.7.0")');
  const inboxValidity = (await h.store.getMailbox(USER, 'INBOX'))!.uidValidity;
  const select = await c2.command('77 select "INBOX"');
  t.same(select[0], '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)', 'FLAGS first');
  t.same(select[select.length - 1], '77 OK [READ-WRITE] SELECT completed');
  t.same(await c2.command('78 UID fetch 1:* (FLAGS)'), ['78 OK UID FETCH completed']);
  c2.sendLine('83 IDLE');
  t.equal(await c2.readLine(), '+ idling');

  // On send, c1 stores the Fcc copy (LITERAL+, no date-time).
  const copy = 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Sent by TB\r\n\r\nHello\r\n';
  const sentValidity = (await h.store.getMailbox(USER, 'Sent'))!.uidValidity;
  t.same(await c1.command(`109 append "Sent" (\\Seen) {${copy.length}+}\r\n${copy}`), [`109 OK [APPENDUID ${sentValidity} 1] APPEND completed`]);
  t.same(await c1.command('110 STATUS "Sent" (UIDNEXT MESSAGES UNSEEN RECENT)'), [
    '* STATUS "Sent" (UIDNEXT 2 MESSAGES 1 UNSEEN 0 RECENT 1)',
    '110 OK STATUS completed',
  ]);

  // New mail arrives while c2 idles.
  const incoming = copy.replace('Sent by TB', 'Incoming');
  await h.store.append(USER, 'INBOX', Buffer.from(incoming));
  t.equal(await c2.readLine(), '* 1 EXISTS');
  t.equal(await c2.readLine(), '* 1 RECENT');
  c2.sendLine('DONE');
  t.same(await c2.until('83'), ['83 OK IDLE terminated']);
  t.same(await c2.command('84 UID fetch 1:* (FLAGS)'), ['* 1 FETCH (UID 1 FLAGS (\\Recent))', '84 OK UID FETCH completed']);
  const header = await c2.command(
    '85 UID fetch 1 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To Received)])',
  );
  t.match(header[0], new RegExp(String.raw`^\* 1 FETCH \(UID 1 RFC822\.SIZE ${incoming.length} FLAGS \(\\Recent\) BODY\[HEADER\.FIELDS \(From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To Received\)\] \{\d+\}\r\n`));
  t.same(await c2.command('86 UID fetch 1 (UID RFC822.SIZE BODY.PEEK[]<0.65536>)'), [
    `* 1 FETCH (UID 1 RFC822.SIZE ${incoming.length} BODY[]<0> {${incoming.length}}\r\n${incoming})`,
    '86 OK UID FETCH completed',
  ]);
  t.same(await c2.command('87 noop'), ['87 OK NOOP completed']);
  t.same(await c2.command('88 UID fetch 2:* (FLAGS)'), ['* 1 FETCH (UID 1 FLAGS (\\Recent))', '88 OK UID FETCH completed'], 'UIDNEXT check');
  c2.sendLine('89 IDLE');
  t.equal(await c2.readLine(), '+ idling');
  c2.sendLine('DONE');
  t.same(await c2.until('89'), ['89 OK IDLE terminated']);
  t.same(await c2.command('90 uid store 1 +Flags (\\Seen)'), ['* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))', '90 OK UID STORE completed']);
  c2.sendLine('91 IDLE');
  t.equal(await c2.readLine(), '+ idling');
  t.ok(inboxValidity > 0);
  // TB quits without LOGOUT, in the middle of IDLE.
  c1.destroy();
  c2.destroy();
  for (let i = 0; i < 50 && h.server.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(h.server.connections, 0);
});
