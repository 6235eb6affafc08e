/**
 * The shape of a command module (STYLE.md habit 1): its name, the session states it is allowed in,
 * how its arguments parse, and what it does. The gate in commands/index.ts checks state,
 * authentication, TLS and argument shape before `run`, so handlers never repeat those checks.
 */
import type { Token } from '../protocol/types.js';
import type { NameEncoding } from '../mailbox-names.js';
import type { Session, SessionState } from '../session.js';

export interface ParseContext extends NameEncoding {}

/** The tagged OK of a command that succeeded. NO and BAD are thrown as ImapError. */
export interface CommandResult {
  text: string;
  /** Response code without brackets, e.g. "APPENDUID 38505 3955". */
  code?: string | null;
  /**
   * Runs after the tagged OK is written and before the next command is read: the TLS
   * handshake after STARTTLS, closing after LOGOUT.
   */
  after?: () => Promise<void> | void;
}

export interface CommandSpec<Args = unknown> {
  /** Upper-case name as the parser gives it; UID forms are "UID FETCH" etc. */
  name: string;
  states: readonly SessionState[];
  /**
   * A plaintext credential crosses the wire (LOGIN, AUTHENTICATE): refused with
   * NO [PRIVACYREQUIRED] until TLS is active (LOGINDISABLED, RFC 9051 §6.2.3).
   */
  needsTls?: boolean;
  /**
   * RFC 3501 §7.4.1: EXPUNGE responses must not be sent while answering FETCH, STORE or SEARCH
   * (non-UID forms), because the client's sequence numbers would shift under it.
   */
  holdsExpunges?: boolean;
  /**
   * SELECT and EXAMINE: "If a mailbox is selected and a SELECT command that fails is attempted,
   * no mailbox is selected" (RFC 3501 §6.3.1, RFC 9051 §6.3.2), whether it fails with NO or BAD,
   * in its arguments or later: a client that ignores the failure must not act on the old one.
   */
  leavesMailboxOnFailure?: boolean;
  /** Tokens → typed arguments; throws a BAD ImapError when they do not fit. */
  parse(args: Token[], context: ParseContext): Args;
  run(session: Session, args: Args, tag: string): Promise<CommandResult>;
}

/** Identity function that keeps `parse` and `run` agreeing on the argument type. */
export function defineCommand<Args>(spec: CommandSpec<Args>): CommandSpec<Args> {
  return spec;
}

export const ANY_STATE: readonly SessionState[] = ['not-authenticated', 'authenticated', 'selected'];
export const AUTHENTICATED: readonly SessionState[] = ['authenticated', 'selected'];
export const SELECTED: readonly SessionState[] = ['selected'];
export const NOT_AUTHENTICATED: readonly SessionState[] = ['not-authenticated'];
