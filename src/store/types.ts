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
import type { MessageSummary } from '../mime/summary.js';
import type { SearchFields } from '../mime/search-index.js';

export type { MessageSummary } from '../mime/summary.js';

/** The six special-use attributes given to new accounts (RFC 6154 §2). */
export type SpecialUse = '\\Drafts' | '\\Sent' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

export interface Account {
  /** Lower-cased address, the account's identity, e.g. "alice@example.org". */
  address: string;
  /** Memory-hard KDF hash, see pipeline/passwords.ts; never logged. */
  passwordHash: string;
  /** Storage quota in bytes; null: the configured default applies; 0: no limit (pipeline/quota.ts). */
  quotaBytes: number | null;
  createdAt: number;
  /** What SCRAM-SHA-256 needs, made when the password is set; absent for older accounts. */
  scram?: ScramCredentials | null;
}

/**
 * SCRAM verifier data (RFC 5802 §3, RFC 7677): enough to check a client proof and prove the
 * server, never enough to log in elsewhere. Binary values in base64. Never logged.
 */
export interface ScramCredentials {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
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
  /**
   * \Recent (RFC 3501 §2.3.2): messages with uid >= this were not yet claimed by a read-write
   * IMAP4rev1 session (see Store.claimRecent). Absent on records stored before it existed: read
   * it as uidNext (nothing recent); the store sets it before it next hands out a UID.
   */
  firstRecentUid?: number;
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
  /**
   * The zone INTERNALDATE was given in (APPEND's date-time), minutes east of UTC: FETCH renders
   * the date in it and SEARCH BEFORE/ON/SINCE compare its calendar day (RFC 9051 §2.3.3,
   * §6.4.4). Absent (most messages: delivered, or appended in +0000) reads as +0000.
   */
  internalZone?: number;
  /** Exact size in octets of the stored message (RFC822.SIZE), never 0. */
  size: number;
  /** Reference to the stored bytes, shared by every copy of the message. */
  blobId: string;
  /** Time the message was stored in this mailbox, epoch ms (SAVEDATE). */
  savedAt: number;
  /**
   * The Date header as epoch ms, null when absent or unparsable: SORT (DATE) orders a whole
   * mailbox from the listing alone (RFC 5256 §2.2). Absent on records stored before it existed.
   */
  sentDate?: number | null;
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
  /** MessageMeta.internalZone: minutes east of UTC, an integer within ±5999 (`+hhmm`); defaults to +0000. */
  internalZone?: number;
  /** deliver only: audit entries written in the delivery's own batch, built from its result. */
  trail?: (delivered: Delivered[]) => AuditWrite;
  /**
   * deliver only: the caller vouches that no stored message has these exact bytes, because they
   * carry a trace field with an id made for this delivery (the pipeline's Received line), so the
   * store skips looking for an existing blob to share. Set it for such bytes only: a wrong
   * promise would miscount the shared blob's references.
   */
  freshBytes?: boolean;
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

/** A change recorded at a modseq (RFC 7162): a message's latest flag change, or an expunge. */
export type ModSeqChange =
  | { kind: 'flags'; uid: number; modseq: number }
  | { kind: 'expunge'; uids: number[]; modseq: number };

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
  /** The audit trail and the traffic counters (see AuditStore below). */
  readonly audit: AuditStore;
  /** The durable outbound queue (see QueueStore below). */
  readonly queue: QueueStore;
  /** What gateways must remember across restarts (see GatewayStateStore below). */
  readonly gatewayState: GatewayStateStore;
  close(): Promise<void>;

  // Domains: lower-cased names for which this server accepts mail.
  addDomain(name: string): Promise<void>;
  removeDomain(name: string): Promise<boolean>;
  listDomains(): Promise<string[]>;
  hasDomain(name: string): Promise<boolean>;

  // Accounts. createAccount also creates INBOX, Drafts, Sent, Trash, Junk and Archive
  // (with their special-use attributes), subscribed, in the same batch.
  createAccount(address: string, passwordHash: string, options?: { scram?: ScramCredentials | null }): Promise<Account>;
  getAccount(address: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  /** Replaces the hash and the SCRAM data together (without `scram` the account loses SCRAM). */
  setPasswordHash(address: string, passwordHash: string, options?: { scram?: ScramCredentials | null }): Promise<void>;
  /** Sets Account.quotaBytes (null: the configured default; 0: no limit). */
  setQuota(address: string, quotaBytes: number | null): Promise<void>;
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
  /**
   * Atomically advances the mailbox's firstRecentUid to uidNext and returns the UIDs it passed
   * over, `from` through `to` inclusive (empty when to < from): the messages for which the
   * calling session is the first to be notified (\Recent, RFC 3501 §2.3.2).
   */
  claimRecent(mailboxId: string): Promise<{ from: number; to: number }>;
  /**
   * The UIDs no session has claimed yet, `from` through `to` inclusive, without claiming them
   * (a read-only session's \Recent). Ordered with writes: a claim issued before it is seen.
   */
  peekRecent(mailboxId: string): Promise<{ from: number; to: number }>;
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
  /** Several messages into one mailbox in one batch, all or none (MULTIAPPEND, RFC 3502); UIDs ascend in order. */
  appendMessages(account: string, mailbox: string, messages: Array<{ raw: Buffer; options?: AppendOptions }>): Promise<Delivered[]>;
  /** All messages of a mailbox in UID order, without MIME trees. */
  listMessages(mailboxId: string): Promise<MessageMeta[]>;
  /** Full records for the given UIDs (missing ones skipped), in UID order. */
  getMessages(mailboxId: string, uids: number[]): Promise<MessageRecord[]>;
  /** The stored bytes: the header block only (through the blank line) or the whole message. */
  readBlob(blobId: string, part: 'header' | 'full'): Promise<Buffer>;
  /** readBlob for many blobs in one read (FETCH and SEARCH batches); null where a blob is missing. */
  readBlobs(blobIds: string[], part: 'header' | 'full'): Promise<Array<Buffer | null>>;
  /** SEARCH's folded From/To/Cc/Bcc/Subject of stored blobs, in the order asked; null: no such blob. */
  getSearchFields(blobIds: string[]): Promise<Array<SearchFields | null>>;
  /** SEARCH's folded header and body text of stored blobs (mime/search-index.ts); null: no such blob. */
  readSearchText(blobIds: string[]): Promise<Array<Buffer | null>>;
  storeFlags(mailboxId: string, uids: number[], options: StoreFlagsOptions): Promise<StoreFlagsResult>;
  /** Removes the given UIDs; returns those removed, ascending. */
  expunge(mailboxId: string, uids: number[]): Promise<number[]>;
  copy(sourceMailboxId: string, uids: number[], targetMailboxId: string): Promise<CopyResult>;
  /** Copy and expunge in one batch (RFC 6851). */
  move(sourceMailboxId: string, uids: number[], targetMailboxId: string): Promise<CopyResult>;
  /**
   * Changes recorded after `sinceModSeq`, ascending (CONDSTORE/QRESYNC, RFC 7162 §3.2): the
   * latest flag change of each message still present, and every expunge.
   */
  listChanges(mailboxId: string, sinceModSeq: number): Promise<ModSeqChange[]>;
  /** SORT/THREAD keys (RFC 5256) of stored messages, by blob id; unknown ids are skipped. */
  getSummaries(blobIds: string[]): Promise<Map<string, MessageSummary>>;

  // Profiles (unified messaging): a user's numbers and notification rules; deleteAccount drops them.
  getProfile(address: string): Promise<UserProfile | null>;
  /** Replaces the account's profile; a number another account holds is refused ('exists'). */
  setProfile(profile: UserProfile): Promise<void>;
  /** The account that holds this number, or null. */
  findNumberOwner(kind: NumberKind, number: string): Promise<string | null>;
}

// ── User profiles (unified messaging: gateways read them, `bridgehead user set` writes them) ──

/** Which of a profile's numbers: the phone (SMS, voice) or the fax line. */
export type NumberKind = 'phone' | 'fax';

/** "Mail from these senders → notify me through this gateway" (e.g. an SMS to my phone). */
export interface NotificationRule {
  /** Gateway name, e.g. "sms" or "voice". */
  gateway: string;
  /** Lower-cased sender addresses, "@domain" for a whole domain, or "*" for everyone. */
  senders: string[];
}

export interface UserProfile {
  /** The account's address, lower-cased. */
  address: string;
  /** E.164, e.g. "+4915112345678", or null. */
  phone: string | null;
  fax: string | null;
  notify: NotificationRule[];
}

// ── Audit trail and traffic counters (DESIGN.md: "audit" and "stats" sublevels) ──────────────

/** One step of a message's story: `step` names it, the other fields are JSON details
 * (src/audit/events.ts declares the shapes; the store does not look inside). */
export interface AuditEventRecord {
  step: string;
  [detail: string]: unknown;
}

export interface AuditEntry {
  /** The id of the 250 reply (pipeline/message-id.ts): 18 characters, time-sortable. */
  messageId: string;
  /** epoch ms */
  at: number;
  event: AuditEventRecord;
}

/** What a message can be found by besides its id: an envelope address, its Message-ID header,
 * or an id that leads to it (e.g. the id of a DSN about it). Values are compared lower-cased. */
export type AuditIndexKind = 'address' | 'header' | 'queue';

export interface AuditIndexEntry {
  kind: AuditIndexKind;
  value: string;
  messageId: string;
  /** epoch ms of the fact indexed; lookups and retention go by it. */
  at: number;
}

/** Entries and index entries written together. */
export interface AuditWrite {
  entries: AuditEntry[];
  index: AuditIndexEntry[];
}

/** epoch ms bounds, both inclusive. */
export interface TimeRange {
  since: number;
  until: number;
}

export interface HourCounters {
  /** Start of the hour, epoch ms. */
  hour: number;
  counters: Record<string, number>;
}

export interface AuditStore {
  /** Queues a write for the next group commit (no sync of its own); resolves once durable.
   * Hot paths need not await it. */
  append(write: AuditWrite): Promise<void>;
  /** A message's entries in time order (same time: write order). */
  events(messageId: string): Promise<AuditEntry[]>;
  /** Ids of messages indexed under kind/value by facts within range, in id (= time) order. */
  find(kind: AuditIndexKind, value: string, range: TimeRange): Promise<string[]>;
  /** Adds to the in-memory counters of the hour holding `at`; flushCounters writes them. */
  count(at: number, increments: Record<string, number>): void;
  /** Writes the pending increments into their hour buckets. */
  flushCounters(): Promise<void>;
  /** Counters of the hours overlapping range, oldest first, pending increments included. */
  counters(range: TimeRange): Promise<HourCounters[]>;
  /** Range-deletes the entries of messages accepted before `auditBefore`, index entries of days
   * before it, and counters of hours before `statsBefore`. */
  expire(cutoffs: { auditBefore: number; statsBefore: number }): Promise<void>;
}

// ── Outbound queue (DESIGN.md: "queue" row; implemented in level/queue.ts) ────────────────────

/** RFC 3461 §4.1 NOTIFY values; 'NEVER' stands alone. */
export type DsnNotify = 'SUCCESS' | 'FAILURE' | 'DELAY';

export type QueueRecipientStatus = 'pending' | 'deferred' | 'delivered' | 'failed';

export interface QueueReply {
  code: number | null;
  enhanced: string | null;
  text: string;
}

export interface QueueRecipient {
  /** The envelope address as accepted (domain lower-cased). */
  address: string;
  status: QueueRecipientStatus;
  /** NOTIFY from RCPT (RFC 3461 §4.1); null when the client gave none (then FAILURE,DELAY). */
  notify: DsnNotify[] | 'NEVER' | null;
  /** ORCPT as received, "addr-type;xtext" (RFC 3461 §4.2); null when none. */
  orcpt: string | null;
  /** The reply that decided the current status (or the last temporary one). */
  reply: QueueReply | null;
  /** The host that gave `reply`, when one did. */
  remoteHost: string | null;
  attempts: number;
  updatedAt: number;
  /** Whether a delay notice was sent for this recipient. */
  delayNotified: boolean;
  /** For a recipient handed to a gateway (SMS, fax, voice) instead of SMTP; absent or null: SMTP. */
  gateway?: QueueGatewayTarget | null;
  /**
   * Whether the final status has been reported as the sender asked: a failure DSN sent (or
   * none wanted), a success notice sent (or none wanted). Only then can the entry be removed.
   */
  reported: boolean;
}

/** Which gateway a queued recipient goes to, and its address on that medium. */
export interface QueueGatewayTarget {
  /** The gateway's name (a plugin's `gateways[].name`), e.g. "sms". */
  name: string;
  /** The medium address, e.g. the E.164 number "+4915112345678". */
  number: string;
  /** 1-based position among the message's recipients on this gateway, the same on every attempt. */
  ordinal: number;
}

export interface QueueEntry {
  /** = the pipeline's message id, also the key. */
  id: string;
  source: 'submission' | 'mx' | 'dsn' | 'internal';
  /** Reverse-path; "" is the null sender: never bounced (RFC 3461 §6.2, RFC 5321 §4.5.5). */
  from: string;
  /** Authenticated submitter, or null. */
  user: string | null;
  /** RFC 3461 §4.4 ENVID, xtext as received; null when none. */
  envid: string | null;
  /** RFC 3461 §4.3 RET; null when none (headers only are returned then). */
  ret: 'FULL' | 'HDRS' | null;
  recipients: QueueRecipient[];
  /** Arrival time, epoch ms (Arrival-Date of a DSN; the give-up and delay clocks start here). */
  createdAt: number;
  /** When the next attempt is due, epoch ms; equals the time in the entry's due key. */
  nextAttemptAt: number;
  /** Attempt rounds made so far. */
  attempts: number;
  lastAttemptAt: number | null;
  /** Octets of the queued message. */
  size: number;
}

/** What the queue needs from storage; implemented by level/queue.ts. */
export interface QueueStore {
  /** Writes a new entry and its bytes in one synced batch. */
  add(entry: QueueEntry, message: Buffer): Promise<void>;
  get(id: string): Promise<QueueEntry | null>;
  readMessage(id: string): Promise<Buffer | null>;
  /** Writes the entry (synced); `previousDue` is the nextAttemptAt its due key was written with. */
  update(entry: QueueEntry, previousDue: number): Promise<void>;
  /** Removes entry, due key and bytes (synced). */
  remove(entry: QueueEntry): Promise<void>;
  /** Up to `limit` entry ids due at or before `now`, earliest first. */
  due(now: number, limit: number): Promise<Array<{ id: string; dueAt: number }>>;
  /** The first `limit` schedule positions, due or not, earliest first. */
  upcoming(limit: number): Promise<Array<{ id: string; dueAt: number }>>;
  /** Entries in due order, after the given due key position; at most `limit`. */
  list(options: { limit: number; after?: { dueAt: number; id: string } }): Promise<QueueEntry[]>;
  count(): Promise<number>;
}

// ── Gateway state (level/gateway-state.ts) ────────────────────────────────────────────────────

/** One remembered value; `space` groups a gateway's (or the gateway protocol's) entries. */
export interface GatewayStateEntry {
  key: string;
  value: unknown;
  /** epoch ms after which the entry is gone. */
  expiresAt: number;
}

/**
 * A small durable memory for the gateways: what they must still know after a restart (an SMS
 * centre's message id → the mail it came from, so a late receipt is recorded; the nonces of the
 * gateway protocol within their time window). Every entry expires. Spaces and keys are strings
 * without NUL; values are JSON.
 */
export interface GatewayStateStore {
  /** The value, or undefined when there is none or it expired at `now`. */
  get(space: string, key: string, now: number): Promise<unknown>;
  /** Writes (synced, with the group commit; replaces an existing entry). */
  put(space: string, key: string, value: unknown, expiresAt: number): Promise<void>;
  delete(space: string, key: string): Promise<void>;
  /** The entries of a space not expired at `now`, in expiry order. */
  list(space: string, now: number): Promise<GatewayStateEntry[]>;
  /** Removes every entry expired at `now`; resolves with how many. */
  expire(now: number): Promise<number>;
}
