/**
 * The one DNS resolver of the server: mail authentication (SPF, DKIM, DMARC, ARC) and the
 * outbound queue (MX, A/AAAA) ask it, never `node:dns` directly, so that tests and air-gapped
 * setups answer from static records and every lookup has the same timeout and cache.
 *
 * `resolve(name, type)` has the shape and the error codes of `dns.promises.resolve` (RFC 1035
 * types: TXT → string[][] of character-strings, MX → { exchange, priority }[], A/AAAA/CNAME/PTR/NS
 * → string[]), which is what mailauth's `resolver` option expects.
 *
 * Invariants:
 * - Static records are consulted first. A name listed there answers only from there: a type it
 *   does not list is ENODATA, never a real query. With `staticOnly`, an unlisted name is ENOTFOUND
 *   (an air-gapped server or a test never queries the network).
 * - Error codes are node's: ENOTFOUND (NXDOMAIN) and ENODATA (no records of that type) mean
 *   "does not exist"; ETIMEOUT, ESERVFAIL, ECONNREFUSED and the rest are temporary. Callers rely
 *   on the difference (SPF/DKIM temperror vs none, RFC 7208 §2.6.6, RFC 6376 §6.1.2).
 * - Answers and non-existence are cached for at most `cacheSeconds` (a fixed cap, as node does
 *   not report TTLs for every type); temporary failures are never cached. Identical concurrent
 *   queries share one request.
 */
import { promises as dnsPromises, type MxRecord } from 'node:dns';
import type { DnsConfig } from '../config/schema.js';

/** The record types dns.static may list. */
export const STATIC_TYPES = ['A', 'AAAA', 'MX', 'TXT', 'CNAME', 'PTR', 'NS'] as const;
export type StaticType = (typeof STATIC_TYPES)[number];

/** Parsed static records: lower-cased name without the trailing dot → type → answers. */
export type StaticRecords = Map<string, Partial<Record<StaticType, unknown[]>>>;

export interface ResolveFunction {
  (name: string, type: 'TXT'): Promise<string[][]>;
  (name: string, type: 'MX'): Promise<MxRecord[]>;
  (name: string, type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS'): Promise<string[]>;
  (name: string, type: string): Promise<unknown[]>;
}

export interface Resolver {
  /** dns.promises.resolve-compatible; safe to pass unbound (e.g. to mailauth). */
  resolve: ResolveFunction;
  /** The same lookups under node's per-type names (what the queue's router asks for). */
  resolveMx(name: string): Promise<MxRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  resolveTxt(name: string): Promise<string[][]>;
}

export interface ResolverExtras {
  /** Clock for the cache, injectable for tests. */
  now?: () => number;
}

const MAX_CACHE_ENTRIES = 10_000;

type CacheEntry = { expires: number; answer: unknown[] } | { expires: number; code: 'ENOTFOUND' | 'ENODATA' };

/** A DNS error shaped like node's, so callers test `error.code` the same way for both sources. */
export function dnsError(code: string, type: string, name: string): NodeJS.ErrnoException {
  const syscall = `query${type.charAt(0)}${type.slice(1).toLowerCase()}`;
  return Object.assign(new Error(`${syscall} ${code} ${name}`), { code, syscall, hostname: name });
}

function isNonExistence(code: unknown): code is 'ENOTFOUND' | 'ENODATA' {
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Builds the resolver from config.dns. Throws when a static record is malformed (start-up stops
 * with the record's name).
 */
export function createResolver(config: DnsConfig, extras: ResolverExtras = {}): Resolver {
  const staticRecords = parseStaticRecords(config.static, 'dns.static');
  const now = extras.now ?? Date.now;
  const cacheMs = config.cacheSeconds * 1000;
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<unknown[]>>();

  const network = new dnsPromises.Resolver({ timeout: config.timeoutMs, tries: config.tries });
  if (config.servers.length > 0) network.setServers(config.servers);

  const fromNetwork = async (name: string, type: string): Promise<unknown[]> => {
    const key = `${type} ${name}`;
    const cached = cache.get(key);
    if (cached && cached.expires > now()) {
      if ('code' in cached) throw dnsError(cached.code, type, name);
      return cached.answer.slice();
    }
    if (cached) cache.delete(key);
    const pending = inFlight.get(key);
    if (pending) return pending;
    const query = (network.resolve(name, type) as Promise<unknown[]>).then(
      (answer) => {
        remember(key, { expires: now() + cacheMs, answer: answer.slice() });
        return answer;
      },
      (error: NodeJS.ErrnoException) => {
        if (isNonExistence(error.code)) remember(key, { expires: now() + cacheMs, code: error.code });
        throw error;
      },
    );
    inFlight.set(key, query);
    try {
      return await query;
    } finally {
      inFlight.delete(key);
    }
  };

  const remember = (key: string, entry: CacheEntry) => {
    if (cacheMs <= 0) return;
    // Maps iterate in insertion order: the first key is the oldest entry.
    if (cache.size >= MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, entry);
  };

  const resolve = (async (name: string, type: string): Promise<unknown[]> => {
    const wanted = type.toUpperCase();
    const canonical = canonicalName(name);
    const listed = staticRecords.get(canonical);
    if (listed) {
      const answer = listed[wanted as StaticType];
      if (!answer || answer.length === 0) throw dnsError('ENODATA', wanted, name);
      // A copy: a caller that sorts or trims the list must not change the records.
      return answer.slice();
    }
    if (config.staticOnly) throw dnsError('ENOTFOUND', wanted, name);
    return fromNetwork(canonical, wanted);
  }) as ResolveFunction;

  return {
    resolve,
    resolveMx: (name) => resolve(name, 'MX'),
    resolve4: (name) => resolve(name, 'A'),
    resolve6: (name) => resolve(name, 'AAAA'),
    resolveTxt: (name) => resolve(name, 'TXT'),
  };
}

/**
 * Checks and normalizes static records as config.dns.static holds them:
 * `{ "example.org": { "TXT": ["v=spf1 -all"], "MX": ["10 mx.example.org"] } }`.
 * A TXT value is a string (one record; length is not limited to 255 here) or an array of
 * strings (one record of several character-strings); an MX value is "priority host" or
 * { exchange, priority }. Node's shapes come out: TXT string[], MX { exchange, priority }.
 */
export function parseStaticRecords(input: unknown, source = 'static records'): StaticRecords {
  const problems: string[] = [];
  const records: StaticRecords = new Map();
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error(`${source}: expected an object of names, got ${JSON.stringify(input)}`);
  }
  for (const [name, types] of Object.entries(input as Record<string, unknown>)) {
    if (name.startsWith('$')) continue;
    if (!/^[0-9A-Za-z_*.-]+\.?$/.test(name)) problems.push(`${name}: not a domain name`);
    if (typeof types !== 'object' || types === null || Array.isArray(types)) {
      problems.push(`${name}: expected an object of record types`);
      continue;
    }
    const entry: Partial<Record<StaticType, unknown[]>> = {};
    for (const [type, values] of Object.entries(types as Record<string, unknown>)) {
      const upper = type.toUpperCase() as StaticType;
      const at = `${name}.${type}`;
      if (!STATIC_TYPES.includes(upper)) {
        problems.push(`${at}: unsupported type (one of ${STATIC_TYPES.join(', ')})`);
        continue;
      }
      if (!Array.isArray(values)) {
        problems.push(`${at}: expected an array`);
        continue;
      }
      const normalized = values.map((value, index) => normalizeValue(upper, value, `${at}[${index}]`, problems));
      entry[upper] = normalized;
    }
    records.set(canonicalName(name), entry);
  }
  if (problems.length > 0) throw new Error(`${source}:\n  ${problems.join('\n  ')}`);
  return records;
}

function normalizeValue(type: StaticType, value: unknown, at: string, problems: string[]): unknown {
  switch (type) {
    case 'TXT':
      if (typeof value === 'string') return [value];
      if (Array.isArray(value) && value.every((part) => typeof part === 'string')) return value;
      problems.push(`${at}: expected a string or an array of strings`);
      return [];
    case 'MX': {
      if (typeof value === 'string') {
        const match = /^(\d+)\s+(\S+)$/.exec(value.trim());
        if (match) return { priority: Number(match[1]), exchange: canonicalName(match[2]) };
      } else if (typeof value === 'object' && value !== null) {
        const { exchange, priority } = value as { exchange?: unknown; priority?: unknown };
        if (typeof exchange === 'string' && Number.isInteger(priority)) return { exchange: canonicalName(exchange), priority };
      }
      problems.push(`${at}: expected { "exchange": name, "priority": number } or "priority name"`);
      return { exchange: '', priority: 0 };
    }
    default:
      if (typeof value === 'string' && value.length > 0) return value;
      problems.push(`${at}: expected a non-empty string`);
      return '';
  }
}
