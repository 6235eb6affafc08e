/**
 * The outbound queue's records in the LevelDB store (DESIGN.md §Storage, `queue` row).
 *
 * Key spaces (keys.ts): `queue-entries` id → QueueEntry, `queue-due` queueDueKey(nextAttemptAt,
 * id) → id, `queue-bodies` id → message bytes.
 *
 * Invariants:
 * - An entry, its one due key and its body are written and removed together, each change ONE
 *   synced batch through the store's GroupCommitter, so queue writes share fsyncs with mailbox
 *   deliveries and a `250` sent after `add` resolves is backed by the disk.
 * - Exactly one due key per entry: `update` deletes the key of the previous schedule (the caller
 *   passes the due time it last wrote) and puts the new one in the same batch.
 * - Entries are small (envelope and statuses); the bytes are read only by `readMessage`, so
 *   listing or scanning 100,000 waiting entries never loads a message body.
 * - The queue id is the pipeline's message id, which sorts by time (pipeline/message-id.ts).
 */
import type { Sublevels } from './keys.js';
import { queueDueKey, timeFromQueueDueKey } from './keys.js';
import type { BatchOp, GroupCommitter } from './committer.js';
import type { QueueEntry, QueueStore } from '../types.js';

export class LevelQueueStore implements QueueStore {
  constructor(
    private readonly s: Pick<Sublevels, 'queueEntries' | 'queueDue' | 'queueBodies'>,
    private readonly committer: GroupCommitter,
  ) {}

  async add(entry: QueueEntry, message: Buffer): Promise<void> {
    const ops: BatchOp[] = [
      { type: 'put', sublevel: this.s.queueEntries, key: entry.id, value: entry },
      { type: 'put', sublevel: this.s.queueDue, key: queueDueKey(entry.nextAttemptAt, entry.id), value: entry.id },
      { type: 'put', sublevel: this.s.queueBodies, key: entry.id, value: message },
    ];
    await this.committer.submit(ops, () => undefined);
  }

  async get(id: string): Promise<QueueEntry | null> {
    return (await this.s.queueEntries.get(id)) ?? null;
  }

  async readMessage(id: string): Promise<Buffer | null> {
    return (await this.s.queueBodies.get(id)) ?? null;
  }

  async update(entry: QueueEntry, previousDue: number): Promise<void> {
    const snapshot = structuredClone(entry);
    const ops: BatchOp[] = [{ type: 'put', sublevel: this.s.queueEntries, key: entry.id, value: snapshot }];
    if (previousDue !== entry.nextAttemptAt) {
      ops.push({ type: 'del', sublevel: this.s.queueDue, key: queueDueKey(previousDue, entry.id) });
      ops.push({ type: 'put', sublevel: this.s.queueDue, key: queueDueKey(entry.nextAttemptAt, entry.id), value: entry.id });
    }
    await this.committer.submit(ops, () => undefined);
  }

  async remove(entry: QueueEntry): Promise<void> {
    const ops: BatchOp[] = [
      { type: 'del', sublevel: this.s.queueEntries, key: entry.id },
      { type: 'del', sublevel: this.s.queueDue, key: queueDueKey(entry.nextAttemptAt, entry.id) },
      { type: 'del', sublevel: this.s.queueBodies, key: entry.id },
    ];
    await this.committer.submit(ops, () => undefined);
  }

  async due(now: number, limit: number): Promise<Array<{ id: string; dueAt: number }>> {
    if (limit <= 0) return [];
    const rows = await this.s.queueDue.iterator({ lt: queueDueKey(now + 1, ''), limit }).all();
    return rows.map(([key, id]) => ({ id, dueAt: timeFromQueueDueKey(key) }));
  }

  async upcoming(limit: number): Promise<Array<{ id: string; dueAt: number }>> {
    const rows = await this.s.queueDue.iterator({ limit }).all();
    return rows.map(([key, id]) => ({ id, dueAt: timeFromQueueDueKey(key) }));
  }

  async list(options: { limit: number; after?: { dueAt: number; id: string } }): Promise<QueueEntry[]> {
    const range = options.after ? { gt: queueDueKey(options.after.dueAt, options.after.id), limit: options.limit } : { limit: options.limit };
    const ids = await this.s.queueDue.values(range).all();
    const entries = await this.s.queueEntries.getMany(ids);
    return entries.filter((entry): entry is QueueEntry => entry !== undefined);
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const _key of this.s.queueDue.keys()) n++;
    return n;
  }
}
