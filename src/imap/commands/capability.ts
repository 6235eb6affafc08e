/** CAPABILITY (RFC 9051 §6.1.1): the untagged CAPABILITY list for the session's current state. */
import { expectArgumentCount } from '../arguments.js';
import { atom } from '../protocol/types.js';
import { ANY_STATE, defineCommand } from './types.js';

export const capability = defineCommand<void>({
  name: 'CAPABILITY',
  states: ANY_STATE,
  parse: (args) => expectArgumentCount(args, 0),
  async run(session) {
    session.send(atom('CAPABILITY'), ...session.capabilities().map(atom));
    return { text: 'CAPABILITY completed' };
  },
});
