/**
 * What the stress checker knows to be true across sessions, built only from replies (never from
 * the server's store), and the violations found so far.
 *
 * Per mailbox:
 * - UIDVALIDITY, which must never change (RFC 9051 §2.3.1.1);
 * - the highest UIDNEXT / HIGHESTMODSEQ any reply has shown, and when: a reply to a command sent
 *   later must not show less (RFC 9051 §2.3.1.1, RFC 7162 §3.1.2.1);
 * - "landed" UIDs: messages APPENDed, COPYd or MOVEd in (APPENDUID/COPYUID, RFC 4315) and when
 *   the command that made them was answered: every session selected on the mailbox must learn of
 *   them by the end of its next NOOP/CHECK/IDLE (RFC 9051 §7.4.1 "the server MUST send EXISTS");
 * - UIDs known to be expunged;
 * - static data per UID (ENVELOPE, BODYSTRUCTURE, sizes, INTERNALDATE, body digests), which must
 *   be identical in every session at every time (RFC 9051 §2.3: immutable per UID);
 * - the state of owned keywords: each client owns keywords only it stores, so their true state is
 *   known exactly once its STORE is answered (imaptest's idea of flag owners, done our own way);
 * - which session first saw each UID \Recent (RFC 3501 §2.3.2: at most one session);
 * - the content facts of messages this run generated (facts.ts): size, internal date, header
 *   fields, texts, for the SEARCH model and the HEADER.FIELDS check.
 *
 * Times are performance.now() milliseconds since the run started.
 */

import type { MessageFacts } from './facts.js';

export interface Violation {
  kind: string;
  client: string;
  message: string;
  at: number;
  /** Transcript of the client, and of any other session the violation involves. */
  transcripts: Array<{ name: string; lines: string[] }>;
}

export interface OwnedState {
  set: boolean;
  /** When the owner's STORE that set this state was answered. */
  changedAt: number;
  /** The owner has a STORE touching this UID and keyword outstanding. */
  inFlight: boolean;
}

/** A monotone history: the running maximum of a value with the time each new maximum was seen. */
export class MaxHistory {
  private readonly points: Array<[number, number]> = [];

  record(at: number, value: number): void {
    const last = this.points[this.points.length - 1];
    if (!last || value > last[1]) this.points.push([at, value]);
  }

  /** The highest value recorded strictly before `at` (0 when none). */
  before(at: number): number {
    let low = 0;
    let high = this.points.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.points[middle][0] < at) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? 0 : this.points[low - 1][1];
  }
}

export interface Landed {
  at: number;
  by: string;
  how: string;
}

export class MailboxTruth {
  uidValidity = 0;
  readonly uidNext = new MaxHistory();
  readonly highestModSeq = new MaxHistory();
  /** Highest UID any reply has shown (landed or listed), for "new UIDs ascend" checks. */
  readonly maxUid = new MaxHistory();
  readonly landed = new Map<number, Landed>();
  readonly expunged = new Set<number>();
  /** uid → item → canonical value, with who saw it first. */
  readonly statics = new Map<number, Map<string, { value: string; by: string; at: number }>>();
  /** uid → keyword → state, for owned keywords. */
  readonly owned = new Map<number, Map<string, OwnedState>>();
  /** uid → content facts of messages this run APPENDed (or copied from them), for SEARCH and HEADER.FIELDS. */
  readonly facts = new Map<number, MessageFacts>();
  /** UIDs APPENDed here (not copied in): no keyword was ever stored on them unless `owned` says so. */
  readonly appendedHere = new Set<number>();
  /** uid → client that first saw it \Recent in a read-write view. */
  readonly recentHolder = new Map<number, string>();

  constructor(readonly name: string) {}

  ownedState(uid: number, keyword: string): OwnedState | undefined {
    return this.owned.get(uid)?.get(keyword);
  }

  setOwned(uid: number, keyword: string, state: OwnedState): void {
    let map = this.owned.get(uid);
    if (!map) this.owned.set(uid, (map = new Map()));
    map.set(keyword, state);
  }
}

export class SharedModel {
  readonly mailboxes = new Map<string, MailboxTruth>();
  readonly violations: Violation[] = [];
  private readonly perKind = new Map<string, number>();

  constructor(readonly epoch: number) {}

  mailbox(name: string): MailboxTruth {
    let truth = this.mailboxes.get(name);
    if (!truth) this.mailboxes.set(name, (truth = new MailboxTruth(name)));
    return truth;
  }

  /** How often each optional check ran (HEADER.FIELDS blocks, INTERNALDATE, sizes), for the summary. */
  readonly checked = new Map<string, number>();

  tally(check: string): void {
    this.checked.set(check, (this.checked.get(check) ?? 0) + 1);
  }

  report(violation: Violation): void {
    this.violations.push(violation);
    this.perKind.set(violation.kind, (this.perKind.get(violation.kind) ?? 0) + 1);
  }

  kinds(): Map<string, number> {
    return new Map(this.perKind);
  }
}

/** Who owns a keyword: `$own-<client>-<letter>` belongs to <client>. */
export function keywordOwner(keyword: string): string | null {
  const match = /^\$own-(.+)-[a-z]$/i.exec(keyword);
  return match ? match[1] : null;
}

export function ownedKeywords(client: string): string[] {
  return [`$own-${client}-a`, `$own-${client}-b`];
}
