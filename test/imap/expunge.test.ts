import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer } from './harness.js';

async function fiveMessages(t: Parameters<typeof startServer>[0]) {
  const h = await startServer(t);
  const c = await h.loggedIn();
  for (let i = 1; i <= 5; i++) await appendMessage(c, `p${i}`, 'INBOX', sampleMessage(`M${i}`));
  await c.command('p9 SELECT INBOX');
  return { h, c };
}

t.test('EXPUNGE announces each removed message, highest first', async (t) => {
  const { h, c } = await fiveMessages(t);
  await c.command('a STORE 2,4:5 +FLAGS.SILENT (\\Deleted)');
  t.same(await c.command('b EXPUNGE'), ['* 5 EXPUNGE', '* 4 EXPUNGE', '* 2 EXPUNGE', 'b OK EXPUNGE completed']);
  t.same(await c.command('c FETCH 1:* (UID)'), ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 3)', 'c OK FETCH completed']);
  t.same(await c.command('d EXPUNGE'), ['d OK EXPUNGE completed'], 'nothing left to expunge');
  t.same(await c.command('e NOOP'), ['e OK NOOP completed'], 'no echo of our own expunge');
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 2);
});

t.test('UID EXPUNGE removes only the named \\Deleted messages', async (t) => {
  const { h, c } = await fiveMessages(t);
  await c.command('a STORE 1:4 +FLAGS.SILENT (\\Deleted)');
  t.same(await c.command('b UID EXPUNGE 2:3,5'), ['* 3 EXPUNGE', '* 2 EXPUNGE', 'b OK UID EXPUNGE completed']);
  t.same(await c.command('c UID SEARCH DELETED'), ['* SEARCH 1 4', 'c OK UID SEARCH completed']);
  t.same(await c.command('d UID EXPUNGE'), ['d BAD Missing arguments']);
  t.same(await c.command('e UID EXPUNGE abc'), ['e BAD Invalid sequence set: abc']);
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 3);
});
