/**
 * The one contract every delivery target implements (STYLE.md habit 6, after maddy's
 * module.DeliveryTarget): the local mailbox store (targets/mailbox.ts), the outbound queue
 * (src/queue/target.ts), and behind the queue the remote SMTP target (src/queue/smtp-client.ts)
 * and the gateway target for SMS, fax and voice (src/queue/gateway-target.ts). Whoever drives a
 * message drives it through each target its recipients were routed to:
 *
 *   start(message) → addRecipient(r)… → body(raw) → commit()   or, on any failure, abort()
 *
 * The pipeline does this for every target at once (targets/deliver.ts): all recipients are
 * added before any body runs, and every target commits only once every body resolved.
 *
 * Invariants:
 * - `addRecipient` may refuse a recipient by throwing an SmtpError. After DATA, SMTP has one reply
 *   for the whole message, so the pipeline then refuses the message and aborts every target.
 * - When `body` resolves, the target has made the message durable (or, for a target that hands it
 *   on, the next hop has taken it): the pipeline sends `250` only after every target's body
 *   resolved.
 * - `commit` makes the message visible to whatever acts on it next (the queue's scheduler). It
 *   must not fail for reasons the body step could have caught.
 * - `abort` undoes what it can (the queue deletes its entry). A target that cannot undo its body
 *   (the mailbox store: stored mail is visible at once) says so in `reversible: false`, and such
 *   targets' bodies run last, so that a failure elsewhere aborts only reversible ones.
 * - The bytes given to `body` are the message with this server's Received field on top and no
 *   Return-Path: that belongs to final delivery (RFC 5321 §4.4), which the mailbox target is.
 */
import type { AuditWrite, Delivered, DeliveryTarget, DsnNotify } from '../store/types.js';

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

/** The audit trail of one message, as the mailbox target writes it in its own batch (src/audit). */
export interface DeliveryTrail {
  deliveryTrail(targets: DeliveryTarget[]): (delivered: Delivered[]) => AuditWrite;
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
  /** The message's audit trail, for the mailbox target's `stored` steps; absent: not recorded there. */
  trail?: DeliveryTrail | null;
}

/** A recipient handed to a gateway (SMS, fax, voice) through the queue, instead of SMTP. */
export interface GatewayRoute {
  /** The gateway's name (a plugin's `gateways[].name`), e.g. "sms". */
  name: string;
  /** The medium address, e.g. the E.164 number. */
  number: string;
  /** 1-based position among the message's recipients on this gateway (the queue assigns it). */
  ordinal?: number;
}

export interface TargetRecipient {
  /** Envelope address as accepted. */
  address: string;
  dsn: RecipientDsn;
  /** For the mailbox target: where this recipient's copy is filed (an alias may reach several accounts). */
  mailboxes?: DeliveryTarget[];
  /** For the queue target: the gateway this recipient goes to; absent: SMTP to the address's domain. */
  gateway?: GatewayRoute;
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
