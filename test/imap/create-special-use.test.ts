/**
 * CREATE-SPECIAL-USE (RFC 6154 §3): `CREATE name (USE (attributes))`; what cannot be given is
 * NO [USEATTR] and creates nothing.
 */
import t from 'tap';
import { USER, startServer } from './harness.js';

t.test('CREATE with USE', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('t1 CREATE MySent (USE (\\Sent))'), ['t1 OK CREATE completed']);
  t.same(await c.command('t2 LIST "" MySent'), ['* LIST (\\HasNoChildren \\Sent) "/" "MySent"', 't2 OK LIST completed']);
  t.equal((await h.store.getMailbox(USER, 'MySent'))!.specialUse, '\\Sent');
  t.same(await c.command('t3 CREATE Old/Archive (USE (\\archive))'), ['t3 OK CREATE completed'], 'attributes are case-insensitive');
  t.same(await c.command('t4 LIST "" "Old*"'), [
    '* LIST (\\HasChildren) "/" "Old"',
    '* LIST (\\HasNoChildren \\Archive) "/" "Old/Archive"',
    't4 OK LIST completed',
  ], 'only the new mailbox gets the attribute, not its created superior');
  t.same(await c.command('t5 CREATE MySpecial (USE (\\Drafts \\Sent))'), ['t5 NO [USEATTR] A mailbox can have only one special use here']);
  t.same(await c.command('t6 CREATE Everything (USE (\\All))'), ['t6 NO [USEATTR] Special use \\All is not supported']);
  t.same(await c.command('t7 CREATE Important (USE (\\Important))'), ['t7 NO [USEATTR] Special use \\Important is not supported']);
  t.same(await c.command('t8 LIST "" "%"').then((lines) => lines.filter((line) => /MySpecial|Everything|Important/.test(line))), [], 'nothing created');
  t.same(await c.command('t9 CREATE X (COLOR (red))'), ['t9 BAD Unknown CREATE parameter COLOR']);
  t.same(await c.command('t10 CREATE X (USE)'), ['t10 BAD Expected USE attributes as a parenthesised list']);
  t.same(await c.command('t11 CREATE MySent (USE (\\Sent))'), ['t11 NO [ALREADYEXISTS] Mailbox already exists']);
});
