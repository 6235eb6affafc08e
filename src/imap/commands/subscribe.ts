/**
 * SUBSCRIBE (RFC 9051 §6.3.7): adds a name to the subscription list. The mailbox need not exist
 * (subscriptions are kept by name), but the name must be one that could be created.
 */
import { expectArgumentCount } from '../arguments.js';
import { checkNewMailboxName, mailboxArgument } from '../mailbox-names.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const subscribe = defineCommand<string>({
  name: 'SUBSCRIBE',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 1);
    return mailboxArgument(args[0], encoding);
  },
  async run(session, name) {
    checkNewMailboxName(name);
    await session.store.setSubscribed(session.account, name, true);
    return { text: 'SUBSCRIBE completed' };
  },
});
