/**
 * What SEARCH, SORT and THREAD share: finding the messages of the selected view that match a
 * search program, and answering with the result options of ESEARCH (RFC 4731), ESORT (RFC 5267)
 * and SEARCHRES (RFC 5182).
 *
 * Invariants:
 * - Matching reads from the store only what the keys need (`needs`), in batches; flags and
 *   metadata are the view's, so results agree with what the client was told.
 * - `$` in the program is the view's saved result. A message expunged meanwhile whose content is
 *   needed does not match.
 * - RETURN (SAVE) replaces the saved result (as UIDs): with the MIN and/or MAX messages when only
 *   those are asked for, otherwise with every match; a SEARCH with SAVE that fails empties it
 *   (RFC 5182 §2.1, §2.4). SAVE alone produces no ESEARCH response.
 * - ESEARCH data: `(TAG "t") [UID] [MIN n] [MAX n] [ALL set] [COUNT n] [MODSEQ m]`; MIN, MAX and
 *   ALL are left out when nothing matched, COUNT never is (RFC 4731 §3.1). MIN and MAX are the
 *   lowest and highest number whatever the order; ALL keeps the result order (sorted for ESORT,
 *   ascending for SEARCH). MODSEQ, when the program has a MODSEQ key and something was
 *   returned, is the highest modseq of the messages returned (RFC 7162 §3.1.5).
 */
import { StoreError } from '../errors.js';
import type { ParsedMessage } from '../mime/types.js';
import { formatSequenceSet } from './protocol/sequence.js';
import { atom, type ImapValue, type Token } from './protocol/types.js';
import { matchesSearch, type SearchRequest } from './search/index.js';
import { findPrepared, preparedSources } from './search-prepared.js';
import type { SelectedMailbox, ViewMessage } from './selected.js';
import type { Session } from './session.js';

/** Messages read from the store at once. */
const BATCH = 64;

/** The view's messages matching the request, in sequence order. */
export async function findMatches(session: Session, request: SearchRequest): Promise<ViewMessage[]> {
  const view = session.mailbox;
  const messages = view.all();
  const context = { maxSeq: view.exists, maxUid: view.lastUid, savedUids: view.savedUids, isRecent: (uid: number) => view.isRecent(uid) };
  if (request.needs === 'meta') return messages.filter((message) => matchesSearch(request.key, message, context));
  const prepared = preparedSources(request.key);
  if (prepared) return findPrepared(session, request, messages, context, prepared);
  const found: ViewMessage[] = [];
  for (let start = 0; start < messages.length; start += BATCH) {
    const batch = messages.slice(start, start + BATCH);
    let trees: Map<number, ParsedMessage> | null = null;
    if (request.needsParsed || request.needs === 'parsed') {
      const records = await session.store.getMessages(view.mailboxId, batch.map((message) => message.meta.uid));
      trees = new Map(records.map((record) => [record.uid, record.parsed]));
    }
    for (const message of batch) {
      let parsed: ParsedMessage | undefined;
      if (trees) {
        parsed = trees.get(message.meta.uid);
        if (!parsed) continue;
      }
      let raw: Buffer | undefined;
      if (request.needs === 'header' || request.needs === 'full') {
        try {
          raw = await session.store.readBlob(message.meta.blobId, request.needs);
        } catch (error) {
          if (error instanceof StoreError && error.kind === 'not-found') continue;
          throw error;
        }
      }
      if (matchesSearch(request.key, { seq: message.seq, meta: message.meta, parsed, raw }, context)) found.push(message);
    }
  }
  return found;
}

export interface ResultOptions {
  /** The command's tag, for `(TAG "..")`. */
  tag: string;
  /** UID SEARCH / UID SORT: numbers are UIDs. */
  uid: boolean;
  /** Upper-cased RETURN options; (ALL) when the client gave none. */
  returnOptions: string[];
  /** The program has a MODSEQ key. */
  modseq: boolean;
}

/**
 * Applies RETURN (SAVE) and writes the ESEARCH response (unless SAVE was the only option).
 * `results` are in answer order: ascending for SEARCH, sorted for SORT.
 */
export function answerWithEsearch(session: Session, results: ViewMessage[], options: ResultOptions): void {
  const view = session.mailbox;
  const wanted = new Set(options.returnOptions);
  const numberOf = (message: ViewMessage): number => (options.uid ? message.meta.uid : message.seq);
  let min: ViewMessage | undefined;
  let max: ViewMessage | undefined;
  for (const message of results) {
    if (!min || message.seq < min.seq) min = message;
    if (!max || message.seq > max.seq) max = message;
  }
  const extremesOnly = !wanted.has('ALL') && !wanted.has('COUNT');
  // The messages "being returned": for MIN/MAX alone, only those (RFC 5182 §2.1, RFC 7162 §3.1.5).
  const returned = extremesOnly ? returnedExtremes(wanted, min, max) : results;

  if (wanted.has('SAVE')) {
    view.savedUids = new Set((wanted.size === 1 ? results : returned).map((message) => message.meta.uid));
    if (wanted.size === 1) return;
  }
  const data: ImapValue[] = [[atom('TAG'), options.tag]];
  if (options.uid) data.push(atom('UID'));
  if (results.length > 0) {
    if (wanted.has('MIN')) data.push(atom('MIN'), numberOf(min!));
    if (wanted.has('MAX')) data.push(atom('MAX'), numberOf(max!));
    if (wanted.has('ALL')) data.push(atom('ALL'), atom(formatSequenceSet(results.map(numberOf))));
  }
  if (wanted.has('COUNT')) data.push(atom('COUNT'), results.length);
  if (options.modseq && returned.length > 0) data.push(atom('MODSEQ'), highestModSeq(returned));
  session.send(atom('ESEARCH'), ...data);
}

function returnedExtremes(wanted: Set<string>, min: ViewMessage | undefined, max: ViewMessage | undefined): ViewMessage[] {
  const out: ViewMessage[] = [];
  if (wanted.has('MIN') && min) out.push(min);
  if (wanted.has('MAX') && max && max !== min) out.push(max);
  return out;
}

/** RFC 7162 §3.1.5: the highest modseq of the messages returned. */
export function highestModSeq(messages: ViewMessage[]): number {
  let highest = 0;
  for (const message of messages) highest = Math.max(highest, message.meta.modseq);
  return highest;
}

/** Empties the saved result after a failed command that asked to SAVE (RFC 5182 §2.4). */
export function forgetSavedResult(view: SelectedMailbox | null): void {
  if (view) view.savedUids = new Set();
}

/**
 * Whether command arguments ask for RETURN (.. SAVE ..), looked at without parsing the rest: a
 * command that asked to SAVE and then fails, even to parse, must still empty `$`, or a command
 * pipelined after it would act on an older result (RFC 5182 §2.4).
 */
export function asksToSave(args: Token[]): boolean {
  const [first, second] = args;
  if (first?.type !== 'atom' || first.value.toUpperCase() !== 'RETURN' || second?.type !== 'list') return false;
  return second.items.some((item) => item.type === 'atom' && item.value.toUpperCase() === 'SAVE');
}

/** Parsed arguments, or the error of a SAVE command that failed to parse (see asksToSave). */
export type Saving<T> = { parsed: T } | { failed: unknown };

export function parseSaving<T>(args: Token[], parse: () => T): Saving<T> {
  try {
    return { parsed: parse() };
  } catch (error) {
    if (asksToSave(args)) return { failed: error };
    throw error;
  }
}
