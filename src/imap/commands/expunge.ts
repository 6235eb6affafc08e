/**
 * EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): permanently remove the messages
 * marked \Deleted (for UID EXPUNGE, only those in the UID set), and tell the client with one
 * `* n EXPUNGE` per message, highest sequence number first so that each number is valid when
 * it is read (RFC 3501 §7.4.1).
 *
 * Only messages the client knows are expunged, and \Deleted is taken from the store, not from
 * the view: another session may have changed the flag since the client last heard about it.
 *
 * Once QRESYNC is enabled the removal is one `* VANISHED uids` instead (RFC 7162 §3.2.10); once
 * CONDSTORE is, the tagged OK carries [HIGHESTMODSEQ n] (RFC 7162 §3.1.2.1), after every queued
 * change has been announced so that n is safe to resynchronise from.
 */
import { imapNo } from '../../errors.js';
import { expectArgumentCount, sequenceSetArgument } from '../arguments.js';
import type { SequenceSet } from '../protocol/sequence.js';
import type { Session } from '../session.js';
import { defineCommand, SELECTED } from './types.js';

async function expungeMessages(session: Session, set: SequenceSet | null): Promise<string | null> {
  const view = session.mailbox;
  if (view.readOnly) throw imapNo('Mailbox is read-only');
  const known = new Set((set ? view.resolve(set, { uid: true }) : view.all()).map((message) => message.meta.uid));
  const current = await session.store.listMessages(view.mailboxId);
  const deleted = current.filter((meta) => known.has(meta.uid) && meta.flags.includes('\\Deleted')).map((meta) => meta.uid);
  if (deleted.length > 0) {
    const removed = await session.store.expunge(view.mailboxId, deleted);
    for (const response of view.expungeResponses(removed, { vanished: session.qresync })) session.send(...response);
  }
  if (!session.condstore) return null;
  session.announceUpdates({ allowExpunge: true });
  return `HIGHESTMODSEQ ${view.knownModSeq()}`;
}

export const expunge = defineCommand<void>({
  name: 'EXPUNGE',
  states: SELECTED,
  parse: (args) => expectArgumentCount(args, 0),
  async run(session) {
    const code = await expungeMessages(session, null);
    return { text: 'EXPUNGE completed', code };
  },
});

export const uidExpunge = defineCommand<SequenceSet>({
  name: 'UID EXPUNGE',
  states: SELECTED,
  parse(args) {
    expectArgumentCount(args, 1);
    return sequenceSetArgument(args[0]);
  },
  async run(session, set) {
    const code = await expungeMessages(session, set);
    return { text: 'UID EXPUNGE completed', code };
  },
});
