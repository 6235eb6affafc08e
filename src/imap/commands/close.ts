/**
 * CLOSE (RFC 9051 §6.4.1): expunges the messages marked \Deleted, silently (no EXPUNGE
 * responses), unless the mailbox was opened read-only; then leaves the selected state.
 */
import { expectArgumentCount } from '../arguments.js';
import { defineCommand, SELECTED } from './types.js';

export const close = defineCommand<void>({
  name: 'CLOSE',
  states: SELECTED,
  parse: (args) => expectArgumentCount(args, 0),
  async run(session) {
    const view = session.mailbox;
    if (!view.readOnly) {
      // The store's current flags, not the view's: another session may have changed them.
      const messages = await session.store.listMessages(view.mailboxId);
      const deleted = messages.filter((meta) => meta.flags.includes('\\Deleted')).map((meta) => meta.uid);
      if (deleted.length > 0) await session.store.expunge(view.mailboxId, deleted);
    }
    session.leaveMailbox();
    return { text: 'CLOSE completed' };
  },
});
