/**
 * Mailbox names between the wire and the store (RFC 3501 §5.1, RFC 9051 §5.1, RFC 6855 §3).
 *
 * Invariants:
 * - The store holds UTF-8 names with "/" as the hierarchy delimiter. On the wire names are
 *   modified UTF-7 (RFC 3501 §5.1.3) unless the session enabled UTF8=ACCEPT, then raw UTF-8.
 * - INBOX is case-insensitive (RFC 9051 §5.1), also as the first level of a hierarchy:
 *   "inbox", "Inbox/x" become "INBOX", "INBOX/x".
 * - Names are always written as quoted strings, never literals: Thunderbird reads the LIST name
 *   and delimiter best quoted (CLIENTS.md §2), and valid names never hold CR or LF.
 */
import { imapBad, imapNo } from '../errors.js';
import { astringArgument } from './arguments.js';
import { decodeMailboxName, encodeMailboxName } from './protocol/mutf7.js';
import { atom, type ImapValue, type Token } from './protocol/types.js';

export const DELIMITER = '/';

/** Longest mailbox name accepted for CREATE/RENAME, in UTF-8 octets. */
const MAX_NAME_OCTETS = 512;

export interface NameEncoding {
  /** UTF8=ACCEPT is enabled (RFC 6855): names travel as UTF-8. */
  utf8: boolean;
}

/** INBOX in any case, alone or as the first hierarchy level, becomes "INBOX". */
export function normalizeMailboxName(name: string): string {
  const slash = name.indexOf(DELIMITER);
  const first = slash === -1 ? name : name.slice(0, slash);
  if (first.toUpperCase() !== 'INBOX' || first === 'INBOX') return name;
  return 'INBOX' + name.slice(first.length);
}

/**
 * Wire text of a name (or a LIST pattern) → store form. Before UTF8=ACCEPT a name is modified
 * UTF-7 (RFC 3501 §5.1.3). A name with 8-bit characters cannot be modified UTF-7, so when it is
 * valid UTF-8 it is read as the UTF-8 name it plainly is: clients and libraries that send back
 * the decoded names LIST gave them (UW c-client's STATUS, emailjs-imap-client) then work, and no
 * valid modified UTF-7 name can be misread. Invalid UTF-8 is BAD. A 7-bit name that is not valid
 * modified UTF-7 is NO with Dovecot's words, which client libraries look for: the command is
 * well formed, the name is refused. Names given as UTF-8 (either way) are normalised to NFC, the
 * form RFC 6855 §3 asks for (Net-Unicode, RFC 5198 §2), so "é" typed two ways is one mailbox.
 */
export function decodeName(wire: string, encoding: NameEncoding): string {
  // eslint-disable-next-line no-control-regex
  if (encoding.utf8 || /[^\x00-\x7f]/.test(wire)) {
    if (wire.includes('\uFFFD')) throw imapBad('Mailbox name is not valid UTF-8');
    return wire.normalize('NFC');
  }
  try {
    return decodeMailboxName(wire);
  } catch {
    throw imapNo('Mailbox name is not valid mUTF-7', 'CANNOT');
  }
}

/** A mailbox argument (astring) → normalised store name. */
export function mailboxArgument(token: Token | undefined, encoding: NameEncoding): string {
  return normalizeMailboxName(decodeName(astringArgument(token, 'mailbox name'), encoding));
}

/**
 * Checks a name a client wants to create (CREATE, RENAME target). NO, not BAD: the syntax is
 * fine, the server refuses the name (RFC 9051 §6.3.4).
 */
export function checkNewMailboxName(name: string): void {
  if (name === '') throw imapNo('Mailbox name is empty', 'CANNOT');
  if (Buffer.byteLength(name) > MAX_NAME_OCTETS) throw imapNo('Mailbox name is too long', 'CANNOT');
  // Control characters cannot be written in a quoted string; wildcards would make LIST ambiguous;
  // C1 controls and the line and paragraph separators are excluded by RFC 6855 §3.
  if (/[\x00-\x1f\x7f-\x9f\u2028\u2029*%]/.test(name)) throw imapNo('Mailbox name contains invalid characters', 'CANNOT');
  if (name.split(DELIMITER).some((level) => level === '')) {
    throw imapNo('Mailbox name has an empty hierarchy level', 'CANNOT');
  }
}

/** A quoted string written as is: `"..."` with `"` and `\` escaped (RFC 9051 §9 `quoted`). */
export function quoted(text: string): { atom: string } {
  return atom(`"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
}

/** A store name as it goes on the wire: always a quoted string. */
export function mailboxNameValue(name: string, encoding: NameEncoding): ImapValue {
  return quoted(encoding.utf8 ? name : encodeMailboxName(name));
}

/** The superior names of a hierarchical name, outermost first: "a/b/c" → ["a", "a/b"]. */
export function superiorNames(name: string): string[] {
  const levels = name.split(DELIMITER);
  const out: string[] = [];
  for (let i = 1; i < levels.length; i++) out.push(levels.slice(0, i).join(DELIMITER));
  return out;
}
