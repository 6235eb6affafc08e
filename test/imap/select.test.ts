import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer } from './harness.js';

t.test('SELECT and EXAMINE', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  const uidValidity = (await h.store.getMailbox(USER, 'INBOX'))!.uidValidity;
  t.same(await c.command('a select "INBOX"'), [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted',
    '* 0 EXISTS',
    '* 0 RECENT',
    `* OK [UIDVALIDITY ${uidValidity}] UIDs valid`,
    '* OK [UIDNEXT 1] Predicted next UID',
    '* OK [HIGHESTMODSEQ 1] Highest',
    'a OK [READ-WRITE] SELECT completed',
  ]);
  await appendMessage(c, 'b', 'INBOX', sampleMessage('One'), '\\Seen');
  await appendMessage(c, 'c', 'INBOX', sampleMessage('Two'), '$Forwarded');
  await appendMessage(c, 'd', 'INBOX', sampleMessage('Three'));
  t.same(await c.command('e SELECT inbox'), [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted',
    '* 3 EXISTS',
    '* 0 RECENT',
    '* OK [UNSEEN 2] First unseen',
    `* OK [UIDVALIDITY ${uidValidity}] UIDs valid`,
    '* OK [UIDNEXT 4] Predicted next UID',
    '* OK [HIGHESTMODSEQ 4] Highest',
    'e OK [READ-WRITE] SELECT completed',
  ]);
  t.same(await c.command('f EXAMINE INBOX'), [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)',
    '* OK [PERMANENTFLAGS ()] No permanent flags permitted',
    '* 3 EXISTS',
    '* 0 RECENT',
    '* OK [UNSEEN 2] First unseen',
    `* OK [UIDVALIDITY ${uidValidity}] UIDs valid`,
    '* OK [UIDNEXT 4] Predicted next UID',
    '* OK [HIGHESTMODSEQ 4] Highest',
    'f OK [READ-ONLY] EXAMINE completed',
  ]);
  t.same(await c.command('g STORE 1 +FLAGS (\\Flagged)'), ['g NO Mailbox is read-only']);
  t.same(await c.command('h FETCH 2 (BODY[TEXT])'), ['* 2 FETCH (BODY[TEXT] {11}\r\nHi there.\r\n)', 'h OK FETCH completed']);
  t.same(await c.command('i FETCH 2 FLAGS'), ['* 2 FETCH (FLAGS ($Forwarded))', 'i OK FETCH completed'], 'EXAMINE sets no \\Seen');
  t.same(await c.command('j EXPUNGE'), ['j NO Mailbox is read-only']);
  t.same(await c.command('k SELECT Nope'), ['k NO [NONEXISTENT] No such mailbox']);
  t.same(await c.command('l FETCH 1 FLAGS'), ['l BAD No mailbox selected'], 'a failed SELECT leaves no mailbox selected');
  t.same(await c.command('m SELECT INBOX (XYZZY)'), ['m BAD Unknown SELECT parameter XYZZY']);
});

t.test('a SELECT or EXAMINE that fails with BAD also leaves no mailbox selected (RFC 9051 §6.3.2)', async (t) => {
  // emailjs-imap-client goes on after a refused SELECT; its UID STORE and UID EXPUNGE then hit
  // the mailbox selected before unless the failed SELECT closed it.
  const h = await startServer(t);
  const c = await h.loggedIn();
  await appendMessage(c, 'a', 'INBOX', sampleMessage('Keep me'));
  const fails = ['SELECT "a b" extra', 'EXAMINE "bad&name"', 'SELECT INBOX (XYZZY)', 'EXAMINE INBOX (QRESYNC (1 1))'];
  for (const [i, failing] of fails.entries()) {
    t.match((await c.command(`s${i} SELECT INBOX`)).at(-1), /^s\d OK \[READ-WRITE\]/);
    t.match((await c.command(`f${i} ${failing}`)).at(-1), new RegExp(`^f${i} (BAD|NO) `), failing);
    t.same(await c.command(`x${i} UID EXPUNGE 1`), [`x${i} BAD No mailbox selected`], `after ${failing}: nothing selected`);
  }
  t.same(await c.command('e ENABLE QRESYNC'), ['* ENABLED QRESYNC', 'e OK ENABLE completed']);
  await c.command('s SELECT INBOX');
  t.same(await c.command('f SELECT INBOX (XYZZY)'), ['* OK [CLOSED] Previous mailbox is now closed', 'f BAD Unknown SELECT parameter XYZZY'], 'QRESYNC sessions are told');
  t.equal((await h.store.listMessages((await h.store.getMailbox(USER, 'INBOX'))!.id)).length, 1, 'the message is still there');
});

t.test('CLOSE, UNSELECT and CHECK', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a CHECK'), ['a BAD No mailbox selected']);
  t.same(await c.command('b CLOSE'), ['b BAD No mailbox selected']);
  await appendMessage(c, 'c', 'INBOX', sampleMessage('One'), '\\Deleted');
  await appendMessage(c, 'd', 'INBOX', sampleMessage('Two'));
  await c.command('e SELECT INBOX');
  t.same(await c.command('f CHECK'), ['f OK CHECK completed']);
  t.same(await c.command('g UNSELECT'), ['g OK UNSELECT completed']);
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 2, 'UNSELECT expunges nothing');
  await c.command('h EXAMINE INBOX');
  t.same(await c.command('i CLOSE'), ['i OK CLOSE completed']);
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 2, 'CLOSE after EXAMINE expunges nothing');
  await c.command('j SELECT INBOX');
  t.same(await c.command('k CLOSE'), ['k OK CLOSE completed'], 'no EXPUNGE responses');
  t.same((await h.store.listMessages((await h.store.getMailbox(USER, 'INBOX'))!.id)).map((m) => m.uid), [2]);
  t.same(await c.command('l UNSELECT'), ['l BAD No mailbox selected']);
});
