/** UNSELECT (RFC 3691): leaves the selected mailbox without expunging anything. */
import { expectArgumentCount } from '../arguments.js';
import { defineCommand, SELECTED } from './types.js';

export const unselect = defineCommand<void>({
  name: 'UNSELECT',
  states: SELECTED,
  parse: (args) => expectArgumentCount(args, 0),
  async run(session) {
    session.leaveMailbox();
    return { text: 'UNSELECT completed' };
  },
});
