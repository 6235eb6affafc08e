/**
 * SEARCH argument parsing into a key tree (RFC 3501 §6.4.4 and §9 `search-key`, RFC 9051
 * §6.4.4), with ESEARCH `RETURN (..)` (RFC 4731 §3.1), MODSEQ (RFC 7162 §3.1.5), OLDER/YOUNGER
 * (RFC 5032) and `$` (RFC 5182).
 *
 * Invariants:
 * - Syntax errors and unknown keys are BAD; an unknown charset is NO [BADCHARSET (UTF-8 US-ASCII)]
 *   (RFC 3501 §6.4.4), never BAD.
 * - US-ASCII is a subset of UTF-8, so strings are decoded as UTF-8 whatever the charset.
 * - `needs` is the least the caller has to read for every key of the tree.
 */
import { imapBad, imapNo } from '../../errors.js';
import { parseSequenceSet } from '../protocol/sequence.js';
import type { Token } from '../protocol/types.js';
import type { DateComparison, SearchKey, SearchNeeds, SearchRequest } from './keys.js';

const CHARSETS = ['UTF-8', 'US-ASCII'];
const RETURN_OPTIONS = new Set(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_MS = 86_400_000;

/** Keys that test a system flag: name → [flag, present]. */
const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};

/** Keys that search one header field for a string. */
const HEADER_KEYS = new Set(['BCC', 'CC', 'FROM', 'SUBJECT', 'TO']);

const DATE_KEYS: Record<string, ['internal' | 'sent' | 'saved', DateComparison]> = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
  // RFC 8514 §4: the date the message was saved in this mailbox.
  SAVEDBEFORE: ['saved', 'before'],
  SAVEDON: ['saved', 'on'],
  SAVEDSINCE: ['saved', 'since'],
};

const NEEDS_ORDER: SearchNeeds[] = ['meta', 'parsed', 'header', 'full'];

/** Parses `[RETURN (..)] [CHARSET name] search-key *(SP search-key)`. */
export function parseSearchRequest(args: Token[], options: { utf8?: boolean } = {}): SearchRequest {
  const cursor = new Cursor(args);
  let returnOptions: string[] | undefined;
  if (cursor.peekKeyword() === 'RETURN' && cursor.peekAt(1)?.type === 'list') {
    cursor.next();
    returnOptions = parseReturnOptions(cursor.next() as Extract<Token, { type: 'list' }>);
  }

  // RFC 9051 makes UTF-8 the default; under RFC 3501 it was US-ASCII, which UTF-8 contains.
  let charset = options.utf8 ? 'UTF-8' : 'US-ASCII';
  if (cursor.peekKeyword() === 'CHARSET') {
    cursor.next();
    const name = cursor.astring('CHARSET needs a charset name').toUpperCase();
    if (!CHARSETS.includes(name)) throw imapNo(`Charset ${name} is not supported`, `BADCHARSET (${CHARSETS.join(' ')})`);
    charset = name;
  }

  const keys: SearchKey[] = [];
  while (!cursor.done()) keys.push(parseKey(cursor));
  if (keys.length === 0) throw imapBad('SEARCH needs at least one search key');
  const key: SearchKey = keys.length === 1 ? keys[0] : { kind: 'and', keys };

  const request: SearchRequest = {
    charset,
    key,
    needs: keyNeeds(key),
    needsParsed: keyNeedsParsed(key),
    usesModseq: someKey(key, (k) => k.kind === 'modseq'),
    usesSaved: someKey(key, (k) => k.kind === 'saved'),
  };
  if (returnOptions) request.returnOptions = returnOptions;
  return request;
}

function parseReturnOptions(list: Extract<Token, { type: 'list' }>): string[] {
  const names: string[] = [];
  for (const item of list.items) {
    const name = item.type === 'atom' && !item.section && !item.partial ? item.value.toUpperCase() : undefined;
    if (name === undefined || !RETURN_OPTIONS.has(name)) throw imapBad('Unknown SEARCH RETURN option');
    if (!names.includes(name)) names.push(name);
  }
  // RFC 4731 §3.1: "RETURN ()" is the same as "RETURN (ALL)".
  return names.length === 0 ? ['ALL'] : names;
}

/**
 * Deepest nesting of OR, NOT and parenthesised lists. Real programs stay far below (imapflow
 * nests one OR per alternative); the bound keeps every recursive walk of the tree (needs,
 * matching) far from the call stack's limit.
 */
const MAX_KEY_DEPTH = 1000;

function parseKey(cursor: Cursor, depth = 0): SearchKey {
  if (depth > MAX_KEY_DEPTH) throw imapBad('Search program nested too deeply');
  const token = cursor.next();
  if (token === undefined) throw imapBad('Missing search key');
  if (token.type === 'list') {
    if (token.items.length === 0) throw imapBad('Empty search key list');
    const inner = new Cursor(token.items);
    const keys: SearchKey[] = [];
    while (!inner.done()) keys.push(parseKey(inner, depth + 1));
    return keys.length === 1 ? keys[0] : { kind: 'and', keys };
  }
  if (token.type !== 'atom' || token.section || token.partial) throw imapBad('Bad search key');

  const name = token.value.toUpperCase();
  if (name in FLAG_KEYS) {
    const [flag, present] = FLAG_KEYS[name];
    return { kind: 'flag', flag, present };
  }
  if (HEADER_KEYS.has(name)) {
    return { kind: 'header', field: name.toLowerCase(), value: cursor.astring(`${name} needs a string`) };
  }
  if (name in DATE_KEYS) {
    const [field, op] = DATE_KEYS[name];
    return { kind: 'date', field, op, day: parseSearchDate(cursor.astring(`${name} needs a date`)) };
  }
  switch (name) {
    case 'ALL':
    // RFC 8514 §4: every mailbox here keeps save dates, so this matches every message.
    case 'SAVEDATESUPPORTED':
      return { kind: 'all' };
    case 'RECENT':
      return { kind: 'recent' };
    // RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT.
    case 'NEW':
      return { kind: 'and', keys: [{ kind: 'recent' }, { kind: 'flag', flag: '\\Seen', present: false }] };
    case 'OLD':
      return { kind: 'not', key: { kind: 'recent' } };
    case 'BODY':
      return { kind: 'body', value: cursor.astring('BODY needs a string') };
    case 'TEXT':
      return { kind: 'text', value: cursor.astring('TEXT needs a string') };
    case 'HEADER': {
      const field = cursor.astring('HEADER needs a field name');
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(field)) throw imapBad('Bad header field name');
      return { kind: 'header', field: field.toLowerCase(), value: cursor.astring('HEADER needs a string') };
    }
    case 'KEYWORD':
    case 'UNKEYWORD':
      return { kind: 'flag', flag: cursor.flagKeyword(`${name} needs a keyword`), present: name === 'KEYWORD' };
    case 'LARGER':
    case 'SMALLER':
      return { kind: 'size', op: name === 'LARGER' ? 'larger' : 'smaller', size: cursor.number(`${name} needs a number`) };
    case 'OLDER':
    case 'YOUNGER': {
      const seconds = cursor.number(`${name} needs a number of seconds`);
      if (seconds === 0) throw imapBad(`${name} needs a positive number of seconds`);
      return { kind: 'age', op: name === 'OLDER' ? 'older' : 'younger', seconds };
    }
    case 'NOT':
      return { kind: 'not', key: parseKey(cursor, depth + 1) };
    case 'OR': {
      const left = parseKey(cursor, depth + 1);
      return { kind: 'or', left, right: parseKey(cursor, depth + 1) };
    }
    case 'UID': {
      const text = cursor.atom('UID needs a sequence set');
      if (text === '$') return { kind: 'saved' };
      return { kind: 'uid', set: parseSet(text), text };
    }
    case 'MODSEQ':
      return parseModseq(cursor);
    case '$':
      return { kind: 'saved' };
  }
  if (/^[\d*:,]+$/.test(name)) return { kind: 'sequence', set: parseSet(name), text: name };
  throw imapBad(`Unknown search key ${token.value}`);
}

/** `"MODSEQ" [search-modsequence-ext] SP mod-sequence-valzer` with ext = entry-name SP entry-type-req. */
function parseModseq(cursor: Cursor): SearchKey {
  const next = cursor.peekAt(0);
  let entry: { name: string; type: 'priv' | 'shared' | 'all' } | undefined;
  if (next?.type === 'string') {
    const name = cursor.astring('MODSEQ needs an entry name');
    const type = cursor.atom('MODSEQ needs an entry type').toLowerCase();
    if (type !== 'priv' && type !== 'shared' && type !== 'all') throw imapBad('MODSEQ entry type must be priv, shared or all');
    entry = { name, type };
  }
  const modseq = cursor.number('MODSEQ needs a mod-sequence value');
  return entry ? { kind: 'modseq', modseq, entry } : { kind: 'modseq', modseq };
}

function parseSet(text: string) {
  return parseSequenceSet(text);
}

/** `date = date-text / DQUOTE date-text DQUOTE`, `date-text = date-day "-" date-month "-" date-year`. */
export function parseSearchDate(text: string): number {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = match ? MONTHS.indexOf(match[2].toUpperCase()) : -1;
  if (!match || month < 0) throw imapBad(`Bad date ${text}`);
  const day = Number(match[1]);
  const epochMs = Date.UTC(Number(match[3]), month, day);
  if (new Date(epochMs).getUTCDate() !== day) throw imapBad(`Bad date ${text}`);
  return Math.floor(epochMs / DAY_MS);
}

function keyNeeds(key: SearchKey): SearchNeeds {
  switch (key.kind) {
    case 'and':
      return key.keys.map(keyNeeds).reduce(maxNeeds, 'meta');
    case 'or':
      return maxNeeds(keyNeeds(key.left), keyNeeds(key.right));
    case 'not':
      return keyNeeds(key.key);
    case 'header':
      return 'header';
    case 'body':
    case 'text':
      return 'full';
    case 'date':
      return key.field === 'sent' ? 'parsed' : 'meta';
    default:
      return 'meta';
  }
}

function keyNeedsParsed(key: SearchKey): boolean {
  return someKey(key, (k) => k.kind === 'body' || k.kind === 'text' || (k.kind === 'date' && k.field === 'sent'));
}

function someKey(key: SearchKey, test: (key: SearchKey) => boolean): boolean {
  if (test(key)) return true;
  if (key.kind === 'and') return key.keys.some((k) => someKey(k, test));
  if (key.kind === 'or') return someKey(key.left, test) || someKey(key.right, test);
  if (key.kind === 'not') return someKey(key.key, test);
  return false;
}

function maxNeeds(a: SearchNeeds, b: SearchNeeds): SearchNeeds {
  return NEEDS_ORDER.indexOf(a) >= NEEDS_ORDER.indexOf(b) ? a : b;
}

/** Reads tokens in order, with typed accessors that throw BAD naming what was expected. */
class Cursor {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.position >= this.tokens.length;
  }

  next(): Token | undefined {
    return this.tokens[this.position++];
  }

  peekAt(offset: number): Token | undefined {
    return this.tokens[this.position + offset];
  }

  /** The upper-cased value of the next token when it is a plain atom. */
  peekKeyword(): string | undefined {
    const token = this.peekAt(0);
    return token?.type === 'atom' && !token.section && !token.partial ? token.value.toUpperCase() : undefined;
  }

  atom(missing: string): string {
    const token = this.next();
    if (token?.type !== 'atom' || token.section || token.partial) throw imapBad(missing);
    return token.value;
  }

  /** An astring: atom, quoted string or literal (RFC 3501 §9); strings are UTF-8. */
  astring(missing: string): string {
    const token = this.next();
    if (token?.type === 'string') return token.value.toString('utf8');
    if (token?.type === 'atom' && !token.section && !token.partial) return token.value;
    throw imapBad(missing);
  }

  /** `number` (RFC 9051 §9: up to 63 bits); we need it to fit a double exactly. */
  number(missing: string): number {
    const text = this.atom(missing);
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw imapBad(missing);
    return value;
  }

  /**
   * `flag-keyword` is an atom without a backslash; a system flag is accepted too (KEYWORD \\Seen
   * means SEEN, as Dovecot reads it) since refusing it helps no client.
   */
  flagKeyword(missing: string): string {
    return this.atom(missing);
  }
}
