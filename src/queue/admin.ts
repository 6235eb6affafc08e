/**
 * Queue administration: `bridgehead queue list|show|retry|delete|flush`, the same operations
 * whether the server runs (through the control socket, on the live OutboundQueue, which knows
 * what is in flight) or not (directly on the store; deliveries then happen at the next start).
 *
 * Results are plain JSON values (they cross the control socket). Listing reads the due index a
 * page at a time, so it works on a queue of any size.
 */
import type { QueueEntry, QueueStore } from '../store/types.js';
import { makeDue, type OutboundQueue } from './queue.js';

export interface QueueListItem {
  id: string;
  from: string;
  source: QueueEntry['source'];
  createdAt: number;
  nextAttemptAt: number;
  attempts: number;
  size: number;
  inFlight: boolean;
  recipients: Array<{ address: string; status: string; reply: string | null }>;
}

export interface QueueListResult {
  entries: QueueListItem[];
  /** Entries in the whole queue. */
  total: number;
  /** Whether more entries exist than were listed. */
  truncated: boolean;
}

const replyText = (reply: QueueEntry['recipients'][number]['reply']) =>
  reply ? [reply.code, reply.enhanced, reply.text].filter((part) => part !== null && part !== '').join(' ') : null;

export class QueueAdmin {
  constructor(
    private readonly store: QueueStore,
    /** The running queue, or null when the server is stopped. */
    private readonly queue: OutboundQueue | null,
    private readonly now: () => number = Date.now,
  ) {}

  async list(options: { limit?: number } = {}): Promise<QueueListResult> {
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 100_000));
    const entries = await this.store.list({ limit: limit + 1 });
    const total = entries.length > limit ? await this.store.count() : entries.length;
    return {
      entries: entries.slice(0, limit).map((entry) => this.item(entry)),
      total,
      truncated: entries.length > limit,
    };
  }

  async show(id: string): Promise<(QueueEntry & { inFlight: boolean }) | null> {
    const entry = await this.store.get(id);
    return entry ? { ...entry, inFlight: this.queue?.isInFlight(id) ?? false } : null;
  }

  /** Due now: one entry, or all with `id` null. Resolves with how many were rescheduled. */
  async retry(id: string | null): Promise<number> {
    if (this.queue) return this.queue.retry(id);
    return makeDue(this.store, id, this.now());
  }

  async flush(): Promise<number> {
    if (this.queue) return this.queue.flush();
    return this.retry(null);
  }

  /** Removes an entry without sending a DSN. */
  async delete(id: string): Promise<boolean> {
    if (this.queue) return this.queue.delete(id);
    const entry = await this.store.get(id);
    if (!entry) return false;
    await this.store.remove(entry);
    return true;
  }

  private item(entry: QueueEntry): QueueListItem {
    return {
      id: entry.id,
      from: entry.from,
      source: entry.source,
      createdAt: entry.createdAt,
      nextAttemptAt: entry.nextAttemptAt,
      attempts: entry.attempts,
      size: entry.size,
      inFlight: this.queue?.isInFlight(entry.id) ?? false,
      recipients: entry.recipients.map((recipient) => ({ address: recipient.address, status: recipient.status, reply: replyText(recipient.reply) })),
    };
  }
}

type Args = Record<string, unknown>;

function idArgument(args: Args): string {
  const id = args.id;
  if (typeof id !== 'string' || id.length === 0) throw new Error('missing argument: id');
  return id;
}

/** The control-socket operations of the queue, keyed like control/operations.ts. */
export const queueOperations: Record<string, (admin: QueueAdmin, args: Args) => Promise<unknown>> = {
  'queue.list': (admin, args) => admin.list({ limit: typeof args.limit === 'number' ? args.limit : undefined }),
  'queue.show': (admin, args) => admin.show(idArgument(args)),
  'queue.retry': (admin, args) => admin.retry(args.all === true ? null : idArgument(args)),
  'queue.delete': (admin, args) => admin.delete(idArgument(args)),
  'queue.flush': (admin) => admin.flush(),
};
