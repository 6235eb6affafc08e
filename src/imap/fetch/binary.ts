/**
 * FETCH BINARY support (RFC 3516, folded into RFC 9051 §6.4.5): removes a part's
 * Content-Transfer-Encoding. Parts are found with the MIME module's findPart.
 *
 * Invariant: an encoding we do not know is an error for the caller to turn into
 * `NO [UNKNOWN-CTE]` (RFC 3516 §4.3), never a silent pass-through (the MIME module's decoder
 * for SEARCH passes unknown encodings through, which is right for matching but not here).
 */
import { imapNo } from '../../errors.js';

/** Identity encodings (RFC 2045 §6.2): the body is already the content. */
const IDENTITY = new Set(['7BIT', '8BIT', 'BINARY']);

/** Content of a body after removing its transfer encoding; throws NO [UNKNOWN-CTE] if unknown. */
export function decodeTransferEncoding(body: Buffer, encoding: string): Buffer {
  const cte = encoding.toUpperCase();
  if (IDENTITY.has(cte)) return body;
  // Buffer's base64 decoder skips line breaks and characters outside the alphabet (RFC 2045 §6.8).
  if (cte === 'BASE64') return Buffer.from(body.toString('latin1'), 'base64');
  if (cte === 'QUOTED-PRINTABLE') return decodeQuotedPrintable(body);
  throw imapNo(`Cannot decode Content-Transfer-Encoding ${encoding}`, 'UNKNOWN-CTE');
}

const EQUALS = 0x3d;
const CR = 0x0d;
const LF = 0x0a;

/**
 * RFC 2045 §6.7: `=XX` is an octet, `=` at the end of a line is a soft line break, trailing
 * white space on a line is dropped. Malformed `=` sequences are kept as they are (rule 6.7 (1)
 * recommends leniency).
 */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  // Decoding never grows the data: every output byte or line break comes from at least as many input bytes.
  const out = Buffer.alloc(input.length);
  let length = 0;
  let lineStart = 0;
  while (lineStart < input.length) {
    const newline = input.indexOf(LF, lineStart);
    const lineEnd = newline < 0 ? input.length : newline + 1;
    let breakStart = newline < 0 ? input.length : newline;
    if (newline > lineStart && input[newline - 1] === CR) breakStart--;
    let contentEnd = breakStart;
    while (contentEnd > lineStart && (input[contentEnd - 1] === 0x20 || input[contentEnd - 1] === 0x09)) contentEnd--;

    let softBreak = false;
    for (let i = lineStart; i < contentEnd; i++) {
      const byte = input[i];
      if (byte !== EQUALS) {
        out[length++] = byte;
      } else if (i === contentEnd - 1) {
        softBreak = true;
      } else if (i + 2 < contentEnd && isHex(input[i + 1]) && isHex(input[i + 2])) {
        out[length++] = parseInt(input.toString('latin1', i + 1, i + 3), 16);
        i += 2;
      } else {
        out[length++] = byte;
      }
    }
    if (!softBreak) length += input.copy(out, length, breakStart, lineEnd);
    lineStart = lineEnd;
  }
  return out.subarray(0, length);
}

function isHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}
