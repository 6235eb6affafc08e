/**
 * SETQUOTA (RFC 9208 §4.1.3): quotas are the administrator's (`bridgehead user quota`), never the
 * user's, so a well-formed SETQUOTA is NO [NOPERM] (RFC 5530) and QUOTASET is not advertised.
 */
import { imapNo } from '../../errors.js';
import { astringArgument, expectArgumentCount, listArgument } from '../arguments.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const setquota = defineCommand<void>({
  name: 'SETQUOTA',
  states: AUTHENTICATED,
  parse(args) {
    expectArgumentCount(args, 2);
    astringArgument(args[0], 'quota root');
    listArgument(args[1], 'quota limits');
  },
  async run() {
    throw imapNo('Quotas are set by the administrator', 'NOPERM');
  },
});
