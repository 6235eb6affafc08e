import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer } from './harness.js';

t.test('APPEND', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  const sent = (await h.store.getMailbox(USER, 'Sent'))!;
  const message = sampleMessage('Sent copy');
  const size = Buffer.byteLength(message);
  // Thunderbird's Fcc: flag list and a LITERAL+ literal, no date-time (CLIENTS.md §5).
  t.same(await c.command(`a append "Sent" (\\Seen) {${size}+}\r\n${message}`), [`a OK [APPENDUID ${sent.uidValidity} 1] APPEND completed`]);
  t.same(
    await c.command(`b APPEND Sent (\\Flagged $Label) " 5-Mar-2026 10:00:00 +0100" {${size}+}\r\n${message}`),
    [`b OK [APPENDUID ${sent.uidValidity} 2] APPEND completed`],
  );
  t.same(await appendMessage(c, 'c', 'Sent', message), [`c OK [APPENDUID ${sent.uidValidity} 3] APPEND completed`], 'synchronizing literal');
  const stored = await h.store.listMessages(sent.id);
  t.same(stored.map((m) => m.flags), [['\\Seen'], ['\\Flagged', '$Label'], []]);
  t.equal(stored[1].internalDate, Date.UTC(2026, 2, 5, 9, 0, 0));
  t.equal(stored[0].size, size);

  t.same(await c.command(`d APPEND Nowhere {${size}+}\r\n${message}`), ['d NO [TRYCREATE] No such mailbox']);
  t.same(await c.command('e APPEND Sent {0+}\r\n'), ['e NO [CANNOT] Empty message']);
  t.same(await c.command(`f APPEND Sent "32-Jan-2026 10:00:00 +0000" {${size}+}\r\n${message}`), ['f BAD Invalid date-time']);
  t.same(await c.command(`g APPEND Sent (\\Recent) {${size}+}\r\n${message}`), ['g BAD Invalid flag \\Recent']);
  t.same(await c.command('h APPEND Sent'), ['h BAD APPEND needs a mailbox and a message']);
  t.same(await c.command('i APPEND Sent (\\Seen) "text instead of a literal"'), [`i BAD Expected the message as a literal`]);
  t.equal((await h.store.getMailbox(USER, 'Sent'))!.messages, 3, 'nothing stored by the failed ones');
});

t.test('APPEND over the APPENDLIMIT is NO [TOOBIG]', async (t) => {
  const h = await startServer(t, { limits: { maxMessageSize: 1000 } });
  const c = await h.loggedIn();
  const big = sampleMessage('Big', 'x'.repeat(1200));
  t.same(await c.command(`a APPEND INBOX {${big.length}+}\r\n${big}`), ['a NO [TOOBIG] Message exceeds the maximum size of 1000 octets']);
  t.same(await c.command('b NOOP'), ['b OK NOOP completed'], 'the session goes on');
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 0);
});

t.test('APPEND to the selected mailbox announces EXISTS', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a SELECT INBOX');
  const reply = await appendMessage(c, 'b', 'INBOX', sampleMessage());
  const noop = await c.command('c NOOP');
  t.same([...reply, ...noop].filter((line) => line.startsWith('* ')), ['* 1 EXISTS', '* 1 RECENT']);
  t.match(reply[reply.length - 1], /^b OK \[APPENDUID \d+ 1\] APPEND completed$/);
});
