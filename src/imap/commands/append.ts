/**
 * APPEND (RFC 3501 §6.3.11, RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), BINARY (RFC 3516 §4.4)
 * and UTF8=ACCEPT (RFC 6855 §4):
 *
 *   APPEND mailbox 1*( [(flags)] [date-time] (literal / literal8 / UTF8 "(" literal8 ")") )
 *
 * UIDPLUS (RFC 4315): the tagged OK carries [APPENDUID uidvalidity uid-set], one UID per message,
 * in the order given.
 *
 * Invariants:
 * - All or none (RFC 3502 §3): the messages are stored in one store batch, and the OK is sent only
 *   after it is durably written. Any failure (one message too big, empty, over quota) stores none.
 * - A missing mailbox is NO [TRYCREATE]; a message over the APPENDLIMIT is NO [TOOBIG]
 *   (RFC 7889); going over the account's quota is NO [OVERQUOTA] (RFC 9208 §4.4, RFC 5530).
 * - literal8 (`~{n}`) is accepted with or without the UTF8 form: the store keeps any octets, so
 *   binary content never needs NO [UNKNOWN-CTE] here (RFC 3516 §4.4 reserves it for stores that
 *   cannot). FETCH returns such content as literal8 (fetch/render.ts).
 * - The parser collects every literal before handing over the command, so all messages of one
 *   APPEND together are bounded by the command size limit.
 * - The date-time's zone is kept with the internal date (AppendOptions.internalZone), so FETCH
 *   INTERNALDATE shows it as given and SEARCH BEFORE/ON/SINCE use its calendar day
 *   (RFC 9051 §2.3.3, §6.4.4), as Dovecot does. Without a date-time the message gets now, +0000.
 */
import { imapBad, imapNo, StoreError } from '../../errors.js';
import type { AppendOptions, Delivered } from '../../store/types.js';
import { flagsArgument, isAtom, listArgument } from '../arguments.js';
import { mailboxArgument } from '../mailbox-names.js';
import { formatSequenceSet } from '../protocol/sequence.js';
import type { Token } from '../protocol/types.js';
import { AUTHENTICATED, defineCommand } from './types.js';

interface AppendMessage {
  flags: string[];
  internalDate?: DateTime;
  message: Buffer;
}

/** A `date-time` as given: the instant, and the zone it was written in. */
export interface DateTime {
  epochMs: number;
  /** Minutes east of UTC (`+0200` is 120, `-0800` is -480). */
  zoneMinutes: number;
}

interface AppendArgs {
  mailbox: string;
  messages: AppendMessage[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DATE_TIME = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** `date-time` (RFC 3501 §9): "dd-Mon-yyyy hh:mm:ss +zzzz", the day possibly space-padded. */
export function parseDateTime(text: string): DateTime {
  const match = DATE_TIME.exec(text);
  const month = match ? MONTHS.indexOf(match[2].toUpperCase()) : -1;
  if (!match || month === -1) throw imapBad('Invalid date-time');
  const [day, year, hours, minutes, seconds, zoneHours, zoneMinutes] = [1, 3, 4, 5, 6, 8, 9].map((i) => Number(match[i]));
  if (day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60 || zoneMinutes > 59) throw imapBad('Invalid date-time');
  const zone = (match[7] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  const utc = Date.UTC(year, month, day, hours, minutes, seconds) - zone * 60_000;
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) throw imapBad('Invalid date-time');
  return { epochMs: utc, zoneMinutes: zone };
}

/**
 * One `append-message` from `tokens` at `start`; returns it and the index after it. The data is
 * a literal, a literal8 (BINARY) or `UTF8 (literal8)` (RFC 6855 §4, only once UTF8=ACCEPT is on).
 */
function appendMessage(tokens: Token[], start: number, utf8: boolean): { message: AppendMessage; next: number } {
  let i = start;
  let flags: string[] = [];
  if (tokens[i]?.type === 'list') flags = flagsArgument((tokens[i++] as Extract<Token, { type: 'list' }>).items);
  let internalDate: DateTime | undefined;
  const date = tokens[i];
  if (date?.type === 'string' && !date.literal && i + 1 < tokens.length) {
    internalDate = parseDateTime(date.value.toString('latin1'));
    i++;
  }
  const data = tokens[i];
  if (isAtom(data, 'UTF8')) {
    if (!utf8) throw imapBad('APPEND UTF8 needs ENABLE UTF8=ACCEPT');
    const items = listArgument(tokens[i + 1], 'UTF8 message');
    if (items.length !== 1 || items[0].type !== 'string' || !items[0].binary) throw imapBad('APPEND UTF8 expects one literal8');
    return { message: { flags, internalDate, message: items[0].value }, next: i + 2 };
  }
  if (!data || data.type !== 'string' || !data.literal) throw imapBad('Expected the message as a literal');
  return { message: { flags, internalDate, message: data.value }, next: i + 1 };
}

export const append = defineCommand<AppendArgs>({
  name: 'APPEND',
  states: AUTHENTICATED,
  parse(args, encoding) {
    if (args.length < 2) throw imapBad('APPEND needs a mailbox and a message');
    const mailbox = mailboxArgument(args[0], encoding);
    const messages: AppendMessage[] = [];
    for (let i = 1; i < args.length; ) {
      const { message, next } = appendMessage(args, i, encoding.utf8);
      messages.push(message);
      i = next;
    }
    return { mailbox, messages };
  },
  async run(session, { mailbox, messages }) {
    const limit = session.context.limits.maxMessageSize;
    for (const { message } of messages) {
      if (message.length > limit) throw imapNo(`Message exceeds the maximum size of ${limit} octets`, 'TOOBIG');
      if (message.length === 0) throw imapNo('Empty message', 'CANNOT');
    }
    const target = await session.store.getMailbox(session.account, mailbox);
    if (!target) throw imapNo('No such mailbox', 'TRYCREATE');
    const total = messages.reduce((sum, { message }) => sum + message.length, 0);
    await session.context.quotas.checkRoom(session.account, total);
    let delivered: Delivered[];
    try {
      const options = (m: AppendMessage): AppendOptions => ({
        flags: m.flags,
        internalDate: m.internalDate?.epochMs,
        internalZone: m.internalDate?.zoneMinutes,
      });
      delivered =
        messages.length === 1
          ? [await session.store.append(session.account, target.name, messages[0].message, options(messages[0]))]
          : await session.store.appendMessages(
              session.account,
              target.name,
              messages.map((m) => ({ raw: m.message, options: options(m) })),
            );
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'not-found') throw imapNo('No such mailbox', 'TRYCREATE');
      throw error;
    }
    const uids = formatSequenceSet(delivered.map((entry) => entry.uid));
    return { text: 'APPEND completed', code: `APPENDUID ${delivered[0].uidValidity} ${uids}` };
  },
});
