/**
 * CREATE (RFC 3501 §6.3.3, RFC 9051 §6.3.4): a trailing delimiter is dropped ("Work/" creates
 * "Work"); missing superiors are created too ("a/b/c" creates "a" and "a/b", in the same store
 * batch); an existing name,
 * INBOX included, is NO [ALREADYEXISTS] (RFC 5530).
 */
import { imapNo } from '../../errors.js';
import { expectArgumentCount } from '../arguments.js';
import { checkNewMailboxName, DELIMITER, mailboxArgument, normalizeMailboxName } from '../mailbox-names.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const create = defineCommand<string>({
  name: 'CREATE',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 1);
    let name = mailboxArgument(args[0], encoding);
    while (name.endsWith(DELIMITER)) name = name.slice(0, -1);
    return normalizeMailboxName(name);
  },
  async run(session, name) {
    if (name === 'INBOX') throw imapNo('INBOX always exists', 'ALREADYEXISTS');
    checkNewMailboxName(name);
    if (await session.store.getMailbox(session.account, name)) throw imapNo('Mailbox already exists', 'ALREADYEXISTS');
    await session.store.createMailbox(session.account, name);
    return { text: 'CREATE completed' };
  },
});
