/**
 * IMAP4rev2 sessions (RFC 9051), switched on by ENABLE IMAP4rev2 next to IMAP4rev1 sessions on
 * the same server: SELECT without RECENT and [UNSEEN] but with the mailbox's LIST response
 * (§6.3.2), `* OK [CLOSED]` when another mailbox is selected (§7.1), SEARCH answered with
 * ESEARCH (§6.4.4), UTF-8 mailbox names (§5.1).
 */
import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer } from './harness.js';

t.test('ENABLE IMAP4rev2 switches one session, not the others', async (t) => {
  const h = await startServer(t);
  const rev2 = await h.loggedIn();
  const rev1 = await h.loggedIn();
  t.same(await rev2.command('a ENABLE IMAP4rev2'), ['* ENABLED IMAP4rev2', 'a OK ENABLE completed']);
  await appendMessage(rev1, 'p1', 'INBOX', sampleMessage('One'), '\\Seen');
  await appendMessage(rev1, 'p2', 'INBOX', sampleMessage('Two'));
  const uidValidity = (await h.store.getMailbox(USER, 'INBOX'))!.uidValidity;
  const common = [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted',
    '* 2 EXISTS',
  ];
  const tail = [`* OK [UIDVALIDITY ${uidValidity}] UIDs valid`, '* OK [UIDNEXT 3] Predicted next UID', '* OK [HIGHESTMODSEQ 3] Highest'];
  // RFC 9051 §6.3.2: "A142 SELECT INBOX ... * LIST () "/" INBOX"
  t.same(await rev2.command('A142 SELECT INBOX'), [...common, ...tail, '* LIST (\\HasNoChildren) "/" "INBOX"', 'A142 OK [READ-WRITE] SELECT completed']);
  t.same(await rev1.command('A143 SELECT INBOX'), [...common, '* 2 RECENT', '* OK [UNSEEN 2] First unseen', ...tail, 'A143 OK [READ-WRITE] SELECT completed']);

  // RFC 9051 §6.4.4: a SEARCH without RETURN is answered as RETURN (ALL).
  t.same(await rev2.command('A282 SEARCH UNSEEN'), ['* ESEARCH (TAG "A282") ALL 2', 'A282 OK SEARCH completed']);
  t.same(await rev2.command('A283 UID SEARCH ALL'), ['* ESEARCH (TAG "A283") UID ALL 1:2', 'A283 OK UID SEARCH completed']);
  t.same(await rev2.command('A284 SEARCH SUBJECT nothing'), ['* ESEARCH (TAG "A284")', 'A284 OK SEARCH completed']);
  t.same(await rev2.command('A285 SEARCH RETURN (COUNT) ALL'), ['* ESEARCH (TAG "A285") COUNT 2', 'A285 OK SEARCH completed']);
  t.same(await rev1.command('A286 SEARCH UNSEEN'), ['* SEARCH 2', 'A286 OK SEARCH completed']);

  // §7.1 CLOSED: the end of the previous mailbox's responses; only for rev2 here.
  const sent = await rev2.command('A287 EXAMINE Sent');
  t.equal(sent[0], '* OK [CLOSED] Previous mailbox is now closed');
  t.ok(sent.includes('* LIST (\\HasNoChildren \\Sent) "/" "Sent"'), 'special use in the LIST response');
  t.equal((await rev1.command('A288 EXAMINE Sent'))[0], '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)');
});

t.test('rev2 sessions use UTF-8 mailbox names and see \\HasChildren at SELECT', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a ENABLE IMAP4rev2');
  t.same(await c.command('b CREATE "Café/Menu"'), ['b OK CREATE completed']);
  t.same(await c.command('c LIST "" "Caf*"'), ['* LIST (\\HasChildren) "/" "Café"', '* LIST (\\HasNoChildren) "/" "Café/Menu"', 'c OK LIST completed']);
  const selected = await c.command('d SELECT "Café"');
  t.ok(selected.includes('* LIST (\\HasChildren) "/" "Café"'));
  t.same(await c.command('e STATUS "Café/Menu" (MESSAGES SIZE DELETED)'), ['* STATUS "Café/Menu" (MESSAGES 0 SIZE 0 DELETED 0)', 'e OK STATUS completed']);
  t.ok((await h.store.getMailbox(USER, 'Café/Menu')) !== null, 'stored under its Unicode name');
});
