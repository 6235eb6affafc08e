/**
 * warmListings: the largest mailboxes' listings are loaded at start-up, up to a bound, so their
 * first SELECT does not read every record (store/level/index.ts).
 */
import t from 'tap';
import { message, openTempStore, withAccount } from './helpers.js';

t.test('largest mailboxes first, within the bound; loaded listings are served from memory', async (t) => {
  const { store } = await openTempStore(t);
  const alice = await withAccount(store);
  const bob = await withAccount(store, 'bob@example.org');
  for (let i = 0; i < 5; i++) await store.append(alice, 'INBOX', message(`a${i}`));
  for (let i = 0; i < 3; i++) await store.append(bob, 'INBOX', message(`b${i}`));
  for (let i = 0; i < 2; i++) await store.append(alice, 'Archive', message(`c${i}`));
  t.same(await store.warmListings(7), { mailboxes: 2, messages: 7 }, '5 and 2; the 3 would pass the bound');

  // Count reads of message records from here on: the warmed mailboxes need none.
  const messages = (store as unknown as { s: { messages: { values: (...args: unknown[]) => unknown } } }).s.messages;
  const values = messages.values.bind(messages);
  let reads = 0;
  messages.values = (...args: unknown[]) => {
    reads++;
    return values(...args);
  };
  t.equal((await store.listMessages((await store.getMailbox(alice, 'INBOX'))!.id)).length, 5);
  t.equal((await store.listMessages((await store.getMailbox(alice, 'Archive'))!.id)).length, 2);
  t.equal(reads, 0, 'warmed listings come from memory');
  t.equal((await store.listMessages((await store.getMailbox(bob, 'INBOX'))!.id)).length, 3);
  t.equal(reads, 1, 'the one left out is read when asked');
});

t.test('close waits for a warm-up that is running, which stops early', async (t) => {
  const { store } = await openTempStore(t);
  const alice = await withAccount(store);
  for (let i = 0; i < 3; i++) await store.append(alice, 'INBOX', message(`a${i}`));
  const warming = store.warmListings();
  await store.close();
  const result = await warming;
  t.ok(result.messages <= 3, 'finished or stopped without an error');
});
