/**
 * The audit trail and traffic counters of the LevelDB store (`AuditStore`, store/types.ts), in
 * the `audit`, `audit-index` and `stats` key spaces of keys.ts.
 *
 * Writes never cost a sync of their own:
 * - `deliver` puts the entries of a delivery (received, stored) into the delivery's own batch
 *   (`ops`), so the trail is exactly as durable as the mail it describes.
 * - `append` collects entries until the current turn of the event loop ends, then hands them to
 *   the GroupCommitter as ONE batch: under load it rides in the next group with the deliveries
 *   queued meanwhile; when idle it is a single write for everything recorded in that turn.
 * - Counters accumulate in memory and are written as increments (read, add, put) by
 *   `flushCounters`; flushes and expiry run one at a time, each after the previous one is
 *   durable, so no increment is read twice or lost. Only one process (the server, or the command
 *   line when no server runs) opens the store, so nobody else writes these keys.
 *
 * Invariants:
 * - Entry keys are (message id, time, write sequence): time order, and write order within a
 *   millisecond. Message ids must have the shape of pipeline/message-id.ts (AUDIT_MESSAGE_ID),
 *   since retention deletes by their time prefix.
 * - Reads (`events`, `find`, `counters`) first wait for what was appended before them, and
 *   `counters` adds the pending increments, so a reader sees everything recorded before it asked.
 * - Retention is three range deletes (`clear` with bounds), never a scan of what is kept.
 */
import type { Logger } from '../../log.js';
import type {
  AuditEntry,
  AuditIndexKind,
  AuditStore,
  AuditWrite,
  HourCounters,
  TimeRange,
} from '../types.js';
import type { BatchOp, GroupCommitter } from './committer.js';
import {
  AUDIT_MESSAGE_ID,
  HOUR_MS,
  auditIndexDayStart,
  auditIndexKey,
  auditIndexRange,
  auditKey,
  auditMessageRange,
  dayFromAuditIndexKey,
  dayOf,
  hourOf,
  messageIdFromAuditIndexKey,
  messageIdTimePrefix,
  parseStatsKey,
  statsHourStart,
  statsKey,
  timeFromAuditKey,
  type Sublevels,
} from './keys.js';

/** Longest index value kept (a Message-ID header may be long; addresses are at most 254). */
const MAX_INDEX_VALUE = 512;

/** Entries collected in one turn of the event loop, written as one batch. */
interface Wave {
  ops: BatchOp[];
  submitted: boolean;
  written: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class LevelAuditStore implements AuditStore {
  /** Orders entries written in the same millisecond. */
  private seq = 0;
  private wave: Wave | null = null;
  /** The last wave handed to the committer; readers wait for it. */
  private lastWritten: Promise<void> = Promise.resolve();
  /** statsKey → increment not yet written. */
  private pendingCounters = new Map<string, number>();
  /** Counter flushes and expiry, one at a time. */
  private counterLane: Promise<void> = Promise.resolve();

  constructor(
    private readonly s: Sublevels,
    private readonly committer: GroupCommitter,
    private readonly log: Logger,
  ) {}

  /** The batch operations of a write; `deliver` adds them to its own batch. Throws on a bad id. */
  ops(write: AuditWrite): BatchOp[] {
    const ops: BatchOp[] = [];
    for (const entry of write.entries) {
      checkMessageId(entry.messageId);
      ops.push({ type: 'put', sublevel: this.s.audit, key: auditKey(entry.messageId, entry.at, this.seq++), value: entry.event });
      this.seq %= 0x1_0000_0000;
    }
    for (const item of write.index) {
      checkMessageId(item.messageId);
      const value = indexValue(item.value);
      if (!value) continue;
      ops.push({ type: 'put', sublevel: this.s.auditIndex, key: auditIndexKey(dayOf(item.at), item.kind, value, item.messageId), value: 1 });
    }
    return ops;
  }

  append(write: AuditWrite): Promise<void> {
    let ops: BatchOp[];
    try {
      ops = this.ops(write);
    } catch (err) {
      return Promise.reject(err);
    }
    if (ops.length === 0) return this.lastWritten;
    if (!this.wave) this.wave = this.startWave();
    this.wave.ops.push(...ops);
    return this.wave.written;
  }

  private startWave(): Wave {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const written = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers on the hot path do not await: a failure is logged here instead of going unhandled.
    written.catch((err: unknown) => this.log.error({ evt: 'audit.write-failed', err }, 'audit entries not written'));
    const wave: Wave = { ops: [], submitted: false, written, resolve, reject };
    setImmediate(() => this.submitWave(wave));
    return wave;
  }

  private submitWave(wave: Wave): void {
    if (wave.submitted) return;
    wave.submitted = true;
    if (this.wave === wave) this.wave = null;
    this.committer.submit(wave.ops, () => undefined).then(wave.resolve, wave.reject);
    this.lastWritten = wave.written.catch(() => undefined);
  }

  /** Resolves once everything appended so far is durable (or failed and was logged). */
  async whenWritten(): Promise<void> {
    if (this.wave) this.submitWave(this.wave);
    await this.lastWritten;
  }

  async events(messageId: string): Promise<AuditEntry[]> {
    await this.whenWritten();
    if (!AUDIT_MESSAGE_ID.test(messageId)) return [];
    const entries: AuditEntry[] = [];
    for await (const [key, event] of this.s.audit.iterator(auditMessageRange(messageId))) {
      entries.push({ messageId, at: timeFromAuditKey(key), event });
    }
    return entries;
  }

  /**
   * One iterator over the index days of the range: it seeks to the kind/value of each day, and
   * skips straight to the next day that has any key at all, so sparse history costs little.
   */
  async find(kind: AuditIndexKind, value: string, range: TimeRange): Promise<string[]> {
    await this.whenWritten();
    const wanted = indexValue(value);
    if (!wanted) return [];
    const firstDay = dayOf(range.since);
    const lastDay = dayOf(range.until);
    const found = new Set<string>();
    const iterator = this.s.auditIndex.keys({ gte: auditIndexDayStart(firstDay), lt: auditIndexDayStart(lastDay + 1) });
    try {
      let day = firstDay;
      while (day <= lastDay) {
        const bounds = auditIndexRange(day, kind, wanted);
        iterator.seek(bounds.gt);
        let key = await iterator.next();
        while (key !== undefined && key < bounds.lt) {
          found.add(messageIdFromAuditIndexKey(key));
          key = await iterator.next();
        }
        if (key === undefined) break;
        day = Math.max(day + 1, dayFromAuditIndexKey(key));
      }
    } finally {
      await iterator.close();
    }
    return [...found].sort();
  }

  count(at: number, increments: Record<string, number>): void {
    const hour = hourOf(at);
    for (const [counter, increment] of Object.entries(increments)) {
      if (!Number.isFinite(increment) || increment === 0) continue;
      const key = statsKey(hour, counter);
      this.pendingCounters.set(key, (this.pendingCounters.get(key) ?? 0) + increment);
    }
  }

  flushCounters(): Promise<void> {
    return this.inCounterLane(() => this.writeCounters());
  }

  private async writeCounters(): Promise<void> {
    if (this.pendingCounters.size === 0) return;
    const taken = this.pendingCounters;
    this.pendingCounters = new Map();
    const keys = [...taken.keys()];
    try {
      const current = await this.s.stats.getMany(keys);
      const ops: BatchOp[] = keys.map((key, i) => ({
        type: 'put',
        sublevel: this.s.stats,
        key,
        value: (current[i] ?? 0) + taken.get(key)!,
      }));
      await this.committer.submit(ops, () => undefined);
    } catch (err) {
      // Kept for the next flush rather than lost.
      for (const [key, increment] of taken) this.pendingCounters.set(key, (this.pendingCounters.get(key) ?? 0) + increment);
      throw err;
    }
  }

  counters(range: TimeRange): Promise<HourCounters[]> {
    return this.inCounterLane(() => this.readCounters(range));
  }

  private async readCounters(range: TimeRange): Promise<HourCounters[]> {
    const firstHour = hourOf(range.since);
    const lastHour = hourOf(range.until);
    const hours = new Map<number, Record<string, number>>();
    const add = (key: string, value: number) => {
      const { hour, counter } = parseStatsKey(key);
      if (hour < firstHour || hour > lastHour) return;
      let counters = hours.get(hour);
      if (!counters) hours.set(hour, (counters = {}));
      counters[counter] = (counters[counter] ?? 0) + value;
    };
    for await (const [key, value] of this.s.stats.iterator({ gte: statsHourStart(firstHour), lt: statsHourStart(lastHour + 1) })) {
      add(key, value);
    }
    for (const [key, value] of this.pendingCounters) add(key, value);
    return [...hours.entries()]
      .sort(([a], [b]) => a - b)
      .map(([hour, counters]) => ({ hour: hour * HOUR_MS, counters }));
  }

  expire(cutoffs: { auditBefore: number; statsBefore: number }): Promise<void> {
    return this.inCounterLane(async () => {
      await this.s.audit.clear({ lt: messageIdTimePrefix(cutoffs.auditBefore) });
      await this.s.auditIndex.clear({ lt: auditIndexDayStart(dayOf(cutoffs.auditBefore)) });
      await this.s.stats.clear({ lt: statsHourStart(hourOf(cutoffs.statsBefore)) });
    });
  }

  /** Writes what is pending; the store calls this before it closes. */
  async close(): Promise<void> {
    await this.whenWritten();
    await this.flushCounters().catch((err: unknown) =>
      this.log.error({ evt: 'audit.counters-lost', err }, 'counters not written at close'),
    );
  }

  private inCounterLane<T>(task: () => Promise<T>): Promise<T> {
    const run = this.counterLane.then(task);
    this.counterLane = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

function checkMessageId(messageId: string): void {
  if (!AUDIT_MESSAGE_ID.test(messageId)) throw new Error(`not a message id: ${JSON.stringify(messageId)}`);
}

/** Index values are compared lower-cased; NUL separates them from the id in keys. */
function indexValue(value: string): string {
  return value.trim().toLowerCase().replaceAll('\u0000', '').slice(0, MAX_INDEX_VALUE);
}
