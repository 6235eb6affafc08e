/**
 * SEARCH and UID SEARCH (RFC 3501 §6.4.4, §6.4.8). Parsing and matching live in src/imap/search
 * (pure); this module walks the selected view, reads from the store only what the keys need, in
 * batches, and answers `* SEARCH n...` with sequence numbers or UIDs.
 *
 * Invariants:
 * - Flags and metadata are the view's, like FETCH: the result agrees with what the client knows.
 * - ESEARCH (RETURN), SEARCHRES ($) and MODSEQ belong to extensions not advertised here: BAD.
 * - SEARCH (not UID SEARCH) never causes EXPUNGE responses (RFC 3501 §7.4.1).
 * - A message expunged meanwhile whose content is needed does not match.
 */
import { imapBad, StoreError } from '../../errors.js';
import type { ParsedMessage } from '../../mime/types.js';
import { matchesSearch, parseSearchRequest, type SearchRequest } from '../search/index.js';
import { atom } from '../protocol/types.js';
import type { Session } from '../session.js';
import { defineCommand, SELECTED, type CommandSpec } from './types.js';

const BATCH = 64;

async function runSearch(session: Session, request: SearchRequest, options: { uid: boolean }): Promise<number[]> {
  const view = session.mailbox;
  const messages = view.all();
  const context = { maxSeq: view.exists, maxUid: view.lastUid };
  const found: number[] = [];
  for (let start = 0; start < messages.length; start += BATCH) {
    const batch = messages.slice(start, start + BATCH);
    let trees: Map<number, ParsedMessage> | null = null;
    if (request.needs !== 'meta' && (request.needsParsed || request.needs === 'parsed')) {
      const records = await session.store.getMessages(view.mailboxId, batch.map((message) => message.meta.uid));
      trees = new Map(records.map((record) => [record.uid, record.parsed]));
    }
    for (const { seq, meta } of batch) {
      let parsed: ParsedMessage | undefined;
      if (trees) {
        parsed = trees.get(meta.uid);
        if (!parsed) continue;
      }
      let raw: Buffer | undefined;
      if (request.needs === 'header' || request.needs === 'full') {
        try {
          raw = await session.store.readBlob(meta.blobId, request.needs);
        } catch (error) {
          if (error instanceof StoreError && error.kind === 'not-found') continue;
          throw error;
        }
      }
      if (matchesSearch(request.key, { seq, meta, parsed, raw }, context)) found.push(options.uid ? meta.uid : seq);
    }
  }
  return found;
}

function searchCommand(options: { uid: boolean }): CommandSpec<SearchRequest> {
  const name = options.uid ? 'UID SEARCH' : 'SEARCH';
  return defineCommand<SearchRequest>({
    name,
    states: SELECTED,
    holdsExpunges: !options.uid,
    parse(args, encoding) {
      const request = parseSearchRequest(args, { utf8: encoding.utf8 });
      if (request.returnOptions) throw imapBad('SEARCH RETURN needs ESEARCH, which is not advertised');
      if (request.usesSaved) throw imapBad('$ needs SEARCHRES, which is not advertised');
      if (request.usesModseq) throw imapBad('MODSEQ needs CONDSTORE, which is not advertised');
      return request;
    },
    async run(session, request) {
      if (options.uid) session.announceUpdates({ allowExpunge: true });
      const found = await runSearch(session, request, options);
      session.send(atom('SEARCH'), ...found);
      return { text: `${name} completed` };
    },
  });
}

export const search = searchCommand({ uid: false });
export const uidSearch = searchCommand({ uid: true });
