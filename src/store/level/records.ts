/**
 * An in-memory read cache of the store's small directory records: domains, accounts, aliases,
 * profiles and mailbox names (account + name → mailbox id). Recipient resolution, quota checks,
 * deliveries and notifications read these for every message; answered from memory they cost no
 * LevelDB read (each read is an async native call through the thread pool, the largest cost of
 * inbound acceptance before this cache existed).
 *
 * Why it can be authoritative: LevelDB admits one process (DESIGN.md, "Configuration and
 * command line"), and every write of that process goes through the GroupCommitter, which reports
 * each durable batch here (`written`). So the disk changes only in ways this cache hears about.
 *
 * Invariants:
 * - An entry equals what a read of the disk returns at that moment, absence included: keys a
 *   durable batch put or deleted are dropped from the cache as soon as that batch is written
 *   (the next read loads the new value), and a value read from disk is installed only if no
 *   batch touching its key space was written while the read was in flight (`version`), so an
 *   older read can never overwrite a newer state.
 * - Values handed out are deep-frozen and shared: callers copy before they change anything.
 * - Each key space holds at most `maxEntries`; beyond that the oldest tenth is dropped (a miss
 *   is a disk read, never a wrong answer). Absent keys are cached too (unknown recipients on
 *   MX are common), within the same bound.
 */
import type { AbstractSublevel } from 'abstract-level';
import type { BatchOp } from './committer.js';
import type { RootDb } from './keys.js';

type Sub<V> = AbstractSublevel<RootDb, string | Buffer | Uint8Array, string, V>;

/** A key known to be absent on disk. */
const ABSENT = Symbol('absent');

interface Space {
  entries: Map<string, unknown>;
  maxEntries: number;
  /** Moves whenever a written batch touched this space; reads started before do not install. */
  version: number;
}

export class RecordCache {
  private readonly spaces = new Map<object, Space>();

  /** Caches `sublevel`'s records; reads through `get`/`getMany` are then answered from memory. */
  add(sublevel: object, options: { maxEntries: number }): void {
    this.spaces.set(sublevel, { entries: new Map(), maxEntries: options.maxEntries, version: 0 });
  }

  async get<V>(sublevel: Sub<V>, key: string): Promise<V | undefined> {
    const space = this.space(sublevel);
    const cached = space.entries.get(key);
    if (cached !== undefined) return cached === ABSENT ? undefined : (cached as V);
    const version = space.version;
    const value = await sublevel.get(key);
    return this.install(space, version, key, value);
  }

  /** Values in the order of `keys`; one disk read for all the keys not cached. */
  async getMany<V>(sublevel: Sub<V>, keys: string[]): Promise<Array<V | undefined>> {
    const space = this.space(sublevel);
    const values: Array<V | undefined> = new Array(keys.length);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const cached = space.entries.get(key);
      if (cached === undefined) missing.push(i);
      else values[i] = cached === ABSENT ? undefined : (cached as V);
    });
    if (missing.length === 0) return values;
    const version = space.version;
    const stored = await sublevel.getMany(missing.map((i) => keys[i]));
    missing.forEach((index, j) => {
      values[index] = this.install(space, version, keys[index], stored[j]);
    });
    return values;
  }

  /** A durable batch was written: its keys in cached spaces are read from disk again. */
  written(ops: readonly BatchOp[]): void {
    for (const op of ops) {
      const space = this.spaces.get(op.sublevel);
      if (!space) continue;
      space.version++;
      space.entries.delete(op.key);
    }
  }

  /** Forgets everything (after a failed write, when the store drops all its caches). */
  clear(): void {
    for (const space of this.spaces.values()) {
      space.version++;
      space.entries.clear();
    }
  }

  private space(sublevel: object): Space {
    const space = this.spaces.get(sublevel);
    if (!space) throw new Error('RecordCache: key space not registered');
    return space;
  }

  private install<V>(space: Space, version: number, key: string, value: V | undefined): V | undefined {
    // A batch touching this space was written meanwhile: the value may predate it, so it is
    // returned (as of when it was read) but not kept.
    if (space.version !== version) return value;
    if (space.entries.size >= space.maxEntries) {
      // Oldest first (Map order); a tenth at once so eviction is not paid on every insert.
      let drop = Math.max(1, Math.floor(space.maxEntries / 10));
      for (const old of space.entries.keys()) {
        if (drop-- <= 0) break;
        space.entries.delete(old);
      }
    }
    if (value === undefined) {
      space.entries.set(key, ABSENT);
      return undefined;
    }
    const frozen = deepFreeze(value);
    space.entries.set(key, frozen);
    return frozen;
  }
}

function deepFreeze<V>(value: V): V {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const child of Object.values(value as object)) deepFreeze(child);
  return Object.freeze(value);
}
