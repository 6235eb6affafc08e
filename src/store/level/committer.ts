/**
 * Group commit and the writer lane of the LevelDB store.
 *
 * GroupCommitter: every logical operation hands over its batch; while one synced write is in
 * flight, newly submitted batches queue up and are then written together as ONE atomic
 * `db.batch(..., { sync: true })`. N concurrent deliveries thus cost about as many fsyncs as
 * there are "waves" of arrivals, not N. Batches are written in submission order, so when two
 * operations put the same key the later one wins, exactly as if they had been written one by one.
 * A failed write rejects its group AND everything queued behind it (their preparation assumed
 * the failed group's effects) and reports the failure so the store can drop its caches.
 *
 * WriterLane: a FIFO mutex. Operations prepare their batch (read, validate, allocate UIDs and
 * modseqs) one at a time inside the lane; see level/index.ts for which ones keep it until durable.
 */
import type { RootDb } from './keys.js';

/** A put or del on one sublevel; the committer hands these to `db.batch` unchanged. */
export type BatchOp =
  | { type: 'put'; sublevel: { prefix: string }; key: string; value: unknown }
  | { type: 'del'; sublevel: { prefix: string }; key: string };

export interface CommitStats {
  /** Synced batch writes issued (one fsync each). */
  syncs: number;
  /** Logical operations committed (each is one submitted batch). */
  operations: number;
}

interface Pending {
  ops: BatchOp[];
  onDurable: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommitter {
  readonly stats: CommitStats = { syncs: 0, operations: 0 };
  private queue: Pending[] = [];
  private writing = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly db: RootDb,
    private readonly onFailure: (err: unknown) => void,
    /** Told of every durable write, before its operations resolve (read caches drop what it changed). */
    private readonly onWritten: (ops: readonly BatchOp[]) => void = () => undefined,
  ) {}

  /**
   * Queues a batch; resolves once it is on disk. `onDurable` runs right after the write, before
   * the promise resolves and in submission order (events are emitted from there).
   */
  submit(ops: BatchOp[], onDurable: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, onDurable, resolve, reject });
      if (!this.writing) void this.pump();
    });
  }

  /** Resolves when nothing is queued or being written. */
  whenIdle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const group = this.queue.splice(0);
      const ops = group.flatMap((pending) => pending.ops);
      try {
        // The ops carry their sublevel; abstract-level prefixes and encodes them.
        await this.db.batch(ops as never[], { sync: true });
      } catch (err) {
        const dropped = [...group, ...this.queue.splice(0)];
        this.onFailure(err);
        for (const pending of dropped) pending.reject(err);
        continue;
      }
      this.stats.syncs++;
      this.stats.operations += group.length;
      this.onWritten(ops);
      for (const pending of group) {
        try {
          pending.onDurable();
        } finally {
          pending.resolve();
        }
      }
    }
    this.writing = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

/** A FIFO mutex: `run` executes its function after all earlier ones have finished. */
export class WriterLane {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    return previous.then(fn).finally(release);
  }
}
