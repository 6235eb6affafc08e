/**
 * NOOP (RFC 9051 §6.1.2): does nothing itself; the gate announces queued mailbox changes
 * (EXISTS, EXPUNGE, FETCH FLAGS) before the tagged OK, which is what clients poll it for.
 */
import { expectArgumentCount } from '../arguments.js';
import { ANY_STATE, defineCommand } from './types.js';

export const noop = defineCommand<void>({
  name: 'NOOP',
  states: ANY_STATE,
  parse: (args) => expectArgumentCount(args, 0),
  async run() {
    return { text: 'NOOP completed' };
  },
});
