/**
 * The command registry and the one gate every command passes (STYLE.md habit 2): known command,
 * allowed in the session's state, TLS where a password would cross, arguments of the right shape.
 * Only then does the command's `run` see its typed arguments. The gate also turns errors into
 * tagged replies and announces queued mailbox changes before the tagged reply, where RFC 3501
 * §7.4.1 allows it.
 *
 * Expunges by other sessions also wait when the client has already sent a command that names
 * messages by sequence number (Session.announceUpdates asks the connection): that command was
 * written against the numbering the client had, and an EXPUNGE in between would shift it
 * (RFC 9051 §5.5 makes such pipelining the client's mistake; holding keeps both sides agreeing).
 */
import { ImapError, StoreError, type StoreErrorKind } from '../../errors.js';
import type { ParsedCommand } from '../protocol/types.js';
import type { StatusKind } from '../protocol/writer.js';
import type { Session } from '../session.js';
import { append } from './append.js';
import { authenticate } from './authenticate.js';
import { capability } from './capability.js';
import { check } from './check.js';
import { close } from './close.js';
import { compress } from './compress.js';
import { copy, uidCopy } from './copy.js';
import { create } from './create.js';
import { deleteCommand } from './delete.js';
import { enable } from './enable.js';
import { examine } from './examine.js';
import { expunge, uidExpunge } from './expunge.js';
import { fetch, uidFetch } from './fetch.js';
import { getquota } from './getquota.js';
import { getquotaroot } from './getquotaroot.js';
import { id } from './id.js';
import { idle } from './idle.js';
import { list } from './list.js';
import { login } from './login.js';
import { logout } from './logout.js';
import { lsub } from './lsub.js';
import { move, uidMove } from './move.js';
import { namespace } from './namespace.js';
import { noop } from './noop.js';
import { rename } from './rename.js';
import { search, uidSearch } from './search.js';
import { select } from './select.js';
import { sort, uidSort } from './sort.js';
import { setquota } from './setquota.js';
import { starttls } from './starttls.js';
import { status } from './status.js';
import { store, uidStore } from './store.js';
import { subscribe } from './subscribe.js';
import { thread, uidThread } from './thread.js';
import type { CommandResult, CommandSpec } from './types.js';
import { unselect } from './unselect.js';
import { unsubscribe } from './unsubscribe.js';

const ALL_COMMANDS: CommandSpec<any>[] = [
  capability, noop, logout, starttls, authenticate, login, id, enable, namespace,
  list, lsub, status, create, deleteCommand, rename, subscribe, unsubscribe,
  select, examine, close, unselect, append, check, expunge, uidExpunge,
  search, uidSearch, fetch, uidFetch, store, uidStore, copy, uidCopy, move, uidMove, idle,
  compress, getquota, getquotaroot, setquota,
  sort, uidSort, thread, uidThread,
];

export const COMMANDS: ReadonlyMap<string, CommandSpec<any>> = new Map(ALL_COMMANDS.map((spec) => [spec.name, spec]));

/** What the connection writes as the tagged reply, and what it does after. */
export interface Outcome {
  status: StatusKind;
  text: string;
  code: string | null;
  after?: CommandResult['after'];
}

export async function executeCommand(session: Session, command: ParsedCommand): Promise<Outcome> {
  const spec = COMMANDS.get(command.name);
  if (!spec) return { status: 'BAD', text: 'Unknown command', code: null };
  const refusal = gate(session, spec);
  if (refusal) return refusal;
  try {
    const args = spec.parse(command.args, session.names);
    const result = await spec.run(session, args, command.tag);
    return { status: 'OK', text: result.text, code: result.code ?? null, after: result.after };
  } catch (error) {
    if (spec.leavesMailboxOnFailure) session.closeSelectedMailbox();
    return failure(session, error);
  } finally {
    // New mail is announced once its \Recent claim is settled (session.ts).
    await session.settleClaims();
    session.announceUpdates({ allowExpunge: !spec.holdsExpunges });
  }
}

function gate(session: Session, spec: CommandSpec<any>): Outcome | null {
  if (!spec.states.includes(session.state)) {
    const text =
      session.state === 'not-authenticated'
        ? 'Log in first'
        : spec.states.includes('selected') && !spec.states.includes('authenticated')
          ? 'No mailbox selected'
          : spec.states.includes('not-authenticated')
            ? 'Already authenticated'
            : `${spec.name} is not allowed in the ${session.state} state`;
    return { status: 'BAD', text, code: null };
  }
  if (spec.needsTls && !session.acceptsPasswords) {
    return { status: 'NO', text: 'Use STARTTLS first: no plaintext login on an unencrypted connection', code: 'PRIVACYREQUIRED' };
  }
  return null;
}

/** Store failures in mail terms → IMAP response codes (RFC 5530, RFC 9051 §7.1). */
const STORE_FAILURES: Record<StoreErrorKind, { code: string; text: string }> = {
  exists: { code: 'ALREADYEXISTS', text: 'Mailbox already exists' },
  'not-found': { code: 'NONEXISTENT', text: 'No such mailbox' },
  invalid: { code: 'CANNOT', text: 'Invalid name or request' },
  'over-quota': { code: 'OVERQUOTA', text: 'Quota exceeded' },
  'inferior-exists': { code: 'HASCHILDREN', text: 'Mailbox has inferior hierarchical names' },
  protected: { code: 'CANNOT', text: 'This mailbox cannot be changed that way' },
};

function failure(session: Session, error: unknown): Outcome {
  if (error instanceof ImapError) return { status: error.status, text: error.message, code: error.code };
  if (error instanceof StoreError) {
    const failure = STORE_FAILURES[error.kind];
    return { status: 'NO', text: failure.text, code: failure.code };
  }
  session.log.error({ evt: 'imap.error', err: error }, 'command failed');
  return { status: 'NO', text: 'Internal server error', code: 'SERVERBUG' };
}
