/**
 * COPY and UID COPY (RFC 3501 §6.4.7, §6.4.8) with UIDPLUS (RFC 4315 §3): the tagged OK carries
 * [COPYUID uidvalidity source-uids destination-uids], the two sets paired by position. A missing
 * destination is NO [TRYCREATE]. A UID set may name no existing message: that is OK, without
 * COPYUID. Messages another session expunged meanwhile are skipped (the copy is one store batch,
 * so it never half-fails, RFC 3501 §6.4.7), and COPYUID lists what was copied.
 */
import { imapNo } from '../../errors.js';
import type { CopyResult, Mailbox } from '../../store/types.js';
import { expectArgumentCount, sequenceSetArgument } from '../arguments.js';
import { mailboxArgument } from '../mailbox-names.js';
import { formatSequenceSet, type SequenceSet } from '../protocol/sequence.js';
import type { Session } from '../session.js';
import { defineCommand, SELECTED, type CommandSpec, type ParseContext } from './types.js';
import type { Token } from '../protocol/types.js';

export interface TransferArgs {
  set: SequenceSet;
  mailbox: string;
}

export function parseTransferArguments(args: Token[], encoding: ParseContext): TransferArgs {
  expectArgumentCount(args, 2);
  return { set: sequenceSetArgument(args[0]), mailbox: mailboxArgument(args[1], encoding) };
}

/** The destination of COPY or MOVE; NO [TRYCREATE] when it does not exist (RFC 3501 §6.4.7). */
export async function destinationMailbox(session: Session, name: string): Promise<Mailbox> {
  const mailbox = await session.store.getMailbox(session.account, name);
  if (!mailbox) throw imapNo('No such mailbox', 'TRYCREATE');
  return mailbox;
}

/** `COPYUID uidvalidity src dst` (RFC 4315 §3), or null when nothing was copied. */
export function copyUidCode(result: CopyResult): string | null {
  if (result.map.length === 0) return null;
  const sources = formatSequenceSet(result.map.map(([source]) => source));
  const destinations = formatSequenceSet(result.map.map(([, destination]) => destination));
  return `COPYUID ${result.uidValidity} ${sources} ${destinations}`;
}

function copyCommand(options: { uid: boolean }): CommandSpec<TransferArgs> {
  const name = options.uid ? 'UID COPY' : 'COPY';
  return defineCommand<TransferArgs>({
    name,
    states: SELECTED,
    parse: parseTransferArguments,
    async run(session, { set, mailbox }) {
      const view = session.mailbox;
      const targets = view.resolve(set, options);
      const destination = await destinationMailbox(session, mailbox);
      if (targets.length === 0) return { text: `${name} completed, no messages` };
      const uids = targets.map((message) => message.meta.uid);
      // A copy adds its octets to the account's usage; MOVE does not (RFC 9208 §4.4).
      await session.context.quotas.checkRoom(session.account, targets.reduce((sum, message) => sum + message.meta.size, 0));
      const result = await session.store.copy(view.mailboxId, uids, destination.id);
      return { text: `${name} completed`, code: copyUidCode(result) };
    },
  });
}

export const copy = copyCommand({ uid: false });
export const uidCopy = copyCommand({ uid: true });
