/**
 * A small parser for IMAP server responses (RFC 9051 §7, §9 `response`), written for the stress
 * checker: it reads whole responses (a line plus every literal it announces) out of a byte
 * buffer and turns them into values a checker can walk. The command parser in
 * src/imap/protocol parses the client's side of the grammar, so it is not reused here.
 *
 * Values:
 * - an atom is a JS string (`FLAGS`, `\Seen`, `BODY[HEADER.FIELDS (FROM)]`: a section's
 *   brackets, spaces and parentheses included, as in RFC 9051 §7.5.2 `msg-att`);
 * - a quoted string or literal is an ImapString (literal octets kept as a Buffer);
 * - NIL is null; a parenthesised list is an array.
 *
 * Invariant: takeResponse() returns null until a response is complete, and never consumes a
 * partial one, so it can be called after every chunk the socket delivers.
 */

export class ImapString {
  constructor(
    readonly bytes: Buffer,
    readonly literal: boolean,
  ) {}

  get text(): string {
    return this.bytes.toString('latin1');
  }
}

export type ImapValue = string | ImapString | null | ImapValue[];

export interface Response {
  /** The response as received (literals inline), latin1, for transcripts. */
  raw: string;
  /** `*`, `+` or the tag. */
  tag: string;
  /** Values after the tag. For status responses (OK, NO, BAD, BYE, PREAUTH) only the keyword. */
  values: ImapValue[];
  /** For tagged and untagged status responses: OK, NO, BAD, BYE, PREAUTH. */
  status?: string;
  /** Response code atom and its argument text, e.g. `APPENDUID`, `123 45`. */
  code?: { name: string; text: string };
  /** Human-readable text of a status response. */
  text?: string;
}

const STATUS_WORDS = new Set(['OK', 'NO', 'BAD', 'BYE', 'PREAUTH']);

/**
 * Finds the end of one whole response at the start of `buffer`: the offset after its final CRLF,
 * or -1 when more octets are needed. A line ending in `{n}` (or `~{n}`, RFC 3516 literal8) is
 * followed by n octets and more of the same response.
 */
export function responseEnd(buffer: Buffer): number {
  let offset = 0;
  for (;;) {
    const end = buffer.indexOf('\r\n', offset);
    if (end === -1) return -1;
    let literalSize = -1;
    if (end > 0 && buffer[end - 1] === 0x7d /* } */) {
      const open = buffer.lastIndexOf(0x7b /* { */, end - 1);
      if (open >= offset) {
        const digits = buffer.toString('latin1', open + 1, end - 1).replace(/\+$/, '');
        if (/^\d+$/.test(digits)) literalSize = Number(digits);
      }
    }
    if (literalSize < 0) return end + 2;
    const next = end + 2 + literalSize;
    if (buffer.length < next) return -1;
    offset = next;
  }
}

/** Parses one complete response (as delimited by responseEnd, CRLF included). */
export function parseResponse(data: Buffer): Response {
  const reader = new Reader(data);
  const tag = reader.word();
  const raw = data.toString('latin1').replace(/\r\n$/, '');
  if (tag === '+') return { raw, tag, values: [], text: raw.slice(2) };
  reader.space();
  // `* 3 EXISTS`: a number first is a message-data response, never a status.
  const first = reader.peekWord();
  if (STATUS_WORDS.has(first.toUpperCase())) {
    reader.word();
    return { raw, tag, values: [first.toUpperCase()], status: first.toUpperCase(), ...statusText(reader.rest()) };
  }
  const values: ImapValue[] = [];
  while (!reader.atEnd()) {
    values.push(reader.value());
    reader.optionalSpace();
  }
  return { raw, tag, values };
}

/** Splits `[CODE args] text` (RFC 9051 §7.1 resp-text). */
function statusText(rest: string): { code?: { name: string; text: string }; text: string } {
  const text = rest.replace(/^ /, '');
  const match = /^\[([^\s\]]+)(?: ([^\]]*))?\] ?(.*)$/s.exec(text);
  if (!match) return { text };
  return { code: { name: match[1].toUpperCase(), text: match[2] ?? '' }, text: match[3] };
}

class Reader {
  private at = 0;

  constructor(private readonly data: Buffer) {}

  atEnd(): boolean {
    return this.at >= this.data.length || this.data[this.at] === 0x0d;
  }

  rest(): string {
    return this.data.toString('latin1', this.at).replace(/\r\n$/, '');
  }

  word(): string {
    const start = this.at;
    while (this.at < this.data.length && this.data[this.at] !== 0x20 && this.data[this.at] !== 0x0d) this.at++;
    return this.data.toString('latin1', start, this.at);
  }

  peekWord(): string {
    const saved = this.at;
    const word = this.word();
    this.at = saved;
    return word;
  }

  space(): void {
    if (this.data[this.at] === 0x20) this.at++;
  }

  optionalSpace(): void {
    while (this.data[this.at] === 0x20) this.at++;
  }

  value(): ImapValue {
    const c = this.data[this.at];
    if (c === 0x28 /* ( */) return this.list();
    if (c === 0x22 /* " */) return this.quoted();
    if (c === 0x7b /* { */ || (c === 0x7e /* ~ */ && this.data[this.at + 1] === 0x7b)) return this.literal();
    const atom = this.atom();
    return atom.toUpperCase() === 'NIL' ? null : atom;
  }

  private list(): ImapValue[] {
    this.at++;
    const out: ImapValue[] = [];
    for (;;) {
      this.optionalSpace();
      if (this.at >= this.data.length || this.data[this.at] === 0x0d) throw new Error('unterminated list');
      if (this.data[this.at] === 0x29 /* ) */) {
        this.at++;
        return out;
      }
      out.push(this.value());
    }
  }

  private quoted(): ImapString {
    this.at++;
    const bytes: number[] = [];
    for (;;) {
      const c = this.data[this.at++];
      if (c === undefined || c === 0x0d) throw new Error('unterminated quoted string');
      if (c === 0x22) return new ImapString(Buffer.from(bytes), false);
      if (c === 0x5c /* \ */) bytes.push(this.data[this.at++]);
      else bytes.push(c);
    }
  }

  private literal(): ImapString {
    if (this.data[this.at] === 0x7e) this.at++;
    const close = this.data.indexOf(0x7d, this.at);
    const size = Number(this.data.toString('latin1', this.at + 1, close).replace(/\+$/, ''));
    const start = close + 3; // "}\r\n"
    this.at = start + size;
    return new ImapString(this.data.subarray(start, start + size), true);
  }

  /** An atom; `[` opens a section that runs to its `]` whatever it holds (BODY[HEADER.FIELDS (A B)]<0>). */
  private atom(): string {
    const start = this.at;
    let depth = 0;
    while (this.at < this.data.length) {
      const c = this.data[this.at];
      if (c === 0x5b) depth++;
      else if (c === 0x5d) depth = Math.max(0, depth - 1);
      else if (depth === 0 && (c === 0x20 || c === 0x29 || c === 0x28 || c === 0x0d)) break;
      this.at++;
    }
    if (this.at === start) throw new Error(`unexpected octet ${String.fromCharCode(this.data[this.at])}`);
    return this.data.toString('latin1', start, this.at);
  }
}

/** Canonical text of a value, for comparing static message data across sessions. */
export function canonical(value: ImapValue): string {
  if (value === null) return 'NIL';
  if (typeof value === 'string') return value.toUpperCase();
  if (value instanceof ImapString) return JSON.stringify(value.text);
  return `(${value.map(canonical).join(' ')})`;
}

/** The pairs of a FETCH item list: name (upper case) → value. */
export function fetchItems(list: ImapValue): Map<string, ImapValue> {
  const items = new Map<string, ImapValue>();
  if (!Array.isArray(list)) return items;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i];
    if (typeof name === 'string') items.set(name.toUpperCase(), list[i + 1]);
  }
  return items;
}

/** Expands a sequence set of numbers (`1:3,7`); `*` is not expected in server responses. */
export function expandSet(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [a, b = a] = part.split(':').map(Number);
    for (let n = Math.min(a, b); n <= Math.max(a, b); n++) out.push(n);
  }
  return out;
}
