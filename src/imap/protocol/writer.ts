/**
 * Response writer: turns ImapValues into the octets of server responses (RFC 9051 §4, §7;
 * RFC 3501 §4, §7).
 *
 * Invariants:
 * - A string is written quoted only when every character is printable 7-bit ASCII (0x20-0x7E;
 *   with `utf8`, non-ASCII characters too, RFC 6855 §3) and it is at most QUOTED_MAX octets;
 *   `"` and `\` are escaped (RFC 9051 §4.3, `quoted-specials`). Anything else (CR, LF, NUL, other
 *   controls, 8-bit without utf8, long text) becomes a literal `{n}` CRLF followed by n octets,
 *   n being the UTF-8 length. Clients break on unescaped quotes (mailcore2#1967, CLIENTS.md §2).
 * - Free text (after a status, in a continuation) never carries CR, LF or NUL: they become spaces,
 *   so no value can inject a response line.
 * - Lists: see `value` for the one place where items are not separated by a space.
 * - Numbers are non-negative integers (`number64`); anything else is a programming error and throws.
 * - Pure: values in, Buffer out.
 */
import type { ImapValue } from './types.js';

/** Longest string written quoted; longer ones become literals, which every client reads. */
const QUOTED_MAX = 1024;
const CRLF = '\r\n';

export type StatusKind = 'OK' | 'NO' | 'BAD';

/** One value, serialized. */
export function serialize(value: ImapValue): Buffer {
  const out = new Output();
  out.value(value);
  return out.finish();
}

/** An untagged response: `* a b c` CRLF. */
export function untagged(...values: ImapValue[]): Buffer {
  const out = new Output();
  out.text('*');
  for (const value of values) {
    out.text(' ');
    out.value(value);
  }
  out.text(CRLF);
  return out.finish();
}

/** An untagged status response: `* OK [CODE] text` CRLF (RFC 9051 §7.1), also BYE and PREAUTH. */
export function untaggedStatus(
  status: StatusKind | 'BYE' | 'PREAUTH',
  text: string,
  code: string | null = null,
): Buffer {
  return Buffer.from(`* ${status} ${responseText(status, text, code)}${CRLF}`, 'utf8');
}

/** A tagged status response: `tag OK [CODE] text` CRLF (RFC 9051 §7.1). */
export function tagged(tag: string, status: StatusKind, text: string, code: string | null = null): Buffer {
  return Buffer.from(`${tag} ${status} ${responseText(status, text, code)}${CRLF}`, 'utf8');
}

/** A command continuation request: `+ text` CRLF (RFC 9051 §7.5); the space is always sent. */
export function continuation(text: string): Buffer {
  return Buffer.from(`+ ${cleanText(text)}${CRLF}`, 'utf8');
}

/**
 * A string as a quoted string when it may be one, else as a literal. `utf8`: the session has
 * enabled UTF8=ACCEPT (RFC 6855) or IMAP4rev2, so non-ASCII text may be quoted.
 */
export function quoteOrLiteral(s: string, { utf8 }: { utf8: boolean }): Buffer {
  const out = new Output();
  out.string(s, utf8);
  return out.finish();
}

/** Collects response text and raw octets, joining them once at the end. */
class Output {
  private readonly parts: Buffer[] = [];
  private pending = '';

  text(s: string): void {
    this.pending += s;
  }

  bytes(b: Buffer): void {
    this.flush();
    this.parts.push(b);
  }

  finish(): Buffer {
    this.flush();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
  }

  value(value: ImapValue): void {
    if (value === null) {
      this.text('NIL');
    } else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Not an IMAP number: ${value}`);
      this.text(String(value));
    } else if (typeof value === 'string') {
      this.string(value, false);
    } else if (Buffer.isBuffer(value)) {
      this.text(`{${value.length}}${CRLF}`);
      this.bytes(value);
    } else if (Array.isArray(value)) {
      // The grammar joins a leading run of lists without spaces: `1*body SP media-subtype` in a
      // multipart BODYSTRUCTURE and `"(" 1*address ")"` in ENVELOPE (RFC 3501 §9), as Dovecot
      // and Gmail send them. Everywhere else items are separated by one space.
      this.text('(');
      let leadingLists = true;
      for (let i = 0; i < value.length; i++) {
        const isList = Array.isArray(value[i]);
        if (i > 0 && !(leadingLists && isList)) this.text(' ');
        leadingLists &&= isList;
        this.value(value[i]);
      }
      this.text(')');
    } else if ('atom' in value) {
      this.text(value.atom);
    } else if ('literal' in value) {
      this.text(`${value.binary ? '~' : ''}{${value.literal.length}}${CRLF}`);
      this.bytes(value.literal);
    } else {
      this.bytes(value.raw);
    }
  }

  string(s: string, utf8: boolean): void {
    if (canQuote(s, utf8)) {
      this.text(`"${s.replace(/["\\]/g, '\\$&')}"`);
    } else {
      // Pending text is encoded as UTF-8, so the literal's octets are exactly byteLength's count.
      this.text(`{${Buffer.byteLength(s, 'utf8')}}${CRLF}${s}`);
    }
  }

  private flush(): void {
    if (this.pending) {
      this.parts.push(Buffer.from(this.pending, 'utf8'));
      this.pending = '';
    }
  }
}

function canQuote(s: string, utf8: boolean): boolean {
  if (s.length > QUOTED_MAX) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c > 0x7f && !utf8) return false;
  }
  return !utf8 || Buffer.byteLength(s, 'utf8') <= QUOTED_MAX;
}

function responseText(status: string, text: string, code: string | null): string {
  const body = cleanText(text) || (status === 'OK' ? 'Completed' : status === 'BYE' ? 'Logging out' : 'Failed');
  return code ? `[${cleanText(code)}] ${body}` : body;
}

/** Response text is one line: CR, LF and NUL would end or corrupt it (RFC 9051 §9 `text`). */
function cleanText(text: string): string {
  return text.replace(/[\r\n\0]/g, ' ');
}
