/**
 * Decoded text of a message for SEARCH BODY / TEXT (RFC 9051 §6.4.4): every text/* part,
 * including those inside encapsulated messages, with its Content-Transfer-Encoding undone
 * (RFC 2045 §6.7 quoted-printable, §6.8 base64) and its charset converted to Unicode.
 *
 * Invariants:
 * - A missing or us-ascii charset is read as UTF-8 (a superset, and what 8-bit senders mean).
 * - An unknown charset falls back to UTF-8 (libmime's rule), never an exception.
 * - text/html is reduced to its text (tags, scripts and styles removed, entities decoded) so a
 *   search for "div" does not match every HTML message.
 */
import { decode as decodeQuotedPrintable } from 'libqp';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import type { MimeNode, ParsedMessage } from './types.js';

export function textContent(raw: Buffer, parsed: ParsedMessage): string {
  return textParts(raw, parsed).join('\n');
}

/** The decoded text of each text/* part, in message order (what textContent joins). */
export function textParts(raw: Buffer, parsed: ParsedMessage): string[] {
  const texts: string[] = [];
  collect(raw, parsed.root, texts);
  return texts;
}

function collect(raw: Buffer, node: MimeNode, texts: string[]): void {
  if (node.contentType.type === 'multipart') {
    for (const child of node.children) collect(raw, child, texts);
  } else if (node.message) {
    collect(raw, node.message.root, texts);
  } else if (node.contentType.type === 'text' && node.bodyEnd <= raw.length) {
    const text = decodePartText(raw.subarray(node.bodyStart, node.bodyEnd), node);
    texts.push(node.contentType.subtype === 'html' ? htmlToText(text) : text);
  }
}

/** The part's body with transfer encoding and charset undone. */
export function decodePartText(body: Buffer, node: MimeNode): string {
  const bytes = decodeTransferEncoding(body, node.encoding);
  const charset = node.contentType.params.find(([name]) => name === 'charset')?.[1] ?? '';
  if (charset === '' || /^(us-ascii|ascii|utf-?8)$/i.test(charset)) return bytes.toString('utf8');
  try {
    return decodeCharset(bytes, charset);
  } catch {
    return bytes.toString('utf8');
  }
}

export function decodeTransferEncoding(body: Buffer, encoding: string): Buffer {
  switch (encoding) {
    case 'BASE64':
      // Node's base64 decoder skips line breaks and other characters outside the alphabet.
      return Buffer.from(body.toString('latin1'), 'base64');
    case 'QUOTED-PRINTABLE':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ',
};

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
      if (entity[0] === '#') {
        const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1));
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[entity.toLowerCase()] ?? whole;
    });
}
