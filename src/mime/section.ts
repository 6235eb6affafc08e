/**
 * BODY[section] (RFC 9051 §6.4.5, RFC 3501 §6.4.5) as a slice of the stored message.
 *
 * Part numbering:
 * - The parts of a message (the top-level one, or one encapsulated in message/rfc822) are the
 *   children of its root when the root is multipart, else a single part 1: the root itself
 *   (a non-multipart message has part 1 = its body). A multipart left opaque at the nesting
 *   limit counts as non-multipart, as BODYSTRUCTURE shows it.
 * - The parts of a numbered part are its children when it is multipart, the parts of its
 *   encapsulated message when it is message/rfc822 (so 3.1 is the first part of the message in
 *   part 3), and none otherwise.
 *
 * Text specifiers:
 * - none: the body of the part (BODY[] with no part: the whole message);
 * - MIME: the part's own header, blank line included; only with a part number;
 *   a header that lacks its blank line gets one (see withBlankLine);
 * - HEADER, HEADER.FIELDS(.NOT), TEXT: the top-level message, or the message encapsulated in a
 *   message/rfc822 part; null for any other part.
 *
 * Slices share memory with `raw` (no copy), except HEADER.FIELDS, and a header completed with
 * its missing blank line, which are new buffers.
 */
import { headerFields } from './headers.js';
import { hasParts } from './parse.js';
import type { MimeNode, ParsedMessage, SectionSpec } from './types.js';

/** The part named by a part path, or null when there is none. */
export function findPart(parsed: ParsedMessage, path: number[]): MimeNode | null {
  let part: MimeNode | null = null;
  for (const number of path) {
    const parts: MimeNode[] = part === null ? messageParts(parsed.root) : partsOf(part);
    part = parts[number - 1] ?? null;
    if (part === null) return null;
  }
  return part;
}

function messageParts(root: MimeNode): MimeNode[] {
  return hasParts(root) ? root.children : [root];
}

function partsOf(part: MimeNode): MimeNode[] {
  if (hasParts(part)) return part.children;
  if (part.message) return messageParts(part.message.root);
  return [];
}

export function sectionBytes(raw: Buffer, parsed: ParsedMessage, section: SectionSpec): Buffer | null {
  if (!Number.isInteger(parsed.root.bodyEnd) || parsed.root.bodyEnd > raw.length) return null;
  const isTopLevel = section.part.length === 0;
  const part = isTopLevel ? null : findPart(parsed, section.part);
  if (!isTopLevel && part === null) return null;

  switch (section.text) {
    case null:
      return part === null ? raw : raw.subarray(part.bodyStart, part.bodyEnd);
    case 'MIME':
      return part === null ? null : withBlankLine(raw.subarray(part.headerStart, part.bodyStart));
    default: {
      const message = part === null ? parsed.root : part.message?.root ?? null;
      if (message === null) return null;
      if (section.text === 'TEXT') return raw.subarray(message.bodyStart, message.bodyEnd);
      const header = withBlankLine(raw.subarray(message.headerStart, message.bodyStart));
      if (section.text === 'HEADER') return header;
      return headerFields(header, section.fields ?? [], section.text === 'HEADER.FIELDS.NOT');
    }
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * "The blank line is always included as part of header data" (RFC 3501 §6.4.5): a header cut
 * short (no blank line before the body or the end) gets one, in a copy; a well-formed header
 * is returned as the slice itself.
 */
function withBlankLine(header: Buffer): Buffer {
  const n = header.length;
  if (n === 0) return CRLF;
  if (header[n - 1] === 0x0a) {
    const lineBreakStart = n >= 2 && header[n - 2] === 0x0d ? n - 2 : n - 1;
    if (lineBreakStart === 0 || header[lineBreakStart - 1] === 0x0a) return header;
    return Buffer.concat([header, CRLF]);
  }
  return Buffer.concat([header, CRLF, CRLF]);
}
