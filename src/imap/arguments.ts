/**
 * Typed readers for command arguments (RFC 9051 §9 grammar): each takes a Token and returns a
 * value or throws a BAD ImapError naming what was wrong. Command modules compose these in their
 * `parse` so that handlers only ever see well-formed, typed arguments.
 *
 * Invariants:
 * - astring = atom or string (quoted or literal); strings are decoded as UTF-8.
 * - System flags are case-insensitive and normalised to their canonical spelling; \Recent cannot
 *   be set by a client (RFC 3501 §2.3.2); keywords keep their case.
 */
import { imapBad } from '../errors.js';
import { parseSequenceSet, type SequenceSet } from './protocol/sequence.js';
import type { Token } from './protocol/types.js';

export type AtomToken = Extract<Token, { type: 'atom' }>;
export type StringToken = Extract<Token, { type: 'string' }>;
export type ListToken = Extract<Token, { type: 'list' }>;

/** Throws BAD unless the command has between min and max arguments. */
export function expectArgumentCount(args: Token[], min: number, max: number = min): void {
  if (args.length < min) throw imapBad('Missing arguments');
  if (args.length > max) throw imapBad('Too many arguments');
}

export function isAtom(token: Token | undefined, value?: string): token is AtomToken {
  if (!token || token.type !== 'atom' || token.section || token.partial) return false;
  return value === undefined || token.value.toUpperCase() === value;
}

/** A plain atom (no section or partial), as given. */
export function atomArgument(token: Token | undefined, what: string): string {
  if (!isAtom(token)) throw imapBad(`Expected ${what}`);
  return token.value;
}

/** An astring: atom or string, as UTF-8 text. */
export function astringArgument(token: Token | undefined, what: string): string {
  if (!token) throw imapBad(`Missing ${what}`);
  if (token.type === 'string') {
    if (token.binary) throw imapBad(`Unexpected literal8 for ${what}`);
    return token.value.toString('utf8');
  }
  if (isAtom(token)) return token.value;
  throw imapBad(`Expected ${what}`);
}

/** A string (quoted or literal), as raw bytes. */
export function stringArgument(token: Token | undefined, what: string): Buffer {
  if (!token || token.type !== 'string') throw imapBad(`Expected ${what} as a string`);
  return token.value;
}

export function listArgument(token: Token | undefined, what: string): Token[] {
  if (!token || token.type !== 'list') throw imapBad(`Expected ${what} as a parenthesised list`);
  return token.items;
}

/** `number` (RFC 9051 §9): an unsigned 32-bit integer. */
export function numberArgument(token: Token | undefined, what: string): number {
  const text = atomArgument(token, what);
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff) throw imapBad(`Invalid ${what}`);
  return Number(text);
}

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];
const SYSTEM_FLAG_BY_UPPER = new Map(SYSTEM_FLAGS.map((flag) => [flag.toUpperCase(), flag]));

/** The flags every mailbox supports, in FLAGS/PERMANENTFLAGS order (RFC 3501 §7.2.6). */
export const MAILBOX_FLAGS: readonly string[] = SYSTEM_FLAGS;

/** `atom` chars for a keyword: no atom-specials and no "]" (RFC 9051 §9 `flag-keyword`). */
const KEYWORD = /^[^\x00-\x20\x7f-\uffff(){%*"\\\]]+$/;

/** One flag: a canonical system flag or a keyword. */
export function flagArgument(token: Token | undefined): string {
  const text = atomArgument(token, 'a flag');
  if (text.startsWith('\\')) {
    const flag = SYSTEM_FLAG_BY_UPPER.get(text.toUpperCase());
    if (!flag) throw imapBad(`Invalid flag ${text}`);
    return flag;
  }
  if (!KEYWORD.test(text)) throw imapBad(`Invalid keyword ${text}`);
  return text;
}

/** A flag list `(\Seen $Label)`, or for STORE also bare flags; duplicates removed (case-insensitively). */
export function flagsArgument(tokens: Token[]): string[] {
  const flags: string[] = [];
  const seen = new Set<string>();
  for (const token of tokens) {
    const flag = flagArgument(token);
    if (seen.has(flag.toUpperCase())) continue;
    seen.add(flag.toUpperCase());
    flags.push(flag);
  }
  return flags;
}

/**
 * A sequence set atom (`1:3,5,7:*`), or `$` for the saved search result (RFC 5182 §2.1, resolved
 * by the selected view); malformed ones are BAD (RFC 9051 §9 `sequence-set`).
 */
export function sequenceSetArgument(token: Token | undefined): SequenceSet {
  const text = atomArgument(token, 'a sequence set');
  if (text === '$') return { ranges: [], saved: true };
  return parseSequenceSet(text);
}
