/**
 * A session's view of its selected mailbox (RFC 9051 §3.3, §7.5.1; RFC 3501 §7.4.1): the
 * message sequence numbers as this client knows them, each message's UID, flags and modseq, and
 * the changes other sessions made that the client has not been told about yet.
 *
 * Invariants:
 * - `messages` is in ascending UID order; sequence number n is messages[n - 1]. It changes only
 *   when the client is told: by this session's own EXPUNGE/MOVE replies, or by the updates
 *   returned from takeUpdates().
 * - Store events are queued as they come and applied when the connection may announce them.
 *   Applying is idempotent, so an event that the view already reflects (the view was loaded after
 *   it, or it echoes this session's own STORE/EXPUNGE) is dropped, never announced twice:
 *   appends at or below the last known UID, expunges of unknown UIDs and flag changes with a
 *   modseq the view already has are ignored.
 * - EXPUNGE announcements can be held back (during FETCH, STORE, SEARCH: RFC 3501 §7.4.1); the
 *   messages then stay in the view, so later EXISTS counts still include them.
 * - `highestModSeq` is the highest modseq the view reflects (CONDSTORE, RFC 7162 §3.1.2.1);
 *   knownModSeq() is what may be reported as HIGHESTMODSEQ: below every change still queued, so
 *   a client that resynchronises from it never misses one (RFC 7162 §3.2).
 * - Expunges are announced as `* n EXPUNGE`, or once QRESYNC is enabled as `* VANISHED uids`
 *   (RFC 7162 §3.2.10); flag changes carry MODSEQ once CONDSTORE is enabled (RFC 7162 §3.1.4).
 * - The saved search result (`$`, RFC 5182) is kept as UIDs, so expunged messages drop out of it
 *   by themselves; it starts empty at every SELECT/EXAMINE (RFC 5182 §2.1).
 * - The client knows every keyword it may see in a FETCH: SELECT's FLAGS lists those in the
 *   mailbox, and a keyword that appears later (STORE, new mail, another session's change) is
 *   announced by a new `* FLAGS` response before the response that uses it (RFC 3501 §7.2.6: the
 *   client must record FLAGS updates; imaptest checks "Keyword used without being in FLAGS").
 *   The announced list only grows while the mailbox is selected, so no FLAGS response drops a
 *   keyword that a message the client knows may still carry.
 * - \Recent (RFC 3501 §2.3.2) is held as UID ranges, not per message: the ranges this session
 *   claimed (Store.claimRecent), normally one contiguous range; a read-only view holds those it
 *   found unclaimed when notified (Store.peekRecent). It is rendered, never stored.
 */
import type { FlagChange, Mailbox, MessageMeta, StoreEvent } from '../store/types.js';
import { MAILBOX_FLAGS } from './arguments.js';
import { renderFlags } from './fetch/index.js';
import {
  formatSequenceSet,
  resolveSequenceNumbers,
  resolveUidsToSequenceNumbers,
  type SequenceSet,
} from './protocol/sequence.js';
import { atom, type ImapValue } from './protocol/types.js';

/** One untagged response: the values after "* ". */
export type UntaggedResponse = ImapValue[];

export interface ViewMessage {
  seq: number;
  meta: MessageMeta;
}

/** How changes are reported to this client: per the extensions it enabled. */
export interface UpdateOptions {
  /** EXPUNGE/VANISHED may be sent now (not while answering FETCH, STORE, SEARCH). */
  allowExpunge: boolean;
  /** CONDSTORE is enabled: flag updates carry MODSEQ (RFC 7162 §3.1.4). */
  modseq?: boolean;
  /** QRESYNC is enabled: expunges are VANISHED responses (RFC 7162 §3.2.10). */
  vanished?: boolean;
  /** New mail's \Recent claim is still running: the first append and all after it stay queued. */
  holdAppends?: boolean;
  /**
   * An IMAP4rev1 session: an EXISTS for new mail is followed by `* n RECENT`, because the
   * RECENT response comes "if the size of the mailbox changes" (RFC 3501 §7.3.2). Not in
   * IMAP4rev2, which has no \Recent (RFC 9051 Appendix E).
   */
  recent?: boolean;
}

export class SelectedMailbox {
  readonly mailboxId: string;
  readonly uidValidity: number;
  readonly readOnly: boolean;
  /** Store name, kept current through renames (for logs and STATUS of the selected mailbox). */
  name: string;
  /** The mailbox was deleted by another session: the client must be disconnected (RFC 9051 §6.3.4). */
  deleted = false;
  /** Highest modseq the view reflects (see the module comment and knownModSeq). */
  highestModSeq = 0;
  /** UIDs of the saved search result, `$` (RFC 5182). */
  savedUids: ReadonlySet<number> = new Set();
  private messages: MessageMeta[] = [];
  private pending: StoreEvent[] = [];
  /** \Recent UIDs as inclusive [from, to] ranges (see the module comment). */
  private recentRanges: Array<[number, number]> = [];
  /** Keywords the client was told of in FLAGS responses, by lower case (keywords match case-insensitively). */
  private announcedKeywords = new Map<string, string>();

  constructor(mailbox: Mailbox, options: { readOnly: boolean }) {
    this.mailboxId = mailbox.id;
    this.uidValidity = mailbox.uidValidity;
    this.name = mailbox.name;
    this.readOnly = options.readOnly;
  }

  /**
   * Sets the initial listing and the mailbox's highest modseq read before it. Events queued
   * meanwhile are kept and re-applied idempotently.
   */
  load(messages: MessageMeta[], highestModSeq: number): void {
    this.messages = messages.slice();
    this.highestModSeq = highestModSeq;
  }

  /**
   * The HIGHESTMODSEQ this client may be told: every change up to it has been announced, none
   * is still queued (RFC 7162 §3.2: never above a delayed EXPUNGE or VANISHED).
   */
  knownModSeq(): number {
    let known = this.highestModSeq;
    for (const event of this.pending) known = Math.min(known, eventModSeq(event) - 1);
    return known;
  }

  /** Adds claimed UIDs (inclusive) to the \Recent ones; an empty range (to < from) is ignored. */
  addRecent(from: number, to: number): void {
    if (to < from) return;
    const last = this.recentRanges[this.recentRanges.length - 1];
    if (last && last[1] + 1 >= from) last[1] = Math.max(last[1], to);
    else this.recentRanges.push([from, to]);
  }

  isRecent(uid: number): boolean {
    return this.recentRanges.some(([from, to]) => uid >= from && uid <= to);
  }

  /** The number of messages in the view with \Recent (`* n RECENT`). */
  recentCount(): number {
    let count = 0;
    for (const [from, to] of this.recentRanges) count += this.countUidsBelow(to + 1) - this.countUidsBelow(from);
    return count;
  }

  /** How many messages in the view have a UID below `uid` (binary search). */
  private countUidsBelow(uid: number): number {
    let low = 0;
    let high = this.messages.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.messages[middle].uid < uid) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  get exists(): number {
    return this.messages.length;
  }

  get lastUid(): number {
    return this.messages.length > 0 ? this.messages[this.messages.length - 1].uid : 0;
  }

  uids(): number[] {
    return this.messages.map((message) => message.uid);
  }

  all(): ViewMessage[] {
    return this.messages.map((meta, index) => ({ seq: index + 1, meta }));
  }

  /** The message with sequence number `seq` (1-based, must be in range). */
  at(seq: number): MessageMeta {
    return this.messages[seq - 1];
  }

  /** 1-based sequence number of a UID in the view, or 0. */
  seqOfUid(uid: number): number {
    let low = 0;
    let high = this.messages.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const found = this.messages[middle].uid;
      if (found === uid) return middle + 1;
      if (found < uid) low = middle + 1;
      else high = middle - 1;
    }
    return 0;
  }

  firstUnseenSeq(): number {
    const index = this.messages.findIndex((message) => !message.flags.includes('\\Seen'));
    return index + 1;
  }

  /**
   * Keywords present on messages, for the FLAGS and PERMANENTFLAGS responses at SELECT; they
   * count as announced from then on (see flagsUpdate).
   */
  announceKeywords(): string[] {
    // Flag lists are mostly shared arrays (the store interns them): each is looked at once.
    const seen = new Set<readonly string[]>();
    for (const message of this.messages) {
      if (seen.has(message.flags)) continue;
      seen.add(message.flags);
      this.noteKeywords(message.flags);
    }
    return [...this.announcedKeywords.values()];
  }

  /**
   * A `* FLAGS` response to send before responses that use these flag lists, when they hold a
   * keyword the client has not been told of; null when it knows them all (see the module comment).
   */
  flagsUpdate(flagLists: Iterable<readonly string[]>): UntaggedResponse | null {
    let added = false;
    for (const flags of flagLists) added = this.noteKeywords(flags) || added;
    if (!added) return null;
    return [atom('FLAGS'), [...MAILBOX_FLAGS, ...this.announcedKeywords.values()].map(atom)];
  }

  /** Records the keywords among `flags`; true when one was new. */
  private noteKeywords(flags: readonly string[]): boolean {
    let added = false;
    for (const flag of flags) {
      if (flag.startsWith('\\')) continue;
      const key = flag.toLowerCase();
      if (this.announcedKeywords.has(key)) continue;
      this.announcedKeywords.set(key, flag);
      added = true;
    }
    return added;
  }

  /**
   * The messages a sequence set names, in ascending order. For UID sets, UIDs that are not in
   * the view are ignored (RFC 3501 §6.4.8); for sequence-number sets the caller has checked them.
   */
  resolve(set: SequenceSet, options: { uid: boolean }): ViewMessage[] {
    if (set.saved) {
      return this.all().filter((message) => this.savedUids.has(message.meta.uid));
    }
    const seqs = options.uid
      ? resolveUidsToSequenceNumbers(set, this.uids())
      : resolveSequenceNumbers(set, this.messages.length);
    return seqs.map((seq) => ({ seq, meta: this.messages[seq - 1] }));
  }

  /** Records flag changes this session made itself, so their echo from the store is ignored. */
  applyFlagChanges(changes: FlagChange[]): void {
    for (const change of changes) {
      const seq = this.seqOfUid(change.uid);
      if (seq === 0) continue;
      const current = this.messages[seq - 1];
      if (change.modseq <= current.modseq) continue;
      this.messages[seq - 1] = { ...current, flags: change.flags, modseq: change.modseq };
      this.highestModSeq = Math.max(this.highestModSeq, change.modseq);
    }
  }

  /**
   * Removes messages this session expunged (EXPUNGE, MOVE) and returns the responses that tell
   * the client: `* n EXPUNGE` highest first, or one `* VANISHED uids` (RFC 7162 §3.2.10).
   */
  expungeResponses(uids: number[], options: { vanished: boolean }): UntaggedResponse[] {
    const removed = this.removeKnown(uids);
    if (removed.length === 0) return [];
    if (options.vanished) {
      const ascending = removed.map(([, uid]) => uid).reverse();
      return [[atom('VANISHED'), atom(formatSequenceSet(ascending))]];
    }
    return removed.map(([seq]) => [seq, atom('EXPUNGE')]);
  }

  /** Removes the UIDs the view knows, highest first; returns [seq, uid] of each. */
  private removeKnown(uids: number[]): Array<[number, number]> {
    const removed: Array<[number, number]> = [];
    for (const uid of [...uids].sort((a, b) => b - a)) {
      const seq = this.seqOfUid(uid);
      if (seq === 0) continue;
      this.messages.splice(seq - 1, 1);
      removed.push([seq, uid]);
    }
    return removed;
  }

  /**
   * Removes messages this session expunged (EXPUNGE, CLOSE, MOVE) and returns the sequence
   * numbers to announce, highest first: each `* n EXPUNGE` then leaves the numbers still to come
   * valid (RFC 3501 §7.4.1).
   */
  remove(uids: number[]): number[] {
    return this.removeKnown(uids).map(([seq]) => seq);
  }

  /** Queues a store event for this mailbox; the session announces it when allowed. */
  queue(event: StoreEvent): void {
    this.pending.push(event);
  }

  get hasPendingUpdates(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Applies the queued events and returns what to tell the client, in order. With allowExpunge
   * false, expunges stay queued (and their messages in the view) for a later call.
   */
  takeUpdates(options: UpdateOptions): UntaggedResponse[] {
    const out: UntaggedResponse[] = [];
    const held: StoreEvent[] = [];
    let announcedExists = this.messages.length;
    let existsDirty = false;
    const announceExists = (): void => {
      if (this.messages.length !== announcedExists || existsDirty) out.push([this.messages.length, atom('EXISTS')]);
      if (existsDirty && options.recent) out.push([this.recentCount(), atom('RECENT')]);
      announcedExists = this.messages.length;
      existsDirty = false;
    };
    for (const [index, event] of this.pending.entries()) {
      if (event.kind === 'append' && options.holdAppends) {
        for (const rest of this.pending.slice(index)) held.push(rest);
        break;
      }
      if (event.kind === 'expunge') {
        if (!options.allowExpunge) {
          held.push(event);
          continue;
        }
        if (existsDirty) announceExists();
        // A loop, not push(...): one expunge may remove very many messages.
        for (const response of this.expungeResponses(event.uids, { vanished: options.vanished === true })) out.push(response);
        announcedExists = this.messages.length;
      } else if (event.kind === 'append') {
        for (const meta of [...event.messages].sort((a, b) => a.uid - b.uid)) {
          if (meta.uid <= this.lastUid) continue;
          const flagsUpdate = this.flagsUpdate([meta.flags]);
          if (flagsUpdate) out.push(flagsUpdate);
          this.messages.push(meta);
          existsDirty = true;
        }
      } else if (event.kind === 'flags') {
        for (const change of event.changes) {
          const seq = this.seqOfUid(change.uid);
          if (seq === 0) continue;
          const current = this.messages[seq - 1];
          if (change.modseq <= current.modseq) continue;
          this.messages[seq - 1] = { ...current, flags: change.flags, modseq: change.modseq };
          if (existsDirty && seq > announcedExists) announceExists();
          const flagsUpdate = this.flagsUpdate([change.flags]);
          if (flagsUpdate) out.push(flagsUpdate);
          const items: ImapValue[] = [atom('UID'), change.uid, atom('FLAGS'), renderFlags(change.flags, this.isRecent(change.uid))];
          if (options.modseq) items.push(atom('MODSEQ'), [change.modseq]);
          out.push([seq, atom('FETCH'), items]);
        }
      }
      this.highestModSeq = Math.max(this.highestModSeq, eventModSeq(event, 'highest'));
    }
    if (existsDirty) announceExists();
    this.pending = held;
    return out;
  }
}

/** The lowest (or highest) modseq an append, flags or expunge event carries. */
function eventModSeq(event: StoreEvent, which: 'lowest' | 'highest' = 'lowest'): number {
  let values: number[];
  if (event.kind === 'append') values = event.messages.map((meta) => meta.modseq);
  else if (event.kind === 'flags') values = event.changes.map((change) => change.modseq);
  else if (event.kind === 'expunge') values = [event.modseq];
  else return which === 'lowest' ? Infinity : 0;
  // A loop, not Math.min(...values): a large COPY is one event with very many messages.
  let result = which === 'lowest' ? Infinity : 0;
  for (const value of values) result = which === 'lowest' ? Math.min(result, value) : Math.max(result, value);
  return result;
}
