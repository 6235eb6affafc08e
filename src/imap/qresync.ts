/**
 * CONDSTORE and QRESYNC (RFC 7162) pieces shared by SELECT/EXAMINE, FETCH and STORE: the select
 * parameters, the resynchronisation a QRESYNC SELECT answers with, VANISHED (EARLIER), and the
 * MODSEQ data item of flag updates.
 *
 * Invariants:
 * - Every message has a modseq (the store allocates one per append, flag change and expunge),
 *   so NOMODSEQ (RFC 7162 §3.1.2.2) is never sent.
 * - VANISHED (EARLIER) never names a message the client still sees in this session, and only
 *   expunges the view already reflects (modseq ≤ its known modseq): a later expunge reaches the
 *   client once, as its own VANISHED, when it is announced.
 * - In a UID set given for VANISHED, "*" means every UID above the others (UIDs of expunged
 *   messages can lie above the highest UID still present).
 */
import { imapBad } from '../errors.js';
import { atomArgument, isAtom, listArgument } from './arguments.js';
import { renderFlags } from './fetch/index.js';
import { formatSequenceSet, matchesSequenceSet, parseSequenceSet, type SequenceSet } from './protocol/sequence.js';
import { atom, type ImapValue, type Token } from './protocol/types.js';
import type { SelectedMailbox, ViewMessage } from './selected.js';
import type { Session } from './session.js';

/** RFC 7162 §7 `mod-sequence-value`: up to 63 bits; ours stay below 2^53. */
const MAX_MODSEQ = Number.MAX_SAFE_INTEGER;
const MAX_UID = 0xffffffff;

export interface QresyncParameters {
  uidValidity: number;
  modseq: number;
  /** The UIDs the client knows; VANISHED (EARLIER) names only these. */
  knownUids?: SequenceSet;
}

export interface SelectParameters {
  /** `(CONDSTORE)`: a CONDSTORE enabling command (RFC 7162 §3.1.8). */
  condstore: boolean;
  qresync?: QresyncParameters;
}

/**
 * `select-params` (RFC 4466 §2.1; RFC 7162 §7): `(CONDSTORE)`, and `(QRESYNC (uidvalidity
 * modseq [known-uids [(known-sequence-set known-uid-set)]]))`. The sequence match data is checked
 * for syntax and otherwise not needed: this server keeps every expunge.
 */
export function parseSelectParameters(token: Token): SelectParameters {
  const items = listArgument(token, 'SELECT parameters');
  const parameters: SelectParameters = { condstore: false };
  for (let i = 0; i < items.length; i++) {
    const name = atomArgument(items[i], 'a SELECT parameter').toUpperCase();
    if (name === 'CONDSTORE') {
      parameters.condstore = true;
    } else if (name === 'QRESYNC') {
      if (parameters.qresync) throw imapBad('QRESYNC given twice');
      parameters.qresync = parseQresync(items[++i]);
    } else {
      throw imapBad(`Unknown SELECT parameter ${name}`);
    }
  }
  return parameters;
}

function parseQresync(token: Token | undefined): QresyncParameters {
  const values = listArgument(token, 'QRESYNC parameters');
  if (values.length < 2 || values.length > 4) throw imapBad('QRESYNC needs (uidvalidity modseq [known-uids [seq-match-data]])');
  const uidValidity = parseNumber(values[0], 'a UIDVALIDITY', MAX_UID);
  if (uidValidity === 0) throw imapBad('UIDVALIDITY must not be 0');
  const parameters: QresyncParameters = { uidValidity, modseq: parseNumber(values[1], 'a mod-sequence value', MAX_MODSEQ) };
  let next = 2;
  if (values[next] && isAtom(values[next])) parameters.knownUids = explicitSetArgument(values[next++], 'known-uids');
  if (values[next]) {
    const match = listArgument(values[next++], 'sequence match data');
    if (match.length !== 2) throw imapBad('Sequence match data needs a sequence set and a UID set');
    const numbers = explicitSetArgument(match[0], 'known-sequence-set');
    const uids = explicitSetArgument(match[1], 'known-uid-set');
    // Each number pairs with the UID at its place (RFC 7162 §3.2.5.2), so the sets are equal in size.
    if (memberCount(numbers) !== memberCount(uids)) throw imapBad('known-sequence-set and known-uid-set differ in size');
  }
  if (next !== values.length) throw imapBad('Bad QRESYNC parameters');
  return parameters;
}

function parseNumber(token: Token | undefined, what: string, max: number): number {
  const text = atomArgument(token, what);
  if (!/^\d{1,20}$/.test(text) || Number(text) > max) throw imapBad(`Invalid ${what}`);
  return Number(text);
}

/** known-uids, known-sequence-set, known-uid-set: sequence sets where "*" is not allowed (RFC 7162 §7). */
function explicitSetArgument(token: Token | undefined, what: string): SequenceSet {
  const set = parseSequenceSet(atomArgument(token, what));
  if (set.ranges.some((range) => range.start === '*' || range.end === '*')) throw imapBad(`"*" is not allowed in ${what}`);
  return set;
}

function memberCount(set: SequenceSet): number {
  let count = 0;
  for (const { start, end } of set.ranges) count += Math.abs(Number(end) - Number(start)) + 1;
  return count;
}

/**
 * UIDs expunged after `sinceModSeq`, within `uidSet` (all when absent), that are not in the view:
 * ascending. A UID still in the view is told later by the view's own VANISHED. One expunged
 * while the view's listing loaded is not in the view and its queued event is dropped there, so
 * it must be told here even though its modseq is above what SELECT reported: the client may
 * remember it (RFC 7162 §3.2.5.1). Telling a UID the client never knew is harmless in EARLIER.
 */
export async function vanishedSince(session: Session, view: SelectedMailbox, sinceModSeq: number, uidSet?: SequenceSet): Promise<number[]> {
  const uids = new Set<number>();
  for (const change of await session.store.listChanges(view.mailboxId, sinceModSeq)) {
    if (change.kind !== 'expunge') continue;
    for (const uid of change.uids) {
      if (uidSet && !matchesSequenceSet(uidSet, uid, MAX_UID)) continue;
      if (view.seqOfUid(uid) === 0) uids.add(uid);
    }
  }
  return [...uids].sort((a, b) => a - b);
}

/** `* VANISHED (EARLIER) uids` (RFC 7162 §3.2.10), when there are any. */
export function sendVanishedEarlier(session: Session, uids: number[]): void {
  if (uids.length > 0) session.send(atom('VANISHED'), [atom('EARLIER')], atom(formatSequenceSet(uids)));
}

/** `UID u FLAGS (..) MODSEQ (m)`: a message's flag state as QRESYNC resynchronisation reports it. */
export function flagState(message: ViewMessage, options: { recent: boolean }): ImapValue[] {
  const { meta } = message;
  return [atom('UID'), meta.uid, atom('FLAGS'), renderFlags(meta.flags, options.recent), atom('MODSEQ'), [meta.modseq]];
}

/**
 * The rest of a QRESYNC SELECT/EXAMINE (RFC 7162 §3.2.5): when the UIDVALIDITY matches, the
 * expunges since the client's modseq as VANISHED (EARLIER), then a FETCH of every message
 * changed since (flags and new messages). A different UIDVALIDITY means the client must start
 * over, which the ordinary SELECT responses already tell it.
 */
export async function resynchronise(session: Session, view: SelectedMailbox, parameters: QresyncParameters): Promise<void> {
  if (parameters.uidValidity !== view.uidValidity) return;
  sendVanishedEarlier(session, await vanishedSince(session, view, parameters.modseq, parameters.knownUids));
  for (const message of view.all()) {
    if (message.meta.modseq <= parameters.modseq) continue;
    session.send(message.seq, atom('FETCH'), flagState(message, { recent: view.isRecent(message.meta.uid) }));
    await session.waitForOutput();
  }
}
