import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer } from './harness.js';

async function threeMessages(t: Parameters<typeof startServer>[0]) {
  const h = await startServer(t);
  const c = await h.loggedIn();
  for (const [i, subject] of ['One', 'Two', 'Three'].entries()) await appendMessage(c, `p${i}`, 'INBOX', sampleMessage(subject));
  await c.command('p9 SELECT INBOX');
  const archive = (await h.store.getMailbox(USER, 'Archive'))!;
  return { h, c, archive };
}

t.test('COPY and UID COPY', async (t) => {
  const { h, c, archive } = await threeMessages(t);
  t.same(await c.command('a COPY 1,3 Archive'), [`a OK [COPYUID ${archive.uidValidity} 1,3 1:2] COPY completed`]);
  t.same(await c.command('b UID COPY 2:* "Archive"'), [`b OK [COPYUID ${archive.uidValidity} 2:3 3:4] UID COPY completed`]);
  t.same(await c.command('c UID COPY 10:20 Archive'), ['c OK UID COPY completed, no messages']);
  t.same(await c.command('d COPY 1 Nowhere'), ['d NO [TRYCREATE] No such mailbox']);
  t.same(await c.command('e COPY 4 Archive'), ['e BAD Invalid message sequence number']);
  t.equal((await h.store.getMailbox(USER, 'Archive'))!.messages, 4);
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 3, 'sources stay');
});

t.test('MOVE and UID MOVE', async (t) => {
  const { h, c, archive } = await threeMessages(t);
  // RFC 6851: untagged COPYUID first, then the EXPUNGEs, then the tagged OK.
  t.same(await c.command('a MOVE 1:2 Archive'), [
    `* OK [COPYUID ${archive.uidValidity} 1:2 1:2] Moved`,
    '* 2 EXPUNGE',
    '* 1 EXPUNGE',
    'a OK MOVE completed',
  ]);
  t.same(await c.command('b UID FETCH 1:* (FLAGS)'), ['* 1 FETCH (UID 3 FLAGS (\\Recent))', 'b OK UID FETCH completed']);
  t.same(await c.command('c UID MOVE 3 Nowhere'), ['c NO [TRYCREATE] No such mailbox']);
  t.same(await c.command('d UID MOVE 1 Archive'), ['d OK UID MOVE completed, no messages']);
  t.same(await c.command('e UID MOVE 3 Trash'), [
    `* OK [COPYUID ${(await h.store.getMailbox(USER, 'Trash'))!.uidValidity} 3 1] Moved`,
    '* 1 EXPUNGE',
    'e OK UID MOVE completed',
  ]);
  t.same(await c.command('f NOOP'), ['f OK NOOP completed'], 'the store echo is not announced again');
  await c.command('g EXAMINE Archive');
  t.same(await c.command('h MOVE 1 INBOX'), ['h NO Mailbox is read-only']);
});
