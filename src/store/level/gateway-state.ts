/**
 * The gateways' durable memory in the LevelDB store (types.ts GatewayStateStore): small values
 * that must survive a restart for a limited time — an SMS centre's message id → the mail it came
 * from (a receipt may come days later), the gateway protocol's nonces within their window.
 *
 * Key spaces (keys.ts): `gateway-state` gatewayStateKey(space, key) → { value, expiresAt };
 * `gateway-state-expiry` gatewayStateExpiryKey(expiresAt, space, key) → 1.
 *
 * Invariants:
 * - Each change is ONE batch through the store's GroupCommitter (synced, sharing fsyncs with
 *   deliveries), so a value `put` resolved for is on disk.
 * - An expired entry is never returned, whether or not `expire` has removed it yet.
 * - The expiry index may hold keys of entries since replaced or deleted (a put does not read the
 *   old entry first, to stay one write); `expire` checks each entry's own expiry before removing
 *   it, so a stale index key only costs a lookup.
 */
import type { GatewayStateEntry, GatewayStateStore } from '../types.js';
import type { BatchOp, GroupCommitter } from './committer.js';
import {
  entryOfGatewayStateExpiryKey,
  gatewayStateExpiryKey,
  gatewayStateKey,
  gatewayStateSpaceRange,
  type Sublevels,
} from './keys.js';

/** Entries removed per expiry batch, so one sweep never builds a huge batch. */
const EXPIRE_BATCH = 500;

function checkName(what: string, value: string): void {
  if (typeof value !== 'string' || value === '' || value.includes('\u0000')) throw new TypeError(`gateway state ${what} must be a non-empty string without NUL`);
}

export class LevelGatewayStateStore implements GatewayStateStore {
  constructor(
    private readonly s: Pick<Sublevels, 'gatewayState' | 'gatewayStateExpiry'>,
    private readonly committer: GroupCommitter,
  ) {}

  async get(space: string, key: string, now: number): Promise<unknown> {
    checkName('space', space);
    checkName('key', key);
    const entry = await this.s.gatewayState.get(gatewayStateKey(space, key));
    return entry && entry.expiresAt > now ? entry.value : undefined;
  }

  async put(space: string, key: string, value: unknown, expiresAt: number): Promise<void> {
    checkName('space', space);
    checkName('key', key);
    const ops: BatchOp[] = [
      { type: 'put', sublevel: this.s.gatewayState, key: gatewayStateKey(space, key), value: { value, expiresAt } },
      { type: 'put', sublevel: this.s.gatewayStateExpiry, key: gatewayStateExpiryKey(expiresAt, space, key), value: 1 },
    ];
    await this.committer.submit(ops, () => undefined);
  }

  async delete(space: string, key: string): Promise<void> {
    checkName('space', space);
    checkName('key', key);
    const entryKey = gatewayStateKey(space, key);
    const entry = await this.s.gatewayState.get(entryKey);
    if (!entry) return;
    await this.committer.submit([
      { type: 'del', sublevel: this.s.gatewayState, key: entryKey },
      { type: 'del', sublevel: this.s.gatewayStateExpiry, key: gatewayStateExpiryKey(entry.expiresAt, space, key) },
    ], () => undefined);
  }

  async list(space: string, now: number): Promise<GatewayStateEntry[]> {
    checkName('space', space);
    const prefix = space.length + 1;
    const rows = await this.s.gatewayState.iterator(gatewayStateSpaceRange(space)).all();
    return rows
      .filter(([, entry]) => entry.expiresAt > now)
      .map(([key, entry]) => ({ key: key.slice(prefix), value: entry.value, expiresAt: entry.expiresAt }))
      .sort((a, b) => a.expiresAt - b.expiresAt);
  }

  async expire(now: number): Promise<number> {
    let removed = 0;
    for (;;) {
      // Index keys of entries that expired at or before now (the key of now + 1 bounds them).
      const due = await this.s.gatewayStateExpiry.keys({ lt: gatewayStateExpiryKey(now + 1, '', ''), limit: EXPIRE_BATCH }).all();
      if (due.length === 0) return removed;
      const entryKeys = due.map(entryOfGatewayStateExpiryKey);
      const entries = await this.s.gatewayState.getMany(entryKeys);
      const ops: BatchOp[] = due.map((key) => ({ type: 'del', sublevel: this.s.gatewayStateExpiry, key }));
      entries.forEach((entry, i) => {
        // A put after this index key was written may have given the entry a later expiry.
        if (entry && entry.expiresAt <= now) {
          ops.push({ type: 'del', sublevel: this.s.gatewayState, key: entryKeys[i] });
          removed++;
        }
      });
      await this.committer.submit(ops, () => undefined);
      if (due.length < EXPIRE_BATCH) return removed;
    }
  }
}
