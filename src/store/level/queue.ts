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

/** RFC 3461 §4.1 NOTIFY values; 'NEVER' stands alone. */
export type DsnNotify = 'SUCCESS' | 'FAILURE' | 'DELAY';

export type QueueRecipientStatus = 'pending' | 'deferred' | 'delivered' | 'failed';

export interface QueueReply {
  code: number | null;
  enhanced: string | null;
  text: string;
}

export interface QueueRecipient {
  /** The envelope address as accepted (domain lower-cased). */
  address: string;
  status: QueueRecipientStatus;
  /** NOTIFY from RCPT (RFC 3461 §4.1); null when the client gave none (then FAILURE,DELAY). */
  notify: DsnNotify[] | 'NEVER' | null;
  /** ORCPT as received, "addr-type;xtext" (RFC 3461 §4.2); null when none. */
  orcpt: string | null;
  /** The reply that decided the current status (or the last temporary one). */
  reply: QueueReply | null;
  /** The host that gave `reply`, when one did. */
  remoteHost: string | null;
  attempts: number;
  updatedAt: number;
  /** Whether a delay notice was sent for this recipient. */
  delayNotified: boolean;
  /**
   * Whether the final status has been reported as the sender asked: a failure DSN sent (or
   * none wanted), a success notice sent (or none wanted). Only then can the entry be removed.
   */
  reported: boolean;
}

export interface QueueEntry {
  /** = the pipeline's message id, also the key. */
  id: string;
  source: 'submission' | 'mx' | 'dsn' | 'internal';
  /** Reverse-path; "" is the null sender: never bounced (RFC 3461 §6.2, RFC 5321 §4.5.5). */
  from: string;
  /** Authenticated submitter, or null. */
  user: string | null;
  /** RFC 3461 §4.4 ENVID, xtext as received; null when none. */
  envid: string | null;
  /** RFC 3461 §4.3 RET; null when none (headers only are returned then). */
  ret: 'FULL' | 'HDRS' | null;
  recipients: QueueRecipient[];
  /** Arrival time, epoch ms (Arrival-Date of a DSN; the give-up and delay clocks start here). */
  createdAt: number;
  /** When the next attempt is due, epoch ms; equals the time in the entry's due key. */
  nextAttemptAt: number;
  /** Attempt rounds made so far. */
  attempts: number;
  lastAttemptAt: number | null;
  /** Octets of the queued message. */
  size: number;
}

/** What the queue needs from storage; LevelQueueStore is the LevelDB implementation. */
export interface QueueStore {
  /** Writes a new entry and its bytes in one synced batch. */
  add(entry: QueueEntry, message: Buffer): Promise<void>;
  get(id: string): Promise<QueueEntry | null>;
  readMessage(id: string): Promise<Buffer | null>;
  /** Writes the entry (synced); `previousDue` is the nextAttemptAt its due key was written with. */
  update(entry: QueueEntry, previousDue: number): Promise<void>;
  /** Removes entry, due key and bytes (synced). */
  remove(entry: QueueEntry): Promise<void>;
  /** Up to `limit` entry ids due at or before `now`, earliest first. */
  due(now: number, limit: number): Promise<Array<{ id: string; dueAt: number }>>;
  /** The first `limit` schedule positions, due or not, earliest first. */
  upcoming(limit: number): Promise<Array<{ id: string; dueAt: number }>>;
  /** Entries in due order, after the given due key position; at most `limit`. */
  list(options: { limit: number; after?: { dueAt: number; id: string } }): Promise<QueueEntry[]>;
  count(): Promise<number>;
}

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
