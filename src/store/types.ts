/**
 * The mail store contract, in mail terms. The store knows nothing of protocols: front ends and
 * the pipeline call these operations; IMAP sessions learn of changes from `events`.
 *
 * Invariants (RFC 9051 §2.3.1.1): UIDs strictly ascend within a mailbox and are never reused
 * under one uidValidity; uidNext changes whenever messages are added; a mailbox deleted and
 * re-created under the same name gets a greater uidValidity. Every operation is one atomic
 * batch; operations that add messages resolve only after the batch is synced to disk.
 */
import type { EventEmitter } from 'node:events';
import type { ParsedMessage } from '../mime/types.js';

/** The six special-use attributes given to new accounts (RFC 6154 §2). */
export type SpecialUse = '\\Drafts' | '\\Sent' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

export interface Account {
  /** Lower-cased address, the account's identity, e.g. "alice@example.org". */
  address: string;
  /** Memory-hard KDF hash, see pipeline/passwords.ts; never logged. */
  passwordHash: string;
  /** Storage quota in bytes; null for unlimited. */
  quotaBytes: number | null;
  createdAt: number;
}

export interface Alias {
  /** Lower-cased source address; "*@domain" is the domain's catch-all. */
  address: string;
  /** Lower-cased target addresses (local accounts or other addresses). */
  targets: string[];
}

export interface Mailbox {
  /** Opaque, stable for the mailbox's life; never reused. */
  id: string;
  account: string;
  /** Full name with "/" as hierarchy delimiter, UTF-8. The inbox is always exactly "INBOX". */
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModSeq: number;
  specialUse: SpecialUse | null;
  /** Counters kept up to date by every operation (STATUS answers from them). */
  messages: number;
  unseen: number;
  /** Sum of message sizes in octets (STATUS SIZE, quota). */
  size: number;
}

/** What IMAP needs of a message without reading its body or its MIME tree. */
export interface MessageMeta {
  uid: number;
  modseq: number;
  /** System flags ("\\Seen", ...) and keywords, as stored (case preserved, no duplicates). */
  flags: string[];
  /** INTERNALDATE, epoch ms. */
  internalDate: number;
  /** Exact size in octets of the stored message (RFC822.SIZE), never 0. */
  size: number;
  /** Reference to the stored bytes, shared by every copy of the message. */
  blobId: string;
  /** Time the message was stored in this mailbox, epoch ms (SAVEDATE). */
  savedAt: number;
}

export interface MessageRecord extends MessageMeta {
  parsed: ParsedMessage;
}

export interface DeliveryTarget {
  account: string;
  /** Mailbox name; "INBOX" for ordinary delivery. */
  mailbox: string;
  flags?: string[];
}

export interface Delivered {
  account: string;
  mailboxId: string;
  uidValidity: number;
  uid: number;
}

export interface AppendOptions {
  flags?: string[];
  /** epoch ms; defaults to now. */
  internalDate?: number;
}

export type FlagOperation = 'add' | 'remove' | 'set';

export interface FlagChange {
  uid: number;
  flags: string[];
  modseq: number;
}

export interface StoreFlagsOptions {
  op: FlagOperation;
  flags: string[];
  /** CONDSTORE UNCHANGEDSINCE (RFC 7162 §3.1.3): messages with a greater modseq are not changed. */
  unchangedSince?: number;
}

export interface StoreFlagsResult {
  /** Messages whose flags changed (each with its new modseq). */
  changed: FlagChange[];
  /** UIDs that failed the UNCHANGEDSINCE test. */
  modified: number[];
}

export interface CopyResult {
  /** uidValidity of the destination mailbox (COPYUID, RFC 4315 §3). */
  uidValidity: number;
  /** Pairs of source UID and destination UID, in source UID order. */
  map: Array<[number, number]>;
}

/** Change events, emitted after the batch that made the change is durable. */
export type StoreEvent =
  | { kind: 'append'; mailboxId: string; account: string; messages: MessageMeta[] }
  | { kind: 'flags'; mailboxId: string; account: string; changes: FlagChange[] }
  | { kind: 'expunge'; mailboxId: string; account: string; uids: number[]; modseq: number }
  | { kind: 'mailbox-created' | 'mailbox-deleted'; account: string; mailboxId: string; name: string }
  | { kind: 'mailbox-renamed'; account: string; mailboxId: string; name: string; oldName: string };

export interface StoreEvents extends EventEmitter {
  on(event: 'change', listener: (ev: StoreEvent) => void): this;
  off(event: 'change', listener: (ev: StoreEvent) => void): this;
  emit(event: 'change', ev: StoreEvent): boolean;
}

export interface Store {
  readonly events: StoreEvents;
  close(): Promise<void>;

  // Domains: lower-cased names for which this server accepts mail.
  addDomain(name: string): Promise<void>;
  removeDomain(name: string): Promise<boolean>;
  listDomains(): Promise<string[]>;
  hasDomain(name: string): Promise<boolean>;

  // Accounts. createAccount also creates INBOX, Drafts, Sent, Trash, Junk and Archive
  // (with their special-use attributes), subscribed, in the same batch.
  createAccount(address: string, passwordHash: string): Promise<Account>;
  getAccount(address: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  setPasswordHash(address: string, passwordHash: string): Promise<void>;
  /** Removes the account, its mailboxes and messages; blobs lose a reference each. */
  deleteAccount(address: string): Promise<boolean>;

  // Aliases.
  addAlias(address: string, targets: string[]): Promise<Alias>;
  /** Removes the given targets, or the whole alias when targets is empty. */
  removeAlias(address: string, targets: string[]): Promise<boolean>;
  getAlias(address: string): Promise<Alias | null>;
  listAliases(): Promise<Alias[]>;

  // Mailboxes. Names are full names with "/" delimiters; "INBOX" matches case-insensitively.
  listMailboxes(account: string): Promise<Mailbox[]>;
  getMailbox(account: string, name: string): Promise<Mailbox | null>;
  getMailboxById(mailboxId: string): Promise<Mailbox | null>;
  createMailbox(account: string, name: string, options?: { specialUse?: SpecialUse | null }): Promise<Mailbox>;
  /** RFC 9051 §6.3.4: INBOX cannot be deleted ('protected'). */
  deleteMailbox(account: string, name: string): Promise<void>;
  /** RFC 9051 §6.3.6: renames inferiors too; renaming INBOX moves its messages to a new
   * mailbox and leaves INBOX empty. */
  renameMailbox(account: string, oldName: string, newName: string): Promise<void>;
  /** Subscriptions are kept by name and may name mailboxes that do not exist (RFC 9051 §6.3.7). */
  setSubscribed(account: string, name: string, subscribed: boolean): Promise<void>;
  listSubscriptions(account: string): Promise<string[]>;

  // Messages.
  /** Stores one message for several recipients: the bytes once, a record per target. */
  deliver(raw: Buffer, targets: DeliveryTarget[], options?: AppendOptions): Promise<Delivered[]>;
  append(account: string, mailbox: string, raw: Buffer, options?: AppendOptions): Promise<Delivered>;
  /** All messages of a mailbox in UID order, without MIME trees. */
  listMessages(mailboxId: string): Promise<MessageMeta[]>;
  /** Full records for the given UIDs (missing ones skipped), in UID order. */
  getMessages(mailboxId: string, uids: number[]): Promise<MessageRecord[]>;
  /** The stored bytes: the header block only (through the blank line) or the whole message. */
  readBlob(blobId: string, part: 'header' | 'full'): Promise<Buffer>;
  storeFlags(mailboxId: string, uids: number[], options: StoreFlagsOptions): Promise<StoreFlagsResult>;
  /** Removes the given UIDs; returns those removed, ascending. */
  expunge(mailboxId: string, uids: number[]): Promise<number[]>;
  copy(sourceMailboxId: string, uids: number[], targetMailboxId: string): Promise<CopyResult>;
  /** Copy and expunge in one batch (RFC 6851). */
  move(sourceMailboxId: string, uids: number[], targetMailboxId: string): Promise<CopyResult>;
}
