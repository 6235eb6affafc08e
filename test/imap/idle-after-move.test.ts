/**
 * Thunderbird's filing pattern (tools/thunderbird): connection A selects a folder another
 * connection just created, B moves a message into it, and A starts IDLE only later. The new
 * message must be announced when IDLE starts (RFC 2177: pending changes are sent as soon as the
 * server may), with and without COMPRESS=DEFLATE (RFC 4978 §4: flushed, never held back).
 */
import t from 'tap';
import { appendMessage, sampleMessage, startServer } from './harness.js';

for (const compress of [false, true]) {
  t.test(`IDLE announces a message moved in before it started (COMPRESS ${compress ? 'on' : 'off'})`, async (t) => {
    const h = await startServer(t);
    for (let round = 0; round < 5; round++) {
      const a = await h.loggedIn();
      const b = await h.loggedIn();
      if (compress) {
        for (const client of [a, b]) {
          await client.command('c COMPRESS DEFLATE');
          client.startCompression();
        }
      }
      const folder = `Filed ${round}`;
      await b.command(`cr CREATE "${folder}"`);
      await appendMessage(b, 'ap', 'INBOX', sampleMessage(`Message ${round}`));
      await b.command('s SELECT INBOX');
      await a.command(`s SELECT "${folder}"`);
      await a.command(`q GETQUOTAROOT "${folder}"`);
      t.match((await b.command(`m UID MOVE 1:* "${folder}"`)).at(-1), /^m OK/);
      a.sendLine('i IDLE');
      t.same([await a.readLine(), await a.readLine(), await a.readLine()], ['+ idling', '* 1 EXISTS', '* 1 RECENT'], `round ${round}`);
      a.sendLine('DONE');
      t.same(await a.until('i'), ['i OK IDLE terminated']);
      a.destroy();
      b.destroy();
    }
  });
}
