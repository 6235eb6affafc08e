/**
 * GETQUOTAROOT (RFC 9208 §4.1.2): `GETQUOTAROOT mailbox` → `* QUOTAROOT mailbox ""` and the
 * root's `* QUOTA`, as in the RFC's example; for an account without a limit only
 * `* QUOTAROOT mailbox` (no roots). A mailbox that does not exist is NO [NONEXISTENT].
 */
import { imapNo } from '../../errors.js';
import { expectArgumentCount } from '../arguments.js';
import { mailboxArgument, mailboxNameValue } from '../mailbox-names.js';
import { atom } from '../protocol/types.js';
import { limitedUsage, QUOTA_ROOT, quotaResponse } from '../quota.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const getquotaroot = defineCommand<string>({
  name: 'GETQUOTAROOT',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 1);
    return mailboxArgument(args[0], encoding);
  },
  async run(session, name) {
    const mailbox = await session.store.getMailbox(session.account, name);
    if (!mailbox) throw imapNo('No such mailbox', 'NONEXISTENT');
    const usage = await limitedUsage(session);
    const label = mailboxNameValue(mailbox.name, session.names);
    if (!usage) {
      session.send(atom('QUOTAROOT'), label);
    } else {
      session.send(atom('QUOTAROOT'), label, QUOTA_ROOT);
      session.send(...quotaResponse(usage));
    }
    return { text: 'GETQUOTAROOT completed' };
  },
});
