/**
 * SORT and THREAD keys kept in memory by blob id, shared by every session of a store: a SORT by
 * subject or address, or a THREAD, of a 100,000-message mailbox reads the keys from memory
 * instead of 100,000 summary records from LevelDB (each read, decoded and folded again).
 *
 * Invariants:
 * - A blob id names immutable bytes (the sha256 of the stored message), and a summary derives
 *   from the bytes alone, so a blob's keys never change: nothing here needs invalidating when
 *   messages are appended, copied, moved or expunged. The caller asks by the blob ids of the
 *   messages it is sorting now (its view), so a change made by another session shows as soon as
 *   that session's view has it; a new blob is simply not cached yet and is read.
 * - A blob the store does not know (missing: a broken record) gets no keys and is not cached,
 *   so it is asked again next time, as before this cache.
 * - Bounded twice: by count (`maxEntries` in all, in two generations: a hit in the older one
 *   moves the entry to the newer one; when the newer one is full the older one is dropped) and
 *   by time (every `idleMs` the generations turn over, so keys not used for two periods are
 *   dropped, and an unused cache empties itself and stops its timer; the timer never keeps the
 *   process alive).
 * - Loads run one at a time per cache: two sessions sorting the same cold mailbox read it once.
 */
import type { Store } from '../../store/types.js';
import { sortKeysOf, type SortKeys } from './order.js';

export interface SortKeyCacheOptions {
  /** Entries kept at most, both generations together. */
  maxEntries: number;
  /** Period of the generation turnover; unused keys are gone after two periods. */
  idleMs: number;
}

const DEFAULTS: SortKeyCacheOptions = { maxEntries: 400_000, idleMs: 10 * 60_000 };

/** Summaries read per store call: large enough to amortise the call, small enough to keep peaks low. */
const READ_CHUNK = 4096;

export class SortKeyCache {
  private newer = new Map<string, SortKeys>();
  private older = new Map<string, SortKeys>();
  private loads: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Pick<Store, 'getSummaries'>,
    private readonly options: SortKeyCacheOptions = DEFAULTS,
  ) {}

  /** Entries held now (both generations). */
  get size(): number {
    return this.newer.size + this.older.size;
  }

  /** The keys of each blob, in the order asked; undefined where the store has no such blob. */
  async keysFor(blobIds: readonly string[]): Promise<Array<SortKeys | undefined>> {
    const result = new Array<SortKeys | undefined>(blobIds.length);
    const missing: number[] = [];
    for (let i = 0; i < blobIds.length; i++) {
      const keys = this.lookup(blobIds[i]);
      if (keys) result[i] = keys;
      else missing.push(i);
    }
    if (missing.length > 0) {
      const loaded = await this.load([...new Set(missing.map((i) => blobIds[i]))]);
      for (const i of missing) result[i] = loaded.get(blobIds[i]);
    }
    return result;
  }

  /** Drops every entry and stops the timer. */
  clear(): void {
    this.newer = new Map();
    this.older = new Map();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private lookup(blobId: string): SortKeys | undefined {
    const recent = this.newer.get(blobId);
    if (recent) return recent;
    const kept = this.older.get(blobId);
    if (kept) {
      this.older.delete(blobId);
      this.remember(blobId, kept);
    }
    return kept;
  }

  private remember(blobId: string, keys: SortKeys): void {
    if (this.newer.size >= this.options.maxEntries / 2) this.turnOver();
    this.newer.set(blobId, keys);
    if (!this.timer) {
      this.timer = setInterval(() => this.turnOver(), this.options.idleMs);
      this.timer.unref();
    }
  }

  private turnOver(): void {
    this.older = this.newer;
    this.newer = new Map();
    if (this.older.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Reads the keys of blobs not cached, after any load already running (which may bring them). */
  private load(blobIds: string[]): Promise<Map<string, SortKeys>> {
    const run = this.loads.then(async () => {
      const found = new Map<string, SortKeys>();
      const unread: string[] = [];
      for (const id of blobIds) {
        const keys = this.lookup(id);
        if (keys) found.set(id, keys);
        else unread.push(id);
      }
      // One interning table per load: equal subjects, addresses and message ids of a mailbox
      // (a reply's References name its parent's Message-ID) share one string.
      const interned = new Map<string, string>();
      const intern = (text: string): string => {
        const shared = interned.get(text);
        if (shared !== undefined) return shared;
        interned.set(text, text);
        return text;
      };
      const read = (start: number) => (start < unread.length ? this.store.getSummaries(unread.slice(start, start + READ_CHUNK)) : null);
      // The next chunk is read while this one is folded.
      let next = read(0);
      for (let start = 0; next; start += READ_CHUNK) {
        const summaries = await next;
        next = read(start + READ_CHUNK);
        for (const id of unread.slice(start, start + READ_CHUNK)) {
          const summary = summaries.get(id);
          if (!summary) continue;
          const keys = sortKeysOf(summary, intern);
          found.set(id, keys);
          this.remember(id, keys);
        }
      }
      return found;
    });
    // Settled to nothing: the chain must not hold the last load's result alive.
    this.loads = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

const caches = new WeakMap<object, SortKeyCache>();

/** The cache shared by every session of this store. */
export function sortKeyCache(store: Pick<Store, 'getSummaries'>): SortKeyCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = new SortKeyCache(store);
    caches.set(store, cache);
  }
  return cache;
}
