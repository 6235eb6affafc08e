/**
 * RENAME (RFC 9051 §6.3.6): inferiors move with the mailbox (the store does that); missing
 * superiors of the new name are created (by the store, in one batch); renaming a mailbox into
 * its own inferiors is NO [CANNOT]; renaming INBOX moves its messages to the new mailbox and
 * leaves INBOX empty. Errors: NO [NONEXISTENT] for a missing source, NO [ALREADYEXISTS] for an
 * existing target.
 */
import { imapNo } from '../../errors.js';
import { expectArgumentCount } from '../arguments.js';
import { checkNewMailboxName, DELIMITER, mailboxArgument, normalizeMailboxName } from '../mailbox-names.js';
import { AUTHENTICATED, defineCommand } from './types.js';

interface RenameArgs {
  from: string;
  to: string;
}

export const rename = defineCommand<RenameArgs>({
  name: 'RENAME',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 2);
    let to = mailboxArgument(args[1], encoding);
    while (to.endsWith(DELIMITER)) to = to.slice(0, -1);
    return { from: mailboxArgument(args[0], encoding), to: normalizeMailboxName(to) };
  },
  async run(session, { from, to }) {
    checkNewMailboxName(to);
    if (!(await session.store.getMailbox(session.account, from))) throw imapNo('No such mailbox', 'NONEXISTENT');
    if (to === 'INBOX' || (await session.store.getMailbox(session.account, to))) {
      throw imapNo('Target mailbox already exists', 'ALREADYEXISTS');
    }
    await session.store.renameMailbox(session.account, from, to);
    return { text: 'RENAME completed' };
  },
});
