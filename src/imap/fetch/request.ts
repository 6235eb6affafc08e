/**
 * FETCH request parsing: turns the tokens after the sequence set into a normalised list of
 * data items, the response label of each, and the least the store has to read to answer.
 *
 * Grammar: RFC 3501 §6.4.5 and §9 (`fetch-att`, `section`), RFC 9051 §6.4.5, BINARY per
 * RFC 3516 §4.2 (`section-binary` holds part numbers; section texts are accepted as in BODY), MODSEQ and the CHANGEDSINCE /
 * VANISHED modifiers per RFC 7162 §3.1.4 and §3.2.6, SAVEDATE per RFC 8514.
 *
 * Invariants:
 * - Macros (ALL, FAST, FULL) are only valid alone, never inside a list (RFC 3501 §6.4.5).
 * - A UID FETCH always includes UID; CHANGEDSINCE always includes MODSEQ (RFC 7162 §3.1.4.1).
 * - Each distinct label appears once: a repeated item is answered once.
 * - Labels echo the section as requested, upper-cased: the same field names in the same order,
 *   so `BODY.PEEK[HEADER.FIELDS (date subject)]` answers `BODY[HEADER.FIELDS (DATE SUBJECT)]`.
 *   Apple Mail and mbsync compare the echo with their request (CLIENTS.md §2); they accept
 *   Dovecot's upper-cased echo, which this follows. The partial is echoed as its origin only:
 *   `BODY[]<0>` (RFC 3501 §6.4.5).
 */
import { imapBad } from '../../errors.js';
import type { SectionSpec } from '../../mime/types.js';
import type { Token } from '../protocol/types.js';

export type FetchItemName =
  | 'UID'
  | 'FLAGS'
  | 'INTERNALDATE'
  | 'RFC822.SIZE'
  | 'ENVELOPE'
  | 'BODY'
  | 'BODYSTRUCTURE'
  | 'BODY[]'
  | 'BINARY[]'
  | 'BINARY.SIZE'
  | 'RFC822'
  | 'RFC822.HEADER'
  | 'RFC822.TEXT'
  | 'MODSEQ'
  | 'SAVEDATE';

/** One requested data item, normalised. */
export interface FetchItem {
  name: FetchItemName;
  /** For BODY[], BINARY[] and BINARY.SIZE (whose section text, if any, is answered as BODY[]). */
  section?: SectionSpec;
  partial?: { start: number; length?: number };
  /** BODY.PEEK / BINARY.PEEK: the item does not set \Seen. */
  peek?: boolean;
  /** The label echoed in the response, e.g. "BODY[HEADER.FIELDS (DATE SUBJECT)]<0>". */
  label: string;
}

/**
 * How much of a message the store must read, cumulative: each level includes the ones before it.
 * - meta: flags, UID, size, dates, modseq (listMessages is enough);
 * - parsed: plus the MIME tree (ENVELOPE, BODY, BODYSTRUCTURE);
 * - header: plus the header block of the top-level message as `raw`;
 * - full: plus the whole message as `raw`.
 */
export type FetchNeeds = 'meta' | 'parsed' | 'header' | 'full';

export interface FetchRequest {
  items: FetchItem[];
  needs: FetchNeeds;
  /**
   * Whether rendering needs the MIME tree. False when every item is answered from meta and raw
   * bytes alone (e.g. Thunderbird's `BODY.PEEK[HEADER.FIELDS (..)]` or `BODY.PEEK[]<0.65536>`),
   * so the caller may skip loading it even at the 'header' or 'full' level.
   */
  needsParsed: boolean;
  /** Some item sets \Seen (BODY[..] without .PEEK, BINARY[..], RFC822, RFC822.TEXT). */
  setsSeen: boolean;
  /** CHANGEDSINCE modifier (RFC 7162 §3.1.4): only messages with a greater modseq are returned. */
  changedSince?: number;
  /** VANISHED modifier (RFC 7162 §3.2.6), UID FETCH only and always with changedSince. */
  vanished?: boolean;
}

const NEEDS_ORDER: FetchNeeds[] = ['meta', 'parsed', 'header', 'full'];

const MACROS: Record<string, FetchItemName[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/** Items that are a bare name: no section, no partial. */
const SIMPLE_ITEMS = new Set<FetchItemName>([
  'UID',
  'FLAGS',
  'INTERNALDATE',
  'RFC822.SIZE',
  'ENVELOPE',
  'BODYSTRUCTURE',
  'RFC822',
  'RFC822.HEADER',
  'RFC822.TEXT',
  'MODSEQ',
  'SAVEDATE',
]);

/** Largest mod-sequence value, RFC 7162 §7 (`mod-sequence-value` is 63-bit); ours fit in a double. */
const MAX_MODSEQ = Number.MAX_SAFE_INTEGER;

/**
 * Parses the FETCH arguments after the sequence set: one atom (a macro or a single item) or a
 * list of items, then an optional list of modifiers. Throws imapBad on any syntax error.
 */
export function parseFetchRequest(args: Token[], options: { uid: boolean } = { uid: false }): FetchRequest {
  if (args.length === 0) throw imapBad('FETCH needs data items');
  if (args.length > 2) throw imapBad('Unexpected arguments after FETCH data items');
  const [what, modifierList] = args;

  const items: FetchItem[] = [];
  if (what.type === 'atom' && !what.section && !what.partial && what.value.toUpperCase() in MACROS) {
    for (const name of MACROS[what.value.toUpperCase()]) items.push({ name, label: name });
  } else if (what.type === 'atom') {
    items.push(parseItem(what));
  } else if (what.type === 'list') {
    if (what.items.length === 0) throw imapBad('FETCH data item list is empty');
    for (const token of what.items) items.push(parseItem(token));
  } else {
    throw imapBad('FETCH data items must be an atom or a list');
  }

  const request: FetchRequest = { items: [], needs: 'meta', needsParsed: false, setsSeen: false };
  if (modifierList !== undefined) parseModifiers(modifierList, request, options);

  if (options.uid && !items.some((item) => item.name === 'UID')) items.unshift({ name: 'UID', label: 'UID' });
  if (request.changedSince !== undefined && !items.some((item) => item.name === 'MODSEQ')) {
    items.push({ name: 'MODSEQ', label: 'MODSEQ' });
  }

  const seen = new Set<string>();
  for (const item of items) {
    // BODY[] and BODY.PEEK[] share a label: the response has it once, and \Seen is set if either asks.
    request.setsSeen ||= itemSetsSeen(item);
    if (seen.has(item.label)) continue;
    seen.add(item.label);
    request.items.push(item);
    request.needs = maxNeeds(request.needs, itemNeeds(item));
    request.needsParsed ||= itemNeedsParsed(item);
  }
  return request;
}

function parseModifiers(token: Token, request: FetchRequest, options: { uid: boolean }): void {
  if (token.type !== 'list' || token.items.length === 0) throw imapBad('FETCH modifiers must be a non-empty list');
  const tokens = token.items;
  for (let i = 0; i < tokens.length; i++) {
    const name = atomValue(tokens[i])?.toUpperCase();
    if (name === 'CHANGEDSINCE') {
      const value = atomValue(tokens[++i]);
      if (value === undefined || !/^\d+$/.test(value) || Number(value) > MAX_MODSEQ) {
        throw imapBad('CHANGEDSINCE needs a mod-sequence value');
      }
      if (request.changedSince !== undefined) throw imapBad('CHANGEDSINCE given twice');
      request.changedSince = Number(value);
    } else if (name === 'VANISHED') {
      request.vanished = true;
    } else {
      throw imapBad(`Unknown FETCH modifier ${name ?? ''}`.trim());
    }
  }
  // RFC 7162 §3.2.6: VANISHED only in UID FETCH, and only together with CHANGEDSINCE.
  if (request.vanished && !options.uid) throw imapBad('VANISHED is only allowed in UID FETCH');
  if (request.vanished && request.changedSince === undefined) throw imapBad('VANISHED needs CHANGEDSINCE');
}

function parseItem(token: Token): FetchItem {
  if (token.type !== 'atom') throw imapBad('FETCH data items must be atoms');
  const upper = token.value.toUpperCase();
  if (upper in MACROS) throw imapBad(`${upper} is a macro and cannot be used in a list`);

  if (token.section === undefined) {
    if (token.partial) throw imapBad(`${upper} cannot take a partial range`);
    if (upper === 'BODY') return { name: 'BODY', label: 'BODY' };
    if (SIMPLE_ITEMS.has(upper as FetchItemName)) return { name: upper as FetchItemName, label: upper };
    throw imapBad(`Unknown FETCH data item ${token.value}`);
  }

  const partial = parsePartial(token.partial);
  if (upper === 'BODY' || upper === 'BODY.PEEK') {
    const section = parseSection(token.section);
    const label = `BODY[${sectionLabel(section)}]${partial ? `<${partial.start}>` : ''}`;
    return withPartial({ name: 'BODY[]', section, peek: upper === 'BODY.PEEK', label }, partial);
  }
  if (upper === 'BINARY' || upper === 'BINARY.PEEK' || upper === 'BINARY.SIZE') {
    const section = parseBinarySection(token.section);
    const part = sectionLabel(section);
    if (upper === 'BINARY.SIZE') {
      if (partial) throw imapBad('BINARY.SIZE cannot take a partial range');
      return { name: 'BINARY.SIZE', section, label: `BINARY.SIZE[${part}]` };
    }
    const label = `BINARY[${part}]${partial ? `<${partial.start}>` : ''}`;
    return withPartial({ name: 'BINARY[]', section, peek: upper === 'BINARY.PEEK', label }, partial);
  }
  throw imapBad(`${token.value} does not take a section`);
}

function withPartial(item: FetchItem, partial: FetchItem['partial']): FetchItem {
  if (partial) item.partial = partial;
  return item;
}

/** RFC 3501 §9: `"<" number "." nz-number ">"`; a bare `<n>` is accepted as "from n to the end". */
function parsePartial(partial: [number, number | undefined] | undefined): FetchItem['partial'] {
  if (!partial) return undefined;
  const [start, length] = partial;
  if (!Number.isSafeInteger(start) || start < 0) throw imapBad('Bad partial range origin');
  if (length === undefined) return { start };
  if (!Number.isSafeInteger(length) || length <= 0) throw imapBad('Partial range length must be positive');
  return { start, length };
}

/**
 * `section-spec = section-msgtext / (section-part ["." section-text])` (RFC 3501 §9). The parser
 * hands the bracket contents as tokens: an atom such as "1.2.HEADER.FIELDS.NOT" and, for the
 * HEADER.FIELDS forms, a list of field names.
 */
export function parseSection(tokens: Token[]): SectionSpec {
  if (tokens.length === 0) return { part: [], text: null };
  const first = atomValue(tokens[0]);
  if (first === undefined) throw imapBad('Bad section specification');
  const pieces = first.split('.');
  const part: number[] = [];
  while (pieces.length > 0 && /^\d+$/.test(pieces[0])) part.push(parsePartNumber(pieces.shift()!));
  const text = pieces.join('.').toUpperCase();

  if (text === '') {
    if (tokens.length !== 1) throw imapBad('Bad section specification');
    return { part, text: null };
  }
  if (text === 'HEADER' || text === 'TEXT' || text === 'MIME') {
    if (tokens.length !== 1) throw imapBad('Bad section specification');
    if (text === 'MIME' && part.length === 0) throw imapBad('MIME needs a part number');
    return { part, text };
  }
  if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') {
    const list = tokens[1];
    if (tokens.length !== 2 || list.type !== 'list' || list.items.length === 0) {
      throw imapBad(`${text} needs a list of header field names`);
    }
    const fields = list.items.map((item) => {
      const name = astringValue(item);
      // RFC 5322 §3.6.8: field names are printable US-ASCII except colon.
      if (name === undefined || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw imapBad('Bad header field name');
      return name;
    });
    return { part, text, fields };
  }
  throw imapBad('Bad section specification');
}

/**
 * `section-binary = "[" [section-part] "]"` (RFC 3516 §4.2) holds part numbers only; a BODY-style
 * section text (HEADER, HEADER.FIELDS, MIME, TEXT) is accepted too, as Dovecot does and its
 * imaptest checks (fetch-binary-mime), and answered like BODY[...]: headers have no transfer
 * encoding to remove.
 */
function parseBinarySection(tokens: Token[]): SectionSpec {
  if (tokens.length === 0) return { part: [], text: null };
  const value = atomValue(tokens[0]);
  if (tokens.length === 1 && value !== undefined && /^\d+(\.\d+)*$/.test(value)) {
    return { part: value.split('.').map(parsePartNumber), text: null };
  }
  return parseSection(tokens);
}

function parsePartNumber(text: string): number {
  const n = Number(text);
  if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(n)) throw imapBad('Section part numbers start at 1');
  return n;
}

/** The section as echoed inside the brackets of the response label. */
export function sectionLabel(section: SectionSpec): string {
  const pieces: string[] = [];
  if (section.part.length > 0) pieces.push(section.part.join('.'));
  if (section.text) pieces.push(section.text);
  let label = pieces.join('.');
  if (section.fields) label += ` (${section.fields.map((name) => quoteIfNeeded(name)).join(' ')})`;
  return label;
}

/** Field names that are atoms are echoed bare; anything else as a quoted string. */
function quoteIfNeeded(name: string): string {
  return /^[^\x00-\x20\x7f-\uffff(){%*"\\\]]+$/.test(name) ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
}

function itemNeeds(item: FetchItem): FetchNeeds {
  switch (item.name) {
    case 'ENVELOPE':
    case 'BODY':
    case 'BODYSTRUCTURE':
      return 'parsed';
    case 'RFC822.HEADER':
      return 'header';
    case 'BODY[]':
      return isTopLevelHeader(item.section!) ? 'header' : 'full';
    case 'RFC822':
    case 'RFC822.TEXT':
    case 'BINARY[]':
    case 'BINARY.SIZE':
      return 'full';
    default:
      return 'meta';
  }
}

/** Sections answered from raw bytes alone: the top-level message, its header and its text. */
function itemNeedsParsed(item: FetchItem): boolean {
  if (item.name === 'ENVELOPE' || item.name === 'BODY' || item.name === 'BODYSTRUCTURE') return true;
  if (item.name === 'BINARY[]' || item.name === 'BINARY.SIZE') return item.section!.part.length > 0;
  if (item.name === 'BODY[]') return item.section!.part.length > 0;
  return false;
}

function itemSetsSeen(item: FetchItem): boolean {
  if (item.name === 'RFC822' || item.name === 'RFC822.TEXT') return true;
  return (item.name === 'BODY[]' || item.name === 'BINARY[]') && !item.peek;
}

/** HEADER, HEADER.FIELDS and HEADER.FIELDS.NOT of the top-level message need only the header block. */
export function isTopLevelHeader(section: SectionSpec): boolean {
  return section.part.length === 0 && section.text !== null && section.text.startsWith('HEADER');
}

export function maxNeeds(a: FetchNeeds, b: FetchNeeds): FetchNeeds {
  return NEEDS_ORDER.indexOf(a) >= NEEDS_ORDER.indexOf(b) ? a : b;
}

function atomValue(token: Token | undefined): string | undefined {
  return token?.type === 'atom' && !token.section && !token.partial ? token.value : undefined;
}

function astringValue(token: Token): string | undefined {
  if (token.type === 'string') return token.value.toString('utf8');
  return atomValue(token);
}
