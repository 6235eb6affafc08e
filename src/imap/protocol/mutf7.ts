/**
 * Modified UTF-7 mailbox names (RFC 3501 §5.1.3; RFC 9051 §5.1 keeps it for clients that have not
 * enabled UTF8=ACCEPT).
 *
 * Invariants:
 * - Printable US-ASCII (0x20-0x7E) except "&" stands for itself; "&" is written "&-".
 * - Every other UTF-16 code unit is written in modified BASE64 (alphabet with "," for "/", no
 *   "=" padding) between "&" and "-", runs of such units in one shift.
 * - Decoding is strict, so that every name has one encoded form (RFC 3501 §5.1.3 item 5):
 *   characters outside 0x20-0x7E, an unterminated "&", characters outside the alphabet, a shift
 *   that is not a whole number of UTF-16 units or has non-zero padding bits, an encoded printable
 *   ASCII character, and unpaired surrogates are all refused with BAD.
 */
import { imapBad } from '../../errors.js';

const AMPERSAND = 0x26;
const MODIFIED_BASE64 = /^[A-Za-z0-9+,]+$/;

const isDirect = (unit: number): boolean => unit >= 0x20 && unit <= 0x7e;

export function encodeMailboxName(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const unit = name.charCodeAt(i);
    if (isDirect(unit)) {
      out += unit === AMPERSAND ? '&-' : name[i];
      i++;
      continue;
    }
    let j = i;
    while (j < name.length && !isDirect(name.charCodeAt(j))) j++;
    const utf16be = Buffer.allocUnsafe((j - i) * 2);
    for (let k = i; k < j; k++) utf16be.writeUInt16BE(name.charCodeAt(k), (k - i) * 2);
    out += `&${utf16be.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    i = j;
  }
  return out;
}

export function decodeMailboxName(encoded: string): string {
  let out = '';
  let i = 0;
  while (i < encoded.length) {
    const unit = encoded.charCodeAt(i);
    if (!isDirect(unit)) throw invalid('characters outside printable US-ASCII');
    if (unit !== AMPERSAND) {
      // Copy the whole run of direct characters at once.
      let j = encoded.indexOf('&', i);
      if (j === -1) j = encoded.length;
      for (let k = i; k < j; k++) if (!isDirect(encoded.charCodeAt(k))) throw invalid('characters outside printable US-ASCII');
      out += encoded.slice(i, j);
      i = j;
      continue;
    }
    const close = encoded.indexOf('-', i + 1);
    if (close === -1) throw invalid('"&" without closing "-"');
    if (close === i + 1) {
      out += '&';
      i = close + 1;
      continue;
    }
    out += decodeShift(encoded.slice(i + 1, close));
    i = close + 1;
  }
  return out;
}

/** The UTF-16 text of one modified BASE64 run (between "&" and "-"). */
function decodeShift(base64: string): string {
  if (!MODIFIED_BASE64.test(base64)) throw invalid('invalid modified BASE64');
  const bits = base64.length * 6;
  const octets = Math.floor(bits / 8);
  const padding = bits - octets * 8;
  // Whole UTF-16 units only, and no character that carries padding alone.
  if (octets === 0 || octets % 2 !== 0 || padding >= 6) throw invalid('truncated modified BASE64');
  const lastValue = base64ValueOf(base64.charCodeAt(base64.length - 1));
  if ((lastValue & ((1 << padding) - 1)) !== 0) throw invalid('non-zero padding bits');
  const bytes = Buffer.from(base64.replace(/,/g, '/'), 'base64');
  let text = '';
  for (let k = 0; k < octets; k += 2) {
    const unit = bytes.readUInt16BE(k);
    if (isDirect(unit)) throw invalid('printable US-ASCII must not be encoded');
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = k + 2 < octets ? bytes.readUInt16BE(k + 2) : -1;
      if (low < 0xdc00 || low > 0xdfff) throw invalid('unpaired surrogate');
      text += String.fromCharCode(unit, low);
      k += 2;
      continue;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) throw invalid('unpaired surrogate');
    text += String.fromCharCode(unit);
  }
  return text;
}

function base64ValueOf(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code - 0x41;
  if (code >= 0x61 && code <= 0x7a) return code - 0x61 + 26;
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 52;
  return code === 0x2b ? 62 : 63;
}

/** The name itself is left out of the text: it may hold anything, and the text is echoed. */
function invalid(why: string) {
  return imapBad(`Invalid mailbox name encoding: ${why}`);
}
