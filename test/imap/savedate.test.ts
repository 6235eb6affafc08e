/**
 * SAVEDATE (RFC 8514): FETCH SAVEDATE is when the message was stored in this mailbox (a COPY
 * gets its own), and SEARCH SAVEDBEFORE/SAVEDON/SAVEDSINCE and SAVEDATESUPPORTED (§4).
 */
import t from 'tap';
import { formatDateTime } from '../../src/imap/fetch/index.js';
import { USER, sampleMessage, startServer } from './harness.js';

t.test('FETCH SAVEDATE and the SAVED* search keys', async (t) => {
  const h = await startServer(t);
  const old = Date.UTC(2020, 0, 15, 12, 0, 0);
  await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage('Old')), { internalDate: old });
  const c = await h.loggedIn();
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  const [meta] = await h.store.listMessages(inbox.id);
  t.ok(Math.abs(meta.savedAt - Date.now()) < 60_000, 'saved now, whatever the internal date');
  await c.command('a SELECT INBOX');
  t.same(await c.command('b FETCH 1 (SAVEDATE INTERNALDATE)'), [
    `* 1 FETCH (SAVEDATE "${formatDateTime(meta.savedAt)}" INTERNALDATE "${formatDateTime(old)}")`,
    'b OK FETCH completed',
  ]);
  const today = new Date(meta.savedAt);
  const day = `${today.getUTCDate()}-${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][today.getUTCMonth()]}-${today.getUTCFullYear()}`;
  t.same(await c.command(`c SEARCH SAVEDON ${day}`), ['* SEARCH 1', 'c OK SEARCH completed']);
  t.same(await c.command('d SEARCH SAVEDBEFORE 1-Jan-2021'), ['* SEARCH', 'd OK SEARCH completed'], 'not by internal date');
  t.same(await c.command('e SEARCH BEFORE 1-Jan-2021'), ['* SEARCH 1', 'e OK SEARCH completed'], 'while BEFORE is');
  t.same(await c.command('f SEARCH SAVEDSINCE 1-Jan-2021'), ['* SEARCH 1', 'f OK SEARCH completed']);
  t.same(await c.command('g SEARCH SAVEDATESUPPORTED'), ['* SEARCH 1', 'g OK SEARCH completed']);
  t.same(await c.command('h SEARCH SAVEDON 32-Jan-2021'), ['h BAD Bad date 32-Jan-2021']);
});
