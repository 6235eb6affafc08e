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
 */
import type { FlagChange, Mailbox, MessageMeta, StoreEvent } from '../store/types.js';
import { renderFlags } from './fetch/index.js';
import { resolveSequenceNumbers, resolveUidsToSequenceNumbers, type SequenceSet } from './protocol/sequence.js';
import { atom, type ImapValue } from './protocol/types.js';

/** One untagged response: the values after "* ". */
export type UntaggedResponse = ImapValue[];

export interface ViewMessage {
  seq: number;
  meta: MessageMeta;
}

export class SelectedMailbox {
  readonly mailboxId: string;
  readonly uidValidity: number;
  readonly readOnly: boolean;
  /** Store name, kept current through renames (for logs and STATUS of the selected mailbox). */
  name: string;
  /** The mailbox was deleted by another session: the client must be disconnected (RFC 9051 §6.3.4). */
  deleted = false;
  private messages: MessageMeta[] = [];
  private pending: StoreEvent[] = [];

  constructor(mailbox: Mailbox, options: { readOnly: boolean }) {
    this.mailboxId = mailbox.id;
    this.uidValidity = mailbox.uidValidity;
    this.name = mailbox.name;
    this.readOnly = options.readOnly;
  }

  /** Sets the initial listing. Events queued before it are kept and re-applied idempotently. */
  load(messages: MessageMeta[]): void {
    this.messages = messages.slice();
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

  /** Keywords present on messages, for the FLAGS response at SELECT. */
  keywords(): string[] {
    const keywords = new Set<string>();
    for (const message of this.messages) for (const flag of message.flags) if (!flag.startsWith('\\')) keywords.add(flag);
    return [...keywords];
  }

  /**
   * The messages a sequence set names, in ascending order. For UID sets, UIDs that are not in
   * the view are ignored (RFC 3501 §6.4.8); for sequence-number sets the caller has checked them.
   */
  resolve(set: SequenceSet, options: { uid: boolean }): ViewMessage[] {
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
    }
  }

  /**
   * Removes messages this session expunged (EXPUNGE, CLOSE, MOVE) and returns the sequence
   * numbers to announce, highest first: each `* n EXPUNGE` then leaves the numbers still to come
   * valid (RFC 3501 §7.4.1).
   */
  remove(uids: number[]): number[] {
    const seqs: number[] = [];
    for (const uid of [...uids].sort((a, b) => b - a)) {
      const seq = this.seqOfUid(uid);
      if (seq === 0) continue;
      this.messages.splice(seq - 1, 1);
      seqs.push(seq);
    }
    return seqs;
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
  takeUpdates(options: { allowExpunge: boolean }): UntaggedResponse[] {
    const out: UntaggedResponse[] = [];
    const held: StoreEvent[] = [];
    let announcedExists = this.messages.length;
    let existsDirty = false;
    const announceExists = (): void => {
      if (this.messages.length !== announcedExists || existsDirty) out.push([this.messages.length, atom('EXISTS')]);
      announcedExists = this.messages.length;
      existsDirty = false;
    };
    for (const event of this.pending) {
      if (event.kind === 'expunge') {
        if (!options.allowExpunge) {
          held.push(event);
          continue;
        }
        if (existsDirty) announceExists();
        for (const seq of this.remove(event.uids)) out.push([seq, atom('EXPUNGE')]);
        announcedExists = this.messages.length;
      } else if (event.kind === 'append') {
        for (const meta of [...event.messages].sort((a, b) => a.uid - b.uid)) {
          if (meta.uid <= this.lastUid) continue;
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
          out.push([seq, atom('FETCH'), [atom('UID'), change.uid, atom('FLAGS'), renderFlags(change.flags)]]);
        }
      }
    }
    if (existsDirty) announceExists();
    this.pending = held;
    return out;
  }
}
