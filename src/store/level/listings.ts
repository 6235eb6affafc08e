/**
 * Mailbox listings kept in memory: what `listMessages` answers (every message's meta, in UID
 * order) for the mailboxes used lately, so that SELECT of a 100,000-message mailbox copies an
 * array instead of reading and parsing 100,000 records, and every session on a mailbox shares
 * the same meta objects (a session holds only its array of references).
 *
 * Invariants:
 * - A cached listing equals what the disk holds after every batch whose events were applied:
 *   `apply` is called with each store event right after its batch is durable, before listeners
 *   see it, in commit order (index.ts `emit`).
 * - Loading races with commits: a listing being read from disk collects the events applied
 *   meanwhile and replays them once the read is done. Replaying is idempotent (the read may or
 *   may not include a given batch): appends at or below the last UID, flag changes with a modseq
 *   the listing already has, and expunges of absent UIDs change nothing.
 * - Meta objects in a listing are never mutated; a flag change replaces the message's object.
 *   Flag arrays are interned and frozen: equal flag sets share one array.
 * - Bounded: listings are dropped least recently used first once more than `maxMessages` messages
 *   are cached in all; `clear` drops everything (the store's caches were ahead of the disk).
 */
import type { MessageMeta, StoreEvent } from '../types.js';

interface Listing {
  messages: MessageMeta[];
  /** Set while the listing is read from disk; events applied meanwhile wait in `pending`. */
  loading: Promise<MessageMeta[]> | null;
  pending: StoreEvent[];
}

/** Distinct flag sets interned at most; beyond that, arrays are kept as they come. */
const MAX_INTERNED = 10_000;

export class ListingCache {
  /** Map order is recency order: a listing used is moved to the end. */
  private readonly listings = new Map<string, Listing>();
  private readonly interned = new Map<string, readonly string[]>();
  private cached = 0;
  /** Bumped by clear(): a read that started before it must not install its result. */
  private generation = 0;

  constructor(private readonly maxMessages: number) {}

  /** The mailbox's messages in UID order (a fresh array of shared, immutable metas). */
  async list(mailboxId: string, read: () => Promise<MessageMeta[]>): Promise<MessageMeta[]> {
    const found = this.listings.get(mailboxId);
    if (found) {
      this.listings.delete(mailboxId);
      this.listings.set(mailboxId, found);
      return (found.loading ? await found.loading : found.messages).slice();
    }
    const listing: Listing = { messages: [], loading: null, pending: [] };
    const generation = this.generation;
    listing.loading = read().then(
      (messages) => {
        listing.messages = messages.map((meta) => this.intern(meta));
        for (const event of listing.pending) this.update(listing, event);
        listing.pending = [];
        listing.loading = null;
        if (this.generation === generation && this.listings.get(mailboxId) === listing) {
          this.cached += listing.messages.length;
          this.evict(mailboxId);
        }
        return listing.messages;
      },
      (error: unknown) => {
        if (this.listings.get(mailboxId) === listing) this.listings.delete(mailboxId);
        throw error;
      },
    );
    this.listings.set(mailboxId, listing);
    return (await listing.loading).slice();
  }

  /** Brings a cached listing up to date with a durable change. */
  apply(event: StoreEvent): void {
    if (event.kind === 'mailbox-deleted') {
      this.drop(event.mailboxId);
      return;
    }
    if (event.kind !== 'append' && event.kind !== 'flags' && event.kind !== 'expunge') return;
    const listing = this.listings.get(event.mailboxId);
    if (!listing) return;
    if (listing.loading) {
      listing.pending.push(event);
      return;
    }
    const before = listing.messages.length;
    this.update(listing, event);
    this.cached += listing.messages.length - before;
    if (listing.messages.length > before) this.evict(event.mailboxId);
  }

  /** Forgets every listing (after a failed write, the caches were ahead of the disk). */
  clear(): void {
    this.generation++;
    this.listings.clear();
    this.cached = 0;
  }

  private drop(mailboxId: string): void {
    const listing = this.listings.get(mailboxId);
    if (!listing) return;
    this.listings.delete(mailboxId);
    if (!listing.loading) this.cached -= listing.messages.length;
  }

  private update(listing: Listing, event: StoreEvent): void {
    const messages = listing.messages;
    if (event.kind === 'append') {
      for (const meta of [...event.messages].sort((a, b) => a.uid - b.uid)) {
        const last = messages.length > 0 ? messages[messages.length - 1].uid : 0;
        if (meta.uid > last) messages.push(this.intern(meta));
      }
    } else if (event.kind === 'flags') {
      for (const change of event.changes) {
        const index = indexOfUid(messages, change.uid);
        if (index < 0 || messages[index].modseq >= change.modseq) continue;
        messages[index] = { ...messages[index], flags: this.flags(change.flags), modseq: change.modseq };
      }
    } else if (event.kind === 'expunge') {
      const gone = new Set(event.uids);
      if (event.uids.length > 16) {
        listing.messages = messages.filter((meta) => !gone.has(meta.uid));
      } else {
        for (const uid of gone) {
          const index = indexOfUid(messages, uid);
          if (index >= 0) messages.splice(index, 1);
        }
      }
    }
  }

  /** Drops least recently used listings (never `keep`) while over the bound. */
  private evict(keep: string): void {
    for (const [mailboxId, listing] of this.listings) {
      if (this.cached <= this.maxMessages) return;
      if (mailboxId === keep || listing.loading) continue;
      this.drop(mailboxId);
    }
  }

  private intern(meta: MessageMeta): MessageMeta {
    const flags = this.flags(meta.flags);
    return flags === meta.flags ? meta : { ...meta, flags: flags as string[] };
  }

  private flags(flags: readonly string[]): string[] {
    const key = flags.join(' ');
    const shared = this.interned.get(key);
    if (shared) return shared as string[];
    if (this.interned.size >= MAX_INTERNED) return flags as string[];
    const frozen = Object.freeze([...flags]);
    this.interned.set(key, frozen);
    return frozen as string[];
  }
}

function indexOfUid(messages: MessageMeta[], uid: number): number {
  let low = 0;
  let high = messages.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const found = messages[middle].uid;
    if (found === uid) return middle;
    if (found < uid) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}
