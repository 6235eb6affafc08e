/**
 * SELECT (RFC 3501 §6.3.1, RFC 9051 §6.3.2), shared with EXAMINE (§6.3.2), with the select
 * parameters of CONDSTORE and QRESYNC (RFC 7162 §3.1.8, §3.2.5).
 *
 * Reply order follows what Thunderbird needs (CLIENTS.md §2): FLAGS first (it ignores FLAGS
 * after PERMANENTFLAGS), PERMANENTFLAGS only as a response code and with \* (keywords allowed),
 * EXISTS, RECENT (the messages \Recent in this session: a read-write SELECT claims them, an
 * EXAMINE counts the unclaimed ones, see session.ts), [UNSEEN n] when some message is unseen, [UIDVALIDITY], [UIDNEXT],
 * [HIGHESTMODSEQ] (always: every mailbox keeps modseqs, RFC 7162 §3.1.2.1), then for QRESYNC
 * the VANISHED (EARLIER) and FETCH of the resynchronisation, and the tagged OK [READ-WRITE] or
 * [READ-ONLY]. Mailbox names may arrive as atoms (imapflow, CLIENTS.md §1).
 *
 * IMAP4rev2 sessions (RFC 9051 §6.3.2) get no RECENT and no [UNSEEN], and a LIST response for the
 * mailbox. When a mailbox was selected, QRESYNC and rev2 sessions first get `* OK [CLOSED]`
 * (RFC 7162 §3.2.11, RFC 9051 §7.1). A failed SELECT leaves no mailbox selected, NO or BAD
 * alike (`leavesMailboxOnFailure`, commands/index.ts), as Dovecot does: a client that goes on
 * after a refused SELECT (emailjs-imap-client does) must not STORE or EXPUNGE in the old one.
 */
import { imapBad, imapNo } from '../../errors.js';
import { MAILBOX_FLAGS, expectArgumentCount } from '../arguments.js';
import { DELIMITER, mailboxArgument, mailboxNameValue } from '../mailbox-names.js';
import { parseSelectParameters, resynchronise, type SelectParameters } from '../qresync.js';
import { atom } from '../protocol/types.js';
import type { Session } from '../session.js';
import type { SelectedMailbox } from '../selected.js';
import type { Mailbox } from '../../store/types.js';
import { AUTHENTICATED, defineCommand, type CommandResult, type ParseContext } from './types.js';
import type { Token } from '../protocol/types.js';

export interface SelectArgs {
  name: string;
  parameters: SelectParameters;
}

export function parseSelectArguments(args: Token[], encoding: ParseContext): SelectArgs {
  expectArgumentCount(args, 1, 2);
  const parameters = args.length === 2 ? parseSelectParameters(args[1]) : { condstore: false };
  return { name: mailboxArgument(args[0], encoding), parameters };
}

export async function openMailbox(session: Session, args: SelectArgs, options: { readOnly: boolean }): Promise<CommandResult> {
  const { parameters } = args;
  if (parameters.qresync && !session.qresync) throw imapBad('QRESYNC needs ENABLE QRESYNC first');
  session.closeSelectedMailbox();
  // After leaving the previous mailbox: this SELECT reports HIGHESTMODSEQ itself.
  if (parameters.condstore) session.enableCondstore();
  const mailbox = await session.store.getMailbox(session.account, args.name);
  if (!mailbox) throw imapNo('No such mailbox', 'NONEXISTENT');
  const view = await session.open(mailbox, options);
  const keywords = view.announceKeywords();
  session.send(atom('FLAGS'), [...MAILBOX_FLAGS, ...keywords].map(atom));
  if (options.readOnly) session.sendStatus('OK', 'No permanent flags permitted', 'PERMANENTFLAGS ()');
  else session.sendStatus('OK', 'Flags permitted', `PERMANENTFLAGS (${[...MAILBOX_FLAGS, ...keywords, '\\*'].join(' ')})`);
  session.send(view.exists, atom('EXISTS'));
  if (!session.rev2) {
    session.send(view.recentCount(), atom('RECENT'));
    const unseen = view.firstUnseenSeq();
    if (unseen > 0) session.sendStatus('OK', 'First unseen', `UNSEEN ${unseen}`);
  }
  session.sendStatus('OK', 'UIDs valid', `UIDVALIDITY ${view.uidValidity}`);
  session.sendStatus('OK', 'Predicted next UID', `UIDNEXT ${Math.max(mailbox.uidNext, view.lastUid + 1)}`);
  session.sendStatus('OK', 'Highest', `HIGHESTMODSEQ ${view.knownModSeq()}`);
  if (session.rev2) await sendListResponse(session, view, mailbox);
  if (parameters.qresync) await resynchronise(session, view, parameters.qresync);
  const command = options.readOnly ? 'EXAMINE' : 'SELECT';
  return { text: `${command} completed`, code: options.readOnly ? 'READ-ONLY' : 'READ-WRITE' };
}

/** RFC 9051 §6.3.2: the mailbox's LIST response, with accurate attributes. */
async function sendListResponse(session: Session, view: SelectedMailbox, mailbox: Mailbox): Promise<void> {
  const prefix = view.name + DELIMITER;
  const mailboxes = await session.store.listMailboxes(session.account);
  const attributes = [mailboxes.some((other) => other.name.startsWith(prefix)) ? '\\HasChildren' : '\\HasNoChildren'];
  if (mailbox.specialUse) attributes.push(mailbox.specialUse);
  session.send(atom('LIST'), attributes.map(atom), DELIMITER, mailboxNameValue(view.name, session.names));
}

export const select = defineCommand<SelectArgs>({
  name: 'SELECT',
  states: AUTHENTICATED,
  leavesMailboxOnFailure: true,
  parse: parseSelectArguments,
  run: (session, args) => openMailbox(session, args, { readOnly: false }),
});
