import t from 'tap';
import { startServer } from './harness.js';

const DEFAULTS = [
  '* LIST (\\HasNoChildren) "/" "INBOX"',
  '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
  '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
  '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
  '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
  '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
];

t.test('LIST patterns', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a LIST "" "*"'), [...DEFAULTS, 'a OK LIST completed']);
  t.same(await c.command('b LIST "" ""'), ['* LIST (\\Noselect) "/" ""', 'b OK LIST completed']);
  await c.command('c CREATE Work/Projects/Bridgehead');
  t.same(await c.command('d LIST "" "Work*"'), [
    '* LIST (\\HasChildren) "/" "Work"',
    '* LIST (\\HasChildren) "/" "Work/Projects"',
    '* LIST (\\HasNoChildren) "/" "Work/Projects/Bridgehead"',
    'd OK LIST completed',
  ]);
  t.same(await c.command('e LIST "" "W%"'), ['* LIST (\\HasChildren) "/" "Work"', 'e OK LIST completed'], '% stops at /');
  t.same(await c.command('f LIST "Work/" "%"'), ['* LIST (\\HasChildren) "/" "Work/Projects"', 'f OK LIST completed'], 'reference is a prefix');
  t.same(await c.command('g LIST "" "inbox"'), ['* LIST (\\HasNoChildren) "/" "INBOX"', 'g OK LIST completed'], 'INBOX in any case');
  t.same(await c.command('h LIST "" Trash'), ['* LIST (\\HasNoChildren \\Trash) "/" "Trash"', 'h OK LIST completed'], 'atom pattern');
  t.same(await c.command('i LIST "" "Nothing"'), ['i OK LIST completed']);
  t.same(await c.command('j LIST "" ("INBOX" "Sent")'), [
    '* LIST (\\HasNoChildren) "/" "INBOX"',
    '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
    'j OK LIST completed',
  ]);
  t.same(await c.command('k LIST ""'), ['k BAD LIST needs a reference and a mailbox pattern']);
});

t.test('LIST-EXTENDED selection and return options', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  // Thunderbird's folder discovery (CLIENTS.md §5).
  t.same(await c.command('a list (subscribed) "" "*" return (special-use)'), [
    '* LIST (\\Subscribed \\HasNoChildren) "/" "INBOX"',
    '* LIST (\\Subscribed \\HasNoChildren \\Archive) "/" "Archive"',
    '* LIST (\\Subscribed \\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\Subscribed \\HasNoChildren \\Junk) "/" "Junk"',
    '* LIST (\\Subscribed \\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\Subscribed \\HasNoChildren \\Trash) "/" "Trash"',
    'a OK LIST completed',
  ]);
  await c.command('b UNSUBSCRIBE Junk');
  await c.command('c CREATE Lists/Node');
  await c.command('d SUBSCRIBE Lists/Node');
  await c.command('e SUBSCRIBE Gone');
  // imapflow's listing.
  t.same(await c.command('f LIST "" "*" RETURN (SPECIAL-USE CHILDREN SUBSCRIBED)'), [
    '* LIST (\\Subscribed \\HasNoChildren) "/" "INBOX"',
    '* LIST (\\Subscribed \\HasNoChildren \\Archive) "/" "Archive"',
    '* LIST (\\Subscribed \\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
    '* LIST (\\HasChildren) "/" "Lists"',
    '* LIST (\\Subscribed \\HasNoChildren) "/" "Lists/Node"',
    '* LIST (\\Subscribed \\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\Subscribed \\HasNoChildren \\Trash) "/" "Trash"',
    'f OK LIST completed',
  ]);
  t.same(await c.command('g LIST (SUBSCRIBED) "" "G*"'), ['* LIST (\\NonExistent \\Subscribed \\HasNoChildren) "/" "Gone"', 'g OK LIST completed']);
  t.same(await c.command('h LIST (SUBSCRIBED RECURSIVEMATCH) "" "L%"'), [
    '* LIST (\\HasChildren) "/" "Lists" ("CHILDINFO" ("SUBSCRIBED"))',
    'h OK LIST completed',
  ]);
  t.same(await c.command('i LIST (SPECIAL-USE) "" "*"'), [
    '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
    '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
    '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
    'i OK LIST completed',
  ]);
  t.same(await c.command('j LIST "" "*" RETURN (STATUS (BOGUS))'), ['j BAD Unknown status item BOGUS']);
  t.same(await c.command('k LIST (RECURSIVEMATCH) "" "*"'), ['k BAD RECURSIVEMATCH needs another selection option']);
  t.same(await c.command('l LIST (BOGUS) "" "*"'), ['l BAD Unsupported LIST selection option BOGUS']);
  t.same(await c.command('m LIST "" "*" RETURN (MYRIGHTS)'), ['m BAD Unsupported LIST return option MYRIGHTS']);
});

t.test('LSUB', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await c.command('a CREATE Work/Deep');
  await c.command('b SUBSCRIBE Work/Deep');
  await c.command('c SUBSCRIBE Missing');
  await c.command('d UNSUBSCRIBE Junk');
  t.same(await c.command('e LSUB "" "*"'), [
    '* LSUB () "/" "INBOX"',
    '* LSUB () "/" "Archive"',
    '* LSUB () "/" "Drafts"',
    '* LSUB (\\Noselect) "/" "Missing"',
    '* LSUB () "/" "Sent"',
    '* LSUB () "/" "Trash"',
    '* LSUB () "/" "Work/Deep"',
    'e OK LSUB completed',
  ]);
  t.same(await c.command('f LSUB "" "W%"'), ['* LSUB (\\Noselect) "/" "Work"', 'f OK LSUB completed'], 'unsubscribed superior');
  t.same(await c.command('g LSUB "" "Work/%"'), ['* LSUB () "/" "Work/Deep"', 'g OK LSUB completed']);
  t.same(await c.command('h LSUB "" ""'), ['h OK LSUB completed']);
});
