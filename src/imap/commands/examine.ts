/** EXAMINE (RFC 3501 §6.3.2): SELECT, read-only: flags cannot change and nothing is expunged. */
import { openMailbox, parseSelectArguments, type SelectArgs } from './select.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const examine = defineCommand<SelectArgs>({
  name: 'EXAMINE',
  states: AUTHENTICATED,
  leavesMailboxOnFailure: true,
  parse: parseSelectArguments,
  run: (session, args) => openMailbox(session, args, { readOnly: true }),
});
