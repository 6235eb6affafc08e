/**
 * SEARCH and UID SEARCH (RFC 3501 §6.4.4, §6.4.8; RFC 9051 §6.4.4) with ESEARCH (RFC 4731),
 * SEARCHRES (RFC 5182), MODSEQ (RFC 7162 §3.1.5) and WITHIN (RFC 5032). Parsing and matching
 * live in src/imap/search (pure); finding matches and the ESEARCH answer in search-results.ts.
 *
 * Invariants:
 * - Without RETURN an IMAP4rev1 session gets `* SEARCH n...` (sequence numbers or UIDs), with
 *   `(MODSEQ m)` at the end when the program has a MODSEQ key and something matched; an
 *   IMAP4rev2 session gets ESEARCH, as if it had asked RETURN (ALL) (RFC 9051 §6.4.4).
 * - A MODSEQ key makes SEARCH a CONDSTORE enabling command (RFC 7162 §3.1).
 * - A SEARCH that asked to SAVE and fails, even to parse, empties `$` (RFC 5182 §2.4).
 * - SEARCH (not UID SEARCH) never causes EXPUNGE responses (RFC 3501 §7.4.1).
 */
import { parseSearchRequest, type SearchRequest } from '../search/index.js';
import { atom, type ImapValue } from '../protocol/types.js';
import { answerWithEsearch, findMatches, forgetSavedResult, highestModSeq, parseSaving, type Saving } from '../search-results.js';
import type { Session } from '../session.js';
import { defineCommand, SELECTED, type CommandSpec } from './types.js';

async function runSearch(session: Session, request: SearchRequest, options: { uid: boolean; tag: string }): Promise<void> {
  if (request.usesModseq) session.enableCondstore();
  const found = await findMatches(session, request);
  const returnOptions = request.returnOptions ?? (session.rev2 ? ['ALL'] : null);
  if (returnOptions) {
    answerWithEsearch(session, found, { tag: options.tag, uid: options.uid, returnOptions, modseq: request.usesModseq });
    return;
  }
  // One atom for the numbers: a 100,000-message result must not become 100,000 call arguments.
  const numbers = found.map((message) => (options.uid ? message.meta.uid : message.seq));
  const values: ImapValue[] = [atom(['SEARCH', ...numbers].join(' '))];
  if (request.usesModseq && found.length > 0) values.push([atom('MODSEQ'), highestModSeq(found)]);
  session.send(...values);
}

function searchCommand(options: { uid: boolean }): CommandSpec<Saving<SearchRequest>> {
  const name = options.uid ? 'UID SEARCH' : 'SEARCH';
  return defineCommand<Saving<SearchRequest>>({
    name,
    states: SELECTED,
    holdsExpunges: !options.uid,
    parse: (args, encoding) => parseSaving(args, () => parseSearchRequest(args, { utf8: encoding.utf8 })),
    async run(session, args, tag) {
      if (options.uid) session.announceUpdates({ allowExpunge: true });
      if ('failed' in args) {
        forgetSavedResult(session.selected);
        throw args.failed;
      }
      const request = args.parsed;
      try {
        await runSearch(session, request, { uid: options.uid, tag });
      } catch (error) {
        if (request.returnOptions?.includes('SAVE')) forgetSavedResult(session.selected);
        throw error;
      }
      return { text: `${name} completed` };
    },
  });
}

export const search = searchCommand({ uid: false });
export const uidSearch = searchCommand({ uid: true });
