/**
 * Keywords the client was not told of at SELECT are announced by a `* FLAGS` response before the
 * first response that uses them (RFC 3501 §7.2.6), whoever brought them: another session's
 * STORE, new mail, this session's own STORE. The list only grows while selected.
 */
import t from 'tap';
import { appendMessage, sampleMessage, startServer } from './harness.js';

const SYSTEM = '\\Answered \\Flagged \\Deleted \\Seen \\Draft';

t.test('another session\'s new keyword and new mail with keywords', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  await appendMessage(b, 'b0', 'INBOX', sampleMessage('One'), 'Known');
  t.ok((await a.command('a1 SELECT INBOX')).includes(`* FLAGS (${SYSTEM} Known)`));
  await b.command('b1 SELECT INBOX');
  await b.command('b2 STORE 1 +FLAGS.SILENT ($Work)');
  t.same(await a.command('a2 NOOP'), [
    `* FLAGS (${SYSTEM} Known $Work)`,
    '* 1 FETCH (UID 1 FLAGS (Known $Work \\Recent))',
    'a2 OK NOOP completed',
  ]);
  await b.command('b3 STORE 1 -FLAGS.SILENT ($Work)');
  t.same(await a.command('a3 NOOP'), ['* 1 FETCH (UID 1 FLAGS (Known \\Recent))', 'a3 OK NOOP completed'], 'no FLAGS when a keyword goes');
  await appendMessage(b, 'b4', 'INBOX', sampleMessage('Two'), '\\Seen $Todo known');
  t.same(await a.command('a4 NOOP'), [
    `* FLAGS (${SYSTEM} Known $Work $Todo)`,
    '* 2 EXISTS',
    '* 2 RECENT',
    'a4 OK NOOP completed',
  ], 'FLAGS before EXISTS; keywords match case-insensitively; $Work stays listed');
  t.same(await a.command('a5 UID STORE 2 +FLAGS (KNOWN $todo)'), ['* 2 FETCH (UID 2 FLAGS (\\Seen $Todo known \\Recent))', 'a5 OK UID STORE completed'], 'no FLAGS: both known in another case');
});
