/**
 * STORE and UID STORE (RFC 3501 §6.4.6, §6.4.8): `STORE set [(UNCHANGEDSINCE n)]
 * [+|-]FLAGS[.SILENT] (flags)`, the flags as a list or bare (RFC 9051 §9 `store-att-flags`), the
 * modifier from CONDSTORE (RFC 7162 §3.1.3).
 *
 * Invariants:
 * - Unless .SILENT, each named message that still exists gets `* n FETCH (FLAGS (...))`, with
 *   UID for UID STORE (RFC 3501 §6.4.8), showing its flags after the change. Once CONDSTORE is
 *   enabled these carry MODSEQ, and a message whose flags changed gets its new MODSEQ even with
 *   .SILENT (RFC 7162 §3.1.3), as `UID u MODSEQ (m) FLAGS (..)` in the RFC's order.
 * - UNCHANGEDSINCE n (a CONDSTORE enabling command) leaves alone every message whose modseq is
 *   above n (0: every message) and lists those in the tagged OK's [MODIFIED set], as sequence
 *   numbers, or UIDs for UID STORE; they get no FETCH.
 * - The view records the new flags and modseqs, so the store's echo event is not announced again.
 *   Even with .SILENT, a message whose new flags are not just what the client knew plus its own
 *   change (another session changed it meanwhile) gets its FETCH FLAGS: the client would never
 *   learn of that change otherwise (RFC 9051 §6.4.6 Note).
 * - STORE (not UID STORE) never causes EXPUNGE responses (RFC 3501 §7.4.1).
 */
import { imapBad, imapNo } from '../../errors.js';
import type { FlagChange, FlagOperation } from '../../store/types.js';
import { atomArgument, flagsArgument, listArgument, sequenceSetArgument } from '../arguments.js';
import { renderFlags } from '../fetch/index.js';
import { formatSequenceSet, type SequenceSet } from '../protocol/sequence.js';
import { atom, type ImapValue, type Token } from '../protocol/types.js';
import type { SelectedMailbox } from '../selected.js';
import type { Session } from '../session.js';
import { defineCommand, SELECTED, type CommandSpec } from './types.js';

interface StoreArgs {
  set: SequenceSet;
  op: FlagOperation;
  silent: boolean;
  flags: string[];
  /** CONDSTORE UNCHANGEDSINCE (RFC 7162 §3.1.3). */
  unchangedSince?: number;
}

const OPERATIONS: Record<string, FlagOperation> = { '+FLAGS': 'add', '-FLAGS': 'remove', FLAGS: 'set' };

/** Runs the STORE; returns the [MODIFIED ...] code when UNCHANGEDSINCE refused some messages. */
async function runStore(session: Session, args: StoreArgs, options: { uid: boolean }): Promise<string | null> {
  const view = session.mailbox;
  if (args.unchangedSince !== undefined) session.enableCondstore();
  if (view.readOnly) throw imapNo('Mailbox is read-only');
  const targets = view.resolve(args.set, options);
  if (targets.length === 0) return null;
  const uids = targets.map((message) => message.meta.uid);
  const result = await session.store.storeFlags(view.mailboxId, uids, {
    op: args.op,
    flags: args.flags,
    ...(args.unchangedSince !== undefined ? { unchangedSince: args.unchangedSince } : {}),
  });
  // Read before the view takes the new flags: what the client was told, plus its own change.
  const surprising = args.silent ? unexpectedChanges(view, result.changed, args) : new Set<number>();
  view.applyFlagChanges(result.changed);
  // A new keyword is announced even for .SILENT: later FETCHes show it (selected.ts).
  const flagsUpdate = view.flagsUpdate(result.changed.map((change) => change.flags));
  if (flagsUpdate) session.send(...flagsUpdate);
  const changed = new Set(result.changed.map((change) => change.uid));
  const modified = new Set(result.modified);
  for (const uid of uids) {
    const seq = view.seqOfUid(uid);
    if (seq === 0 || modified.has(uid)) continue;
    const tellFlags = !args.silent || surprising.has(uid);
    if (!tellFlags && !(session.condstore && changed.has(uid))) continue;
    const meta = view.at(seq);
    // With CONDSTORE on, every FETCH a STORE causes carries UID and MODSEQ (RFC 7162 §3.1).
    const items: ImapValue[] = options.uid || session.condstore ? [atom('UID'), uid] : [];
    if (session.condstore) items.push(atom('MODSEQ'), [meta.modseq]);
    if (tellFlags) items.push(atom('FLAGS'), renderFlags(meta.flags, view.isRecent(uid)));
    session.send(seq, atom('FETCH'), items);
  }
  if (modified.size === 0) return null;
  const numbers = options.uid ? [...modified].sort((a, b) => a - b) : targets.filter((m) => modified.has(m.meta.uid)).map((m) => m.seq);
  return `MODIFIED ${formatSequenceSet(numbers)}`;
}

/**
 * UIDs whose new flags are not what the client expects from the flags it was told plus its own
 * operation: another session changed them meanwhile. Only changed messages are looked at.
 */
function unexpectedChanges(view: SelectedMailbox, changes: readonly FlagChange[], args: StoreArgs): Set<number> {
  const unexpected = new Set<number>();
  for (const change of changes) {
    const seq = view.seqOfUid(change.uid);
    if (seq === 0) continue;
    if (!sameFlags(change.flags, applyOperation(view.at(seq).flags, args.op, args.flags))) unexpected.add(change.uid);
  }
  return unexpected;
}

/** The flags after `op` on `current`, flag names compared case-insensitively (as the store does). */
function applyOperation(current: readonly string[], op: FlagOperation, flags: readonly string[]): string[] {
  const named = new Set(flags.map((flag) => flag.toLowerCase()));
  if (op === 'set') return [...flags];
  if (op === 'remove') return current.filter((flag) => !named.has(flag.toLowerCase()));
  const present = new Set(current.map((flag) => flag.toLowerCase()));
  return [...current, ...flags.filter((flag) => !present.has(flag.toLowerCase()))];
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map((flag) => flag.toLowerCase()));
  const right = new Set(b.map((flag) => flag.toLowerCase()));
  return left.size === right.size && [...left].every((flag) => right.has(flag));
}

/** `(UNCHANGEDSINCE mod-sequence-valzer)` (RFC 7162 §7 `store-modifier`). */
function parseStoreModifiers(token: Token): number {
  const items = listArgument(token, 'STORE modifiers');
  if (items.length !== 2 || atomArgument(items[0], 'a STORE modifier').toUpperCase() !== 'UNCHANGEDSINCE') {
    throw imapBad('Unknown STORE modifier');
  }
  const text = atomArgument(items[1], 'a mod-sequence value');
  if (!/^\d{1,20}$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) throw imapBad('Invalid mod-sequence value');
  return Number(text);
}

function storeCommand(options: { uid: boolean }): CommandSpec<StoreArgs> {
  const name = options.uid ? 'UID STORE' : 'STORE';
  return defineCommand<StoreArgs>({
    name,
    states: SELECTED,
    holdsExpunges: !options.uid,
    parse(args) {
      if (args.length < 3) throw imapBad('STORE needs a sequence set, a data item and flags');
      let unchangedSince: number | undefined;
      if (args[1].type === 'list') {
        unchangedSince = parseStoreModifiers(args[1]);
        args = [args[0], ...args.slice(2)];
        if (args.length < 3) throw imapBad('STORE needs a sequence set, a data item and flags');
      }
      const item = atomArgument(args[1], 'a STORE data item').toUpperCase();
      const silent = item.endsWith('.SILENT');
      const op = OPERATIONS[silent ? item.slice(0, -'.SILENT'.length) : item];
      if (!op) throw imapBad(`Unknown STORE data item ${item}`);
      const rest = args.slice(2);
      const flagTokens = rest.length === 1 && rest[0].type === 'list' ? rest[0].items : rest;
      const parsed: StoreArgs = { set: sequenceSetArgument(args[0]), op, silent, flags: flagsArgument(flagTokens) };
      if (unchangedSince !== undefined) parsed.unchangedSince = unchangedSince;
      return parsed;
    },
    async run(session, args) {
      if (options.uid) session.announceUpdates({ allowExpunge: true });
      const modified = await runStore(session, args, options);
      if (modified) return { text: 'Conditional STORE failed', code: modified };
      return { text: `${name} completed` };
    },
  });
}

export const store = storeCommand({ uid: false });
export const uidStore = storeCommand({ uid: true });
