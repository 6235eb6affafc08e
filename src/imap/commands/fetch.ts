/**
 * FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8; RFC 9051 §6.4.5). Parsing and rendering live in
 * src/imap/fetch (pure); this module reads what the request needs from the store, sets \Seen,
 * and writes one `* n FETCH (...)` per message.
 *
 * Invariants:
 * - Flags and other metadata come from the session's view, so what the client is told agrees
 *   with the FETCH FLAGS updates it gets (and its own STORE results are never contradicted).
 * - The store is read per `needs`: nothing for meta, the MIME tree only when `needsParsed`, the
 *   header block or the whole message for raw sections; in batches, and after each message it
 *   waits until the client has read the output buffer down to its bound (backpressure).
 * - \Seen is set for non-PEEK body items, unless the mailbox is read-only, and FLAGS is then
 *   included in the reply (RFC 3501 §6.4.5).
 * - MODSEQ and CHANGEDSINCE enable CONDSTORE (RFC 7162 §3.1); once it is enabled, a message whose
 *   \Seen this FETCH set is answered with its new MODSEQ too; CHANGEDSINCE answers only messages
 *   whose modseq is greater (0 answers all, as iPhone Mail asks: CLIENTS.md §1). UID FETCH with
 *   VANISHED (QRESYNC only, RFC 7162 §3.2.6) first sends VANISHED (EARLIER) for UIDs in the set
 *   expunged since that modseq.
 * - FETCH (not UID FETCH) never causes EXPUNGE responses (RFC 3501 §7.4.1). A message expunged
 *   by another session that the client still sees cannot be read: the others are answered and
 *   the tagged reply is NO [EXPUNGEISSUED] (RFC 5530), as Dovecot does. UID FETCH announces
 *   expunges first, so only a message expunged while it runs can be missing there, and a UID
 *   that no longer exists is ignored without an error (RFC 9051 §6.4.9).
 */
import { imapBad, imapNo } from '../../errors.js';
import type { MessageRecord } from '../../store/types.js';
import { sequenceSetArgument } from '../arguments.js';
import { parseFetchRequest, renderFetch, type FetchRequest } from '../fetch/index.js';
import type { SequenceSet } from '../protocol/sequence.js';
import { atom } from '../protocol/types.js';
import type { ViewMessage } from '../selected.js';
import { sendVanishedEarlier, vanishedSince } from '../qresync.js';
import type { Session } from '../session.js';
import { defineCommand, SELECTED, type CommandSpec } from './types.js';

interface FetchArgs {
  set: SequenceSet;
  request: FetchRequest;
}

/**
 * Messages read from the store at once: many when each is small (meta, MIME tree, header block),
 * few when whole messages are read, so a batch never holds much memory.
 */
const BATCH = 256;
const FULL_BATCH = 16;

/** What one batch needs from the store, read in one go. */
interface BatchData {
  records: Map<number, MessageRecord> | null;
  /** Raw bytes by blob id ('header' or 'full' needs); null when a blob is missing. */
  raws: Map<string, Buffer | null> | null;
}

async function readBatch(session: Session, batch: ViewMessage[], request: FetchRequest): Promise<BatchData> {
  const part = request.needs === 'header' || request.needs === 'full' ? request.needs : null;
  const blobIds = part ? [...new Set(batch.map((message) => message.meta.blobId))] : [];
  const [records, bytes] = await Promise.all([readRecords(session, batch, request), part ? session.store.readBlobs(blobIds, part) : null]);
  return { records, raws: bytes ? new Map(blobIds.map((id, i) => [id, bytes[i]])) : null };
}

async function runFetch(session: Session, { set, request }: FetchArgs, options: { uid: boolean }): Promise<void> {
  const view = session.mailbox;
  if (request.vanished) {
    if (!session.qresync) throw imapBad('VANISHED needs ENABLE QRESYNC first');
    sendVanishedEarlier(session, await vanishedSince(session, view, request.changedSince!, set));
  }
  if (request.changedSince !== undefined || request.items.some((item) => item.name === 'MODSEQ')) session.enableCondstore();
  let targets = view.resolve(set, options);
  if (request.changedSince !== undefined) targets = targets.filter((message) => message.meta.modseq > request.changedSince!);

  const seenChanged = new Set<number>();
  if (request.setsSeen && !view.readOnly) {
    const unseen = targets.filter((message) => !message.meta.flags.includes('\\Seen')).map((message) => message.meta.uid);
    if (unseen.length > 0) {
      const result = await session.store.storeFlags(view.mailboxId, unseen, { op: 'add', flags: ['\\Seen'] });
      view.applyFlagChanges(result.changed);
      for (const change of result.changed) seenChanged.add(change.uid);
    }
  }

  let missing = false;
  // The next batch is read while this one is rendered and sent.
  const size = request.needs === 'full' ? FULL_BATCH : BATCH;
  const read = (start: number): Promise<BatchData> | null => {
    if (start >= targets.length) return null;
    const pending = readBatch(session, targets.slice(start, start + size), request);
    pending.catch(() => undefined);
    return pending;
  };
  let next = read(0);
  for (let start = 0; start < targets.length; start += size) {
    const batch = targets.slice(start, start + size);
    const { records, raws } = await next!;
    next = read(start + size);
    for (const target of batch) {
      // The view's current meta: \Seen set above is in it.
      const seq = view.seqOfUid(target.meta.uid);
      if (seq === 0) continue;
      const meta = view.at(seq);
      let parsed;
      if (records) {
        const record = records.get(meta.uid);
        if (!record) {
          missing = true;
          continue;
        }
        parsed = record.parsed;
      }
      let raw: Buffer | undefined;
      if (raws) {
        const bytes = raws.get(meta.blobId);
        if (!bytes) {
          missing = true;
          continue;
        }
        raw = bytes;
      }
      const items = renderFetch(
        request,
        { seq, meta, parsed, raw },
        { uid: options.uid, utf8: session.utf8, seenChanged: seenChanged.has(meta.uid), recent: view.isRecent(meta.uid) },
      );
      // The \Seen this FETCH set gave the message a new modseq: a CONDSTORE client must learn it.
      if (session.condstore && seenChanged.has(meta.uid) && !request.items.some((item) => item.name === 'MODSEQ')) {
        items.push(atom('MODSEQ'), [meta.modseq]);
      }
      session.send(seq, atom('FETCH'), items);
      await session.waitForOutput();
    }
  }
  if (missing && !options.uid) throw imapNo('Some of the requested messages no longer exist', 'EXPUNGEISSUED');
}

/** MIME trees for a batch when the request needs them; null when it does not. */
async function readRecords(session: Session, batch: ViewMessage[], request: FetchRequest): Promise<Map<number, MessageRecord> | null> {
  if (request.needs === 'meta' || !request.needsParsed) return null;
  const records = await session.store.getMessages(
    session.mailbox.mailboxId,
    batch.map((message) => message.meta.uid),
  );
  return new Map(records.map((record) => [record.uid, record]));
}

function fetchCommand(options: { uid: boolean }): CommandSpec<FetchArgs> {
  return defineCommand<FetchArgs>({
    name: options.uid ? 'UID FETCH' : 'FETCH',
    states: SELECTED,
    holdsExpunges: !options.uid,
    parse(args) {
      if (args.length < 2) throw imapBad('FETCH needs a sequence set and data items');
      const request = parseFetchRequest(args.slice(1), options);
      return { set: sequenceSetArgument(args[0]), request };
    },
    async run(session, args) {
      // UID commands may carry EXPUNGE responses (RFC 3501 §7.4.1): catch up first, so the view
      // holds no message the store no longer has.
      if (options.uid) session.announceUpdates({ allowExpunge: true });
      await runFetch(session, args, options);
      return { text: `${options.uid ? 'UID FETCH' : 'FETCH'} completed` };
    },
  });
}

export const fetch = fetchCommand({ uid: false });
export const uidFetch = fetchCommand({ uid: true });
