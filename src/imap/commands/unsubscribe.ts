/**
 * UNSUBSCRIBE (RFC 9051 §6.3.8): removes a name from the subscription list, whether or not the
 * mailbox exists; removing a name that is not subscribed is not an error.
 */
import { expectArgumentCount } from '../arguments.js';
import { mailboxArgument } from '../mailbox-names.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const unsubscribe = defineCommand<string>({
  name: 'UNSUBSCRIBE',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 1);
    return mailboxArgument(args[0], encoding);
  },
  async run(session, name) {
    await session.store.setSubscribed(session.account, name, false);
    return { text: 'UNSUBSCRIBE completed' };
  },
});
