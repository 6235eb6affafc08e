/**
 * SORT and UID SORT (RFC 5256 §3) with SORT=DISPLAY keys (RFC 5957) and ESORT result options
 * (RFC 5267 §3: `SORT RETURN (MIN MAX COUNT ALL) (criteria) charset keys`, answered with
 * ESEARCH, ALL in sorted order). `SORT (criteria) charset search-keys`: the charset is required
 * (UTF-8 or US-ASCII, else NO [BADCHARSET]).
 *
 * Invariants:
 * - The search program is SEARCH's (parser, `$`, MODSEQ); the order is sort/order.ts's.
 * - Sort keys (addresses, base subject) are looked up only when a criterion needs them: SORT
 *   (DATE), (ARRIVAL) and (SIZE) of a whole mailbox are answered from the view alone. They come
 *   from the keys shared by all sessions (sort/keys-cache.ts), read from the store once per blob.
 * - `* SORT n...` carries `(MODSEQ m)` like SEARCH when the program has a MODSEQ key
 *   (RFC 7162 §3.1.5); SORT (not UID SORT) holds back EXPUNGE responses like SEARCH.
 */
import { imapBad } from '../../errors.js';
import { isAtom } from '../arguments.js';
import { atom, type ImapValue, type Token } from '../protocol/types.js';
import { parseSearchRequest, type SearchRequest } from '../search/index.js';
import { answerWithEsearch, findMatches, forgetSavedResult, highestModSeq, parseSaving, type Saving } from '../search-results.js';
import type { ViewMessage } from '../selected.js';
import type { Session } from '../session.js';
import { sortKeyCache } from '../sort/keys-cache.js';
import { needsSummaries, parseSortCriteria, sortMessages, type SortCriterion, type SortInput } from '../sort/order.js';
import { defineCommand, SELECTED, type CommandSpec, type ParseContext } from './types.js';

interface SortArgs {
  criteria: SortCriterion[];
  request: SearchRequest;
}

/**
 * SORT, THREAD: `[RETURN (..)]` first for SORT, then what the command needs, then `charset
 * search-keys`, handed to SEARCH's parser as `[RETURN (..)] CHARSET charset search-keys`.
 */
export function parseSearchProgram(returnTokens: Token[], rest: Token[], context: ParseContext): SearchRequest {
  if (rest.length < 2) throw imapBad('Missing charset or search keys');
  const charset: Token = { type: 'atom', value: 'CHARSET' };
  return parseSearchRequest([...returnTokens, charset, ...rest], { utf8: context.utf8 });
}

/** The matches with their sort keys attached when `needed` says so (none for a missing blob). */
export async function withSortKeys(session: Session, found: ViewMessage[], needed: boolean): Promise<SortInput[]> {
  if (!needed) return found;
  const keys = await sortKeyCache(session.store).keysFor(found.map((message) => message.meta.blobId));
  return found.map((message, i) => ({ seq: message.seq, meta: message.meta, keys: keys[i] }));
}

function parseSortArguments(args: Token[], context: ParseContext): SortArgs {
  let returnTokens: Token[] = [];
  let rest = args;
  if (isAtom(rest[0], 'RETURN') && rest[1]?.type === 'list') {
    returnTokens = rest.slice(0, 2);
    rest = rest.slice(2);
  }
  const criteria = parseSortCriteria(rest[0]);
  return { criteria, request: parseSearchProgram(returnTokens, rest.slice(1), context) };
}

function sortCommand(options: { uid: boolean }): CommandSpec<Saving<SortArgs>> {
  const name = options.uid ? 'UID SORT' : 'SORT';
  return defineCommand<Saving<SortArgs>>({
    name,
    states: SELECTED,
    holdsExpunges: !options.uid,
    parse: (args, context) => parseSaving(args, () => parseSortArguments(args, context)),
    async run(session, args, tag) {
      if (options.uid) session.announceUpdates({ allowExpunge: true });
      if ('failed' in args) {
        forgetSavedResult(session.selected);
        throw args.failed;
      }
      const { criteria, request } = args.parsed;
      if (request.usesModseq) session.enableCondstore();
      try {
        const found = await findMatches(session, request);
        const sorted = sortMessages(await withSortKeys(session, found, needsSummaries(criteria, found)), criteria) as ViewMessage[];
        if (request.returnOptions) {
          answerWithEsearch(session, sorted, { tag, uid: options.uid, returnOptions: request.returnOptions, modseq: request.usesModseq });
        } else {
          // One atom for the numbers: a 100,000-message result must not become 100,000 call arguments.
          const numbers = sorted.map((message) => (options.uid ? message.meta.uid : message.seq));
          const values: ImapValue[] = [atom(['SORT', ...numbers].join(' '))];
          if (request.usesModseq && sorted.length > 0) values.push([atom('MODSEQ'), highestModSeq(sorted)]);
          session.send(...values);
        }
      } catch (error) {
        if (request.returnOptions?.includes('SAVE')) forgetSavedResult(session.selected);
        throw error;
      }
      return { text: `${name} completed` };
    },
  });
}

export const sort = sortCommand({ uid: false });
export const uidSort = sortCommand({ uid: true });
