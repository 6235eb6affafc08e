/**
 * Address conformance found by imaptest's scripted tests (search-addresses): comments inside an
 * angle-addr are white space, not a display name (RFC 5322 §3.4), and SEARCH FROM/TO/CC/BCC
 * match the ENVELOPE's addresses (RFC 9051 §6.4.4), so `user@host` is found even when the
 * header writes it with comments between its parts.
 */
import t from 'tap';
import { appendMessage, startServer } from './harness.js';

const commented = [
  'From: <user-from (comment)@ (comment) domain.org>',
  'To: <user-to@domain.org>',
  'Subject: commented',
  '',
  'body',
  '',
].join('\r\n');

const trailing = [
  'From: user-from@domain.org (RealFrom)',
  'To: RealTo <user-to@domain.org>',
  'Subject: trailing',
  '',
  'body',
  '',
].join('\r\n');

t.test('comments inside <> are not a name; SEARCH FROM matches the envelope address', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await appendMessage(c, 'a1', 'INBOX', commented);
  await appendMessage(c, 'a2', 'INBOX', trailing);
  await c.command('s SELECT INBOX');
  t.same(
    await c.command('f1 FETCH 1 ENVELOPE'),
    [
      '* 1 FETCH (ENVELOPE (NIL "commented" ((NIL NIL "user-from" "domain.org")) ((NIL NIL "user-from" "domain.org")) ((NIL NIL "user-from" "domain.org")) ((NIL NIL "user-to" "domain.org")) NIL NIL NIL NIL))',
      'f1 OK FETCH completed',
    ],
  );
  t.same(
    await c.command('f2 FETCH 2 ENVELOPE'),
    [
      '* 2 FETCH (ENVELOPE (NIL "trailing" (("RealFrom" NIL "user-from" "domain.org")) (("RealFrom" NIL "user-from" "domain.org")) (("RealFrom" NIL "user-from" "domain.org")) (("RealTo" NIL "user-to" "domain.org")) NIL NIL NIL NIL))',
      'f2 OK FETCH completed',
    ],
    'a comment after an addr-spec still names it',
  );
  t.same(await c.command('q1 SEARCH FROM user-from@domain.org'), ['* SEARCH 1 2', 'q1 OK SEARCH completed']);
  t.same(await c.command('q2 SEARCH FROM ser-from@dom'), ['* SEARCH 1 2', 'q2 OK SEARCH completed'], 'substring of the address');
  t.same(await c.command('q3 SEARCH FROM realfrom'), ['* SEARCH 2', 'q3 OK SEARCH completed'], 'the header text still counts');
  t.same(await c.command('q4 SEARCH FROM comment'), ['* SEARCH 1', 'q4 OK SEARCH completed'], 'and so do its comments');
  t.same(await c.command('q5 SEARCH TO user-to@domain.org'), ['* SEARCH 1 2', 'q5 OK SEARCH completed']);
  t.same(
    await c.command('q6 SEARCH FROM user-from@domain.org NOT HEADER X-Absent x'),
    ['* SEARCH 1 2', 'q6 OK SEARCH completed'],
    'also where the header is read instead of the prepared records',
  );
});
