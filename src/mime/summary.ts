/**
 * A message's summary: the few header-derived values that ordering and threading need
 * (IMAP SORT and THREAD, RFC 5256; display sorting, RFC 5957), computed once at delivery from
 * the raw header and the parsed envelope so that sorting a large mailbox reads a small record
 * per message instead of its MIME tree.
 *
 * Invariants:
 * - Text is decoded (RFC 2047) and otherwise as in the message: case folding is the
 *   comparator's business (i;ascii-casemap, RFC 5256 §2.4), not the summary's.
 * - `baseSubject` is the base subject of RFC 5256 §2.1, computed exactly as that section's
 *   seven steps say; `replyOrForward` tells whether those steps removed a reply or forward
 *   marker (Re:, Fw:, Fwd:, "[fwd: ...]", "(fwd)"), which REFERENCES threading needs (§3 step 6).
 * - Addresses: the first address of the field that is not a group marker; '' when none.
 * - Message-IDs keep their angle brackets; references are in header order, oldest first.
 * - Pure: no I/O, never throws on malformed input.
 */
import { headerValues, decodeHeaderValue } from './headers.js';
import type { ParsedMessage, SExp } from './types.js';

export interface MessageSummary {
  /** Layout version; bumped when a field's meaning changes so old records are recomputed. */
  version: 1;
  /** The Date header as epoch ms, null when absent or unparsable (RFC 5256 §2.2 then uses INTERNALDATE). */
  sentDate: number | null;
  /** RFC 5256 §2.1 base subject, decoded to Unicode. */
  baseSubject: string;
  /** The subject carried a reply or forward marker (RFC 5256 §2.1, used by THREAD=REFERENCES). */
  replyOrForward: boolean;
  /** `addr-mailbox` (local part) of the first From, To and Cc address (RFC 5256 §3 SORT keys). */
  fromMailbox: string;
  toMailbox: string;
  ccMailbox: string;
  /** RFC 5957 display keys: the decoded display name of the first address, else `mailbox@host`. */
  fromDisplay: string;
  toDisplay: string;
  /** The Message-ID `<...>`, or null when absent or malformed. */
  messageId: string | null;
  /**
   * The message's ancestors, oldest first: the msg-ids of References, or when it has none the
   * first msg-id of In-Reply-To (RFC 5256 §3 REFERENCES step 1A).
   */
  references: string[];
}

const MSG_ID = /<[^<>\s]+>/g;

/** Summarises a message from its header block (or the whole message) and its parsed tree. */
export function summarizeMessage(header: Buffer, parsed: ParsedMessage): MessageSummary {
  const envelope = Array.isArray(parsed.envelope) ? parsed.envelope : [];
  const subject = typeof envelope[1] === 'string' ? envelope[1] : '';
  const { base, replyOrForward } = baseSubject(decodeHeaderValue(subject));
  const from = firstAddress(envelope[2]);
  const to = firstAddress(envelope[5]);
  const cc = firstAddress(envelope[6]);
  const messageIds = typeof envelope[9] === 'string' ? envelope[9].match(MSG_ID) : null;
  let references = headerValues(header, 'references').join(' ').match(MSG_ID) ?? [];
  if (references.length === 0) {
    const inReplyTo = typeof envelope[8] === 'string' ? envelope[8].match(MSG_ID) : null;
    references = inReplyTo ? [inReplyTo[0]] : [];
  }
  return {
    version: 1,
    sentDate: parsed.sentDate,
    baseSubject: base,
    replyOrForward,
    fromMailbox: from?.mailbox ?? '',
    toMailbox: to?.mailbox ?? '',
    ccMailbox: cc?.mailbox ?? '',
    fromDisplay: displayKey(from),
    toDisplay: displayKey(to),
    messageId: messageIds ? messageIds[0] : null,
    references,
  };
}

interface Address {
  name: string;
  mailbox: string;
  host: string;
}

/** The first real address of an ENVELOPE address list; group markers have a NIL host. */
function firstAddress(list: SExp | undefined): Address | null {
  if (!Array.isArray(list)) return null;
  for (const entry of list) {
    if (!Array.isArray(entry) || entry[3] === null || entry[3] === undefined) continue;
    const text = (value: SExp | undefined) => (typeof value === 'string' ? value : '');
    return { name: text(entry[0]), mailbox: text(entry[2]), host: text(entry[3]) };
  }
  return null;
}

/** RFC 5957 §3: the display name when it is not empty, otherwise the address itself. */
function displayKey(address: Address | null): string {
  if (!address) return '';
  const name = decodeHeaderValue(address.name).trim();
  if (name !== '') return name;
  return address.host === '' ? address.mailbox : `${address.mailbox}@${address.host}`;
}

// ── RFC 5256 §2.1 base subject ─────────────────────────────────────────────────────────────
//
//   subj-refwd   = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
//   subj-blob    = "[" *BLOBCHAR "]" *WSP
//   subj-fwd-hdr = "[fwd:"          subj-fwd-trl = "]"
//   subj-leader  = (*subj-blob subj-refwd) / WSP
//   subj-trailer = "(fwd)" / WSP
//   BLOBCHAR     = any CHAR8 except "[" and "]"
// The literal strings are case-insensitive (RFC 5234 §2.3).

const TRAILER = /(?:\(fwd\)| )$/i;
const LEADER = /^(?:(?:\[[^[\]]*\] *)*(?:re|fwd?) *(?:\[[^[\]]*\] *)?:| )/i;
const BLOB = /^\[[^[\]]*\] */;
const FWD_HEADER = /^\[fwd:/i;

export function baseSubject(decoded: string): { base: string; replyOrForward: boolean } {
  // Step 1: tabs and line breaks become spaces, runs of spaces one space.
  let text = decoded.replace(/[\t\r\n]/g, ' ').replace(/ {2,}/g, ' ');
  let replyOrForward = false;
  for (;;) {
    // Step 2: trailers, repeatedly.
    for (let match = TRAILER.exec(text); match; match = TRAILER.exec(text)) {
      if (match[0] !== ' ') replyOrForward = true;
      text = text.slice(0, text.length - match[0].length);
    }
    // Steps 3 to 5: leaders and blobs, until neither matches.
    for (;;) {
      const leader = LEADER.exec(text);
      if (leader) {
        if (leader[0] !== ' ') replyOrForward = true;
        text = text.slice(leader[0].length);
        continue;
      }
      const blob = BLOB.exec(text);
      // A blob is removed only when something remains (a non-empty subj-base).
      if (blob && blob[0].length < text.length) {
        text = text.slice(blob[0].length);
        continue;
      }
      break;
    }
    // Step 6: "[fwd: subject]" is unwrapped, and everything starts again from step 2.
    if (FWD_HEADER.test(text) && text.endsWith(']')) {
      text = text.slice('[fwd:'.length, -1);
      replyOrForward = true;
      continue;
    }
    return { base: text, replyOrForward };
  }
}
