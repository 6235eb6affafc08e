/**
 * IDLE (RFC 2177): `+ idling`, then changes to the selected mailbox are pushed as they happen
 * (EXISTS, EXPUNGE, FETCH FLAGS) until the client sends DONE, answered `OK IDLE terminated`.
 * Any other line ends IDLE with BAD. Allowed in the authenticated state too (RFC 9051 §6.3.13),
 * where there is nothing to push. A client that disconnects during IDLE (Thunderbird does at
 * quit, CLIENTS.md §5) simply ends it.
 */
import { imapBad } from '../../errors.js';
import { expectArgumentCount } from '../arguments.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const idle = defineCommand<void>({
  name: 'IDLE',
  states: AUTHENTICATED,
  parse: (args) => expectArgumentCount(args, 0),
  async run(session) {
    session.sendContinuation('idling');
    session.setIdling(true);
    let line: Buffer | null;
    try {
      line = await session.readLine();
    } finally {
      session.setIdling(false);
    }
    if (line === null) return { text: 'IDLE terminated' };
    if (line.toString('latin1').trim().toUpperCase() !== 'DONE') throw imapBad('Expected DONE to end IDLE');
    return { text: 'IDLE terminated' };
  },
});
