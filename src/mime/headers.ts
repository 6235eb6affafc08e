/**
 * Header blocks (RFC 5322 §2.2, §3.2.2) and structured MIME header values (RFC 2045 §5.1,
 * RFC 2231): scanning a block into fields by byte offsets, unfolding values, parsing
 * `type/subtype; name=value` with RFC 2231 continuations and charsets, the HEADER.FIELDS(.NOT)
 * filter (RFC 9051 §6.4.5) and RFC 2047 decoding for SEARCH.
 *
 * Invariants:
 * - The block is scanned byte by byte only on field-name bytes; line ends are found with the
 *   native `indexOf`, so huge header lines cost little.
 * - The header ends at the first empty line (CRLF or bare LF). A line that is neither a field
 *   nor a continuation also ends it (a missing blank line, as Python's email parser treats it):
 *   that line starts the body.
 * - Nothing here throws on malformed input.
 */
import { isUtf8 } from 'node:buffer';
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

export interface HeaderField {
  /** Field name, lower-cased, trailing whitespace removed; '' for a stray leading continuation. */
  name: string;
  /** Offset of the first byte of the field's first line. */
  start: number;
  /** Offset just past the field's last line, including its line ending when present. */
  end: number;
  /** Offset just past the colon (equal to start for a nameless line). */
  valueStart: number;
}

export interface HeaderScan {
  fields: HeaderField[];
  /** Offset just past the blank line that ends the header, or of the first non-header line, or `end`. */
  bodyStart: number;
}

/**
 * Finds the header fields in raw[start, end). Never reads past `end`.
 */
export function scanHeader(raw: Buffer, start: number, end: number): HeaderScan {
  const fields: HeaderField[] = [];
  const bounded = end < raw.length ? raw.subarray(0, end) : raw;
  let current: HeaderField | null = null;
  let p = start;
  while (p < end) {
    const lf = bounded.indexOf(LF, p);
    const nextLine = lf < 0 ? end : lf + 1;
    const first = raw[p];
    if (first === LF || (first === CR && p + 1 < end && raw[p + 1] === LF)) {
      return { fields, bodyStart: nextLine };
    }
    if (first === SP || first === HT) {
      if (current) {
        current.end = nextLine;
      } else {
        current = { name: '', start: p, end: nextLine, valueStart: p };
        fields.push(current);
      }
      p = nextLine;
      continue;
    }
    const contentEnd = lf < 0 ? end : lf;
    const colon = fieldNameEnd(raw, p, contentEnd);
    if (colon < 0) return { fields, bodyStart: p };
    let nameEnd = colon;
    while (nameEnd > p && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HT)) nameEnd--;
    current = {
      name: raw.toString('latin1', p, nameEnd).toLowerCase(),
      start: p,
      end: nextLine,
      valueStart: colon + 1,
    };
    fields.push(current);
    p = nextLine;
  }
  return { fields, bodyStart: end };
}

/**
 * Offset of the colon ending a field name that starts at p, or -1 when the line is not a header
 * field: RFC 5322 §3.6.8 ftext is %d33-57 / %d59-126; obsolete syntax allows WSP before the colon.
 */
function fieldNameEnd(raw: Buffer, p: number, contentEnd: number): number {
  let i = p;
  while (i < contentEnd) {
    const c = raw[i];
    if (c === COLON) return i > p ? i : -1;
    if (c === SP || c === HT) {
      let j = i;
      while (j < contentEnd && (raw[j] === SP || raw[j] === HT)) j++;
      return j < contentEnd && raw[j] === COLON && i > p ? j : -1;
    }
    if (c < 33 || c > 126) return -1;
    i++;
  }
  return -1;
}

/**
 * Header bytes as a JS string: UTF-8 when the bytes are valid UTF-8 (RFC 6532 headers),
 * otherwise Latin-1 so that no byte is lost.
 */
export function bytesToString(raw: Buffer, start: number, end: number): string {
  const slice = raw.subarray(start, end);
  return isUtf8(slice) ? slice.toString('utf8') : slice.toString('latin1');
}

/**
 * The field's value unfolded (RFC 5322 §2.2.3: line breaks removed, WSP kept), leading WSP
 * dropped. NUL is removed: it has no meaning in a header and IMAP cannot carry it (RFC 9051 §4.3).
 */
export function fieldValue(raw: Buffer, field: HeaderField): string {
  let text = unfold(bytesToString(raw, field.valueStart, field.end)).replace(/^[ \t]+/, '');
  if (text.indexOf('\0') >= 0) text = text.replace(/\0/g, '');
  return text;
}

function unfold(text: string): string {
  return text.indexOf('\n') < 0 && text.indexOf('\r') < 0 ? text : text.replace(/[\r\n]+/g, '');
}

/** Unfolded values of every occurrence of a header field (name compared case-insensitively). */
export function headerValues(headerBlock: Buffer, name: string): string[] {
  const wanted = name.trim().toLowerCase();
  const { fields } = scanHeader(headerBlock, 0, headerBlock.length);
  const values: string[] = [];
  for (const field of fields) {
    if (field.name === wanted) values.push(fieldValue(headerBlock, field));
  }
  return values;
}

/**
 * HEADER.FIELDS / HEADER.FIELDS.NOT (RFC 9051 §6.4.5): the matching fields with their folded
 * lines as stored, in message order, followed by the blank line (always included).
 */
export function headerFields(headerBlock: Buffer, fields: string[], exclude: boolean): Buffer {
  const wanted = new Set(fields.map((f) => f.trim().toLowerCase()));
  const { fields: found } = scanHeader(headerBlock, 0, headerBlock.length);
  const chunks: Buffer[] = [];
  for (const field of found) {
    if (field.name === '') continue;
    if (wanted.has(field.name) === exclude) continue;
    chunks.push(headerBlock.subarray(field.start, field.end));
    if (headerBlock[field.end - 1] !== LF) chunks.push(CRLF);
  }
  chunks.push(CRLF);
  return Buffer.concat(chunks);
}

const CRLF = Buffer.from('\r\n', 'latin1');

/** RFC 2047 encoded words → Unicode. Returns the input unchanged when it cannot be decoded. */
export function decodeHeaderValue(value: string): string {
  if (value.indexOf('=?') < 0) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** A structured value such as Content-Type: the leading token(s) and parameters in order. */
export interface StructuredValue {
  /** Lower-cased value before the first ';', comments and whitespace removed ('' if none). */
  value: string;
  /** Names lower-cased; values unquoted and RFC 2231 decoded; first occurrence wins. */
  params: Array<[string, string]>;
}

const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c > 32 && c < 127 && TSPECIALS.indexOf(ch) < 0;
}

/** Skips whitespace and (nested) comments starting at i; returns the next index. */
function skipCfws(text: string, i: number): number {
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      i++;
    } else if (ch === '(') {
      let depth = 0;
      while (i < text.length) {
        const c = text[i];
        if (c === '\\') i += 2;
        else {
          if (c === '(') depth++;
          else if (c === ')') depth--;
          i++;
          if (depth === 0) break;
        }
      }
    } else break;
  }
  return i;
}

/** Reads a quoted string whose opening quote is at i; tolerates a missing closing quote. */
function readQuoted(text: string, i: number): { value: string; next: number } {
  let value = '';
  i++;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (ch === '"') {
      return { value, next: i + 1 };
    } else {
      value += ch;
      i++;
    }
  }
  return { value, next: i };
}

/**
 * Parses `value; name=value; name*0*=charset'lang'%xx; ...` (RFC 2045 §5.1, RFC 2231).
 * The leading value keeps only token characters and '/', so comments and junk do not leak in.
 */
export function parseStructuredValue(text: string): StructuredValue {
  let i = skipCfws(text, 0);
  let value = '';
  while (i < text.length && text[i] !== ';') {
    const ch = text[i];
    if (ch === '(' || ch === ' ' || ch === '\t') {
      i = skipCfws(text, i);
      continue;
    }
    if (ch === '"') {
      const q = readQuoted(text, i);
      value += q.value;
      i = q.next;
      continue;
    }
    value += ch;
    i++;
  }
  const raw: Array<{ name: string; value: string }> = [];
  while (i < text.length) {
    i = skipCfws(text, i + 1);
    let name = '';
    while (i < text.length && isTokenChar(text[i])) name += text[i++];
    i = skipCfws(text, i);
    if (name === '' || text[i] !== '=') {
      while (i < text.length && text[i] !== ';') i++;
      continue;
    }
    i = skipCfws(text, i + 1);
    let paramValue = '';
    if (text[i] === '"') {
      const q = readQuoted(text, i);
      paramValue = q.value;
      i = q.next;
    } else {
      const valueStart = i;
      while (i < text.length && isTokenChar(text[i])) paramValue += text[i++];
      const after = skipCfws(text, i);
      if (after < text.length && text[after] !== ';') {
        // Lenient: an unquoted value with tspecials or spaces (name=a@b.pdf, name=my file.pdf)
        // is kept whole up to the ';', as mail clients read it.
        const semi = text.indexOf(';', valueStart);
        paramValue = text.slice(valueStart, semi < 0 ? text.length : semi).trim();
        i = semi < 0 ? text.length : semi;
      }
    }
    while (i < text.length && text[i] !== ';') i++;
    raw.push({ name: name.toLowerCase(), value: paramValue });
  }
  return { value: value.trim().toLowerCase(), params: joinRfc2231(raw) };
}

interface Rfc2231Segment {
  index: number;
  encoded: boolean;
  value: string;
}

/**
 * Joins RFC 2231 §3 continuations (`name*0`, `name*1*`) and decodes §4 charset values
 * (`name*=utf-8'en'%E2%82%AC`). A plain `name` and an RFC 2231 `name*` for the same name:
 * the RFC 2231 form wins (it is the exact one), at the position of the first occurrence.
 */
function joinRfc2231(raw: Array<{ name: string; value: string }>): Array<[string, string]> {
  const order: string[] = [];
  const plain = new Map<string, string>();
  const extended = new Map<string, Rfc2231Segment[]>();
  for (const { name, value } of raw) {
    const m = /^(.+?)\*(?:(\d+)(\*)?)?$/.exec(name);
    if (!m) {
      if (!plain.has(name)) {
        plain.set(name, value);
        if (!extended.has(name)) order.push(name);
      }
      continue;
    }
    const base = m[1];
    const isSection = m[2] !== undefined;
    const segment: Rfc2231Segment = {
      index: isSection ? Number(m[2]) : 0,
      encoded: isSection ? m[3] === '*' : true,
      value,
    };
    let segments = extended.get(base);
    if (!segments) {
      segments = [];
      extended.set(base, segments);
      if (!plain.has(base)) order.push(base);
    }
    if (!segments.some((s) => s.index === segment.index)) segments.push(segment);
  }
  return order.map((name): [string, string] => {
    const segments = extended.get(name);
    return [name, segments ? decodeRfc2231(segments) : (plain.get(name) ?? '')];
  });
}

function decodeRfc2231(segments: Rfc2231Segment[]): string {
  segments.sort((a, b) => a.index - b.index);
  let charset = '';
  const bytes: Buffer[] = [];
  for (const segment of segments) {
    let value = segment.value;
    if (segment.encoded) {
      if (segment.index === 0) {
        const m = /^([^']*)'[^']*'(.*)$/s.exec(value);
        if (m) {
          charset = m[1];
          value = m[2];
        }
      }
      bytes.push(percentDecode(value));
    } else {
      bytes.push(Buffer.from(value, 'utf8'));
    }
  }
  const joined = Buffer.concat(bytes);
  if (charset === '' || /^(us-ascii|utf-?8)$/i.test(charset)) {
    return isUtf8(joined) ? joined.toString('utf8') : joined.toString('latin1');
  }
  try {
    return decodeCharset(joined, charset);
  } catch {
    return joined.toString('latin1');
  }
}

function percentDecode(value: string): Buffer {
  if (value.indexOf('%') < 0) return Buffer.from(value, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      out.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(ch, 'utf8')) out.push(b);
    }
  }
  return Buffer.from(out);
}

/** Comma-separated tokens with comments removed (Content-Language, RFC 3282). */
export function parseTokenList(text: string): string[] {
  const out: string[] = [];
  for (const piece of text.split(',')) {
    let token = '';
    let i = skipCfws(piece, 0);
    while (i < piece.length) {
      if (piece[i] === '(' || piece[i] === ' ' || piece[i] === '\t') {
        i = skipCfws(piece, i);
        continue;
      }
      token += piece[i++];
    }
    if (token !== '') out.push(token);
  }
  return out;
}

/** A single MIME token (Content-Transfer-Encoding, disposition type) or '' when there is none. */
export function parseToken(text: string): string {
  let i = skipCfws(text, 0);
  let token = '';
  while (i < text.length && isTokenChar(text[i])) token += text[i++];
  i = skipCfws(text, i);
  return i < text.length && text[i] !== ';' ? '' : token;
}
