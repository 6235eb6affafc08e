/**
 * The LevelDB mail store: `Store` (store/types.ts) on `level` with the key spaces of keys.ts.
 *
 * Durability: every operation is ONE atomic batch; operations that change mail state resolve only
 * after their batch is written with sync:true, and their events are emitted after that
 * (DESIGN.md §Storage). Concurrent writers share fsyncs through the GroupCommitter.
 *
 * Concurrency model (why UIDs and counters cannot race):
 * - Every write operation prepares its batch inside the WriterLane, one at a time: it reads what
 *   it needs, validates, then — synchronously, with no await in between — allocates UIDs and
 *   modseqs from the in-memory mailbox state, updates counters and hands the batch to the
 *   committer. So two concurrent appends never see the same uidNext.
 * - "Grouped" operations (deliver, append, copy) leave the lane as soon as their batch is
 *   queued, so the next one prepares while the previous fsync runs: that is what makes group
 *   commit effective. They only write keys nobody else reads before the write is durable (new
 *   message records under fresh UIDs) or keys whose truth is held in memory while writes are
 *   pending (mailbox records in `mailboxCache`, blob refcounts in `blobRefCache`).
 * - "Exclusive" operations (flags, expunge, move, mailbox and account changes, ...) first wait
 *   until the committer is idle and keep the lane until their own batch is durable, so their
 *   reads (including range scans) see every earlier write and nothing changes under them.
 * - deliver/append prefetch what they need (mailbox records, blob refcount) BEFORE entering the
 *   lane, so their time in the lane has no I/O and many of them fit into one fsync. A prefetched
 *   value is used only if `generation` has not moved since (it moves when a mailbox is deleted
 *   or renamed, when caches are dropped, and on a bulk eviction of the blob cache) and the cache
 *   holds no newer entry; blob cache entries are not evicted while a prefetch is outstanding.
 * - Domains, accounts, aliases, profiles and mailbox names are read through RecordCache
 *   (records.ts), which the committer tells of every durable batch: recipient resolution and
 *   a delivery's prefetch read nothing from disk once these are cached.
 * - Reads of blob content (bytes, SEARCH records, summaries) are BlobReader's (blob-reader.ts);
 *   the committer also tells it of every durable batch, for its SEARCH field cache.
 * - Values written are snapshots taken at preparation time, and batches are written in
 *   preparation order, so a later batch always carries the later state of a shared record.
 * - If a write fails, the committer rejects it and everything queued behind it; the store then
 *   drops its caches (they were ahead of the disk) and bumps `epoch`, which makes any batch
 *   prepared from the old caches fail instead of being written. The next operations reload
 *   from disk. UIDs of a failed batch were never announced to anyone: they end up as a gap
 *   (RFC 9051 §2.3.1.1 allows gaps) or are handed out again.
 *
 * Semantics chosen where the RFCs leave room:
 * - deleteMailbox of a mailbox with inferiors is refused ('inferior-exists'): RFC 9051 §6.3.5
 *   would keep the name as \Noselect, a state the Store interface cannot express.
 * - renameMailbox keeps the mailbox id, its UIDs and its uidValidity, and moves subscriptions
 *   of the renamed names along; renaming INBOX creates a new mailbox (new id and uidValidity)
 *   holding INBOX's messages under the same UIDs, and leaves INBOX empty (RFC 9051 §6.3.6).
 * - deleteMailbox keeps the subscription (RFC 9051 §6.3.9: never removed unilaterally).
 * - deleteAccount does not touch aliases that point at the account.
 * - highestModSeq of a new mailbox is 1; each message appended, each message whose flags change
 *   and each expunge operation takes the next modseq (RFC 7162 §3.1).
 */
import { createHash } from 'node:crypto';
import { Level } from 'level';
import { StoreError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { normalizeLineEndings, parseMessage } from '../../mime/index.js';
import { summarizeMessage, type MessageSummary } from '../../mime/summary.js';
import { searchFields, searchText, type SearchFields } from '../../mime/search-index.js';
import type { ParsedMessage } from '../../mime/types.js';
import { createStoreEvents } from '../events.js';
import type {
  Account,
  Alias,
  AppendOptions,
  CopyResult,
  Delivered,
  DeliveryTarget,
  FlagChange,
  Mailbox,
  MessageMeta,
  MessageRecord,
  ScramCredentials,
  SpecialUse,
  Store,
  StoreEvent,
  StoreEvents,
  StoreFlagsOptions,
  StoreFlagsResult,
  NumberKind,
  UserProfile,
} from '../types.js';
import { GroupCommitter, WriterLane, type BatchOp, type CommitStats } from './committer.js';
import { LevelQueueStore } from './queue.js';
import { LevelGatewayStateStore } from './gateway-state.js';
import { LevelAuditStore } from './audit.js';
import { BlobReader } from './blob-reader.js';
import { ListingCache } from './listings.js';
import { RecordCache } from './records.js';
import { applyFlagOperation, isSeen, normalizeFlags, sameFlags } from './flags.js';
import {
  MAX_UID,
  META_KEYS,
  accountRange,
  changeKey,
  changesSinceRange,
  inferiorsRange,
  mailboxIdFromNumber,
  mailboxNameKey,
  mailboxRange,
  messageKey,
  modseqFromChangeKey,
  nameFromMailboxNameKey,
  numberKey,
  openSublevels,
  type ChangeRecord,
  type RootDb,
  type Sublevels,
} from './keys.js';
import {
  DELIMITER,
  INBOX,
  normalizeAddress,
  normalizeDomain,
  normalizeMailboxName,
  superiorNames,
} from './names.js';

export type { ChangeRecord } from './keys.js';

/** A recorded change with its modseq, as returned by `listChanges`. */
export type Change = ChangeRecord & { modseq: number };

export interface LevelStoreOptions {
  path: string;
  log?: Logger;
}

/** Mailboxes every new account gets (RFC 6154 §2 special uses), all subscribed. */
const DEFAULT_MAILBOXES: Array<{ name: string; specialUse: SpecialUse | null }> = [
  { name: INBOX, specialUse: null },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Archive', specialUse: '\\Archive' },
];

/** In-memory refcount of a blob while operations that change it are prepared or pending. */
interface BlobRef {
  refs: number;
  /** Operations holding this entry; it is dropped (the disk is the truth again) at zero. */
  holds: number;
}

/** What one operation holds while it is prepared and written. */
class OperationContext {
  readonly blobs = new Map<string, BlobRef>();
}

interface Prepared<T> {
  ops: BatchOp[];
  events: StoreEvent[];
  result: T;
}

/** The bytes of a new blob, written when its refcount goes from 0 to 1. */
interface BlobContent {
  header: Buffer;
  body: Buffer;
  parsed: ParsedMessage;
  summary: MessageSummary;
  /** What SEARCH reads instead of the message (mime/search-index.ts). */
  searchFields: SearchFields;
  searchText: Buffer;
}

/** Blob cache entries kept for outstanding prefetches before those are invalidated instead. */
const MAX_DEFERRED_EVICTIONS = 10_000;

/** Messages whose meta listMessages keeps in memory, in all mailboxes (about 250 octets each). */
const MAX_CACHED_LISTING_MESSAGES = 400_000;

/** Blobs per read when warmCaches loads search fields. */
const WARM_SEARCH_FIELDS_BATCH = 2048;

/** Records (or known absences) per directory key space that RecordCache keeps (a few hundred octets each). */
const MAX_CACHED_RECORDS = 100_000;

/** What deliver reads before entering the lane; valid while `generation` is unchanged. */
interface DeliveryPrefetch {
  generation: number;
  mailboxes: Array<Mailbox | null>;
  blobRefs: number;
}

const notFound = (what: string) => new StoreError('not-found', `${what} does not exist`);

/** Where the header block ends: after the first empty line (RFC 5322 §2.1), or the whole message. */
function headerLength(raw: Buffer): number {
  if (raw.length >= 2 && raw[0] === 0x0d && raw[1] === 0x0a) return 2;
  const blank = raw.indexOf('\r\n\r\n');
  return blank < 0 ? raw.length : blank + 4;
}

/** The largest zone a `date-time` can write (`±hhmm`, RFC 3501 §9), in minutes. */
const MAX_ZONE_MINUTES = 99 * 60 + 59;

/**
 * AppendOptions.internalZone as the MessageMeta field: none for +0000, so delivered messages
 * (the listing cache holds one meta per message) carry nothing extra.
 */
function internalZoneField(zone: number | undefined): { internalZone?: number } {
  if (zone === undefined || zone === 0) return {};
  if (!Number.isInteger(zone) || Math.abs(zone) > MAX_ZONE_MINUTES) throw new StoreError('invalid', 'Invalid internal date zone');
  return { internalZone: zone };
}

export class LevelStore implements Store {
  readonly events: StoreEvents = createStoreEvents();
  readonly stats: CommitStats;
  /** The outbound queue's records (queue.ts); its batches share this store's group commit. */
  readonly queue: LevelQueueStore;
  /** Audit trail and traffic counters (audit.ts); written with the deliveries' group commits. */
  readonly audit: LevelAuditStore;
  /** What gateways remember across restarts (gateway-state.ts); also group-committed. */
  readonly gatewayState: LevelGatewayStateStore;

  private readonly s: Sublevels;
  private readonly log: Logger;
  private readonly lane = new WriterLane();
  private readonly committer: GroupCommitter;
  /** Mailbox records (with counters, uidNext, highestModSeq) loaded in the lane: the truth. */
  private mailboxCache = new Map<string, Mailbox>();
  private blobRefCache = new Map<string, BlobRef>();
  /** listMessages answers from memory for mailboxes used lately (listings.ts). */
  private readonly listings = new ListingCache(MAX_CACHED_LISTING_MESSAGES);
  /** Blob bytes, SEARCH records and summaries; SEARCH fields kept in memory (blob-reader.ts). */
  private readonly blobs: BlobReader;
  /** Domains, accounts, aliases, profiles and mailbox names, kept current by the committer (records.ts). */
  private readonly records = new RecordCache();
  /** Bumped when caches are dropped after a failed write; older preparations are refused. */
  private epoch = 0;
  /** Bumped whenever a value prefetched outside the lane may have become stale. */
  private generation = 0;
  private prefetchesOutstanding = 0;
  /** Blob cache entries with no holds, dropped once no prefetch could rely on their absence. */
  private evictableBlobs = new Set<string>();
  private nextUidValidity = 0;
  private nextMailboxNumber = 1;
  private closed = false;
  /** The running warmCaches, awaited by close. */
  private warming: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: RootDb,
    log: Logger,
  ) {
    this.s = openSublevels(db);
    this.blobs = new BlobReader(this.s);
    this.log = log;
    for (const sublevel of [this.s.domains, this.s.accounts, this.s.aliases, this.s.profiles, this.s.mailboxNames]) {
      this.records.add(sublevel, { maxEntries: MAX_CACHED_RECORDS });
    }
    this.committer = new GroupCommitter(db, (err) => this.onWriteFailure(err), (ops) => {
      this.records.written(ops);
      this.blobs.written(ops);
    });
    this.stats = this.committer.stats;
    this.queue = new LevelQueueStore(this.s, this.committer);
    this.audit = new LevelAuditStore(this.s, this.committer, log);
    this.gatewayState = new LevelGatewayStateStore(this.s, this.committer);
  }

  static async open(options: LevelStoreOptions): Promise<LevelStore> {
    const db: RootDb = new Level<string, unknown>(options.path, { valueEncoding: 'json' });
    await db.open();
    const store = new LevelStore(db, options.log ?? silentLogger());
    await store.loadCounters();
    store.log.info({ evt: 'store.open', path: options.path }, 'store opened');
    return store;
  }

  private async loadCounters(): Promise<void> {
    const [uidValidity, mailboxNumber] = await this.s.meta.getMany([META_KEYS.nextUidValidity, META_KEYS.nextMailboxId]);
    // Epoch seconds make values greater than any earlier install's, even after data loss.
    this.nextUidValidity = Math.max(uidValidity ?? 0, Math.floor(Date.now() / 1000));
    this.nextMailboxNumber = mailboxNumber ?? 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.warming;
    await this.audit.close();
    await this.lane.run(() => this.committer.whenIdle());
    await this.db.close();
    this.log.info({ evt: 'store.close' }, 'store closed');
  }

  // ── write machinery ──────────────────────────────────────────────────────────────────────

  /**
   * Runs `prepare` in the writer lane and commits its batch. 'grouped' leaves the lane once the
   * batch is queued; 'exclusive' first waits for earlier writes and keeps the lane until durable.
   * `prepare` must do all its awaits before it mutates any cache (see the module comment).
   */
  private async write<T>(
    mode: 'grouped' | 'exclusive',
    prepare: (ctx: OperationContext) => Promise<Prepared<T>>,
  ): Promise<T> {
    if (this.closed) throw new Error('store is closed');
    const ctx = new OperationContext();
    let durable: Promise<void> = Promise.resolve();
    const prepared = await this.lane.run(async () => {
      if (mode === 'exclusive') await this.committer.whenIdle();
      const epoch = this.epoch;
      let result: Prepared<T>;
      try {
        result = await prepare(ctx);
      } catch (err) {
        this.release(ctx);
        throw err;
      }
      durable = this.submit(epoch, ctx, result);
      // Handled below, after the lane is left; this keeps an early rejection from being "unhandled".
      durable.catch(() => undefined);
      if (mode === 'exclusive') await durable.catch(() => undefined);
      return result;
    });
    await durable;
    return prepared.result;
  }

  private submit(epoch: number, ctx: OperationContext, prepared: Prepared<unknown>): Promise<void> {
    if (epoch !== this.epoch) {
      // Prepared from caches that a failed write has invalidated: its values may be wrong.
      this.release(ctx);
      this.dropCaches();
      return Promise.reject(new Error('store write aborted after an earlier write failed; retry'));
    }
    if (prepared.ops.length === 0) {
      this.release(ctx);
      return Promise.resolve();
    }
    return this.committer
      .submit(prepared.ops, () => {
        this.release(ctx);
        for (const event of prepared.events) this.emit(event);
      })
      .catch((err: unknown) => {
        this.release(ctx);
        throw err;
      });
  }

  private emit(event: StoreEvent): void {
    this.listings.apply(event);
    try {
      this.events.emit('change', event);
    } catch (err) {
      this.log.error({ evt: 'store.listener-error', err, kind: event.kind }, 'store change listener threw');
    }
  }

  private onWriteFailure(err: unknown): void {
    this.log.error({ evt: 'store.write-failed', err }, 'synced batch write failed; caches dropped');
    this.dropCaches();
  }

  private dropCaches(): void {
    this.epoch++;
    this.generation++;
    this.mailboxCache = new Map();
    this.blobRefCache = new Map();
    this.listings.clear();
    this.records.clear();
    this.evictableBlobs.clear();
  }

  /** The mailbox record, cached; call inside the lane only. */
  private async mailboxState(mailboxId: string): Promise<Mailbox | null> {
    const cached = this.mailboxCache.get(mailboxId);
    if (cached) return cached;
    const stored = await this.s.mailboxes.get(mailboxId);
    if (!stored) return null;
    // Only lane code installs entries, so none can have appeared meanwhile; checked anyway
    // because two copies of one mailbox's state would hand out the same UIDs.
    const raced = this.mailboxCache.get(mailboxId);
    if (raced) return raced;
    this.mailboxCache.set(mailboxId, stored);
    return stored;
  }

  private async mailboxByName(account: string, name: string): Promise<Mailbox | null> {
    const id = await this.records.get(this.s.mailboxNames, mailboxNameKey(account, name));
    return id === undefined ? null : this.mailboxState(id);
  }

  /** Holds the refcount entries of `blobIds` for this operation; call inside the lane only. */
  private async holdBlobs(ctx: OperationContext, blobIds: Iterable<string>): Promise<void> {
    const missing: string[] = [];
    for (const id of new Set(blobIds)) {
      if (ctx.blobs.has(id)) continue;
      const cached = this.blobRefCache.get(id);
      if (cached) {
        cached.holds++;
        ctx.blobs.set(id, cached);
      } else {
        missing.push(id);
      }
    }
    if (missing.length === 0) return;
    // No entry means no pending write touches the blob, so the disk value is current.
    const stored = await this.s.blobRefs.getMany(missing);
    missing.forEach((id, i) => {
      let entry = this.blobRefCache.get(id);
      if (!entry) {
        entry = { refs: stored[i] ?? 0, holds: 0 };
        this.blobRefCache.set(id, entry);
      }
      entry.holds++;
      ctx.blobs.set(id, entry);
    });
  }

  private release(ctx: OperationContext): void {
    for (const [id, entry] of ctx.blobs) {
      entry.holds--;
      if (entry.holds <= 0 && this.blobRefCache.get(id) === entry) this.evictableBlobs.add(id);
    }
    ctx.blobs.clear();
    this.evictBlobs();
  }

  /**
   * Drops blob cache entries nobody holds. While a prefetch is outstanding, its refcount is
   * only valid if no entry for that blob came and went meanwhile, so eviction waits — unless
   * too many entries pile up, in which case outstanding prefetches are invalidated instead.
   */
  private evictBlobs(): void {
    if (this.evictableBlobs.size === 0) return;
    if (this.prefetchesOutstanding > 0) {
      if (this.evictableBlobs.size < MAX_DEFERRED_EVICTIONS) return;
      this.generation++;
    }
    for (const id of this.evictableBlobs) {
      if (this.blobRefCache.get(id)?.holds === 0) this.blobRefCache.delete(id);
    }
    this.evictableBlobs.clear();
  }

  /** Adds `count` references to a held blob, writing its bytes when it is new. */
  private addBlobRefs(ctx: OperationContext, blobId: string, count: number, ops: BatchOp[], content?: BlobContent): void {
    const entry = ctx.blobs.get(blobId)!;
    if (entry.refs === 0) {
      if (!content) throw new Error(`blob ${blobId} has no references and no content`);
      ops.push({ type: 'put', sublevel: this.s.blobHeads, key: blobId, value: content.header });
      ops.push({ type: 'put', sublevel: this.s.blobBodies, key: blobId, value: content.body });
      ops.push({ type: 'put', sublevel: this.s.blobParsed, key: blobId, value: content.parsed });
      ops.push({ type: 'put', sublevel: this.s.blobSummaries, key: blobId, value: content.summary });
      ops.push({ type: 'put', sublevel: this.s.blobSearchFields, key: blobId, value: content.searchFields });
      ops.push({ type: 'put', sublevel: this.s.blobSearchText, key: blobId, value: content.searchText });
    }
    entry.refs += count;
    ops.push({ type: 'put', sublevel: this.s.blobRefs, key: blobId, value: entry.refs });
  }

  /** Drops references to held blobs; a blob whose count reaches 0 is deleted. */
  private dropBlobRefs(ctx: OperationContext, counts: Map<string, number>, ops: BatchOp[]): void {
    for (const [blobId, count] of counts) {
      const entry = ctx.blobs.get(blobId)!;
      entry.refs = Math.max(0, entry.refs - count);
      if (entry.refs === 0) {
        for (const sublevel of [this.s.blobHeads, this.s.blobBodies, this.s.blobParsed, this.s.blobSummaries, this.s.blobSearchFields, this.s.blobSearchText, this.s.blobRefs]) {
          ops.push({ type: 'del', sublevel, key: blobId });
        }
      } else {
        ops.push({ type: 'put', sublevel: this.s.blobRefs, key: blobId, value: entry.refs });
      }
    }
  }

  private putMailbox(mailbox: Mailbox, ops: BatchOp[]): void {
    ops.push({ type: 'put', sublevel: this.s.mailboxes, key: mailbox.id, value: { ...mailbox } });
  }

  /** A new mailbox record with fresh id and uidValidity; the caller puts it (synchronous). */
  private newMailbox(account: string, name: string, specialUse: SpecialUse | null, ops: BatchOp[]): Mailbox {
    const mailbox: Mailbox = {
      id: mailboxIdFromNumber(this.nextMailboxNumber++),
      account,
      name,
      uidValidity: this.nextUidValidity++,
      uidNext: 1,
      highestModSeq: 1,
      firstRecentUid: 1,
      specialUse,
      messages: 0,
      unseen: 0,
      size: 0,
    };
    ops.push({ type: 'put', sublevel: this.s.meta, key: META_KEYS.nextMailboxId, value: this.nextMailboxNumber });
    ops.push({ type: 'put', sublevel: this.s.meta, key: META_KEYS.nextUidValidity, value: this.nextUidValidity });
    ops.push({ type: 'put', sublevel: this.s.mailboxNames, key: mailboxNameKey(account, name), value: mailbox.id });
    return mailbox;
  }

  /** Allocates UID and modseq in `mailbox` and queues the message record (synchronous). */
  private addMessage(mailbox: Mailbox, message: Omit<MessageMeta, 'uid' | 'modseq'>, ops: BatchOp[]): MessageMeta {
    const meta: MessageMeta = { uid: mailbox.uidNext, modseq: mailbox.highestModSeq + 1, ...message };
    // A record from before firstRecentUid existed: pin "nothing recent" before uidNext moves.
    mailbox.firstRecentUid ??= mailbox.uidNext;
    mailbox.uidNext++;
    mailbox.highestModSeq = meta.modseq;
    mailbox.messages++;
    mailbox.size += meta.size;
    if (!isSeen(meta.flags)) mailbox.unseen++;
    ops.push({ type: 'put', sublevel: this.s.messages, key: messageKey(mailbox.id, meta.uid), value: meta });
    return meta;
  }

  /** Removes message records (one expunge modseq for all); returns that modseq (synchronous). */
  private removeMessages(ctx: OperationContext, mailbox: Mailbox, metas: MessageMeta[], ops: BatchOp[]): number {
    const modseq = ++mailbox.highestModSeq;
    const blobCounts = new Map<string, number>();
    for (const meta of metas) {
      ops.push({ type: 'del', sublevel: this.s.messages, key: messageKey(mailbox.id, meta.uid) });
      // The message's latest flag-change record, if any, sits at its modseq.
      ops.push({ type: 'del', sublevel: this.s.changes, key: changeKey(mailbox.id, meta.modseq) });
      mailbox.messages--;
      mailbox.size -= meta.size;
      if (!isSeen(meta.flags)) mailbox.unseen--;
      blobCounts.set(meta.blobId, (blobCounts.get(meta.blobId) ?? 0) + 1);
    }
    const record: ChangeRecord = { kind: 'expunge', uids: metas.map((meta) => meta.uid) };
    ops.push({ type: 'put', sublevel: this.s.changes, key: changeKey(mailbox.id, modseq), value: record });
    this.dropBlobRefs(ctx, blobCounts, ops);
    return modseq;
  }

  private async readMetas(mailboxId: string, uids: readonly number[]): Promise<MessageMeta[]> {
    const sorted = [...new Set(uids)].filter((uid) => Number.isInteger(uid) && uid > 0 && uid <= MAX_UID);
    sorted.sort((a, b) => a - b);
    if (sorted.length === 0) return [];
    const values = await this.s.messages.getMany(sorted.map((uid) => messageKey(mailboxId, uid)));
    return values.filter((meta): meta is MessageMeta => meta !== undefined);
  }

  private async requireAccount(address: string): Promise<Account> {
    const account = await this.records.get(this.s.accounts, address);
    if (!account) throw notFound(`Account ${address}`);
    return account;
  }

  // ── domains ──────────────────────────────────────────────────────────────────────────────

  async addDomain(name: string): Promise<void> {
    const domain = normalizeDomain(name);
    await this.write('exclusive', async () => {
      if ((await this.s.domains.get(domain)) !== undefined) throw new StoreError('exists', `Domain ${domain} exists`);
      return { ops: [{ type: 'put', sublevel: this.s.domains, key: domain, value: { addedAt: Date.now() } }], events: [], result: undefined };
    });
  }

  async removeDomain(name: string): Promise<boolean> {
    const domain = normalizeDomain(name);
    return this.write('exclusive', async () => {
      const exists = (await this.s.domains.get(domain)) !== undefined;
      const ops: BatchOp[] = exists ? [{ type: 'del', sublevel: this.s.domains, key: domain }] : [];
      return { ops, events: [], result: exists };
    });
  }

  async listDomains(): Promise<string[]> {
    return this.s.domains.keys().all();
  }

  async hasDomain(name: string): Promise<boolean> {
    return (await this.records.get(this.s.domains, normalizeDomain(name))) !== undefined;
  }

  // ── accounts ─────────────────────────────────────────────────────────────────────────────

  async createAccount(address: string, passwordHash: string, options: { scram?: ScramCredentials | null } = {}): Promise<Account> {
    const normalized = normalizeAddress(address);
    return this.write('exclusive', async () => {
      if ((await this.s.accounts.get(normalized)) !== undefined) {
        throw new StoreError('exists', `Account ${normalized} exists`);
      }
      const ops: BatchOp[] = [];
      const account: Account = { address: normalized, passwordHash, quotaBytes: null, createdAt: Date.now() };
      if (options.scram) account.scram = options.scram;
      ops.push({ type: 'put', sublevel: this.s.accounts, key: normalized, value: account });
      const events: StoreEvent[] = [];
      for (const { name, specialUse } of DEFAULT_MAILBOXES) {
        const mailbox = this.newMailbox(normalized, name, specialUse, ops);
        this.putMailbox(mailbox, ops);
        ops.push({ type: 'put', sublevel: this.s.subscriptions, key: mailboxNameKey(normalized, name), value: true });
        events.push({ kind: 'mailbox-created', account: normalized, mailboxId: mailbox.id, name });
      }
      return { ops, events, result: account };
    });
  }

  async getAccount(address: string): Promise<Account | null> {
    const account = await this.records.get(this.s.accounts, address.toLowerCase());
    return account ?? null;
  }

  async listAccounts(): Promise<Account[]> {
    return this.s.accounts.values().all();
  }

  async setPasswordHash(address: string, passwordHash: string, options: { scram?: ScramCredentials | null } = {}): Promise<void> {
    const normalized = address.toLowerCase();
    await this.write('exclusive', async () => {
      // SCRAM data of the old password must not outlive it.
      const { scram: _previous, ...account } = await this.requireAccount(normalized);
      const updated: Account = { ...account, passwordHash };
      if (options.scram) updated.scram = options.scram;
      return { ops: [{ type: 'put', sublevel: this.s.accounts, key: normalized, value: updated }], events: [], result: undefined };
    });
  }

  async setQuota(address: string, quotaBytes: number | null): Promise<void> {
    if (quotaBytes !== null && (!Number.isSafeInteger(quotaBytes) || quotaBytes < 0)) throw new StoreError('invalid', 'Invalid quota');
    const normalized = address.toLowerCase();
    await this.write('exclusive', async () => {
      const account = await this.requireAccount(normalized);
      const updated: Account = { ...account, quotaBytes };
      return { ops: [{ type: 'put', sublevel: this.s.accounts, key: normalized, value: updated }], events: [], result: undefined };
    });
  }

  async deleteAccount(address: string): Promise<boolean> {
    const normalized = address.toLowerCase();
    return this.write('exclusive', async (ctx) => {
      if ((await this.s.accounts.get(normalized)) === undefined) return { ops: [], events: [], result: false };
      const ops: BatchOp[] = [{ type: 'del', sublevel: this.s.accounts, key: normalized }];
      const events: StoreEvent[] = [];
      const blobCounts = new Map<string, number>();
      const names = await this.s.mailboxNames.iterator(accountRange(normalized)).all();
      for (const [key, mailboxId] of names) {
        ops.push({ type: 'del', sublevel: this.s.mailboxNames, key });
        await this.queueMailboxRemoval(mailboxId, blobCounts, ops);
        events.push({ kind: 'mailbox-deleted', account: normalized, mailboxId, name: nameFromMailboxNameKey(key) });
      }
      for (const key of await this.s.subscriptions.keys(accountRange(normalized)).all()) {
        ops.push({ type: 'del', sublevel: this.s.subscriptions, key });
      }
      const profile = await this.s.profiles.get(normalized);
      if (profile) this.dropProfile(profile, ops);
      await this.holdBlobs(ctx, blobCounts.keys());
      this.dropBlobRefs(ctx, blobCounts, ops);
      for (const [, mailboxId] of names) this.mailboxCache.delete(mailboxId);
      this.generation++;
      return { ops, events, result: true };
    });
  }

  /** Queues deletion of a mailbox's record, messages and changes; counts its blob references. */
  private async queueMailboxRemoval(mailboxId: string, blobCounts: Map<string, number>, ops: BatchOp[]): Promise<void> {
    ops.push({ type: 'del', sublevel: this.s.mailboxes, key: mailboxId });
    for await (const [key, meta] of this.s.messages.iterator(mailboxRange(mailboxId))) {
      ops.push({ type: 'del', sublevel: this.s.messages, key });
      blobCounts.set(meta.blobId, (blobCounts.get(meta.blobId) ?? 0) + 1);
    }
    for await (const key of this.s.changes.keys(mailboxRange(mailboxId))) {
      ops.push({ type: 'del', sublevel: this.s.changes, key });
    }
  }

  // ── aliases ──────────────────────────────────────────────────────────────────────────────

  async addAlias(address: string, targets: string[]): Promise<Alias> {
    const normalized = normalizeAddress(address);
    const given = targets.map(normalizeAddress);
    if (given.length === 0) throw new StoreError('invalid', 'An alias needs at least one target');
    return this.write('exclusive', async () => {
      const existing = await this.s.aliases.get(normalized);
      // Adding to an existing alias merges targets, so aliases can be built one target at a time.
      const alias: Alias = { address: normalized, targets: [...new Set([...(existing?.targets ?? []), ...given])] };
      return { ops: [{ type: 'put', sublevel: this.s.aliases, key: normalized, value: alias }], events: [], result: alias };
    });
  }

  async removeAlias(address: string, targets: string[]): Promise<boolean> {
    const normalized = address.toLowerCase();
    const given = new Set(targets.map((target) => target.toLowerCase()));
    return this.write('exclusive', async () => {
      const existing = await this.s.aliases.get(normalized);
      if (!existing) return { ops: [], events: [], result: false };
      const remaining = given.size === 0 ? [] : existing.targets.filter((target) => !given.has(target));
      if (remaining.length === existing.targets.length) return { ops: [], events: [], result: false };
      const op: BatchOp =
        remaining.length === 0
          ? { type: 'del', sublevel: this.s.aliases, key: normalized }
          : { type: 'put', sublevel: this.s.aliases, key: normalized, value: { address: normalized, targets: remaining } };
      return { ops: [op], events: [], result: true };
    });
  }

  async getAlias(address: string): Promise<Alias | null> {
    return (await this.records.get(this.s.aliases, address.toLowerCase())) ?? null;
  }

  async listAliases(): Promise<Alias[]> {
    return this.s.aliases.values().all();
  }

  // ── profiles (numbers for the gateways, notification rules) ────────────────────────────────

  async getProfile(address: string): Promise<UserProfile | null> {
    return (await this.records.get(this.s.profiles, address.toLowerCase())) ?? null;
  }

  async setProfile(profile: UserProfile): Promise<void> {
    const address = profile.address.toLowerCase();
    await this.write('exclusive', async () => {
      await this.requireAccount(address);
      const ops: BatchOp[] = [];
      const previous = await this.s.profiles.get(address);
      if (previous) this.dropProfile(previous, ops);
      for (const [kind, number] of [['phone', profile.phone], ['fax', profile.fax]] as const) {
        if (number === null) continue;
        const owner = await this.s.numbers.get(numberKey(kind, number));
        if (owner !== undefined && owner !== address) throw new StoreError('exists', `${kind} number ${number} belongs to ${owner}`);
        ops.push({ type: 'put', sublevel: this.s.numbers, key: numberKey(kind, number), value: address });
      }
      ops.push({ type: 'put', sublevel: this.s.profiles, key: address, value: { ...profile, address } });
      return { ops, events: [], result: undefined };
    });
  }

  async findNumberOwner(kind: NumberKind, number: string): Promise<string | null> {
    return (await this.s.numbers.get(numberKey(kind, number))) ?? null;
  }

  /** Queues removal of a profile and its number index entries. */
  private dropProfile(profile: UserProfile, ops: BatchOp[]): void {
    ops.push({ type: 'del', sublevel: this.s.profiles, key: profile.address });
    if (profile.phone) ops.push({ type: 'del', sublevel: this.s.numbers, key: numberKey('phone', profile.phone) });
    if (profile.fax) ops.push({ type: 'del', sublevel: this.s.numbers, key: numberKey('fax', profile.fax) });
  }

  // ── mailboxes ────────────────────────────────────────────────────────────────────────────

  async listMailboxes(account: string): Promise<Mailbox[]> {
    const ids = await this.s.mailboxNames.values(accountRange(account.toLowerCase())).all();
    const mailboxes = await this.s.mailboxes.getMany(ids);
    return mailboxes.filter((mailbox): mailbox is Mailbox => mailbox !== undefined);
  }

  async getMailbox(account: string, name: string): Promise<Mailbox | null> {
    let normalized: string;
    try {
      normalized = normalizeMailboxName(name);
    } catch {
      return null;
    }
    const id = await this.records.get(this.s.mailboxNames, mailboxNameKey(account.toLowerCase(), normalized));
    return id === undefined ? null : this.getMailboxById(id);
  }

  async getMailboxById(mailboxId: string): Promise<Mailbox | null> {
    return (await this.s.mailboxes.get(mailboxId)) ?? null;
  }

  async claimRecent(mailboxId: string): Promise<{ from: number; to: number }> {
    // Grouped: only the mailbox record is written, whose truth is in mailboxCache meanwhile.
    return this.write('grouped', async () => {
      const mailbox = await this.mailboxState(mailboxId);
      if (!mailbox) throw notFound(`Mailbox ${mailboxId}`);
      const from = mailbox.firstRecentUid ?? mailbox.uidNext;
      const to = mailbox.uidNext - 1;
      if (from > to) return { ops: [], events: [], result: { from, to } };
      mailbox.firstRecentUid = mailbox.uidNext;
      const ops: BatchOp[] = [];
      this.putMailbox(mailbox, ops);
      return { ops, events: [], result: { from, to } };
    });
  }

  async peekRecent(mailboxId: string): Promise<{ from: number; to: number }> {
    // In the writer lane: claims queued before this read have moved the marker.
    return this.lane.run(async () => {
      const mailbox = await this.mailboxState(mailboxId);
      if (!mailbox) throw notFound(`Mailbox ${mailboxId}`);
      return { from: mailbox.firstRecentUid ?? mailbox.uidNext, to: mailbox.uidNext - 1 };
    });
  }

  async createMailbox(account: string, name: string, options: { specialUse?: SpecialUse | null } = {}): Promise<Mailbox> {
    const address = account.toLowerCase();
    // RFC 9051 §6.3.4: a trailing delimiter only declares the intent to create inferiors.
    const normalized = normalizeMailboxName(name.endsWith(DELIMITER) ? name.slice(0, -1) : name);
    return this.write('exclusive', async () => {
      await this.requireAccount(address);
      if ((await this.s.mailboxNames.get(mailboxNameKey(address, normalized))) !== undefined) {
        throw new StoreError('exists', `Mailbox ${normalized} exists`);
      }
      const missingSuperiors = await this.missingNames(address, superiorNames(normalized));
      const ops: BatchOp[] = [];
      const events: StoreEvent[] = [];
      for (const superior of missingSuperiors) {
        const created = this.newMailbox(address, superior, null, ops);
        this.putMailbox(created, ops);
        events.push({ kind: 'mailbox-created', account: address, mailboxId: created.id, name: superior });
      }
      const mailbox = this.newMailbox(address, normalized, options.specialUse ?? null, ops);
      this.putMailbox(mailbox, ops);
      events.push({ kind: 'mailbox-created', account: address, mailboxId: mailbox.id, name: normalized });
      return { ops, events, result: { ...mailbox } };
    });
  }

  private async missingNames(account: string, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const ids = await this.s.mailboxNames.getMany(names.map((name) => mailboxNameKey(account, name)));
    return names.filter((_, i) => ids[i] === undefined);
  }

  async deleteMailbox(account: string, name: string): Promise<void> {
    const address = account.toLowerCase();
    const normalized = normalizeMailboxName(name);
    if (normalized === INBOX) throw new StoreError('protected', 'INBOX cannot be deleted');
    await this.write('exclusive', async (ctx) => {
      const mailbox = await this.mailboxByName(address, normalized);
      if (!mailbox) throw notFound(`Mailbox ${normalized}`);
      const inferiors = await this.s.mailboxNames.keys({ ...inferiorsRange(address, normalized), limit: 1 }).all();
      if (inferiors.length > 0) {
        throw new StoreError('inferior-exists', `Mailbox ${normalized} has inferior mailboxes; delete them first`);
      }
      const ops: BatchOp[] = [{ type: 'del', sublevel: this.s.mailboxNames, key: mailboxNameKey(address, normalized) }];
      const blobCounts = new Map<string, number>();
      await this.queueMailboxRemoval(mailbox.id, blobCounts, ops);
      await this.holdBlobs(ctx, blobCounts.keys());
      this.dropBlobRefs(ctx, blobCounts, ops);
      this.mailboxCache.delete(mailbox.id);
      this.generation++;
      const event: StoreEvent = { kind: 'mailbox-deleted', account: address, mailboxId: mailbox.id, name: normalized };
      return { ops, events: [event], result: undefined };
    });
  }

  async renameMailbox(account: string, oldName: string, newName: string): Promise<void> {
    const address = account.toLowerCase();
    const from = normalizeMailboxName(oldName);
    const to = normalizeMailboxName(newName);
    if (to === from || to === INBOX) throw new StoreError('exists', `Mailbox ${to} exists`);
    // INBOX's inferiors stay where they are when INBOX is renamed, so "INBOX/Old" is fine.
    if (from !== INBOX && to.startsWith(`${from}${DELIMITER}`)) {
      throw new StoreError('invalid', 'A mailbox cannot be renamed to one of its own inferiors');
    }
    await this.write('exclusive', async () => {
      const source = await this.mailboxByName(address, from);
      if (!source) throw notFound(`Mailbox ${from}`);
      // Deliveries prefetched by name must not land in a mailbox that now has another name.
      const prepared = await (from === INBOX ? this.prepareInboxRename(source, to) : this.prepareRename(source, from, to));
      this.generation++;
      return prepared;
    });
  }

  private async prepareRename(source: Mailbox, from: string, to: string): Promise<Prepared<void>> {
    const account = source.account;
    const renames: Array<{ mailboxId: string; oldName: string; newName: string }> = [
      { mailboxId: source.id, oldName: from, newName: to },
    ];
    for (const [key, mailboxId] of await this.s.mailboxNames.iterator(inferiorsRange(account, from)).all()) {
      const oldName = nameFromMailboxNameKey(key);
      renames.push({ mailboxId, oldName, newName: to + oldName.slice(from.length) });
    }
    const taken = await this.s.mailboxNames.getMany(renames.map((r) => mailboxNameKey(account, r.newName)));
    const clash = renames.find((_, i) => taken[i] !== undefined);
    if (clash) throw new StoreError('exists', `Mailbox ${clash.newName} exists`);
    const missingSuperiors = await this.missingNames(account, superiorNames(to));
    const mailboxes: Mailbox[] = [];
    for (const rename of renames) {
      const mailbox = await this.mailboxState(rename.mailboxId);
      if (!mailbox) throw notFound(`Mailbox ${rename.oldName}`);
      mailboxes.push(mailbox);
    }
    const subscribed = await this.s.subscriptions.getMany(renames.map((r) => mailboxNameKey(account, r.oldName)));

    const ops: BatchOp[] = [];
    const events: StoreEvent[] = [];
    for (const superior of missingSuperiors) {
      const created = this.newMailbox(account, superior, null, ops);
      this.putMailbox(created, ops);
      events.push({ kind: 'mailbox-created', account, mailboxId: created.id, name: superior });
    }
    renames.forEach((rename, i) => {
      const mailbox = mailboxes[i];
      mailbox.name = rename.newName;
      ops.push({ type: 'del', sublevel: this.s.mailboxNames, key: mailboxNameKey(account, rename.oldName) });
      ops.push({ type: 'put', sublevel: this.s.mailboxNames, key: mailboxNameKey(account, rename.newName), value: mailbox.id });
      this.putMailbox(mailbox, ops);
      if (subscribed[i]) {
        ops.push({ type: 'del', sublevel: this.s.subscriptions, key: mailboxNameKey(account, rename.oldName) });
        ops.push({ type: 'put', sublevel: this.s.subscriptions, key: mailboxNameKey(account, rename.newName), value: true });
      }
      events.push({ kind: 'mailbox-renamed', account, mailboxId: mailbox.id, name: rename.newName, oldName: rename.oldName });
    });
    return { ops, events, result: undefined };
  }

  /** RFC 9051 §6.3.6: INBOX's messages move to a new mailbox; INBOX stays, empty; inferiors stay. */
  private async prepareInboxRename(inbox: Mailbox, to: string): Promise<Prepared<void>> {
    const account = inbox.account;
    if ((await this.s.mailboxNames.get(mailboxNameKey(account, to))) !== undefined) {
      throw new StoreError('exists', `Mailbox ${to} exists`);
    }
    const missingSuperiors = await this.missingNames(account, superiorNames(to));
    const messages = await this.s.messages.iterator(mailboxRange(inbox.id)).all();
    const changes = await this.s.changes.iterator(mailboxRange(inbox.id)).all();

    const ops: BatchOp[] = [];
    const events: StoreEvent[] = [];
    for (const superior of missingSuperiors) {
      const created = this.newMailbox(account, superior, null, ops);
      this.putMailbox(created, ops);
      events.push({ kind: 'mailbox-created', account, mailboxId: created.id, name: superior });
    }
    const target = this.newMailbox(account, to, null, ops);
    // Same UIDs and modseqs as in INBOX: the new mailbox continues INBOX's numbering.
    Object.assign(target, {
      uidNext: inbox.uidNext,
      highestModSeq: inbox.highestModSeq,
      firstRecentUid: inbox.firstRecentUid ?? inbox.uidNext,
      messages: inbox.messages,
      unseen: inbox.unseen,
      size: inbox.size,
    });
    for (const [key, meta] of messages) {
      ops.push({ type: 'del', sublevel: this.s.messages, key });
      ops.push({ type: 'put', sublevel: this.s.messages, key: messageKey(target.id, meta.uid), value: meta });
    }
    for (const [key, change] of changes) {
      if (change.kind !== 'flags') continue;
      ops.push({ type: 'del', sublevel: this.s.changes, key });
      ops.push({ type: 'put', sublevel: this.s.changes, key: changeKey(target.id, modseqFromChangeKey(key)), value: change });
    }
    this.putMailbox(target, ops);
    events.push({ kind: 'mailbox-created', account, mailboxId: target.id, name: to });
    if (messages.length > 0) {
      const uids = messages.map(([, meta]) => meta.uid);
      const modseq = ++inbox.highestModSeq;
      Object.assign(inbox, { messages: 0, unseen: 0, size: 0 });
      const record: ChangeRecord = { kind: 'expunge', uids };
      ops.push({ type: 'put', sublevel: this.s.changes, key: changeKey(inbox.id, modseq), value: record });
      this.putMailbox(inbox, ops);
      events.push({ kind: 'expunge', account, mailboxId: inbox.id, uids, modseq });
    }
    return { ops, events, result: undefined };
  }

  async setSubscribed(account: string, name: string, subscribed: boolean): Promise<void> {
    const address = account.toLowerCase();
    const key = mailboxNameKey(address, normalizeMailboxName(name));
    await this.write('exclusive', async () => {
      await this.requireAccount(address);
      const op: BatchOp = subscribed
        ? { type: 'put', sublevel: this.s.subscriptions, key, value: true }
        : { type: 'del', sublevel: this.s.subscriptions, key };
      return { ops: [op], events: [], result: undefined };
    });
  }

  async listSubscriptions(account: string): Promise<string[]> {
    const keys = await this.s.subscriptions.keys(accountRange(account.toLowerCase())).all();
    return keys.map(nameFromMailboxNameKey);
  }

  // ── messages ─────────────────────────────────────────────────────────────────────────────

  async deliver(raw: Buffer, targets: DeliveryTarget[], options: AppendOptions = {}): Promise<Delivered[]> {
    if (targets.length === 0) throw new StoreError('invalid', 'No delivery targets');
    const bytes = normalizeLineEndings(raw);
    if (bytes.length === 0) throw new StoreError('invalid', 'Empty message');
    const internalDate = options.internalDate ?? Date.now();
    if (!Number.isFinite(internalDate)) throw new StoreError('invalid', 'Invalid internal date');
    const zone = internalZoneField(options.internalZone);
    const resolved = targets.map((target) => ({
      account: target.account.toLowerCase(),
      mailbox: normalizeMailboxName(target.mailbox),
      flags: normalizeFlags(target.flags ?? options.flags),
    }));
    // Parsing and hashing are CPU work: done before entering the writer lane.
    const parsed = parseMessage(bytes);
    const blobId = createHash('sha256').update(bytes).digest('hex');
    const split = headerLength(bytes);
    const header = bytes.subarray(0, split);
    const content: BlobContent = { header, body: bytes.subarray(split), parsed, summary: summarizeMessage(header, parsed), searchFields: searchFields(header), searchText: searchText(bytes, parsed) };

    this.prefetchesOutstanding++;
    try {
      const prefetch = await this.prefetchDelivery(resolved, blobId, { freshBytes: options.freshBytes === true });
      return await this.write('grouped', async (ctx) => {
        const mailboxes =
          prefetch.generation === this.generation && prefetch.mailboxes.every((mailbox) => mailbox !== null)
            ? this.usePrefetch(ctx, prefetch, blobId)
            : await this.readDeliveryState(ctx, resolved, blobId);
        const prepared = this.prepareDelivery(ctx, resolved, mailboxes, { internalDate, zone, bytes, blobId, content });
        if (options.trail) prepared.ops.push(...this.auditOps(options.trail, prepared.result));
        return prepared;
      });
    } finally {
      this.prefetchesOutstanding--;
      this.evictBlobs();
    }
  }

  /** The delivery's audit entries. Caches are already updated here, so a faulty trail must not
   * fail the delivery: it is logged and left out. */
  private auditOps(trail: NonNullable<AppendOptions['trail']>, delivered: Delivered[]): BatchOp[] {
    try {
      return this.audit.ops(trail(delivered));
    } catch (err) {
      this.log.error({ evt: 'store.trail-failed', err }, 'audit entries of a delivery left out');
      return [];
    }
  }

  /**
   * Outside the lane: the target mailboxes (null when missing) and the blob's refcount. Names come
   * from the record cache; fresh bytes (AppendOptions.freshBytes) have no stored blob, so a
   * pipeline delivery reads nothing from disk here.
   */
  private async prefetchDelivery(
    targets: Array<{ account: string; mailbox: string }>,
    blobId: string,
    options: { freshBytes: boolean },
  ): Promise<DeliveryPrefetch> {
    const generation = this.generation;
    const [ids, blobRefs] = await Promise.all([
      this.records.getMany(this.s.mailboxNames, targets.map((target) => mailboxNameKey(target.account, target.mailbox))),
      options.freshBytes ? undefined : this.s.blobRefs.get(blobId),
    ]);
    // Records in mailboxCache are the truth and usePrefetch takes them anyway: only others are read.
    const unknown = [...new Set(ids.filter((id): id is string => id !== undefined && !this.mailboxCache.has(id)))];
    const records = unknown.length > 0 ? await this.s.mailboxes.getMany(unknown) : [];
    const byId = new Map(unknown.map((id, i) => [id, records[i]]));
    const mailboxes = ids.map((id) => (id === undefined ? null : (this.mailboxCache.get(id) ?? byId.get(id) ?? null)));
    return { generation, mailboxes, blobRefs: blobRefs ?? 0 };
  }

  /**
   * In the lane, synchronously: cached entries are newer than prefetched values; a value not
   * cached cannot have changed since the prefetch (a change would have left a cache entry).
   */
  private usePrefetch(ctx: OperationContext, prefetch: DeliveryPrefetch, blobId: string): Mailbox[] {
    const mailboxes = prefetch.mailboxes.map((stored) => {
      const cached = this.mailboxCache.get(stored!.id);
      if (cached) return cached;
      this.mailboxCache.set(stored!.id, stored!);
      return stored!;
    });
    let entry = this.blobRefCache.get(blobId);
    if (!entry) {
      entry = { refs: prefetch.blobRefs, holds: 0 };
      this.blobRefCache.set(blobId, entry);
    }
    entry.holds++;
    ctx.blobs.set(blobId, entry);
    return mailboxes;
  }

  /** In the lane, with reads: used when the prefetch may be stale or a target is missing. */
  private async readDeliveryState(
    ctx: OperationContext,
    targets: Array<{ account: string; mailbox: string }>,
    blobId: string,
  ): Promise<Mailbox[]> {
    const mailboxes: Mailbox[] = [];
    for (const target of targets) {
      const mailbox = await this.mailboxByName(target.account, target.mailbox);
      if (!mailbox) {
        await this.requireAccount(target.account);
        throw notFound(`Mailbox ${target.mailbox} of ${target.account}`);
      }
      mailboxes.push(mailbox);
    }
    await this.holdBlobs(ctx, [blobId]);
    return mailboxes;
  }

  /** Synchronous: allocates UIDs and modseqs and builds the delivery batch. */
  private prepareDelivery(
    ctx: OperationContext,
    resolved: Array<{ flags: string[] }>,
    mailboxes: Mailbox[],
    message: { internalDate: number; zone: { internalZone?: number }; bytes: Buffer; blobId: string; content: BlobContent },
  ): Prepared<Delivered[]> {
    const { internalDate, zone, bytes, blobId, content } = message;
    for (const mailbox of mailboxes) {
      if (mailbox.uidNext > MAX_UID) throw new StoreError('over-quota', `Mailbox ${mailbox.name} has no UIDs left`);
    }

    const ops: BatchOp[] = [];
    const savedAt = Date.now();
    const delivered: Delivered[] = [];
    const appended = new Map<Mailbox, MessageMeta[]>();
    resolved.forEach((target, i) => {
      const mailbox = mailboxes[i];
      const meta = this.addMessage(
        mailbox,
        { flags: target.flags, internalDate, ...zone, size: bytes.length, blobId, savedAt, sentDate: content.parsed.sentDate },
        ops,
      );
      delivered.push({ account: mailbox.account, mailboxId: mailbox.id, uidValidity: mailbox.uidValidity, uid: meta.uid });
      appended.set(mailbox, [...(appended.get(mailbox) ?? []), meta]);
    });
    this.addBlobRefs(ctx, blobId, resolved.length, ops, content);
    const events: StoreEvent[] = [];
    for (const [mailbox, messages] of appended) {
      this.putMailbox(mailbox, ops);
      events.push({ kind: 'append', mailboxId: mailbox.id, account: mailbox.account, messages });
    }
    return { ops, events, result: delivered };
  }

  async append(account: string, mailbox: string, raw: Buffer, options: AppendOptions = {}): Promise<Delivered> {
    const [delivered] = await this.deliver(raw, [{ account, mailbox, flags: options.flags }], options);
    return delivered;
  }

  /** MULTIAPPEND (RFC 3502): every message in one batch, so either all are stored or none. */
  async appendMessages(account: string, mailbox: string, messages: Array<{ raw: Buffer; options?: AppendOptions }>): Promise<Delivered[]> {
    if (messages.length === 0) throw new StoreError('invalid', 'No messages');
    const address = account.toLowerCase();
    const name = normalizeMailboxName(mailbox);
    // Parsing and hashing are CPU work: done before entering the writer lane.
    const items = messages.map(({ raw, options = {} }) => {
      const bytes = normalizeLineEndings(raw);
      if (bytes.length === 0) throw new StoreError('invalid', 'Empty message');
      const internalDate = options.internalDate ?? Date.now();
      if (!Number.isFinite(internalDate)) throw new StoreError('invalid', 'Invalid internal date');
      const zone = internalZoneField(options.internalZone);
      const parsed = parseMessage(bytes);
      const split = headerLength(bytes);
      const header = bytes.subarray(0, split);
      const content: BlobContent = { header, body: bytes.subarray(split), parsed, summary: summarizeMessage(header, parsed), searchFields: searchFields(header), searchText: searchText(bytes, parsed) };
      const blobId = createHash('sha256').update(bytes).digest('hex');
      return { size: bytes.length, internalDate, zone, flags: normalizeFlags(options.flags), blobId, content };
    });
    return this.write('grouped', async (ctx) => {
      const target = await this.mailboxByName(address, name);
      if (!target) {
        await this.requireAccount(address);
        throw notFound(`Mailbox ${name} of ${address}`);
      }
      await this.holdBlobs(ctx, items.map((item) => item.blobId));
      if (target.uidNext + items.length - 1 > MAX_UID) throw new StoreError('over-quota', `Mailbox ${target.name} has no UIDs left`);
      const ops: BatchOp[] = [];
      const savedAt = Date.now();
      const added: MessageMeta[] = [];
      for (const item of items) {
        const meta = { flags: item.flags, internalDate: item.internalDate, ...item.zone, size: item.size, blobId: item.blobId, savedAt, sentDate: item.content.parsed.sentDate };
        added.push(this.addMessage(target, meta, ops));
        this.addBlobRefs(ctx, item.blobId, 1, ops, item.content);
      }
      this.putMailbox(target, ops);
      const event: StoreEvent = { kind: 'append', mailboxId: target.id, account: target.account, messages: added };
      const delivered = added.map((meta) => ({ account: target.account, mailboxId: target.id, uidValidity: target.uidValidity, uid: meta.uid }));
      return { ops, events: [event], result: delivered };
    });
  }

  /**
   * Loads the listings of the largest mailboxes into the listing cache, one at a time, until
   * `maxMessages` messages in all: started after start-up so that the first SELECT of a
   * 100,000-message INBOX copies an array instead of reading 100,000 records (~0.3 s). A SELECT
   * that comes while its mailbox loads joins that load (listings.ts). Stops early at close. Half
   * the cache's bound by default, leaving room for the mailboxes sessions select next. Their
   * SEARCH fields follow (the same bound fits the search field cache).
   */
  warmCaches(maxMessages = MAX_CACHED_LISTING_MESSAGES / 2): Promise<{ mailboxes: number; messages: number; searchFields: number }> {
    const run = async () => {
      const mailboxes: Mailbox[] = [];
      for (const account of await this.listAccounts()) {
        if (this.closed) break;
        for (const mailbox of await this.listMailboxes(account.address)) if (mailbox.messages > 0) mailboxes.push(mailbox);
      }
      mailboxes.sort((a, b) => b.messages - a.messages);
      const listings: MessageMeta[][] = [];
      let messages = 0;
      for (const mailbox of mailboxes) {
        if (this.closed || messages + mailbox.messages > maxMessages) continue;
        const listing = await this.listMessages(mailbox.id);
        listings.push(listing);
        messages += listing.length;
      }
      // Then the same messages' SEARCH fields (random reads by blob id, ~0.6 s per 100,000), so
      // that the first SEARCH FROM/SUBJECT after a restart is as fast as the next ones.
      let searchFields = 0;
      for (const listing of listings) {
        for (let start = 0; start < listing.length && !this.closed; start += WARM_SEARCH_FIELDS_BATCH) {
          const fields = await this.getSearchFields(listing.slice(start, start + WARM_SEARCH_FIELDS_BATCH).map((meta) => meta.blobId));
          searchFields += fields.filter((field) => field !== null).length;
        }
      }
      return { mailboxes: listings.length, messages, searchFields };
    };
    const warming = run();
    this.warming = warming.catch(() => undefined);
    return warming;
  }

  async listMessages(mailboxId: string): Promise<MessageMeta[]> {
    return this.listings.list(mailboxId, () => this.s.messages.values(mailboxRange(mailboxId)).all());
  }

  async getMessages(mailboxId: string, uids: number[]): Promise<MessageRecord[]> {
    const metas = await this.readMetas(mailboxId, uids);
    const blobIds = [...new Set(metas.map((meta) => meta.blobId))];
    const parsedTrees = await this.s.blobParsed.getMany(blobIds);
    const byBlob = new Map(blobIds.map((id, i) => [id, parsedTrees[i]]));
    const records: MessageRecord[] = [];
    for (const meta of metas) {
      const parsed = byBlob.get(meta.blobId);
      // A meta without its tree would mean a broken blob; skipping it beats crashing FETCH.
      if (parsed) records.push({ ...meta, parsed });
      else this.log.error({ evt: 'store.blob-missing', mailboxId, uid: meta.uid, blobId: meta.blobId }, 'parsed tree missing');
    }
    return records;
  }

  readBlob(blobId: string, part: 'header' | 'full'): Promise<Buffer> {
    return this.blobs.readBlob(blobId, part);
  }

  readBlobs(blobIds: string[], part: 'header' | 'full'): Promise<Array<Buffer | null>> {
    return this.blobs.readBlobs(blobIds, part);
  }

  getSearchFields(blobIds: string[]): Promise<Array<SearchFields | null>> {
    return this.blobs.getSearchFields(blobIds);
  }

  readSearchText(blobIds: string[]): Promise<Array<Buffer | null>> {
    return this.blobs.readSearchText(blobIds);
  }

  getSummaries(blobIds: string[]): Promise<Map<string, MessageSummary>> {
    return this.blobs.getSummaries(blobIds);
  }

  async storeFlags(mailboxId: string, uids: number[], options: StoreFlagsOptions): Promise<StoreFlagsResult> {
    const flags = normalizeFlags(options.flags);
    const { op, unchangedSince } = options;
    if (op !== 'add' && op !== 'remove' && op !== 'set') throw new StoreError('invalid', 'Unknown flag operation');
    return this.write('exclusive', async () => {
      const mailbox = await this.mailboxState(mailboxId);
      if (!mailbox) throw notFound(`Mailbox ${mailboxId}`);
      const metas = await this.readMetas(mailboxId, uids);

      const ops: BatchOp[] = [];
      const changed: FlagChange[] = [];
      const modified: number[] = [];
      for (const meta of metas) {
        if (unchangedSince !== undefined && meta.modseq > unchangedSince) {
          modified.push(meta.uid);
          continue;
        }
        const next = applyFlagOperation(meta.flags, op, flags);
        if (sameFlags(meta.flags, next)) continue;
        const modseq = ++mailbox.highestModSeq;
        mailbox.unseen += (isSeen(meta.flags) ? 1 : 0) - (isSeen(next) ? 1 : 0);
        const updated: MessageMeta = { ...meta, flags: next, modseq };
        ops.push({ type: 'put', sublevel: this.s.messages, key: messageKey(mailboxId, meta.uid), value: updated });
        // Only the latest flag change per message is kept; the previous record sits at the old modseq.
        ops.push({ type: 'del', sublevel: this.s.changes, key: changeKey(mailboxId, meta.modseq) });
        const record: ChangeRecord = { kind: 'flags', uid: meta.uid };
        ops.push({ type: 'put', sublevel: this.s.changes, key: changeKey(mailboxId, modseq), value: record });
        changed.push({ uid: meta.uid, flags: next, modseq });
      }
      if (changed.length === 0) return { ops: [], events: [], result: { changed, modified } };
      this.putMailbox(mailbox, ops);
      const event: StoreEvent = { kind: 'flags', mailboxId, account: mailbox.account, changes: changed };
      return { ops, events: [event], result: { changed, modified } };
    });
  }

  async expunge(mailboxId: string, uids: number[]): Promise<number[]> {
    return this.write('exclusive', async (ctx) => {
      const mailbox = await this.mailboxState(mailboxId);
      if (!mailbox) throw notFound(`Mailbox ${mailboxId}`);
      const metas = await this.readMetas(mailboxId, uids);
      if (metas.length === 0) return { ops: [], events: [], result: [] };
      await this.holdBlobs(ctx, metas.map((meta) => meta.blobId));

      const ops: BatchOp[] = [];
      const modseq = this.removeMessages(ctx, mailbox, metas, ops);
      this.putMailbox(mailbox, ops);
      const removed = metas.map((meta) => meta.uid);
      const event: StoreEvent = { kind: 'expunge', mailboxId, account: mailbox.account, uids: removed, modseq };
      return { ops, events: [event], result: removed };
    });
  }

  async copy(sourceMailboxId: string, uids: number[], targetMailboxId: string): Promise<CopyResult> {
    return this.write('grouped', (ctx) => this.prepareCopy(ctx, sourceMailboxId, uids, targetMailboxId, { expunge: false }));
  }

  async move(sourceMailboxId: string, uids: number[], targetMailboxId: string): Promise<CopyResult> {
    return this.write('exclusive', (ctx) => this.prepareCopy(ctx, sourceMailboxId, uids, targetMailboxId, { expunge: true }));
  }

  /** COPY (RFC 9051 §6.4.7) or MOVE (RFC 6851): new UIDs in the target, in source UID order. */
  private async prepareCopy(
    ctx: OperationContext,
    sourceMailboxId: string,
    uids: number[],
    targetMailboxId: string,
    options: { expunge: boolean },
  ): Promise<Prepared<CopyResult>> {
    const source = await this.mailboxState(sourceMailboxId);
    if (!source) throw notFound(`Mailbox ${sourceMailboxId}`);
    const target = await this.mailboxState(targetMailboxId);
    if (!target) throw notFound(`Mailbox ${targetMailboxId}`);
    const metas = await this.readMetas(sourceMailboxId, uids);
    if (metas.length === 0) return { ops: [], events: [], result: { uidValidity: target.uidValidity, map: [] } };
    if (target.uidNext + metas.length - 1 > MAX_UID) throw new StoreError('over-quota', 'Target mailbox has no UIDs left');
    await this.holdBlobs(ctx, metas.map((meta) => meta.blobId));
    for (const meta of metas) {
      if (ctx.blobs.get(meta.blobId)!.refs === 0) throw notFound(`Blob of message ${meta.uid}`);
    }

    const ops: BatchOp[] = [];
    const savedAt = Date.now();
    const map: Array<[number, number]> = [];
    const added: MessageMeta[] = [];
    for (const meta of metas) {
      const copy = this.addMessage(
        target,
        {
          flags: [...meta.flags],
          internalDate: meta.internalDate,
          ...(meta.internalZone !== undefined ? { internalZone: meta.internalZone } : {}),
          size: meta.size,
          blobId: meta.blobId,
          savedAt,
          ...(meta.sentDate !== undefined ? { sentDate: meta.sentDate } : {}),
        },
        ops,
      );
      map.push([meta.uid, copy.uid]);
      added.push(copy);
      this.addBlobRefs(ctx, meta.blobId, 1, ops);
    }
    const events: StoreEvent[] = [{ kind: 'append', mailboxId: target.id, account: target.account, messages: added }];
    if (options.expunge) {
      const modseq = this.removeMessages(ctx, source, metas, ops);
      const removed = metas.map((meta) => meta.uid);
      events.push({ kind: 'expunge', mailboxId: source.id, account: source.account, uids: removed, modseq });
      this.putMailbox(source, ops);
    }
    this.putMailbox(target, ops);
    return { ops, events, result: { uidValidity: target.uidValidity, map } };
  }

  /**
   * Changes recorded after `sinceModSeq`, ascending (CONDSTORE/QRESYNC, RFC 7162 §3.2): the
   * latest flag change of each message and every expunge.
   */
  async listChanges(mailboxId: string, sinceModSeq: number): Promise<Change[]> {
    const entries = await this.s.changes.iterator(changesSinceRange(mailboxId, Math.max(0, sinceModSeq))).all();
    return entries.map(([key, record]) => ({ ...record, modseq: modseqFromChangeKey(key) }));
  }

  /** The refcount of a stored blob (0 when it does not exist); for the admin console and tests. */
  async blobRefCount(blobId: string): Promise<number> {
    return (await this.s.blobRefs.get(blobId)) ?? 0;
  }
}

export async function openStore(options: LevelStoreOptions): Promise<LevelStore> {
  try {
    return await LevelStore.open(options);
  } catch (error) {
    // LevelDB admits one process per folder; say so in words an admin can act on.
    if ((error as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`the store ${options.path} is in use by another process (is a Bridgehead server already running on this data folder?)`);
    }
    throw error;
  }
}
