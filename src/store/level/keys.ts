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
import type { Account, Alias, Mailbox, MessageMeta } from '../types.js';
import type { ParsedMessage } from '../../mime/types.js';

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
  /** blob id → number of message records referencing the blob. */
  blobRefs: Sub<number>;
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
    blobRefs: db.sublevel<string, number>('blob-refs', json),
  };
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
