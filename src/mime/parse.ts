/**
 * The MIME tree walker: one parse at delivery into a tree of byte offsets (RFC 5322 message
 * format, RFC 2045 headers, RFC 2046 §5.1 multipart, §5.2 message/rfc822, RFC 6532
 * message/global), so that FETCH BODY[section] is a slice and BODYSTRUCTURE renders from data.
 *
 * Invariants:
 * - Offsets index the raw message; for every node headerStart <= bodyStart <= bodyEnd and the
 *   range of a child lies inside its parent's body.
 * - A multipart's body is split top-down on its own delimiter lines, found with the native
 *   `indexOf` inside the parent's range; a child therefore never reaches past an outer
 *   delimiter, even when its own closing delimiter is missing. The CRLF before a delimiter
 *   belongs to the delimiter (RFC 2046 §5.1.1).
 * - A delimiter line is `--boundary` or `--boundary--` followed only by transport padding
 *   (SP/HT); a longer boundary sharing the prefix does not match.
 * - A multipart with no usable delimiter gets one child spanning its whole body, so no content
 *   is hidden from clients.
 * - Nesting (multipart and message levels) deeper than MAX_DEPTH is opaque: such a part keeps
 *   its content type but is not descended into (no children, no message); BODYSTRUCTURE then
 *   shows it as an opaque part (see bodystructure.ts).
 * - message/rfc822 and message/global are descended into only with an identity encoding
 *   (7bit, 8bit, binary): an encoded one is an opaque leaf.
 * - The result is plain JSON data (no Buffers), and nothing here throws on malformed input.
 */
import { buildEnvelope } from './envelope.js';
import {
  fieldValue, parseStructuredValue, parseToken, parseTokenList, scanHeader, type HeaderField,
} from './headers.js';
import type { ContentType, MimeNode, ParsedMessage } from './types.js';

export const MAX_DEPTH = 50;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const DASH = 0x2d;

const TEXT_PLAIN: ContentType = { type: 'text', subtype: 'plain', params: [['charset', 'us-ascii']] };
const MESSAGE_RFC822: ContentType = { type: 'message', subtype: 'rfc822', params: [] };

const IDENTITY_ENCODINGS = new Set(['7BIT', '8BIT', 'BINARY']);

export function parseMessage(raw: Buffer): ParsedMessage {
  const { node, fields } = parseEntity(raw, 0, raw.length, 0, TEXT_PLAIN);
  const { envelope, sentDate } = buildEnvelope(raw, fields);
  return { version: 1, root: node, envelope, sentDate };
}

/** True for the message types whose body is itself a message (RFC 2046 §5.2.1, RFC 6532 §3.5). */
export function isEncapsulatedMessage(type: ContentType): boolean {
  return type.type === 'message' && (type.subtype === 'rfc822' || type.subtype === 'global');
}

/** A multipart that was split into parts (not one left opaque at the nesting limit). */
export function hasParts(node: MimeNode): boolean {
  return node.contentType.type === 'multipart' && node.children.length > 0;
}

interface Entity {
  node: MimeNode;
  fields: HeaderField[];
}

/** Parses the entity (header + body) in raw[start, end). */
function parseEntity(raw: Buffer, start: number, end: number, depth: number, defaultType: ContentType): Entity {
  const { fields, bodyStart } = scanHeader(raw, start, end);
  const node: MimeNode = {
    headerStart: start,
    bodyStart,
    bodyEnd: end,
    lines: 0,
    contentType: cloneType(defaultType),
    disposition: null,
    id: null,
    description: null,
    encoding: '7BIT',
    md5: null,
    language: null,
    location: null,
    children: [],
    message: null,
  };
  applyContentHeaders(raw, fields, node);

  // Beyond the nesting limit every part is measured as a leaf (opaque).
  const canDescend = depth < MAX_DEPTH;
  const multipart = canDescend && node.contentType.type === 'multipart';
  const encapsulated = canDescend && isEncapsulatedMessage(node.contentType) && IDENTITY_ENCODINGS.has(node.encoding);
  if (multipart) {
    const childDefault = node.contentType.subtype === 'digest' ? MESSAGE_RFC822 : TEXT_PLAIN;
    const boundary = node.contentType.params.find(([name]) => name === 'boundary')?.[1] ?? '';
    for (const [childStart, childEnd] of splitMultipart(raw, bodyStart, end, boundary)) {
      node.children.push(parseEntity(raw, childStart, childEnd, depth + 1, childDefault).node);
    }
    return { node, fields };
  } else if (encapsulated) {
    const inner = parseEntity(raw, bodyStart, end, depth + 1, TEXT_PLAIN);
    node.message = { envelope: buildEnvelope(raw, inner.fields).envelope, root: inner.node };
  }
  node.lines = countLines(raw, bodyStart, end);
  return { node, fields };
}

function cloneType(type: ContentType): ContentType {
  return { type: type.type, subtype: type.subtype, params: type.params.map(([n, v]): [string, string] => [n, v]) };
}

/** Fills the Content-* data of a node from its header (first occurrence of each field wins). */
function applyContentHeaders(raw: Buffer, fields: HeaderField[], node: MimeNode): void {
  const seen = new Set<string>();
  for (const field of fields) {
    const name = field.name;
    if (!name.startsWith('content-') || seen.has(name)) continue;
    seen.add(name);
    const value = fieldValue(raw, field);
    switch (name) {
      case 'content-type': {
        const parsed = parseStructuredValue(value);
        const slash = parsed.value.indexOf('/');
        const type = slash > 0 ? parsed.value.slice(0, slash) : '';
        const subtype = slash > 0 ? parsed.value.slice(slash + 1) : '';
        // RFC 2045 §5.2: an unparsable Content-Type means the default text/plain; charset=us-ascii.
        if (isToken(type) && isToken(subtype)) {
          node.contentType = { type, subtype, params: parsed.params };
        } else {
          node.contentType = cloneType(TEXT_PLAIN);
        }
        break;
      }
      case 'content-transfer-encoding': {
        const token = parseToken(value);
        node.encoding = token === '' ? '7BIT' : token.toUpperCase();
        break;
      }
      case 'content-disposition': {
        const parsed = parseStructuredValue(value);
        if (isToken(parsed.value)) node.disposition = { value: parsed.value, params: parsed.params };
        break;
      }
      case 'content-id':
        node.id = value.trim();
        break;
      case 'content-description':
        node.description = value.trim();
        break;
      case 'content-md5':
        node.md5 = value.trim();
        break;
      case 'content-language': {
        const languages = parseTokenList(value);
        node.language = languages.length > 0 ? languages : null;
        break;
      }
      case 'content-location':
        // RFC 2557 §4.4.1: a folded URI is unfolded with its whitespace removed.
        node.location = value.replace(/[ \t]+/g, '');
        break;
      default:
        break;
    }
  }
}

function isToken(text: string): boolean {
  return text !== '' && /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/.test(text);
}

/**
 * The child ranges of a multipart body raw[bodyStart, end) (RFC 2046 §5.1.1). Each range runs
 * from just after a delimiter line to just before the line break preceding the next delimiter.
 */
function splitMultipart(raw: Buffer, bodyStart: number, end: number, boundary: string): Array<[number, number]> {
  const delimiters = boundary === '' ? [] : findDelimiters(raw, bodyStart, end, Buffer.from(`--${boundary}`, 'utf8'));
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < delimiters.length; i++) {
    const delimiter = delimiters[i];
    if (delimiter.closing) break;
    const childStart = delimiter.lineEnd;
    const next = delimiters[i + 1];
    const childEnd = next ? lineBreakBefore(raw, next.lineStart, childStart) : end;
    ranges.push([childStart, Math.max(childStart, childEnd)]);
  }
  if (ranges.length === 0) ranges.push([bodyStart, end]);
  return ranges;
}

interface Delimiter {
  lineStart: number;
  lineEnd: number;
  closing: boolean;
}

function findDelimiters(raw: Buffer, bodyStart: number, end: number, delimiter: Buffer): Delimiter[] {
  const bounded = raw.subarray(0, end);
  const found: Delimiter[] = [];
  let pos = bodyStart;
  while (pos < end) {
    const at = bounded.indexOf(delimiter, pos);
    if (at < 0) break;
    if (at === bodyStart || raw[at - 1] === LF) {
      let j = at + delimiter.length;
      let closing = false;
      if (j + 1 < end && raw[j] === DASH && raw[j + 1] === DASH) {
        closing = true;
        j += 2;
      }
      while (j < end && (raw[j] === SP || raw[j] === HT)) j++;
      let lineEnd = -1;
      if (j >= end) lineEnd = end;
      else if (raw[j] === LF) lineEnd = j + 1;
      else if (raw[j] === CR && (j + 1 >= end || raw[j + 1] === LF)) lineEnd = Math.min(j + 2, end);
      if (lineEnd >= 0) {
        found.push({ lineStart: at, lineEnd, closing });
        if (closing) break;
        pos = lineEnd;
        continue;
      }
    }
    pos = at + 1;
  }
  return found;
}

/** Start of the CRLF (or bare LF) that ends the line before `lineStart`, not going below `floor`. */
function lineBreakBefore(raw: Buffer, lineStart: number, floor: number): number {
  if (lineStart - 1 >= floor && raw[lineStart - 1] === LF) {
    return lineStart - 2 >= floor && raw[lineStart - 2] === CR ? lineStart - 2 : lineStart - 1;
  }
  return lineStart;
}

/** Lines in raw[start, end): line feeds, plus one for a last line without a line break. */
export function countLines(raw: Buffer, start: number, end: number): number {
  if (end <= start) return 0;
  const bounded = raw.subarray(0, end);
  let lines = 0;
  let pos = bounded.indexOf(LF, start);
  while (pos >= 0) {
    lines++;
    pos = bounded.indexOf(LF, pos + 1);
  }
  return raw[end - 1] === LF ? lines : lines + 1;
}
