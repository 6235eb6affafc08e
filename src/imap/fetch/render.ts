/**
 * FETCH response rendering: the name/value pairs inside `* n FETCH (...)` for one message
 * (RFC 3501 §7.4.2, RFC 9051 §7.5.2), from the store's meta, the cached MIME tree and the raw
 * bytes the request's `needs` asked for.
 *
 * Invariants:
 * - RFC822.SIZE is exactly meta.size (never recomputed: Thunderbird deletes on a wrong size).
 * - INTERNALDATE is shown in the zone APPEND gave it (meta.internalZone), else +0000
 *   (RFC 9051 §2.3.3); SAVEDATE is always +0000.
 * - \Recent is never stored: it is rendered from the session's claim (RenderFetchOptions.recent),
 *   which IMAP4rev2 sessions never have (RFC 9051 dropped it).
 * - Partial ranges answer with the origin only and a shorter literal when the data ends first;
 *   an origin beyond the end answers an empty string (RFC 3501 §6.4.5).
 * - A nonexistent section answers an empty string for BODY[..] (as Cyrus and Gmail do; nothing
 *   in RFC 3501 makes it an error), NIL for BINARY[..] (its value is an nstring, RFC 3516 §4.2)
 *   and 0 for BINARY.SIZE (a number is required there).
 * - Top-level HEADER, HEADER.FIELDS(.NOT), TEXT and [] are cut from raw bytes, so they work with
 *   the header block alone ('header' needs) and without the MIME tree; other sections go
 *   through the MIME module's sectionBytes.
 */
import { bodyStructure, findPart, headerFields, sectionBytes } from '../../mime/index.js';
import type { ParsedMessage, SectionSpec } from '../../mime/types.js';
import type { MessageMeta } from '../../store/types.js';
import { atom, type ImapValue } from '../protocol/types.js';
import { decodeTransferEncoding } from './binary.js';
import type { FetchItem, FetchRequest } from './request.js';

export interface FetchMessage {
  seq?: number;
  meta: MessageMeta;
  parsed?: ParsedMessage;
  /** The header block ('header' needs) or the whole message ('full' needs). */
  raw?: Buffer;
}

export interface RenderFetchOptions {
  /** A UID FETCH: UID is always included (RFC 3501 §6.4.8). */
  uid: boolean;
  /** UTF8=ACCEPT is enabled (RFC 6855); values render the same, the writer may send UTF-8 strings. */
  utf8?: boolean;
  /**
   * Whether this fetch newly set \Seen on the message. When the request sets \Seen and FLAGS was
   * not requested, FLAGS (from meta, which must already hold \Seen) is added to the reply so the
   * client learns the change (RFC 3501 §6.4.5). Defaults to true; pass false when the message
   * was already seen to keep the reply minimal.
   */
  seenChanged?: boolean;
  /** The message is \Recent in this session (RFC 3501 §2.3.2): FLAGS shows it. */
  recent?: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Renders one message's FETCH data as a flat list of alternating names and values. */
export function renderFetch(request: FetchRequest, message: FetchMessage, options: RenderFetchOptions): ImapValue[] {
  const out: ImapValue[] = [];
  if (options.uid && !request.items.some((item) => item.name === 'UID')) out.push(atom('UID'), message.meta.uid);
  const recent = options.recent === true;
  for (const item of request.items) out.push(atom(item.label), renderItem(item, message, recent));
  const addFlags = request.setsSeen && options.seenChanged !== false;
  if (addFlags && !request.items.some((item) => item.name === 'FLAGS')) {
    out.push(atom('FLAGS'), renderFlags(message.meta.flags, recent));
  }
  return out;
}

function renderItem(item: FetchItem, message: FetchMessage, recent: boolean): ImapValue {
  const { meta } = message;
  switch (item.name) {
    case 'UID':
      return meta.uid;
    case 'FLAGS':
      return renderFlags(meta.flags, recent);
    case 'INTERNALDATE':
      return formatDateTime(meta.internalDate, meta.internalZone);
    case 'RFC822.SIZE':
      return meta.size;
    case 'MODSEQ':
      return [meta.modseq];
    case 'SAVEDATE':
      return Number.isFinite(meta.savedAt) ? formatDateTime(meta.savedAt) : null;
    case 'ENVELOPE':
      return requireParsed(message, item).envelope;
    case 'BODY':
      return bodyStructure(requireParsed(message, item).root, false);
    case 'BODYSTRUCTURE':
      return bodyStructure(requireParsed(message, item).root, true);
    case 'RFC822':
      return bodyValue(requireRaw(message, item));
    case 'RFC822.HEADER':
      return bodyValue(headerBlock(message, item));
    case 'RFC822.TEXT':
      return bodyValue(bodyText(message, item));
    case 'BODY[]':
      return bodyValue(applyPartial(sectionData(item, message), item.partial));
    case 'BINARY[]': {
      const decoded = binaryData(item, message);
      if (decoded === null) return null;
      const data = applyPartial(decoded, item.partial);
      // RFC 3516 §4.3: data with NUL must be a literal8; anything else may be an ordinary literal.
      return data.includes(0) ? { literal: data, binary: true } : bodyValue(data);
    }
    case 'BINARY.SIZE':
      return binaryData(item, message)?.length ?? 0;
  }
}

/**
 * Flags as atoms. A stored \Recent is dropped (it is session state, never stored); `recent` adds
 * it for a message that is \Recent in this session (RFC 3501 §2.3.2).
 */
export function renderFlags(flags: string[], recent = false): ImapValue[] {
  const out = flags.filter((flag) => flag.toLowerCase() !== '\\recent').map((flag) => atom(flag));
  if (recent) out.push(atom('\\Recent'));
  return out;
}

/**
 * `date-time` (RFC 3501 §9): "17-Jul-1996 02:44:25 -0700", the local time in `zoneMinutes`
 * (minutes east of UTC: the zone APPEND gave, MessageMeta.internalZone; +0000 when absent). The
 * day is zero-padded (the `2DIGIT` form of date-day-fixed).
 */
export function formatDateTime(epochMs: number, zoneMinutes = 0): string {
  const date = new Date(epochMs + zoneMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = Math.abs(zoneMinutes);
  const zone = `${zoneMinutes < 0 ? '-' : '+'}${pad(Math.floor(offset / 60))}${pad(offset % 60)}`;
  return (
    `${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${String(date.getUTCFullYear()).padStart(4, '0')} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${zone}`
  );
}

function sectionData(item: FetchItem, message: FetchMessage): Buffer {
  const section = item.section!;
  if (section.part.length === 0) {
    switch (section.text) {
      case null:
        return requireRaw(message, item);
      case 'HEADER':
        return headerBlock(message, item);
      case 'HEADER.FIELDS':
      case 'HEADER.FIELDS.NOT':
        return headerFields(headerBlock(message, item), section.fields ?? [], section.text === 'HEADER.FIELDS.NOT');
      case 'TEXT':
        return bodyText(message, item);
    }
  }
  return sectionBytes(requireRaw(message, item), requireParsed(message, item), section) ?? Buffer.alloc(0);
}

/**
 * Decoded content of the part, the whole message for BINARY[], or null when there is no such
 * part. A section text (HEADER, MIME, TEXT, request.ts) is answered as BODY[...] would be.
 */
function binaryData(item: FetchItem, message: FetchMessage): Buffer | null {
  const section: SectionSpec = item.section!;
  if (section.text !== null) return sectionData(item, message);
  const raw = requireRaw(message, item);
  if (section.part.length === 0) return raw;
  const node = findPart(requireParsed(message, item), section.part);
  if (node === null) return null;
  return decodeTransferEncoding(raw.subarray(node.bodyStart, node.bodyEnd), node.encoding);
}

function applyPartial(data: Buffer, partial: FetchItem['partial']): Buffer {
  if (!partial) return data;
  if (partial.start >= data.length) return Buffer.alloc(0);
  const end = partial.length === undefined ? data.length : Math.min(data.length, partial.start + partial.length);
  return data.subarray(partial.start, end);
}

/**
 * Bodies are literals; an empty one is the empty string. Content with NUL (stored from a BINARY
 * APPEND, RFC 3516 §4.4) cannot travel in a literal (RFC 3501 §9 `CHAR8` excludes it), so it is
 * sent as literal8, which only a client that used BINARY can have caused.
 */
function bodyValue(data: Buffer): ImapValue {
  if (data.length === 0) return '';
  return data.includes(0) ? { literal: data, binary: true } : data;
}

/**
 * The top-level header block through the blank line. "The blank line is always included as
 * part of header data" (RFC 3501 §6.4.5), so a message without one gets it added.
 */
function headerBlock(message: FetchMessage, item: FetchItem): Buffer {
  const raw = requireRaw(message, item);
  const block = raw.subarray(0, headerLength(raw, message.parsed));
  if (block.length >= 4 && block.subarray(-4).equals(CRLF_CRLF)) return block;
  if (block.length === 2 && block.equals(CRLF)) return block;
  return Buffer.concat([block, block.subarray(-2).equals(CRLF) ? CRLF : CRLF_CRLF]);
}

function bodyText(message: FetchMessage, item: FetchItem): Buffer {
  const raw = requireRaw(message, item);
  return raw.subarray(headerLength(raw, message.parsed));
}

const CRLF = Buffer.from('\r\n');
const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** Octets of the header block including the blank line; the MIME tree knows best when present. */
function headerLength(raw: Buffer, parsed: ParsedMessage | undefined): number {
  if (parsed && parsed.root.bodyStart <= raw.length) return parsed.root.bodyStart;
  if (raw.subarray(0, 2).equals(CRLF)) return 2;
  const end = raw.indexOf(CRLF_CRLF);
  return end < 0 ? raw.length : end + 4;
}

function requireRaw(message: FetchMessage, item: FetchItem): Buffer {
  if (!message.raw) throw new Error(`FETCH ${item.label} needs the message bytes; read them per request.needs`);
  return message.raw;
}

function requireParsed(message: FetchMessage, item: FetchItem): ParsedMessage {
  if (!message.parsed) throw new Error(`FETCH ${item.label} needs the MIME tree; load it per request.needsParsed`);
  return message.parsed;
}
