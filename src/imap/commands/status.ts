/**
 * STATUS (RFC 3501 §6.3.10, RFC 9051 §6.3.11; SIZE from RFC 8438): counters of a mailbox, from
 * the store's mailbox record, answered in the order the client asked. RECENT counts the messages
 * no read-write session has claimed yet (uid >= firstRecentUid, RFC 3501 §2.3.2, session.ts): no
 * scan when there are none, else a count over the (cached) listing.
 *
 * Also: APPENDLIMIT (RFC 7889 §3, the session's limit, the same for every mailbox), DELETED
 * (RFC 9051 §6.3.11, RFC 9208 §4.3.1) and DELETED-STORAGE (RFC 9208 §4.3.2: octets an EXPUNGE
 * would free, here the exact sum of RFC822.SIZE of the \Deleted messages). The last two read the
 * mailbox's message list, so they cost a scan; the others come from the mailbox record.
 *
 * parseStatusItems and statusValues are shared with LIST-STATUS (RFC 5819, commands/list.ts).
 */
import { imapBad, imapNo } from '../../errors.js';
import { atomArgument, expectArgumentCount, listArgument } from '../arguments.js';
import { mailboxArgument, mailboxNameValue } from '../mailbox-names.js';
import { atom, type ImapValue, type Token } from '../protocol/types.js';
import type { Mailbox } from '../../store/types.js';
import type { Session } from '../session.js';
import { AUTHENTICATED, defineCommand } from './types.js';

const ITEMS: Record<string, (mailbox: Mailbox) => number> = {
  MESSAGES: (mailbox) => mailbox.messages,
  UIDNEXT: (mailbox) => mailbox.uidNext,
  UIDVALIDITY: (mailbox) => mailbox.uidValidity,
  UNSEEN: (mailbox) => mailbox.unseen,
  SIZE: (mailbox) => mailbox.size,
  // RFC 7162 §3.1.9; asking for it is a CONDSTORE enabling command (§3.1).
  HIGHESTMODSEQ: (mailbox) => mailbox.highestModSeq,
};

/** Items answered from the mailbox's messages (a scan) rather than its record. */
const SCANNED_ITEMS = new Set(['DELETED', 'DELETED-STORAGE']);

/** Items computed here rather than read from the record (APPENDLIMIT, RECENT). */
const COMPUTED_ITEMS = new Set(['APPENDLIMIT', 'RECENT']);

/** The status-att list `(MESSAGES UNSEEN ...)`: known items, upper-cased, duplicates dropped. */
export function parseStatusItems(token: Token | undefined): string[] {
  const items = listArgument(token, 'status items').map((item) => {
    const name = atomArgument(item, 'a status item').toUpperCase();
    if (!(name in ITEMS) && !SCANNED_ITEMS.has(name) && !COMPUTED_ITEMS.has(name)) throw imapBad(`Unknown status item ${name}`);
    return name;
  });
  if (items.length === 0) throw imapBad('STATUS needs at least one item');
  return [...new Set(items)];
}

/** `NAME value NAME value ...` for the STATUS response, in the order asked. */
export async function statusValues(session: Session, mailbox: Mailbox, items: string[]): Promise<ImapValue[]> {
  let deleted: { count: number; octets: number } | null = null;
  if (items.some((item) => SCANNED_ITEMS.has(item))) {
    deleted = { count: 0, octets: 0 };
    for (const message of await session.store.listMessages(mailbox.id)) {
      if (!message.flags.includes('\\Deleted')) continue;
      deleted.count++;
      deleted.octets += message.size;
    }
  }
  const values: ImapValue[] = [];
  for (const item of items) {
    let value: number;
    if (item === 'DELETED') value = deleted!.count;
    else if (item === 'DELETED-STORAGE') value = deleted!.octets;
    else if (item === 'APPENDLIMIT') value = session.context.limits.maxMessageSize;
    else if (item === 'RECENT') value = session.rev2 ? 0 : await unclaimedRecent(session, mailbox);
    else value = ITEMS[item](mailbox);
    values.push(atom(item), value);
  }
  return values;
}

/** Messages with uid >= firstRecentUid: \Recent for the next read-write SELECT. */
async function unclaimedRecent(session: Session, mailbox: Mailbox): Promise<number> {
  const firstRecentUid = mailbox.firstRecentUid ?? mailbox.uidNext;
  if (firstRecentUid >= mailbox.uidNext) return 0;
  let count = 0;
  for (const message of await session.store.listMessages(mailbox.id)) if (message.uid >= firstRecentUid) count++;
  return count;
}

interface StatusArgs {
  mailbox: string;
  items: string[];
}

export const status = defineCommand<StatusArgs>({
  name: 'STATUS',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 2);
    const items = parseStatusItems(args[1]);
    return { mailbox: mailboxArgument(args[0], encoding), items };
  },
  async run(session, { mailbox: name, items }) {
    const mailbox = await session.store.getMailbox(session.account, name);
    if (!mailbox) throw imapNo('No such mailbox', 'NONEXISTENT');
    if (items.includes('HIGHESTMODSEQ')) session.enableCondstore();
    const values = await statusValues(session, mailbox, items);
    session.send(atom('STATUS'), mailboxNameValue(mailbox.name, session.names), values);
    return { text: 'STATUS completed' };
  },
});
