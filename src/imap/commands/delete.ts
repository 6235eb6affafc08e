/**
 * DELETE (RFC 9051 §6.3.5): INBOX cannot be deleted; a missing mailbox is NO [NONEXISTENT].
 * Deleting the selected mailbox first returns the session to the authenticated state, so its
 * own deletion is not reported back to it as a reason to disconnect.
 */
import { imapNo } from '../../errors.js';
import { expectArgumentCount } from '../arguments.js';
import { mailboxArgument } from '../mailbox-names.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const deleteCommand = defineCommand<string>({
  name: 'DELETE',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 1);
    return mailboxArgument(args[0], encoding);
  },
  async run(session, name) {
    if (name === 'INBOX') throw imapNo('INBOX cannot be deleted', 'CANNOT');
    const mailbox = await session.store.getMailbox(session.account, name);
    if (!mailbox) throw imapNo('No such mailbox', 'NONEXISTENT');
    if (session.selected?.mailboxId === mailbox.id) session.leaveMailbox();
    await session.store.deleteMailbox(session.account, name);
    return { text: 'DELETE completed' };
  },
});
