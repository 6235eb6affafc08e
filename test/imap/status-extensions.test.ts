/**
 * STATUS items from extensions, and LIST-STATUS: SIZE (RFC 8438 §3), APPENDLIMIT (RFC 7889 §3),
 * and `LIST ... RETURN (STATUS (...))` (RFC 5819 §2, its example with "/" as the delimiter).
 */
import t from 'tap';
import { USER, sampleMessage, startServer } from './harness.js';

t.test('STATUS SIZE (RFC 8438) and APPENDLIMIT (RFC 7889)', async (t) => {
  const h = await startServer(t);
  await h.store.createMailbox(USER, 'blurdybloop');
  for (const subject of ['One', 'Two']) await h.store.append(USER, 'blurdybloop', Buffer.from(sampleMessage(subject)));
  const c = await h.loggedIn();
  const size = Buffer.byteLength(sampleMessage('One')) + Buffer.byteLength(sampleMessage('Two'));
  t.same(await c.command('A042 STATUS blurdybloop (UIDNEXT MESSAGES SIZE)'), [
    `* STATUS "blurdybloop" (UIDNEXT 3 MESSAGES 2 SIZE ${size})`,
    'A042 OK STATUS completed',
  ]);
  t.same(await c.command('a STATUS INBOX (APPENDLIMIT)'), ['* STATUS "INBOX" (APPENDLIMIT 524288)', 'a OK STATUS completed'], 'the advertised limit');
  t.same(await c.command('b STATUS INBOX (BOGUS)'), ['b BAD Unknown status item BOGUS']);
});

t.test('RFC 5819 §2 example: LIST "" % RETURN (STATUS (MESSAGES UNSEEN))', async (t) => {
  const h = await startServer(t);
  await h.store.createMailbox(USER, 'foo');
  // CREATE makes the superior "bar" a mailbox of its own.
  await h.store.createMailbox(USER, 'bar/baz');
  for (const name of ['Archive', 'Drafts', 'Sent', 'Trash', 'Junk']) await h.store.deleteMailbox(USER, name);
  for (let i = 0; i < 3; i++) await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage(`M${i}`)), { flags: i === 0 ? ['\\Seen'] : [] });
  await h.store.append(USER, 'foo', Buffer.from(sampleMessage('F')));
  const c = await h.loggedIn();
  t.same(await c.command('A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))'), [
    '* LIST (\\HasNoChildren) "/" "INBOX"',
    '* STATUS "INBOX" (MESSAGES 3 UNSEEN 2)',
    '* LIST (\\HasChildren) "/" "bar"',
    '* STATUS "bar" (MESSAGES 0 UNSEEN 0)',
    '* LIST (\\HasNoChildren) "/" "foo"',
    '* STATUS "foo" (MESSAGES 1 UNSEEN 1)',
    'A01 OK LIST completed',
  ]);
  t.same(await c.command('A02 LIST (SUBSCRIBED) "" "*" RETURN (STATUS (MESSAGES))'), [
    '* LIST (\\Subscribed \\HasNoChildren) "/" "INBOX"',
    '* STATUS "INBOX" (MESSAGES 3)',
    ...['Archive', 'Drafts', 'Junk', 'Sent', 'Trash'].map((name) => `* LIST (\\NonExistent \\Subscribed \\HasNoChildren) "/" "${name}"`),
    'A02 OK LIST completed',
  ], 'subscribed names that are not mailboxes get no STATUS');
  t.same(await c.command('A03 LIST "" % RETURN (STATUS)'), ['A03 BAD Expected status items as a parenthesised list']);
  t.same(await c.command('A04 LIST "" % RETURN (STATUS (MESSAGES) STATUS (UNSEEN))'), ['A04 BAD STATUS given twice in LIST RETURN']);
});
