import t from 'tap';
import { appendMessage, sampleMessage, startServer } from './harness.js';

const ONE = sampleMessage('One');
const TWO = sampleMessage('Two', 'Second body.');

async function mailbox(t: Parameters<typeof startServer>[0]) {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await appendMessage(c, 'p1', 'INBOX', ONE, '\\Seen');
  await appendMessage(c, 'p2', 'INBOX', TWO);
  await c.command('p3 SELECT "INBOX"');
  return { h, c };
}

t.test('STORE and UID STORE', async (t) => {
  const { c } = await mailbox(t);
  t.same(await c.command('a STORE 1:2 +FLAGS (\\Flagged)'), [
    '* 1 FETCH (FLAGS (\\Seen \\Flagged \\Recent))',
    '* 2 FETCH (FLAGS (\\Flagged \\Recent))',
    'a OK STORE completed',
  ]);
  t.same(await c.command('b uid store 2 +Flags (\\Seen)'), ['* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen \\Recent))', 'b OK UID STORE completed']);
  t.same(await c.command('c STORE 1 -FLAGS \\Flagged'), ['* 1 FETCH (FLAGS (\\Seen \\Recent))', 'c OK STORE completed'], 'bare flag');
  t.same(await c.command('d STORE 1 FLAGS ($Label1 \\answered)'), [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)',
    '* 1 FETCH (FLAGS ($Label1 \\Answered \\Recent))',
    'd OK STORE completed',
  ], 'a new keyword: FLAGS first (RFC 3501 §7.2.6)');
  t.same(await c.command('e UID STORE 1:* +FLAGS.SILENT (\\Deleted)'), ['e OK UID STORE completed']);
  t.same(await c.command('f FETCH 1:2 FLAGS'), [
    '* 1 FETCH (FLAGS ($Label1 \\Answered \\Deleted \\Recent))',
    '* 2 FETCH (FLAGS (\\Flagged \\Seen \\Deleted \\Recent))',
    'f OK FETCH completed',
  ]);
  t.same(await c.command('g UID STORE 5 +FLAGS (\\Seen)'), ['g OK UID STORE completed'], 'missing UID ignored');
  t.same(await c.command('h STORE 1 +FLAGS (\\Recent)'), ['h BAD Invalid flag \\Recent']);
  t.same(await c.command('i STORE 1 REPLACE (\\Seen)'), ['i BAD Unknown STORE data item REPLACE']);
  t.same(await c.command('j STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)'), [
    '* OK [HIGHESTMODSEQ 10] Highest',
    'j OK [MODIFIED 1] Conditional STORE failed',
  ], 'CONDSTORE: store-command-condstore.test.ts');
  t.same(await c.command('k STORE 3 +FLAGS (\\Seen)'), ['k BAD Invalid message sequence number']);
  t.same(await c.command('l NOOP'), ['l OK NOOP completed'], 'own changes are not echoed again');
});
