/** EXAMINE (RFC 3501 §6.3.2): SELECT, read-only: flags cannot change and nothing is expunged. */
import { openMailbox, parseSelectArguments } from './select.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const examine = defineCommand<string>({
  name: 'EXAMINE',
  states: AUTHENTICATED,
  parse: parseSelectArguments,
  run: (session, name) => openMailbox(session, name, { readOnly: true }),
});
