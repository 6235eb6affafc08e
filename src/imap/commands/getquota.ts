/**
 * GETQUOTA (RFC 9208 §4.1.1): `GETQUOTA quota-root` → `* QUOTA root (STORAGE used limit)`. The only
 * root is "" (src/imap/quota.ts); any other name, or "" for an account without a limit, is
 * NO [NONEXISTENT].
 */
import { imapNo } from '../../errors.js';
import { astringArgument, expectArgumentCount } from '../arguments.js';
import { limitedUsage, QUOTA_ROOT, quotaResponse } from '../quota.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const getquota = defineCommand<string>({
  name: 'GETQUOTA',
  states: AUTHENTICATED,
  parse(args) {
    expectArgumentCount(args, 1);
    return astringArgument(args[0], 'quota root');
  },
  async run(session, root) {
    const usage = root === QUOTA_ROOT ? await limitedUsage(session) : null;
    if (!usage) throw imapNo('No such quota root', 'NONEXISTENT');
    session.send(...quotaResponse(usage));
    return { text: 'GETQUOTA completed' };
  },
});
