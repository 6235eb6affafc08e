/**
 * SELECT (RFC 3501 §6.3.1), shared with EXAMINE (§6.3.2). The reply order follows what
 * Thunderbird needs (CLIENTS.md §2): FLAGS first (it ignores FLAGS after PERMANENTFLAGS),
 * PERMANENTFLAGS only as a response code and with \* (keywords allowed), EXISTS, RECENT 0,
 * [UNSEEN n] when some message is unseen, [UIDVALIDITY], [UIDNEXT], then the tagged
 * OK [READ-WRITE] or [READ-ONLY]. Mailbox names may arrive as atoms (imapflow, CLIENTS.md §1).
 * A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
 */
import { imapBad, imapNo } from '../../errors.js';
import { MAILBOX_FLAGS, expectArgumentCount } from '../arguments.js';
import { mailboxArgument } from '../mailbox-names.js';
import { atom } from '../protocol/types.js';
import type { Session } from '../session.js';
import { AUTHENTICATED, defineCommand, type CommandResult, type ParseContext } from './types.js';
import type { Token } from '../protocol/types.js';

export function parseSelectArguments(args: Token[], encoding: ParseContext): string {
  expectArgumentCount(args, 1, 2);
  // RFC 4466 select parameters (CONDSTORE, QRESYNC) belong to extensions not advertised here.
  if (args.length === 2) throw imapBad('SELECT parameters are not supported');
  return mailboxArgument(args[0], encoding);
}

export async function openMailbox(session: Session, name: string, options: { readOnly: boolean }): Promise<CommandResult> {
  session.leaveMailbox();
  const mailbox = await session.store.getMailbox(session.account, name);
  if (!mailbox) throw imapNo('No such mailbox', 'NONEXISTENT');
  const view = await session.open(mailbox, options);
  const flags = [...MAILBOX_FLAGS, ...view.keywords()].map(atom);
  session.send(atom('FLAGS'), flags);
  if (options.readOnly) session.sendStatus('OK', 'No permanent flags permitted', 'PERMANENTFLAGS ()');
  else session.sendStatus('OK', 'Flags permitted', `PERMANENTFLAGS (${[...MAILBOX_FLAGS, ...view.keywords(), '\\*'].join(' ')})`);
  session.send(view.exists, atom('EXISTS'));
  session.send(0, atom('RECENT'));
  const unseen = view.firstUnseenSeq();
  if (unseen > 0) session.sendStatus('OK', 'First unseen', `UNSEEN ${unseen}`);
  session.sendStatus('OK', 'UIDs valid', `UIDVALIDITY ${view.uidValidity}`);
  session.sendStatus('OK', 'Predicted next UID', `UIDNEXT ${Math.max(mailbox.uidNext, view.lastUid + 1)}`);
  const command = options.readOnly ? 'EXAMINE' : 'SELECT';
  return { text: `${command} completed`, code: options.readOnly ? 'READ-ONLY' : 'READ-WRITE' };
}

export const select = defineCommand<string>({
  name: 'SELECT',
  states: AUTHENTICATED,
  parse: parseSelectArguments,
  run: (session, name) => openMailbox(session, name, { readOnly: false }),
});
