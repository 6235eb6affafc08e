/**
 * STATUS (RFC 3501 §6.3.10, RFC 9051 §6.3.11; SIZE from RFC 8438): counters of a mailbox, from
 * the store's mailbox record, answered in the order the client asked. RECENT is always 0: this
 * server never sets \Recent.
 */
import { imapBad, imapNo } from '../../errors.js';
import { atomArgument, expectArgumentCount, listArgument } from '../arguments.js';
import { mailboxArgument, mailboxNameValue } from '../mailbox-names.js';
import { atom, type ImapValue } from '../protocol/types.js';
import type { Mailbox } from '../../store/types.js';
import { AUTHENTICATED, defineCommand } from './types.js';

const ITEMS: Record<string, (mailbox: Mailbox) => number> = {
  MESSAGES: (mailbox) => mailbox.messages,
  UIDNEXT: (mailbox) => mailbox.uidNext,
  UIDVALIDITY: (mailbox) => mailbox.uidValidity,
  UNSEEN: (mailbox) => mailbox.unseen,
  RECENT: () => 0,
  SIZE: (mailbox) => mailbox.size,
};

interface StatusArgs {
  mailbox: string;
  items: string[];
}

export const status = defineCommand<StatusArgs>({
  name: 'STATUS',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 2);
    const items = listArgument(args[1], 'status items').map((token) => {
      const item = atomArgument(token, 'a status item').toUpperCase();
      if (!(item in ITEMS)) throw imapBad(`Unknown status item ${item}`);
      return item;
    });
    if (items.length === 0) throw imapBad('STATUS needs at least one item');
    return { mailbox: mailboxArgument(args[0], encoding), items: [...new Set(items)] };
  },
  async run(session, { mailbox: name, items }) {
    const mailbox = await session.store.getMailbox(session.account, name);
    if (!mailbox) throw imapNo('No such mailbox', 'NONEXISTENT');
    const values: ImapValue[] = [];
    for (const item of items) values.push(atom(item), ITEMS[item](mailbox));
    session.send(atom('STATUS'), mailboxNameValue(mailbox.name, session.names), values);
    return { text: 'STATUS completed' };
  },
});
