import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer } from './harness.js';

t.test('CREATE', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a CREATE Projects/'), ['a OK CREATE completed'], 'trailing delimiter ignored');
  t.ok(await h.store.getMailbox(USER, 'Projects'));
  t.same(await c.command('b CREATE "Projects"'), ['b NO [ALREADYEXISTS] Mailbox already exists']);
  t.same(await c.command('c CREATE inbox'), ['c NO [ALREADYEXISTS] INBOX always exists']);
  t.same(await c.command('d CREATE "a//b"'), ['d NO [CANNOT] Mailbox name has an empty hierarchy level']);
  t.same(await c.command('e CREATE "wild*card"'), ['e NO [CANNOT] Mailbox name contains invalid characters']);
  t.same(await c.command('f CREATE'), ['f BAD Missing arguments']);
  t.same(await c.command('g CREATE x/y/z'), ['g OK CREATE completed']);
  t.ok(await h.store.getMailbox(USER, 'x/y'), 'superiors created');
});

t.test('DELETE', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a CREATE Old/Child');
  t.same(await c.command('b DELETE INBOX'), ['b NO [CANNOT] INBOX cannot be deleted']);
  t.same(await c.command('c DELETE Nope'), ['c NO [NONEXISTENT] No such mailbox']);
  t.same(await c.command('d DELETE Old'), ['d NO [HASCHILDREN] Mailbox has inferior hierarchical names']);
  t.same(await c.command('e DELETE Old/Child'), ['e OK DELETE completed']);
  t.same(await c.command('f DELETE Old'), ['f OK DELETE completed']);
  t.equal(await h.store.getMailbox(USER, 'Old'), null);
  // Deleting the selected mailbox leaves the selected state.
  await c.command('g CREATE Temp');
  await c.command('h SELECT Temp');
  t.same(await c.command('i DELETE Temp'), ['i OK DELETE completed']);
  t.same(await c.command('j FETCH 1 FLAGS'), ['j BAD No mailbox selected']);
});

t.test('RENAME', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a CREATE Box/Inner');
  t.same(await c.command('b RENAME Box Crate/Box'), ['b OK RENAME completed']);
  t.same(await c.command('c LIST "" "Crate*"'), [
    '* LIST (\\HasChildren) "/" "Crate"',
    '* LIST (\\HasChildren) "/" "Crate/Box"',
    '* LIST (\\HasNoChildren) "/" "Crate/Box/Inner"',
    'c OK LIST completed',
  ]);
  t.same(await c.command('d RENAME Nope Other'), ['d NO [NONEXISTENT] No such mailbox']);
  t.same(await c.command('e RENAME Sent Trash'), ['e NO [ALREADYEXISTS] Target mailbox already exists']);
  t.same(await c.command('f RENAME Crate Crate/Sub'), ['f NO [CANNOT] Invalid name or request']);
  await appendMessage(c, 'g', 'INBOX', sampleMessage());
  t.same(await c.command('h RENAME INBOX "Old Inbox"'), ['h OK RENAME completed']);
  t.same(await c.command('i STATUS "Old Inbox" (MESSAGES)'), ['* STATUS "Old Inbox" (MESSAGES 1)', 'i OK STATUS completed']);
  t.same(await c.command('j STATUS INBOX (MESSAGES)'), ['* STATUS "INBOX" (MESSAGES 0)', 'j OK STATUS completed']);
});

t.test('SUBSCRIBE and UNSUBSCRIBE', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a UNSUBSCRIBE Sent'), ['a OK UNSUBSCRIBE completed']);
  t.same(await c.command('b UNSUBSCRIBE Sent'), ['b OK UNSUBSCRIBE completed'], 'idempotent');
  t.same(await c.command('c SUBSCRIBE "Not/Yet"'), ['c OK SUBSCRIBE completed']);
  t.same((await h.store.listSubscriptions(USER)).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Not/Yet', 'Trash']);
  t.same(await c.command('d SUBSCRIBE ""'), ['d NO [CANNOT] Mailbox name is empty']);
});

t.test('STATUS', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  const mailbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  await appendMessage(c, 'a', 'INBOX', sampleMessage('One'), '\\Seen');
  await appendMessage(c, 'b', 'INBOX', sampleMessage('Two'));
  // Thunderbird's STATUS for folders it does not have open.
  t.same(await c.command('c STATUS "INBOX" (UIDNEXT MESSAGES UNSEEN RECENT)'), [
    '* STATUS "INBOX" (UIDNEXT 3 MESSAGES 2 UNSEEN 1 RECENT 2)',
    'c OK STATUS completed',
  ]);
  t.same(await c.command('d STATUS inbox (UIDVALIDITY SIZE)'), [
    `* STATUS "INBOX" (UIDVALIDITY ${mailbox.uidValidity} SIZE ${2 * Buffer.byteLength(sampleMessage('One'))})`,
    'd OK STATUS completed',
  ]);
  t.same(await c.command('e STATUS Nope (MESSAGES)'), ['e NO [NONEXISTENT] No such mailbox']);
  t.same(await c.command('f STATUS INBOX (MESSAGES BOGUS)'), ['f BAD Unknown status item BOGUS']);
  t.same(await c.command('g STATUS INBOX ()'), ['g BAD STATUS needs at least one item']);
  t.same(await c.command('h STATUS INBOX MESSAGES'), ['h BAD Expected status items as a parenthesised list']);
});
