/**
 * NAMESPACE (RFC 2342): one personal namespace with the empty prefix and "/" as delimiter, no
 * other users' or shared namespaces: `* NAMESPACE (("" "/")) NIL NIL`.
 */
import { expectArgumentCount } from '../arguments.js';
import { DELIMITER } from '../mailbox-names.js';
import { atom } from '../protocol/types.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const namespace = defineCommand<void>({
  name: 'NAMESPACE',
  states: AUTHENTICATED,
  parse: (args) => expectArgumentCount(args, 0),
  async run(session) {
    session.send(atom('NAMESPACE'), [['', DELIMITER]], null, null);
    return { text: 'NAMESPACE completed' };
  },
});
