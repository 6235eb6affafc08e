/**
 * CHECK (RFC 3501 §6.4.1): a checkpoint. Every store write is already durable when it is
 * answered, so there is nothing to do; queued changes are announced by the gate, as for NOOP.
 */
import { expectArgumentCount } from '../arguments.js';
import { defineCommand, SELECTED } from './types.js';

export const check = defineCommand<void>({
  name: 'CHECK',
  states: SELECTED,
  parse: (args) => expectArgumentCount(args, 0),
  async run() {
    return { text: 'CHECK completed' };
  },
});
