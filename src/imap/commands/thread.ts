/**
 * THREAD and UID THREAD (RFC 5256 §3, §4): `THREAD algorithm charset search-keys` with the
 * ORDEREDSUBJECT and REFERENCES algorithms (sort/thread.ts), answered `* THREAD (2)(3 6 (4 23))`
 * with sequence numbers or UIDs. Only the messages the search program matches are threaded; a
 * message they refer to but that did not match stands as a dummy, which the algorithms prune.
 * THREAD (not UID THREAD) holds back EXPUNGE responses like SEARCH.
 */
import { imapBad } from '../../errors.js';
import { atomArgument } from '../arguments.js';
import { atom } from '../protocol/types.js';
import type { SearchRequest } from '../search/index.js';
import { findMatches } from '../search-results.js';
import { NO_SORT_KEYS, sentDate } from '../sort/order.js';
import { formatThreads, orderedSubjectThreads, referenceThreads, type ThreadInput } from '../sort/thread.js';
import { parseSearchProgram, withSortKeys } from './sort.js';
import { defineCommand, SELECTED, type CommandSpec } from './types.js';

const ALGORITHMS = { ORDEREDSUBJECT: orderedSubjectThreads, REFERENCES: referenceThreads };

interface ThreadArgs {
  algorithm: keyof typeof ALGORITHMS;
  request: SearchRequest;
}

function threadCommand(options: { uid: boolean }): CommandSpec<ThreadArgs> {
  const name = options.uid ? 'UID THREAD' : 'THREAD';
  return defineCommand<ThreadArgs>({
    name,
    states: SELECTED,
    holdsExpunges: !options.uid,
    parse(args, context) {
      const algorithm = atomArgument(args[0], 'a threading algorithm').toUpperCase();
      if (!(algorithm in ALGORITHMS)) throw imapBad(`Unknown threading algorithm ${algorithm}`);
      const request = parseSearchProgram([], args.slice(1), context);
      if (request.returnOptions) throw imapBad('THREAD takes no RETURN options');
      return { algorithm: algorithm as ThreadArgs['algorithm'], request };
    },
    async run(session, { algorithm, request }) {
      if (options.uid) session.announceUpdates({ allowExpunge: true });
      if (request.usesModseq) session.enableCondstore();
      const found = await withSortKeys(session, await findMatches(session, request), true);
      const inputs: ThreadInput[] = found.map((message) => {
        const keys = message.keys ?? NO_SORT_KEYS;
        return {
          id: options.uid ? message.meta.uid : message.seq,
          seq: message.seq,
          date: sentDate(message),
          subject: keys.subject,
          replyOrForward: keys.replyOrForward,
          messageId: keys.messageId,
          references: keys.references,
        };
      });
      const threads = ALGORITHMS[algorithm](inputs);
      if (threads.length === 0) session.send(atom('THREAD'));
      else session.send(atom('THREAD'), atom(formatThreads(threads)));
      return { text: `${name} completed` };
    },
  });
}

export const thread = threadCommand({ uid: false });
export const uidThread = threadCommand({ uid: true });
