/**
 * A gateway's durable memory (api.ts GatewayMemory) on the store's gateway state
 * (store/types.ts GatewayStateStore), one space per gateway, so what a gateway must know after a
 * restart (an SMS centre's message id → the mail, who last wrote to a phone) outlives the process.
 *
 * Invariants: a gateway sees only its own space; every entry has a lifetime (nothing is kept
 * forever); keys are strings without NUL of at most MAX_KEY_LENGTH characters.
 */
import type { GatewayStateEntry, GatewayStateStore } from '../store/types.js';
import type { GatewayMemory } from './api.js';

const MAX_KEY_LENGTH = 512;
/** Longest lifetime a gateway may ask for. */
const MAX_TTL_MS = 366 * 86_400_000;

export function gatewayMemory(state: GatewayStateStore, gateway: string, now: () => number = Date.now): GatewayMemory {
  const space = `gateway/${gateway}`;
  const checkKey = (key: string) => {
    if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH || key.includes('\u0000')) {
      throw new TypeError(`memory keys are 1..${MAX_KEY_LENGTH} characters without NUL`);
    }
  };
  return {
    async get<T>(key: string): Promise<T | null> {
      checkKey(key);
      const value = await state.get(space, key, now());
      return value === undefined ? null : (value as T);
    },
    async set(key, value, options) {
      checkKey(key);
      if (!Number.isFinite(options?.ttlMs) || options.ttlMs <= 0 || options.ttlMs > MAX_TTL_MS) throw new TypeError(`memory ttlMs must be 1..${MAX_TTL_MS}`);
      await state.put(space, key, value === undefined ? null : value, now() + options.ttlMs);
    },
    async delete(key) {
      checkKey(key);
      await state.delete(space, key);
    },
  };
}

/**
 * Gateway state kept in memory only, for a hub started without a store (tests, tools): the same
 * contract, forgotten with the process.
 */
export function memoryGatewayState(): GatewayStateStore {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  const id = (space: string, key: string) => `${space}\u0000${key}`;
  return {
    async get(space, key, now) {
      const entry = entries.get(id(space, key));
      return entry && entry.expiresAt > now ? structuredClone(entry.value) : undefined;
    },
    async put(space, key, value, expiresAt) {
      entries.set(id(space, key), { value: structuredClone(value), expiresAt });
    },
    async delete(space, key) {
      entries.delete(id(space, key));
    },
    async list(space, now) {
      const prefix = `${space}\u0000`;
      const found: GatewayStateEntry[] = [];
      for (const [key, entry] of entries) {
        if (key.startsWith(prefix) && entry.expiresAt > now) found.push({ key: key.slice(prefix.length), value: structuredClone(entry.value), expiresAt: entry.expiresAt });
      }
      return found.sort((a, b) => a.expiresAt - b.expiresAt);
    },
    async expire(now) {
      let removed = 0;
      for (const [key, entry] of entries) {
        if (entry.expiresAt <= now) {
          entries.delete(key);
          removed++;
        }
      }
      return removed;
    },
  };
}
