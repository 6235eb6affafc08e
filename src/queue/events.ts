/**
 * Queue lifecycle events: what the outbound queue tells the rest of the server (audit trail,
 * traffic statistics, plugins) about each message it holds.
 *
 * Contract:
 * - Every event names `messageId`, the id the pipeline gave the message and put in the `250`
 *   reply ("Message accepted, id <messageId>"). The queue id IS that message id: one queue entry
 *   per accepted message, holding every remote recipient of it and every gateway recipient (SMS,
 *   fax, voice), whose hand-overs are reported like SMTP attempts (host "<gateway> gateway").
 * - Events are emitted after the store write that records the fact is durable (`queued` after the
 *   synced acceptance, `delivered` after the synced status write that follows the remote 250), so
 *   a listener never reports something a crash could take back. `attempt` is emitted for every
 *   SMTP session attempt, failed ones included, before the statuses it caused are written.
 * - Listeners run synchronously inside the queue; a listener that throws is logged and ignored.
 * - `at` is epoch ms from the queue's clock (injectable in tests).
 * - Addresses are envelope addresses as given (lower-cased domain). No message bytes, no passwords.
 *
 * Subscribe with `queue.events.on('queue', (event: QueueEvent) => ...)`.
 */
import { EventEmitter } from 'node:events';

/** Where an entry came from. */
export type QueueSource =
  /** Authenticated submission (587/465) to remote recipients. */
  | 'submission'
  /** MX for a configured relay domain (the bridgehead role). */
  | 'mx'
  /** A DSN (bounce, delay or success notice) made by this server for a remote sender. */
  | 'dsn'
  /** Anything else the pipeline queues (e.g. plugins, local tools). */
  | 'internal';

/** A remote server's reply, or our own description of a failure that produced none. */
export interface RemoteReply {
  /** SMTP reply code (RFC 5321 §4.2); null when no reply was received (connection failure, timeout). */
  code: number | null;
  /** Enhanced status code (RFC 3463), e.g. "5.1.1"; null when the reply had none. */
  enhanced: string | null;
  /** Reply text without the codes, or a description such as "connection refused". */
  text: string;
}

export type QueueEvent =
  | {
      type: 'queued';
      at: number;
      messageId: string;
      source: QueueSource;
      /** Reverse-path; "" is the null sender (bounces). */
      from: string;
      /** The remote and gateway recipients queued (local ones of the same message are not listed). */
      recipients: string[];
      /** Octets of the queued message (with our trace headers). */
      size: number;
      /** Authenticated submitter, or null. */
      user: string | null;
    }
  | {
      /**
       * One SMTP session attempt towards one host for some recipients of one message, or one
       * hand-over to a gateway (host "<gateway> gateway", ip null, port 0, tls false).
       */
      type: 'attempt';
      at: number;
      messageId: string;
      /** 1 for the first delivery attempt of the entry, 2 for the first retry, ... */
      attempt: number;
      recipients: string[];
      /** Next-hop host name (MX or route host), and the IP actually connected to (null if none). */
      host: string;
      ip: string | null;
      port: number;
      /** Whether the session was encrypted (STARTTLS or implicit TLS). */
      tls: boolean;
      /** The final reply of the attempt (after DATA, or the one that ended it). */
      reply: RemoteReply;
      /** Per-recipient result of this attempt. */
      results: Array<{ recipient: string; status: 'delivered' | 'deferred' | 'failed'; reply: RemoteReply }>;
      /** Duration of the attempt in ms (connect through final reply). */
      ms: number;
      /** Message octets sent (0 when DATA was not reached). */
      bytes: number;
    }
  | {
      type: 'delivered';
      at: number;
      messageId: string;
      recipient: string;
      host: string;
      ip: string | null;
      reply: RemoteReply;
      size: number;
    }
  | {
      type: 'deferred';
      at: number;
      messageId: string;
      recipient: string;
      reply: RemoteReply;
      /** Attempts made so far for this entry. */
      attempts: number;
      /** When the next attempt is due, epoch ms. */
      nextAttemptAt: number;
    }
  | {
      type: 'failed';
      at: number;
      messageId: string;
      recipient: string;
      reply: RemoteReply;
      /**
       * permanent: a 5xx or an undeliverable destination (null MX, no such domain);
       * expired: retries gave up after queue.giveUpSeconds; deleted: an admin removed it.
       */
      reason: 'permanent' | 'expired' | 'deleted';
    }
  | {
      type: 'dsn-sent';
      at: number;
      /** The message the notice is about. */
      messageId: string;
      /** The id of the DSN message itself (its own 250-style id; it may be queued in turn). */
      dsnMessageId: string;
      kind: 'failure' | 'delay' | 'success';
      recipients: string[];
      /** The original sender the notice goes to. */
      to: string;
    }
  | {
      /** The entry left the queue: every recipient is final, or an admin deleted it. */
      type: 'removed';
      at: number;
      messageId: string;
      reason: 'done' | 'deleted';
    };

export type QueueEventType = QueueEvent['type'];

export interface QueueEvents extends EventEmitter {
  on(event: 'queue', listener: (event: QueueEvent) => void): this;
  off(event: 'queue', listener: (event: QueueEvent) => void): this;
  once(event: 'queue', listener: (event: QueueEvent) => void): this;
  emit(event: 'queue', payload: QueueEvent): boolean;
}

export function createQueueEvents(): QueueEvents {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  return events as QueueEvents;
}
