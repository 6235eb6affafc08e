/**
 * APPEND (RFC 3501 §6.3.11, RFC 9051 §6.3.12): `APPEND mailbox [(flags)] [date-time] literal`,
 * or with UTF8=ACCEPT enabled `... UTF8 (~{n}...)` (RFC 6855 §4). UIDPLUS (RFC 4315): the
 * tagged OK carries [APPENDUID uidvalidity uid].
 *
 * Invariants:
 * - The OK is sent only after the store resolved, i.e. the message is durably written.
 * - A missing mailbox is NO [TRYCREATE]; a message over the APPENDLIMIT is NO [TOOBIG]
 *   (RFC 7889); the parser has already refused literals over the literal limit.
 * - The message arrives whole in one literal: the parser collects literals before handing over
 *   the command (MULTIAPPEND is not advertised, so there is exactly one message).
 */
import { imapBad, imapNo, StoreError } from '../../errors.js';
import { flagsArgument, isAtom, listArgument } from '../arguments.js';
import { mailboxArgument } from '../mailbox-names.js';
import type { Token } from '../protocol/types.js';
import { AUTHENTICATED, defineCommand } from './types.js';

interface AppendArgs {
  mailbox: string;
  flags: string[];
  internalDate?: number;
  message: Buffer;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DATE_TIME = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** `date-time` (RFC 3501 §9): "dd-Mon-yyyy hh:mm:ss +zzzz", the day possibly space-padded. */
export function parseDateTime(text: string): number {
  const match = DATE_TIME.exec(text);
  const month = match ? MONTHS.indexOf(match[2].toUpperCase()) : -1;
  if (!match || month === -1) throw imapBad('Invalid date-time');
  const [day, year, hours, minutes, seconds, zoneHours, zoneMinutes] = [1, 3, 4, 5, 6, 8, 9].map((i) => Number(match[i]));
  if (day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60 || zoneMinutes > 59) throw imapBad('Invalid date-time');
  const zone = (match[7] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  const utc = Date.UTC(year, month, day, hours, minutes, seconds) - zone * 60_000;
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) throw imapBad('Invalid date-time');
  return utc;
}

function messageArgument(tokens: Token[], utf8: boolean): Buffer {
  if (tokens.length === 2 && isAtom(tokens[0], 'UTF8')) {
    if (!utf8) throw imapBad('APPEND UTF8 needs ENABLE UTF8=ACCEPT');
    const items = listArgument(tokens[1], 'UTF8 message');
    if (items.length !== 1 || items[0].type !== 'string' || !items[0].binary) {
      throw imapBad('APPEND UTF8 expects one literal8');
    }
    return items[0].value;
  }
  if (tokens.length !== 1) throw imapBad('Unexpected APPEND arguments');
  const [token] = tokens;
  if (token.type !== 'string' || !token.literal) throw imapBad('Expected the message as a literal');
  // literal8 outside the UTF8 form is BINARY (RFC 3516), which is not advertised.
  if (token.binary) throw imapBad('literal8 is only accepted in the UTF8 form');
  return token.value;
}

export const append = defineCommand<AppendArgs>({
  name: 'APPEND',
  states: AUTHENTICATED,
  parse(args, encoding) {
    if (args.length < 2) throw imapBad('APPEND needs a mailbox and a message');
    const mailbox = mailboxArgument(args[0], encoding);
    let rest = args.slice(1);
    let flags: string[] = [];
    if (rest[0].type === 'list') {
      flags = flagsArgument(rest[0].items);
      rest = rest.slice(1);
    }
    let internalDate: number | undefined;
    if (rest.length > 1 && rest[0].type === 'string' && !rest[0].literal) {
      internalDate = parseDateTime(rest[0].value.toString('latin1'));
      rest = rest.slice(1);
    }
    return { mailbox, flags, internalDate, message: messageArgument(rest, encoding.utf8) };
  },
  async run(session, args) {
    const limit = session.context.limits.maxMessageSize;
    if (args.message.length > limit) throw imapNo(`Message exceeds the maximum size of ${limit} octets`, 'TOOBIG');
    if (args.message.length === 0) throw imapNo('Empty message', 'CANNOT');
    const target = await session.store.getMailbox(session.account, args.mailbox);
    if (!target) throw imapNo('No such mailbox', 'TRYCREATE');
    try {
      const delivered = await session.store.append(session.account, target.name, args.message, {
        flags: args.flags,
        internalDate: args.internalDate,
      });
      return { text: 'APPEND completed', code: `APPENDUID ${delivered.uidValidity} ${delivered.uid}` };
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'not-found') throw imapNo('No such mailbox', 'TRYCREATE');
      throw error;
    }
  },
});
