/**
 * What the stress checker knows about the content of a message it generated (messages.ts) and
 * APPENDed itself: octets, size, internal date, the header fields in order, and the texts the
 * SEARCH keys look at. Derived only from the generated octets, never from the server, so the
 * model-based SEARCH check (search-model.ts) and the HEADER.FIELDS check (client.ts) have an
 * independent answer to compare with.
 *
 * Text semantics (RFC 9051 §6.4.4): string keys are case-insensitive substring matches. Two
 * haystacks are kept for BODY and TEXT: the raw octets and the decoded text parts (what a server
 * that decodes MIME would search). A key whose answer differs between them is "unknown": the RFC
 * does not say which one a server must search. SUBJECT and FROM use RFC 2047-decoded values, which
 * is what RFC 9051 §6.4.4 ("the envelope structure's SUBJECT field") implies. Runs of white space
 * count as one space in both haystacks and needles, as servers that index text do.
 *
 * Invariant: facts are immutable per (mailbox, UID): RFC 9051 §2.3 makes a message's content and
 * internal date fixed, so a copy (COPY/MOVE) shares the facts of its source.
 */

export interface HeaderLine {
  /** Field name as written. */
  name: string;
  /** The whole field, continuation lines and final CRLF included. */
  raw: string;
}

/** An internal date as APPENDed: the calendar day in its own zone, and the date-time text. */
export interface InternalDate {
  /** Whole days since 1970-01-01 of the date as written (its own zone). */
  day: number;
  /** The IMAP date-time (RFC 9051 §9 `date-time`), without quotes. */
  text: string;
}

export interface MessageFacts {
  octets: Buffer;
  size: number;
  internalDate: InternalDate | null;
  headers: HeaderLine[];
  /** Decoded subject / From field, white-space folded, for SUBJECT and FROM. */
  subject: string;
  from: string;
  /** Raw (folded) and decoded (folded) haystacks for BODY and TEXT. */
  bodyRaw: string;
  bodyDecoded: string;
  textRaw: string;
  textDecoded: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ZONES = [0, -300, 570, 840, -720, 60];
const DAY_MS = 86_400_000;
/** The days the generated internal dates fall on (and SEARCH dates are picked around). */
export const FIRST_DAY = Math.floor(Date.UTC(2024, 11, 28) / DAY_MS);
export const DAYS = 10;

/**
 * A random internal date in FIRST_DAY .. FIRST_DAY+DAYS-1, at any time of day and in zones far
 * from UTC, so a server that compares days in UTC or in its own zone instead of the date's own
 * shows up (RFC 9051 §6.4.4: "disregarding time and timezone").
 */
export function randomInternalDate(random: () => number): InternalDate {
  const day = FIRST_DAY + Math.floor(random() * DAYS);
  const seconds = Math.floor(random() * 86_400);
  const zone = ZONES[Math.floor(random() * ZONES.length)];
  const date = new Date(day * DAY_MS + seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  const sign = zone < 0 ? '-' : '+';
  const zoneText = `${sign}${two(Math.floor(Math.abs(zone) / 60))}${two(Math.abs(zone) % 60)}`;
  const text = `${two(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${zoneText}`;
  return { day, text };
}

/** A SEARCH date (RFC 9051 §9 `date`) for a day number. */
export function searchDate(day: number): string {
  const date = new Date(day * DAY_MS);
  return `${date.getUTCDate()}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()}`;
}

/** Case folding for substring matches: ASCII only (what RFC 9051 §6.4.4 requires), runs of space as one. */
export function foldAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase()).replace(/\s+/g, ' ');
}

/** Full Unicode lower-casing, which a server may also do (RFC 9051 §6.4.4 recommends i18n matching). */
export function foldUnicode(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ');
}

export function messageFacts(octets: Buffer, internalDate: InternalDate | null): MessageFacts {
  const text = octets.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const headerText = split < 0 ? text : text.slice(0, split + 2);
  const body = split < 0 ? '' : text.slice(split + 4);
  const headers = headerLines(headerText);
  const value = (name: string) => headers.find((line) => line.name.toLowerCase() === name)?.raw.replace(/^[^:]*:\s*/, '').replace(/\r\n/g, '') ?? '';
  const subject = decodeWords(value('subject'));
  const from = decodeWords(value('from'));
  const decodedHeader = headers.map((line) => `${line.name}: ${decodeWords(line.raw.replace(/^[^:]*:\s*/, '').replace(/\r\n[ \t]*/g, ' '))}`).join('\n');
  const bodyDecoded = decodedTextParts(octets).join('\n');
  const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');
  return {
    octets,
    size: octets.length,
    internalDate,
    headers,
    subject,
    from,
    bodyRaw: utf8(body),
    bodyDecoded,
    textRaw: utf8(text),
    textDecoded: `${decodedHeader}\n${bodyDecoded}`,
  };
}

/** The header fields in order, each with its continuation lines (RFC 5322 §2.2.3). */
export function headerLines(headerText: string): HeaderLine[] {
  const lines: HeaderLine[] = [];
  for (const line of headerText.split(/(?<=\r\n)/)) {
    if (line === '' || line === '\r\n') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) {
      lines[lines.length - 1].raw += line;
      continue;
    }
    lines.push({ name: line.slice(0, line.indexOf(':')).trimEnd(), raw: line });
  }
  return lines;
}

/**
 * What BODY[HEADER.FIELDS (names)] / BODY[HEADER.FIELDS.NOT (names)] must return (RFC 9051
 * §6.4.5): the matching fields as they are in the message, in message order, then the blank line.
 */
export function expectedHeaderFields(facts: MessageFacts, names: string[], not: boolean): string {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const kept = facts.headers.filter((line) => wanted.has(line.name.toLowerCase()) !== not);
  return `${kept.map((line) => line.raw).join('')}\r\n`;
}

/** RFC 2047 encoded words (B and Q, UTF-8 or ASCII), with the white space between two of them dropped. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, _charset: string, encoding: string, data: string) => {
      if (encoding.toUpperCase() === 'B') return Buffer.from(data, 'base64').toString('utf8');
      const bytes = data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    });
}

/** The decoded text of every text/* part, message/rfc822 parts entered (the shapes messages.ts makes). */
function decodedTextParts(octets: Buffer): string[] {
  const out: string[] = [];
  collect(octets.toString('latin1'), out);
  return out;
}

function collect(entity: string, out: string[]): void {
  const split = entity.indexOf('\r\n\r\n');
  const header = split < 0 ? entity : entity.slice(0, split + 2);
  const body = split < 0 ? '' : entity.slice(split + 4);
  const type = /^content-type:\s*([^;\r\n]+)(.*(?:\r\n[ \t].*)*)/im.exec(header);
  const mediaType = (type?.[1] ?? 'text/plain').trim().toLowerCase();
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(header)?.[1].toLowerCase() ?? '7bit';
  if (mediaType.startsWith('multipart/')) {
    const boundary = /boundary="?([^";\r\n]+)"?/i.exec(type?.[2] ?? '')?.[1];
    if (!boundary) return;
    const parts = body.split(`--${boundary}`);
    for (const part of parts.slice(1)) {
      if (part.startsWith('--')) break;
      collect(part.replace(/^\r\n/, '').replace(/\r\n$/, ''), out);
    }
    return;
  }
  if (mediaType === 'message/rfc822') {
    collect(body, out);
    return;
  }
  if (!mediaType.startsWith('text/')) return;
  const bytes = encoding === 'base64' ? Buffer.from(body, 'base64') : Buffer.from(body, 'latin1');
  const text = bytes.toString('utf8');
  out.push(mediaType === 'text/html' ? text.replace(/<[^>]*>/g, ' ') : text);
}
