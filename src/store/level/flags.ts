/**
 * Message flags as the store keeps them (RFC 9051 §2.3.2).
 *
 * Invariants of a stored flag list: system flags in canonical case (\Seen \Answered \Flagged
 * \Deleted \Draft), matched case-insensitively on input; \Recent is never stored (it is a session
 * property in RFC 3501 and gone in RFC 9051); keywords kept as given, deduplicated
 * case-insensitively (first spelling wins); no other "\" flags.
 */
import { StoreError } from '../../errors.js';
import type { FlagOperation } from '../types.js';

export const SEEN = '\\Seen';
const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'];
const SYSTEM_BY_LOWER = new Map(SYSTEM_FLAGS.map((flag) => [flag.toLowerCase(), flag]));
/** RFC 9051 §9 `atom`: printable ASCII without atom-specials. */
const KEYWORD = /^[\x21-\x7e]+$/;
const ATOM_SPECIALS = /[(){%*"\\\]]/;

/** Canonical, deduplicated flag list; StoreError 'invalid' for unknown system flags or bad keywords. */
export function normalizeFlags(flags: readonly string[] | undefined): string[] {
  const result: string[] = [];
  const seen = new Set<string>();
  for (const flag of flags ?? []) {
    let canonical: string;
    if (typeof flag !== 'string') throw new StoreError('invalid', 'Flag is not a string');
    if (flag.startsWith('\\')) {
      const lower = flag.toLowerCase();
      if (lower === '\\recent') continue;
      const system = SYSTEM_BY_LOWER.get(lower);
      if (!system) throw new StoreError('invalid', `Unknown system flag ${flag}`);
      canonical = system;
    } else {
      if (!KEYWORD.test(flag) || ATOM_SPECIALS.test(flag)) throw new StoreError('invalid', 'Invalid keyword');
      canonical = flag;
    }
    const key = canonical.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(canonical);
  }
  return result;
}

/** The flag list after applying a STORE operation; both inputs already normalised. */
export function applyFlagOperation(current: readonly string[], op: FlagOperation, flags: readonly string[]): string[] {
  if (op === 'set') return [...flags];
  const given = new Set(flags.map((flag) => flag.toLowerCase()));
  if (op === 'remove') return current.filter((flag) => !given.has(flag.toLowerCase()));
  const present = new Set(current.map((flag) => flag.toLowerCase()));
  return [...current, ...flags.filter((flag) => !present.has(flag.toLowerCase()))];
}

/** Same set of flags, ignoring order and case. */
export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const lower = new Set(a.map((flag) => flag.toLowerCase()));
  return b.every((flag) => lower.has(flag.toLowerCase()));
}

export function isSeen(flags: readonly string[]): boolean {
  return flags.includes(SEEN);
}
