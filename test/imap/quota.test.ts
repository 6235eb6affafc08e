/**
 * QUOTA and QUOTA=RES-STORAGE (RFC 9208): GETQUOTAROOT and GETQUOTA with the RFC's own example
 * figures, SETQUOTA refused, enforcement on APPEND and COPY (NO [OVERQUOTA]), MOVE unaffected,
 * and the STATUS items DELETED and DELETED-STORAGE (RFC 9208 §4.3).
 */
import t from 'tap';
import { OTHER_USER, USER, sampleMessage, startServer } from './harness.js';

/** A message of exactly `size` octets. */
function messageOf(size: number, subject = 'Sized'): string {
  const head = sampleMessage(subject, '');
  return head + 'x'.repeat(size - head.length);
}

t.test('RFC 9208 §4.1.1 and §4.1.2 examples: STORAGE 10 512', async (t) => {
  const h = await startServer(t);
  await h.store.setQuota(USER, 512 * 1024);
  await h.store.append(USER, 'INBOX', Buffer.from(messageOf(10 * 1024)));
  const c = await h.loggedIn();
  t.same(await c.command('A003 GETQUOTAROOT INBOX'), [
    '* QUOTAROOT "INBOX" ""',
    '* QUOTA "" (STORAGE 10 512)',
    'A003 OK GETQUOTAROOT completed',
  ]);
  t.same(await c.command('A004 GETQUOTA ""'), ['* QUOTA "" (STORAGE 10 512)', 'A004 OK GETQUOTA completed']);
  t.same(await c.command('A005 GETQUOTA "User quota"'), ['A005 NO [NONEXISTENT] No such quota root']);
  t.same(await c.command('A006 GETQUOTAROOT Nowhere'), ['A006 NO [NONEXISTENT] No such mailbox']);
  t.same(await c.command('A007 SETQUOTA "" (STORAGE 512)'), ['A007 NO [NOPERM] Quotas are set by the administrator']);
  t.same(await c.command('A008 SETQUOTA ""'), ['A008 BAD Missing arguments']);
  t.same(await c.command('A009 GETQUOTA'), ['A009 BAD Missing arguments']);
});

t.test('an account without a limit has no quota root', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a GETQUOTAROOT INBOX'), ['* QUOTAROOT "INBOX"', 'a OK GETQUOTAROOT completed']);
  t.same(await c.command('b GETQUOTA ""'), ['b NO [NONEXISTENT] No such quota root']);
  await h.store.setQuota(USER, 0);
  t.same(await c.command('c GETQUOTA ""'), ['c NO [NONEXISTENT] No such quota root'], '0 is "no limit"');
});

t.test('APPEND and COPY over the quota are NO [OVERQUOTA]; nothing is stored', async (t) => {
  const h = await startServer(t);
  await h.store.setQuota(USER, 3000);
  const c = await h.loggedIn();
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  const first = messageOf(1400, 'First');
  t.same(await c.command(`a APPEND INBOX {${first.length}+}\r\n${first}`), [`a OK [APPENDUID ${inbox.uidValidity} 1] APPEND completed`]);
  const second = messageOf(1700, 'Second');
  t.same(await c.command(`b APPEND INBOX {${second.length}+}\r\n${second}`), ['b NO [OVERQUOTA] Quota exceeded']);
  const huge = messageOf(3001, 'Huge');
  t.same(await c.command(`c APPEND INBOX {${huge.length}+}\r\n${huge}`), ['c NO [OVERQUOTA] Quota exceeded'], 'larger than the quota');
  await c.command('d SELECT INBOX');
  t.same(await c.command('e COPY 1 Archive'), ['e OK [COPYUID ' + (await h.store.getMailbox(USER, 'Archive'))!.uidValidity + ' 1 1] COPY completed']);
  t.same(await c.command('f COPY 1 Archive'), ['f NO [OVERQUOTA] Quota exceeded'], 'a second copy does not fit');
  const archive = (await h.store.getMailbox(USER, 'Archive'))!;
  t.same(await c.command('g MOVE 1 Trash'), [
    `* OK [COPYUID ${(await h.store.getMailbox(USER, 'Trash'))!.uidValidity} 1 1] Moved`,
    '* 1 EXPUNGE',
    'g OK MOVE completed',
  ], 'MOVE changes no usage and is allowed when full');
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 0);
  t.equal(archive.messages, 1, 'one copy only');
  const other = await h.store.getAccount(OTHER_USER);
  t.equal(other!.quotaBytes, null, "other accounts keep the default");
});

t.test('STATUS DELETED and DELETED-STORAGE', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  for (const [i, size] of [1000, 2000, 3000].entries()) await h.store.append(USER, 'INBOX', Buffer.from(messageOf(size, `M${i}`)));
  await c.command('a SELECT INBOX');
  await c.command('b STORE 1,3 +FLAGS (\\Deleted)');
  t.same(await c.command('c STATUS INBOX (MESSAGES DELETED DELETED-STORAGE SIZE)'), [
    '* STATUS "INBOX" (MESSAGES 3 DELETED 2 DELETED-STORAGE 4000 SIZE 6000)',
    'c OK STATUS completed',
  ]);
});
