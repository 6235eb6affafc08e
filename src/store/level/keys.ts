/**
 * Every LevelDB key space of the mail store, declared once (DESIGN.md §Storage).
 *
 * Invariants:
 * - Numbers inside keys are fixed-width lower-case hex, so byte order equals numeric order and a
 *   range scan answers a question directly: a mailbox's messages in UID order
 *   (`messages`, mailboxId:uid), its changes since a modseq (`changes`, mailboxId:modseq), an
 *   account's mailboxes and subscriptions (account NUL name).
 * - UIDs are 32-bit (RFC 9051 §2.3.1.1) → 8 hex digits; modseqs are 63-bit in RFC 7162 §3.1 but
 *   JavaScript integers stop at 2^53 → 16 hex digits covers every value we can produce.
 * - Mailbox ids are fixed-width hex too and never contain ":" or ";", so "id:" .. "id;" bounds
 *   exactly one mailbox's keys.
 * - Message meta (small) and the parsed MIME tree (large) live in different sublevels, so listing
 *   a mailbox reads only small values. Blob bytes are split into header and rest so reading a
 *   header never touches the body; the parsed tree is per blob because it derives from the bytes.
 */
import type { Level } from 'level';
import type { AbstractSublevel } from 'abstract-level';
import type { Account, Alias, AuditEventRecord, AuditIndexKind, Mailbox, MessageMeta, NumberKind, UserProfile } from '../types.js';
import type { ParsedMessage } from '../../mime/types.js';
import type { MessageSummary } from '../../mime/summary.js';
import type { SearchFields } from '../../mime/search-index.js';
import type { QueueEntry } from '../types.js';

/** A change recorded for CONDSTORE/QRESYNC (RFC 7162): keyed by mailbox and modseq. */
export type ChangeRecord =
  /** The message's flags changed at this modseq (only its latest flag change is kept). */
  | { kind: 'flags'; uid: number }
  /** These UIDs were expunged at this modseq (VANISHED, RFC 7162 §3.2.10). */
  | { kind: 'expunge'; uids: number[] };

/** Global counters kept in the `meta` sublevel. */
export const META_KEYS = {
  /** Next UIDVALIDITY to hand out; started from epoch seconds, only ever grows. */
  nextUidValidity: 'next-uid-validity',
  /** Next mailbox id number; ids are never reused. */
  nextMailboxId: 'next-mailbox-id',
} as const;

export type RootDb = Level<string, unknown>;
type Sub<V> = AbstractSublevel<RootDb, string | Buffer | Uint8Array, string, V>;

export interface Sublevels {
  /** META_KEYS → number. */
  meta: Sub<number>;
  /** domain → { addedAt }. */
  domains: Sub<{ addedAt: number }>;
  /** address → Account. */
  accounts: Sub<Account>;
  /** address → Alias. */
  aliases: Sub<Alias>;
  /** mailboxNameKey(account, name) → mailbox id. */
  mailboxNames: Sub<string>;
  /** mailbox id → Mailbox (including its counters, uidNext and highestModSeq). */
  mailboxes: Sub<Mailbox>;
  /** mailboxNameKey(account, name) → true; names need not exist (RFC 9051 §6.3.7). */
  subscriptions: Sub<true>;
  /** messageKey(mailboxId, uid) → MessageMeta. */
  messages: Sub<MessageMeta>;
  /** changeKey(mailboxId, modseq) → ChangeRecord. */
  changes: Sub<ChangeRecord>;
  /** blob id (sha256 hex of the stored bytes) → header block through the blank line. */
  blobHeads: Sub<Buffer>;
  /** blob id → the bytes after the header block. */
  blobBodies: Sub<Buffer>;
  /** blob id → ParsedMessage of the whole blob. */
  blobParsed: Sub<ParsedMessage>;
  /** blob id → MessageSummary (SORT/THREAD keys); blobs stored before it existed have none. */
  blobSummaries: Sub<MessageSummary>;
  /** blob id → SearchFields (mime/search-index.ts): folded From/To/Cc/Bcc/Subject for SEARCH. */
  blobSearchFields: Sub<SearchFields>;
  /** blob id → folded header and body text for SEARCH TEXT/BODY; blobs stored before it have none. */
  blobSearchText: Sub<Buffer>;
  /** blob id → number of message records referencing the blob. */
  blobRefs: Sub<number>;
  /** queue id (the message id) → QueueEntry (envelope, per-recipient status; small). */
  queueEntries: Sub<QueueEntry>;
  /** queueDueKey(nextAttemptAt, id) → id: range-scanned for the entries due before now. */
  queueDue: Sub<string>;
  /** queue id → the message bytes, read only when an attempt sends them. */
  queueBodies: Sub<Buffer>;
  /** auditKey(messageId, at, seq) → AuditEventRecord: one range read tells a message's story. */
  audit: Sub<AuditEventRecord>;
  /** auditIndexKey(day, kind, value, messageId) → 1; day first, so retention is a range delete. */
  auditIndex: Sub<number>;
  /** statsKey(hour, counter) → number. */
  stats: Sub<number>;
  /** address → UserProfile (numbers and notification rules). */
  profiles: Sub<UserProfile>;
  /** numberKey(kind, E.164 number) → address of the account holding it. */
  numbers: Sub<string>;
  /** gatewayStateKey(space, key) → { value, expiresAt } (gateway-state.ts). */
  gatewayState: Sub<{ value: unknown; expiresAt: number }>;
  /** gatewayStateExpiryKey(expiresAt, space, key) → 1: range-scanned to drop what expired. */
  gatewayStateExpiry: Sub<number>;
}

export function openSublevels(db: RootDb): Sublevels {
  const json = { valueEncoding: 'json' } as const;
  const buffer = { valueEncoding: 'buffer' } as const;
  return {
    meta: db.sublevel<string, number>('meta', json),
    domains: db.sublevel<string, { addedAt: number }>('domains', json),
    accounts: db.sublevel<string, Account>('accounts', json),
    aliases: db.sublevel<string, Alias>('aliases', json),
    mailboxNames: db.sublevel<string, string>('mailbox-names', json),
    mailboxes: db.sublevel<string, Mailbox>('mailboxes', json),
    subscriptions: db.sublevel<string, true>('subscriptions', json),
    messages: db.sublevel<string, MessageMeta>('messages', json),
    changes: db.sublevel<string, ChangeRecord>('changes', json),
    blobHeads: db.sublevel<string, Buffer>('blob-heads', buffer),
    blobBodies: db.sublevel<string, Buffer>('blob-bodies', buffer),
    blobParsed: db.sublevel<string, ParsedMessage>('blob-parsed', json),
    blobSummaries: db.sublevel<string, MessageSummary>('blob-summaries', json),
    blobSearchFields: db.sublevel<string, SearchFields>('blob-search-fields', json),
    blobSearchText: db.sublevel<string, Buffer>('blob-search-text', buffer),
    blobRefs: db.sublevel<string, number>('blob-refs', json),
    queueEntries: db.sublevel<string, QueueEntry>('queue-entries', json),
    queueDue: db.sublevel<string, string>('queue-due', json),
    queueBodies: db.sublevel<string, Buffer>('queue-bodies', buffer),
    audit: db.sublevel<string, AuditEventRecord>('audit', json),
    auditIndex: db.sublevel<string, number>('audit-index', json),
    stats: db.sublevel<string, number>('stats', json),
    profiles: db.sublevel<string, UserProfile>('profiles', json),
    numbers: db.sublevel<string, string>('numbers', json),
    gatewayState: db.sublevel<string, { value: unknown; expiresAt: number }>('gateway-state', json),
    gatewayStateExpiry: db.sublevel<string, number>('gateway-state-expiry', json),
  };
}

/** A gateway state entry's key: space NUL key (neither may hold NUL), so a space is one range. */
export function gatewayStateKey(space: string, key: string): string {
  return `${space}\u0000${key}`;
}

/** Every entry of one space. */
export function gatewayStateSpaceRange(space: string): { gt: string; lt: string } {
  return { gt: `${space}\u0000`, lt: `${space}\u0001` };
}

/** Expiry index key: 12 hex digits of the expiry time (epoch ms), then the entry's key. */
export function gatewayStateExpiryKey(expiresAt: number, space: string, key: string): string {
  return `${hex(Math.max(0, Math.floor(expiresAt)), 12)}:${gatewayStateKey(space, key)}`;
}

/** The entry key inside an expiry index key. */
export function entryOfGatewayStateExpiryKey(key: string): string {
  return key.slice(13);
}

/**
 * Queue schedule key: 12 hex digits of the next attempt time (epoch ms; good until year 10889)
 * then the queue id, so a range scan `lt: queueDueKey(now + 1, '')` yields the due entries in
 * due order (DESIGN.md §Storage, "the queue in due order").
 */
export function queueDueKey(nextAttemptAt: number, id: string): string {
  return `${hex(Math.max(0, Math.floor(nextAttemptAt)), 12)}:${id}`;
}

export function timeFromQueueDueKey(key: string): number {
  return parseInt(key.slice(0, key.indexOf(':')), 16);
}

/** A number's index key: kind, then the E.164 number ("phone:+4915112345678"). */
export function numberKey(kind: NumberKind, number: string): string {
  return `${kind}:${number}`;
}

export const MAX_UID = 0xffffffff;

const hex = (value: number, width: number): string => value.toString(16).padStart(width, '0');

/** Mailbox ids: 12 hex digits of a global counter. */
export function mailboxIdFromNumber(n: number): string {
  return hex(n, 12);
}

/** Range options covering everything keyed under one mailbox id (messages or changes). */
export function mailboxRange(mailboxId: string): { gt: string; lt: string } {
  return { gt: `${mailboxId}:`, lt: `${mailboxId};` };
}

export function messageKey(mailboxId: string, uid: number): string {
  return `${mailboxId}:${hex(uid, 8)}`;
}

export function uidFromMessageKey(key: string): number {
  return parseInt(key.slice(key.indexOf(':') + 1), 16);
}

export function changeKey(mailboxId: string, modseq: number): string {
  return `${mailboxId}:${hex(modseq, 16)}`;
}

export function modseqFromChangeKey(key: string): number {
  return parseInt(key.slice(key.indexOf(':') + 1), 16);
}

/** Changes of a mailbox with a modseq strictly greater than `since`. */
export function changesSinceRange(mailboxId: string, since: number): { gt: string; lt: string } {
  return { gt: changeKey(mailboxId, since), lt: `${mailboxId};` };
}

/** Account and mailbox name separated by NUL, which neither an address nor a name may contain. */
export function mailboxNameKey(account: string, name: string): string {
  return `${account}\u0000${name}`;
}

export function nameFromMailboxNameKey(key: string): string {
  return key.slice(key.indexOf('\u0000') + 1);
}

/** Range over an account's names (mailboxNames, subscriptions). */
export function accountRange(account: string): { gt: string; lt: string } {
  return { gt: `${account}\u0000`, lt: `${account}\u0001` };
}

/** Range over the inferiors of `name` ("name/..."), excluding the name itself. */
export function inferiorsRange(account: string, name: string): { gt: string; lt: string } {
  // "/" is 0x2f, so "name0" ("/" + 1) bounds every "name/..." key.
  return { gt: mailboxNameKey(account, `${name}/`), lt: mailboxNameKey(account, `${name}0`) };
}

// ── Audit trail and traffic counters ─────────────────────────────────────────────────────────
//
// `audit` is keyed message id first: the id starts with its acceptance time in base32 (digits
// before letters), so one range read returns a message's story, and all messages accepted before
// a time form one key range (retention). `audit-index` and `stats` are keyed by day and hour
// first for the same reason: what is old is a prefix range.

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Characters of time at the front of a message id. */
const MESSAGE_ID_TIME_CHARS = 10;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A message id as pipeline/message-id.ts makes them (the audit keys rely on its shape). */
export const AUDIT_MESSAGE_ID = /^[0-9A-HJKMNP-TV-Z]{18}$/;

/** The first characters of every message id made at `ms`: ids made before sort below it. */
export function messageIdTimePrefix(ms: number): string {
  let value = Math.max(0, Math.floor(ms));
  let text = '';
  for (let i = 0; i < MESSAGE_ID_TIME_CHARS; i++) {
    text = CROCKFORD[value % 32] + text;
    value = Math.floor(value / 32);
  }
  return text;
}

/** When a message id was made (epoch ms). */
export function timeOfMessageId(messageId: string): number {
  let value = 0;
  for (const char of messageId.slice(0, MESSAGE_ID_TIME_CHARS)) value = value * 32 + CROCKFORD.indexOf(char);
  return value;
}

/** Message id, then 12 hex digits of epoch ms, then 8 of a write sequence (same-ms order). */
export function auditKey(messageId: string, at: number, seq: number): string {
  return `${messageId}:${hex(Math.max(0, Math.floor(at)), 12)}:${hex(seq >>> 0, 8)}`;
}

export function timeFromAuditKey(key: string): number {
  const start = key.indexOf(':') + 1;
  return parseInt(key.slice(start, start + 12), 16);
}

/** Every entry of one message. */
export function auditMessageRange(messageId: string): { gt: string; lt: string } {
  return { gt: `${messageId}:`, lt: `${messageId};` };
}

const INDEX_KIND_CODES: Record<AuditIndexKind, string> = { address: 'a', header: 'h', queue: 'q' };

/** Days since the epoch (UTC), 6 hex digits in keys. */
export function dayOf(ms: number): number {
  return Math.floor(Math.max(0, ms) / DAY_MS);
}

/** Start of a day's index keys; every key of earlier days sorts below it. */
export function auditIndexDayStart(day: number): string {
  return `${hex(day, 6)}:`;
}

/** Day, kind, value (lower-cased, no NUL), NUL, message id. */
export function auditIndexKey(day: number, kind: AuditIndexKind, value: string, messageId: string): string {
  return `${auditIndexDayStart(day)}${INDEX_KIND_CODES[kind]}:${value}\u0000${messageId}`;
}

/** The index keys of one kind/value on one day. */
export function auditIndexRange(day: number, kind: AuditIndexKind, value: string): { gt: string; lt: string } {
  const prefix = `${auditIndexDayStart(day)}${INDEX_KIND_CODES[kind]}:${value}`;
  return { gt: `${prefix}\u0000`, lt: `${prefix}\u0001` };
}

export function dayFromAuditIndexKey(key: string): number {
  return parseInt(key.slice(0, 6), 16);
}

export function messageIdFromAuditIndexKey(key: string): string {
  return key.slice(key.lastIndexOf('\u0000') + 1);
}

/** Hours since the epoch (UTC). */
export function hourOf(ms: number): number {
  return Math.floor(Math.max(0, ms) / HOUR_MS);
}

/** Start of an hour's counters; every counter of earlier hours sorts below it. */
export function statsHourStart(hour: number): string {
  return `${hex(hour, 8)}:`;
}

export function statsKey(hour: number, counter: string): string {
  return `${statsHourStart(hour)}${counter}`;
}

export function parseStatsKey(key: string): { hour: number; counter: string } {
  const colon = key.indexOf(':');
  return { hour: parseInt(key.slice(0, colon), 16), counter: key.slice(colon + 1) };
}
