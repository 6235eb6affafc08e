/**
 * The one contract every delivery target implements (STYLE.md habit 6, after maddy's
 * module.DeliveryTarget): the local mailbox store, the outbound queue, and later the SMS, fax and
 * voice gateways. The pipeline drives a message through each target it routes recipients to:
 *
 *   start(message) → addRecipient(r)… → body(raw) → commit()   or, on any failure, abort()
 *
 * Invariants:
 * - `addRecipient` may refuse one recipient by throwing an SmtpError; the others go on.
 * - When `body` resolves, the target has made the message durable (or, for a remote target, the
 *   next hop has accepted it): the pipeline sends `250` only after every target's body resolved.
 * - `commit` makes the message visible to whatever acts on it next (the queue's scheduler, a
 *   gateway sender). It must not fail for reasons the body step could have caught.
 * - `abort` undoes what it can (the queue deletes its entry). A target that cannot undo its body
 *   (the mailbox store: stored mail is visible at once) says so in `reversible: false`, and the
 *   pipeline runs such targets' bodies last, so that a failure elsewhere aborts only reversible
 *   ones.
 */
import type { DsnNotify } from '../store/level/queue.js';

/** Where the message came from, as targets and events name it. */
export type MessageSource = 'submission' | 'mx' | 'dsn' | 'internal';

/** RFC 3461 envelope parameters given with MAIL FROM. */
export interface EnvelopeDsn {
  ret: 'FULL' | 'HDRS' | null;
  /** xtext as received. */
  envid: string | null;
}

/** RFC 3461 parameters given with one RCPT TO. */
export interface RecipientDsn {
  notify: DsnNotify[] | 'NEVER' | null;
  /** "addr-type;xtext" as received. */
  orcpt: string | null;
}

export interface TargetMessage {
  /** The pipeline's message id (the one in the 250 reply). */
  id: string;
  /** Reverse-path; "" is the null sender. */
  from: string;
  source: MessageSource;
  /** Authenticated submitter, or null. */
  user: string | null;
  dsn: EnvelopeDsn;
  /** Arrival time, epoch ms. */
  receivedAt: number;
}

export interface TargetRecipient {
  /** Envelope address as accepted. */
  address: string;
  dsn: RecipientDsn;
  /** For the local target: the accounts the address resolved to. */
  accounts?: string[];
  /** For the local target: the mailbox to file into; INBOX when absent. */
  mailbox?: string;
}

export interface MessageTarget {
  readonly name: string;
  /** False when body() cannot be undone by abort(): such targets run their body last. */
  readonly reversible: boolean;
  start(message: TargetMessage): TargetDelivery;
}

export interface TargetDelivery {
  addRecipient(recipient: TargetRecipient): Promise<void>;
  body(raw: Buffer): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
