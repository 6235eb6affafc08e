/**
 * The audit trail's vocabulary: the steps of a message's story and the traffic counters.
 *
 * Invariants:
 * - Every event is plain JSON (it is stored as is and printed by `bridgehead audit --json`).
 * - A failure is recorded with the same care as a success: the remote reply (code, enhanced
 *   code, text) or our own description when there was no reply, the host and IP, the duration.
 * - No message bytes and no passwords; addresses, host names and reply texts only.
 */
import type { QueueEvent, QueueSource, RemoteReply } from '../queue/events.js';

export type { RemoteReply } from '../queue/events.js';

/** A gateway's acknowledgement (issue 5): the hand-over and what became of it. */
export type GatewayAckStatus = 'accepted' | 'delivered' | 'read' | 'failed';

export type AuditEvent =
  | {
      /** The 250 after DATA (or the gateway's acceptance): the message has its id. */
      step: 'received';
      /** Front end that took the message: 'smtp' (mx, submission) or a gateway name. */
      via: string;
      /** Connection id of the front end session, as in its log lines. */
      session: string | null;
      clientIp: string | null;
      helo: string | null;
      /** Authenticated user, or null. */
      user: string | null;
      tls: boolean;
      /** Octets as received (before our trace headers). */
      size: number;
      /** Reverse-path; "" is the null sender. */
      from: string;
      to: string[];
      /** The Message-ID header without angle brackets, or null. */
      messageIdHeader: string | null;
    }
  | { step: 'stored'; account: string; mailbox: string; uid: number; uidValidity: number }
  | { step: 'queued'; source: QueueSource; from: string; recipients: string[]; size: number; user: string | null }
  /** One outbound attempt for some recipients, failed ones included: the queue's event as is. */
  | ({ step: 'attempt' } & Omit<Extract<QueueEvent, { type: 'attempt' }>, 'type' | 'at' | 'messageId'>)
  | { step: 'delivered'; recipient: string; host: string; ip: string | null; reply: RemoteReply }
  | { step: 'deferred'; recipient: string; reply: RemoteReply; attempts: number; nextAttemptAt: number }
  | {
      /** The recipient failed for good: a 5xx, an undeliverable destination, or retries expired. */
      step: 'bounced';
      recipient: string;
      reply: RemoteReply;
      reason: 'permanent' | 'expired';
    }
  | { step: 'deleted'; recipient: string; reply: RemoteReply }
  | { step: 'dsn-sent'; kind: 'failure' | 'delay' | 'success'; dsnMessageId: string; recipients: string[]; to: string }
  | { step: 'removed'; reason: 'done' | 'deleted' }
  | {
      step: 'gateway-ack';
      gateway: string;
      recipient: string;
      status: GatewayAckStatus;
      /** The gateway's own words (e.g. an SMSC receipt state), or null. */
      detail: string | null;
      /** The gateway's id for the hand-over (e.g. an SMPP message id), or null. */
      reference: string | null;
    };

export type AuditStep = AuditEvent['step'];

/**
 * The traffic counters, per hour. Messages and bytes "in" are accepted messages (the 250 after
 * DATA); "out" are messages handed to another server (an attempt where some recipient got 250)
 * and the octets sent by attempts. Deliveries count copies: one per local mailbox, one per remote
 * recipient. Deferrals and bounces count recipients. Rejected connections are connections closed
 * before the greeting (over a connection limit, early talkers, refused by policy).
 */
export const COUNTERS = [
  'sessions.smtp',
  'sessions.imap',
  'messages.in',
  'messages.out',
  'bytes.in',
  'bytes.out',
  'deliveries.local',
  'deliveries.remote',
  'deferrals',
  'bounces',
  'rejected.connections',
  'rejected.recipients',
  'auth.failures',
] as const;

export type CounterName = (typeof COUNTERS)[number];

/** What front ends need to count their traffic (sessions, rejections, authentication failures). */
export interface TrafficCounter {
  count(name: CounterName, increment?: number): void;
}
