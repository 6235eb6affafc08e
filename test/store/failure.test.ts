/**
 * A synced write that fails (disk full, I/O error): the operations in it and queued behind it
 * fail, nothing half-done becomes visible, no event is emitted, and the store carries on from
 * what is on disk. The failure is injected by making the database's next batch reject.
 */
import t from 'tap';
import type { StoreEvent } from '../../src/store/index.js';
import { message, openTempStore, withAccount } from './helpers.js';

t.test('a failed batch fails its operations and the store recovers from disk', async (t) => {
  const { store } = await openTempStore(t);
  const account = await withAccount(store);
  await store.append(account, 'INBOX', message('before'));
  const before = (await store.getMailbox(account, 'INBOX'))!;

  const db = (store as unknown as { db: { batch: (...args: unknown[]) => Promise<void> } }).db;
  const realBatch = db.batch.bind(db);
  let failures = 1;
  db.batch = async (...args: unknown[]) => {
    if (failures-- > 0) {
      // Slow enough that the other deliveries queue up behind this write.
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('injected: no space left on device');
    }
    return realBatch(...args);
  };
  t.teardown(() => {
    db.batch = realBatch;
  });
  const events: StoreEvent[] = [];
  store.events.on('change', (ev) => events.push(ev));

  const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.append(account, 'INBOX', message(`during ${i}`))));
  const failed = outcomes.filter((o) => o.status === 'rejected').length;
  t.ok(failed >= 2, `${failed} of 10 failed: the failed write and those queued behind it`);
  const succeeded = outcomes.filter((o) => o.status === 'fulfilled').length;

  const after = (await store.getMailbox(account, 'INBOX'))!;
  const metas = await store.listMessages(after.id);
  t.equal(metas.length, 1 + succeeded, 'only acknowledged messages exist');
  t.equal(after.messages, metas.length, 'counter matches the records');
  t.equal(after.size, metas.reduce((sum, m) => sum + m.size, 0));
  t.equal(events.filter((ev) => ev.kind === 'append').length, succeeded, 'no event for a failed write');
  for (const meta of metas) t.ok((await store.readBlob(meta.blobId, 'full')).length > 0, `blob of UID ${meta.uid} exists`);

  const next = await store.append(account, 'INBOX', message('after'));
  t.ok(next.uid >= before.uidNext, 'UIDs never go back');
  t.notOk(metas.some((m) => m.uid === next.uid), 'no UID reused');
  const final = (await store.getMailbox(account, 'INBOX'))!;
  t.equal(final.messages, metas.length + 1);
  t.equal(final.uidNext, next.uid + 1);
});
