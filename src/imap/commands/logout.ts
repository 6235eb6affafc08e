/** LOGOUT (RFC 9051 §6.1.3): `* BYE`, the tagged OK, then the server closes the connection. */
import { expectArgumentCount } from '../arguments.js';
import { ANY_STATE, defineCommand } from './types.js';

export const logout = defineCommand<void>({
  name: 'LOGOUT',
  states: ANY_STATE,
  parse: (args) => expectArgumentCount(args, 0),
  async run(session) {
    session.sendStatus('BYE', 'Logging out');
    session.logout();
    return { text: 'LOGOUT completed', after: () => session.transport.close() };
  },
});
