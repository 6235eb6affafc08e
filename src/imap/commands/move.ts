/**
 * MOVE and UID MOVE (RFC 6851): copy and expunge in one store batch. Replies, in order: the
 * untagged `* OK [COPYUID ...]` (RFC 6851 §4.3, UIDPLUS), one `* n EXPUNGE` per moved message
 * (highest first), or one `* VANISHED uids` once QRESYNC is enabled (RFC 6851 §4.3, RFC 7162
 * §3.2.10), then the tagged OK. A missing destination is NO [TRYCREATE]; a read-only
 * mailbox cannot lose messages, so MOVE there is NO.
 */
import { imapNo } from '../../errors.js';
import { copyUidCode, destinationMailbox, parseTransferArguments, type TransferArgs } from './copy.js';
import { defineCommand, SELECTED, type CommandSpec } from './types.js';

function moveCommand(options: { uid: boolean }): CommandSpec<TransferArgs> {
  const name = options.uid ? 'UID MOVE' : 'MOVE';
  return defineCommand<TransferArgs>({
    name,
    states: SELECTED,
    parse: parseTransferArguments,
    async run(session, { set, mailbox }) {
      const view = session.mailbox;
      if (view.readOnly) throw imapNo('Mailbox is read-only');
      const targets = view.resolve(set, options);
      const destination = await destinationMailbox(session, mailbox);
      if (targets.length === 0) return { text: `${name} completed, no messages` };
      const result = await session.store.move(
        view.mailboxId,
        targets.map((message) => message.meta.uid),
        destination.id,
      );
      const code = copyUidCode(result);
      if (code) session.sendStatus('OK', 'Moved', code);
      const moved = result.map.map(([source]) => source);
      for (const response of view.expungeResponses(moved, { vanished: session.qresync })) session.send(...response);
      return { text: `${name} completed` };
    },
  });
}

export const move = moveCommand({ uid: false });
export const uidMove = moveCommand({ uid: true });
