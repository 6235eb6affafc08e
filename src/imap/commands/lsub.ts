/**
 * LSUB (RFC 3501 §6.3.9): subscribed names matching the pattern. A subscribed name whose mailbox
 * does not exist is returned with \Noselect; so is an unsubscribed superior that the pattern
 * matches when the subscribed name itself does not ("%" stopping at a level, RFC 3501 §6.3.9).
 */
import { astringArgument, expectArgumentCount } from '../arguments.js';
import { decodeName, DELIMITER, mailboxNameValue, normalizeMailboxName, superiorNames } from '../mailbox-names.js';
import { atom } from '../protocol/types.js';
import { canonicalPattern, patternArgument, patternMatcher, sortMailboxNames } from './list.js';
import { AUTHENTICATED, defineCommand } from './types.js';

interface LsubArgs {
  reference: string;
  pattern: string;
}

export const lsub = defineCommand<LsubArgs>({
  name: 'LSUB',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 2);
    return {
      reference: decodeName(astringArgument(args[0], 'reference'), encoding),
      pattern: patternArgument(args[1], encoding),
    };
  },
  async run(session, { reference, pattern }) {
    if (pattern === '') return { text: 'LSUB completed' };
    const [mailboxes, subscriptions] = await Promise.all([
      session.store.listMailboxes(session.account),
      session.store.listSubscriptions(session.account),
    ]);
    const existing = new Set(mailboxes.map((mailbox) => mailbox.name));
    const subscribed = new Set(subscriptions.map(normalizeMailboxName));
    const matches = patternMatcher(canonicalPattern(reference, pattern));
    const found = new Map<string, string[]>();
    for (const name of subscribed) {
      if (matches(name)) {
        found.set(name, existing.has(name) ? [] : ['\\Noselect']);
        continue;
      }
      for (const parent of superiorNames(name)) {
        if (!subscribed.has(parent) && !found.has(parent) && matches(parent)) found.set(parent, ['\\Noselect']);
      }
    }
    for (const name of sortMailboxNames([...found.keys()])) {
      session.send(atom('LSUB'), found.get(name)!.map(atom), DELIMITER, mailboxNameValue(name, session.names));
    }
    return { text: 'LSUB completed' };
  },
});
