/**
 * STORE and UID STORE (RFC 3501 §6.4.6, §6.4.8): `STORE set [+|-]FLAGS[.SILENT] (flags)`, the
 * flags as a list or bare (RFC 9051 §9 `store-att-flags`).
 *
 * Invariants:
 * - Unless .SILENT, each named message that still exists gets `* n FETCH (FLAGS (...))`, with
 *   UID for UID STORE (RFC 3501 §6.4.8), showing its flags after the change.
 * - The view records the new flags and modseqs, so the store's echo event is not announced again.
 * - STORE (not UID STORE) never causes EXPUNGE responses (RFC 3501 §7.4.1).
 * - UNCHANGEDSINCE (CONDSTORE) is not supported: CONDSTORE is not advertised.
 */
import { imapBad, imapNo } from '../../errors.js';
import type { FlagOperation } from '../../store/types.js';
import { atomArgument, flagsArgument, sequenceSetArgument } from '../arguments.js';
import { renderFlags } from '../fetch/index.js';
import type { SequenceSet } from '../protocol/sequence.js';
import { atom, type ImapValue } from '../protocol/types.js';
import type { Session } from '../session.js';
import { defineCommand, SELECTED, type CommandSpec } from './types.js';

interface StoreArgs {
  set: SequenceSet;
  op: FlagOperation;
  silent: boolean;
  flags: string[];
}

const OPERATIONS: Record<string, FlagOperation> = { '+FLAGS': 'add', '-FLAGS': 'remove', FLAGS: 'set' };

async function runStore(session: Session, args: StoreArgs, options: { uid: boolean }): Promise<void> {
  const view = session.mailbox;
  if (view.readOnly) throw imapNo('Mailbox is read-only');
  const targets = view.resolve(args.set, options);
  if (targets.length === 0) return;
  const uids = targets.map((message) => message.meta.uid);
  const result = await session.store.storeFlags(view.mailboxId, uids, { op: args.op, flags: args.flags });
  view.applyFlagChanges(result.changed);
  if (args.silent) return;
  for (const uid of uids) {
    const seq = view.seqOfUid(uid);
    if (seq === 0) continue;
    const items: ImapValue[] = options.uid ? [atom('UID'), uid] : [];
    items.push(atom('FLAGS'), renderFlags(view.at(seq).flags));
    session.send(seq, atom('FETCH'), items);
  }
}

function storeCommand(options: { uid: boolean }): CommandSpec<StoreArgs> {
  const name = options.uid ? 'UID STORE' : 'STORE';
  return defineCommand<StoreArgs>({
    name,
    states: SELECTED,
    holdsExpunges: !options.uid,
    parse(args) {
      if (args.length < 3) throw imapBad('STORE needs a sequence set, a data item and flags');
      if (args[1].type === 'list') throw imapBad('STORE modifiers (UNCHANGEDSINCE) need CONDSTORE, which is not advertised');
      const item = atomArgument(args[1], 'a STORE data item').toUpperCase();
      const silent = item.endsWith('.SILENT');
      const op = OPERATIONS[silent ? item.slice(0, -'.SILENT'.length) : item];
      if (!op) throw imapBad(`Unknown STORE data item ${item}`);
      const rest = args.slice(2);
      const flagTokens = rest.length === 1 && rest[0].type === 'list' ? rest[0].items : rest;
      return { set: sequenceSetArgument(args[0]), op, silent, flags: flagsArgument(flagTokens) };
    },
    async run(session, args) {
      if (options.uid) session.announceUpdates({ allowExpunge: true });
      await runStore(session, args, options);
      return { text: `${name} completed` };
    },
  });
}

export const store = storeCommand({ uid: false });
export const uidStore = storeCommand({ uid: true });
