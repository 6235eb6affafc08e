import t from 'tap';
import { appendMessage, sampleMessage, startServer } from './harness.js';

t.test('SEARCH and UID SEARCH', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await appendMessage(c, 'p1', 'INBOX', sampleMessage('Alpha', 'first'), '\\Seen');
  await appendMessage(c, 'p2', 'INBOX', sampleMessage('Beta', 'second'));
  await appendMessage(c, 'p3', 'INBOX', sampleMessage('Gamma', 'third'), '\\Deleted');
  await c.command('p4 SELECT INBOX');
  await c.command('p5 EXPUNGE');
  await appendMessage(c, 'p6', 'INBOX', sampleMessage('Delta', 'fourth'));
  await c.command('p7 NOOP');
  // Sequence numbers 1, 2, 3 now hold UIDs 1, 2, 4.
  t.same(await c.command('a SEARCH ALL'), ['* SEARCH 1 2 3', 'a OK SEARCH completed']);
  t.same(await c.command('b UID SEARCH ALL'), ['* SEARCH 1 2 4', 'b OK UID SEARCH completed']);
  t.same(await c.command('c SEARCH UNSEEN'), ['* SEARCH 2 3', 'c OK SEARCH completed']);
  t.same(await c.command('d UID SEARCH SUBJECT delta'), ['* SEARCH 4', 'd OK UID SEARCH completed']);
  t.same(await c.command('e SEARCH BODY second'), ['* SEARCH 2', 'e OK SEARCH completed']);
  t.same(await c.command('f UID SEARCH UNDELETED HEADER Message-ID <Beta@example.org>'), ['* SEARCH 2', 'f OK UID SEARCH completed']);
  t.same(await c.command('g SEARCH CHARSET UTF-8 FROM bob'), ['* SEARCH 1 2 3', 'g OK SEARCH completed']);
  t.same(await c.command('h UID SEARCH UID 3:*'), ['* SEARCH 4', 'h OK UID SEARCH completed']);
  t.same(await c.command('i SEARCH 2:*'), ['* SEARCH 2 3', 'i OK SEARCH completed']);
  t.same(await c.command('j SEARCH SUBJECT nothing'), ['* SEARCH', 'j OK SEARCH completed']);
  const badCharset = await c.command('k SEARCH CHARSET KOI8-R ALL');
  t.equal(badCharset.length, 1);
  t.match(badCharset[0], /^k NO \[BADCHARSET \(UTF-8 US-ASCII\)\] /, 'NO, not BAD (RFC 3501 §6.4.4)');
  t.same(await c.command('l SEARCH RETURN (COUNT) ALL'), ['* ESEARCH (TAG "l") COUNT 3', 'l OK SEARCH completed'], 'ESEARCH: esearch.test.ts');
  t.same(await c.command('m SEARCH BOGUS'), ['m BAD Unknown search key BOGUS']);
});
