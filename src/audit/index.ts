/**
 * The audit service: records every step of every accepted message (DESIGN.md, "assured
 * delivery") and counts the traffic per hour, in the store's audit key spaces.
 *
 * Where each step comes from:
 * - received, stored: the pipeline, through a MessageTrail. When the message is stored locally
 *   both go into the delivery's own batch (`AppendOptions.trail`); otherwise `accepted()` writes
 *   `received` with the next group commit.
 * - queued, attempt, delivered, deferred, bounced, deleted, dsn-sent, removed: the outbound
 *   queue's events (queue/events.ts), through `subscribe`.
 * - gateway-ack: gateways (issue 5) call `gatewayAck`.
 *
 * Cost on the hot path: building a few small objects; no write of its own is awaited, and
 * nothing is synced for the audit alone (store/level/audit.ts). Counters are added in memory and
 * written every `flushIntervalMs` and at close.
 *
 * Each fact also indexes the message under the addresses and ids it names, on the day it
 * happened, so `bridgehead audit bob@example.org --since 2h` finds a message accepted days ago
 * whose last attempt was an hour ago.
 */
import type { Logger } from '../log.js';
import type { QueueEvent, QueueEvents } from '../queue/events.js';
import type { AuditIndexEntry, AuditWrite, Delivered, DeliveryTarget, Store } from '../store/types.js';
import type { AuditEvent, CounterName, GatewayAckStatus, TrafficCounter } from './events.js';

export * from './events.js';

const DAY_MS = 86_400_000;
const DEFAULT_FLUSH_INTERVAL_MS = 10_000;
const MAX_HEADER_SCAN = 64 * 1024;

export interface AuditOptions {
  store: Store;
  log: Logger;
  /** Audit entries of messages accepted longer ago are removed. */
  auditRetentionDays: number;
  /** Counters of hours longer ago are removed. */
  statsRetentionDays: number;
  /** epoch ms; injectable for tests. */
  clock?: () => number;
  /** How often counters are written; default 10 s. */
  flushIntervalMs?: number;
  /** How often retention runs; default once a day. */
  retentionIntervalMs?: number;
}

/** What the audit needs of the session that handed over a message (pipeline SessionInfo fits). */
export interface AcceptingSession {
  id: string;
  remoteAddress: string;
  heloName: string;
  user: string | null;
  secure: boolean;
}

export interface AcceptInput {
  messageId: string;
  /** Front end: 'smtp', or a gateway's name. */
  via: string;
  session: AcceptingSession | null;
  envelope: { from: string; to: string[] };
  /** The message as received (the Message-ID header is read from it, its length is the size). */
  message: Buffer;
  /** False for messages this server makes itself (DSNs): recorded, but not counted as traffic in. */
  counted?: boolean;
}

export interface GatewayAckInput {
  messageId: string;
  gateway: string;
  recipient: string;
  status: GatewayAckStatus;
  detail?: string | null;
  reference?: string | null;
  /** epoch ms; defaults to now. */
  at?: number;
}

export class Audit implements TrafficCounter {
  readonly retention: { auditDays: number; statsDays: number };
  private readonly store: Store;
  private readonly log: Logger;
  readonly clock: () => number;
  private readonly flushIntervalMs: number;
  private readonly retentionIntervalMs: number;
  private timers: NodeJS.Timeout[] = [];

  constructor(options: AuditOptions) {
    this.store = options.store;
    this.log = options.log.child({ component: 'audit' });
    this.clock = options.clock ?? Date.now;
    this.retention = { auditDays: options.auditRetentionDays, statsDays: options.statsRetentionDays };
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.retentionIntervalMs = options.retentionIntervalMs ?? DAY_MS;
  }

  /** Applies retention once, then flushes counters and applies retention on their schedules. */
  async start(): Promise<void> {
    await this.expire();
    const flush = setInterval(() => void this.flush(), this.flushIntervalMs);
    const expire = setInterval(() => void this.expire(), this.retentionIntervalMs);
    flush.unref();
    expire.unref();
    this.timers.push(flush, expire);
  }

  /** Stops the schedules and writes the pending counters (the store writes any left at its close). */
  async close(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.flush();
  }

  count(name: CounterName, increment = 1): void {
    this.store.audit.count(this.clock(), { [name]: increment });
  }

  /** Several counters at once (zeros are skipped). */
  countAll(increments: Partial<Record<CounterName, number>>): void {
    this.store.audit.count(this.clock(), increments);
  }

  /** Writes the pending counters now. */
  async flush(): Promise<void> {
    try {
      await this.store.audit.flushCounters();
    } catch (err) {
      this.log.error({ evt: 'audit.flush-failed', err }, 'counters not written; kept for the next flush');
    }
  }

  /** Removes what is older than the retention periods, by range deletes. */
  async expire(): Promise<void> {
    const now = this.clock();
    try {
      await this.store.audit.expire({
        auditBefore: now - this.retention.auditDays * DAY_MS,
        statsBefore: now - this.retention.statsDays * DAY_MS,
      });
      this.log.info({ evt: 'audit.expired', auditDays: this.retention.auditDays, statsDays: this.retention.statsDays }, 'retention applied');
    } catch (err) {
      this.log.error({ evt: 'audit.expire-failed', err }, 'retention failed; retried on schedule');
    }
  }

  /** Starts the story of a message being accepted; see MessageTrail. */
  begin(input: AcceptInput): MessageTrail {
    return new MessageTrail(this, input, this.clock());
  }

  /** Appends events of one message (with their index entries) with the next group commit. */
  record(messageId: string, events: AuditEvent[], index: Array<Omit<AuditIndexEntry, 'messageId' | 'at'>> = [], at = this.clock()): Promise<void> {
    return this.store.audit.append({
      entries: events.map((event) => ({ messageId, at, event })),
      index: index.map((item) => ({ ...item, messageId, at })),
    });
  }

  /** Follows the outbound queue: every lifecycle event becomes a step, and the counters move. */
  subscribe(events: QueueEvents): () => void {
    const listener = (event: QueueEvent) => this.onQueueEvent(event);
    events.on('queue', listener);
    return () => events.off('queue', listener);
  }

  onQueueEvent(event: QueueEvent): void {
    const { step, index, counters } = fromQueueEvent(event);
    this.countAll(counters);
    void this.record(event.messageId, [step], index, event.at);
  }

  /** A gateway's acknowledgement of a hand-over (delivered, read, failed ...). */
  gatewayAck(input: GatewayAckInput): Promise<void> {
    const event: AuditEvent = {
      step: 'gateway-ack',
      gateway: input.gateway,
      recipient: input.recipient,
      status: input.status,
      detail: input.detail ?? null,
      reference: input.reference ?? null,
    };
    return this.record(input.messageId, [event], [{ kind: 'address', value: input.recipient }], input.at ?? this.clock());
  }
}

/**
 * One message on its way in. The pipeline hands `deliveryTrail(targets)` to `store.deliver`
 * (received and stored then share the delivery's batch) and calls `accepted()` once the message
 * is durable wherever it went; if no local delivery carried `received`, accepted() records it.
 */
export class MessageTrail {
  private receivedWritten = false;
  private localCopies = 0;
  private readonly received: AuditEvent & { step: 'received' };

  constructor(
    private readonly audit: Audit,
    private readonly input: AcceptInput,
    private readonly at: number,
  ) {
    const { session, envelope, message } = input;
    this.received = {
      step: 'received',
      via: input.via,
      session: session?.id ?? null,
      clientIp: session?.remoteAddress ?? null,
      helo: session?.heloName || null,
      user: session?.user ?? null,
      tls: session?.secure ?? false,
      size: message.length,
      from: envelope.from,
      to: [...envelope.to],
      messageIdHeader: messageIdHeader(message),
    };
  }

  get messageId(): string {
    return this.input.messageId;
  }

  /** The `trail` option of store.deliver for these targets (same order as the delivery's). */
  deliveryTrail(targets: DeliveryTarget[]): (delivered: Delivered[]) => AuditWrite {
    return (delivered) => {
      const { messageId } = this.input;
      const at = this.audit.clock();
      // A message delivered in several batches (e.g. some copies to Junk) records `received` once.
      const withReceived = !this.receivedWritten;
      this.receivedWritten = true;
      this.localCopies += delivered.length;
      const envelopeAddresses = new Set(this.received.to.map((address) => address.toLowerCase()));
      const stored = delivered.map((copy, i): AuditEvent => ({
        step: 'stored',
        account: copy.account,
        mailbox: targets[i]?.mailbox ?? 'INBOX',
        uid: copy.uid,
        uidValidity: copy.uidValidity,
      }));
      return {
        entries: [
          ...(withReceived ? [{ messageId, at: this.at, event: this.received }] : []),
          ...stored.map((event) => ({ messageId, at, event })),
        ],
        index: [
          ...(withReceived ? this.receivedIndex() : []).map((item) => ({ ...item, messageId, at: this.at })),
          // Accounts reached through an alias or subaddress are findable too.
          ...delivered
            .filter((copy) => !envelopeAddresses.has(copy.account))
            .map((copy) => ({ kind: 'address' as const, value: copy.account, messageId, at })),
        ],
      };
    };
  }

  /** The message is durable (stored, queued or handed over): count it, and make sure `received` is written. */
  accepted(): void {
    const inbound = this.input.counted ?? true;
    this.audit.countAll({ 'messages.in': inbound ? 1 : 0, 'bytes.in': inbound ? this.received.size : 0, 'deliveries.local': this.localCopies });
    if (!this.receivedWritten) {
      this.receivedWritten = true;
      void this.audit.record(this.input.messageId, [this.received], this.receivedIndex(), this.at);
    }
  }

  private receivedIndex(): Array<Omit<AuditIndexEntry, 'messageId' | 'at'>> {
    const index: Array<Omit<AuditIndexEntry, 'messageId' | 'at'>> = [];
    if (this.received.from) index.push({ kind: 'address', value: this.received.from });
    for (const recipient of new Set(this.received.to.map((address) => address.toLowerCase()))) {
      index.push({ kind: 'address', value: recipient });
    }
    if (this.received.messageIdHeader) index.push({ kind: 'header', value: this.received.messageIdHeader });
    return index;
  }
}

/** The audit step, index entries and counter increments of one queue event. */
export function fromQueueEvent(event: QueueEvent): {
  step: AuditEvent;
  index: Array<Omit<AuditIndexEntry, 'messageId' | 'at'>>;
  counters: Partial<Record<CounterName, number>>;
} {
  const address = (value: string) => ({ kind: 'address' as const, value });
  switch (event.type) {
    case 'queued':
      return {
        step: { step: 'queued', source: event.source, from: event.from, recipients: event.recipients, size: event.size, user: event.user },
        index: [...(event.from ? [address(event.from)] : []), ...event.recipients.map(address)],
        counters: {},
      };
    case 'attempt': {
      const sent = event.results.some((result) => result.status === 'delivered');
      return {
        step: {
          step: 'attempt',
          attempt: event.attempt,
          recipients: event.recipients,
          host: event.host,
          ip: event.ip,
          port: event.port,
          tls: event.tls,
          reply: event.reply,
          results: event.results,
          ms: event.ms,
          bytes: event.bytes,
        },
        index: [],
        counters: { 'bytes.out': event.bytes, ...(sent ? { 'messages.out': 1 } : {}) },
      };
    }
    case 'delivered':
      return {
        step: { step: 'delivered', recipient: event.recipient, host: event.host, ip: event.ip, reply: event.reply },
        index: [address(event.recipient)],
        counters: { 'deliveries.remote': 1 },
      };
    case 'deferred':
      return {
        step: { step: 'deferred', recipient: event.recipient, reply: event.reply, attempts: event.attempts, nextAttemptAt: event.nextAttemptAt },
        index: [address(event.recipient)],
        counters: { deferrals: 1 },
      };
    case 'failed':
      return event.reason === 'deleted'
        ? { step: { step: 'deleted', recipient: event.recipient, reply: event.reply }, index: [address(event.recipient)], counters: {} }
        : {
            step: { step: 'bounced', recipient: event.recipient, reply: event.reply, reason: event.reason },
            index: [address(event.recipient)],
            counters: { bounces: 1 },
          };
    case 'dsn-sent':
      return {
        step: { step: 'dsn-sent', kind: event.kind, dsnMessageId: event.dsnMessageId, recipients: event.recipients, to: event.to },
        // The notice's own id leads back to the message it is about.
        index: [{ kind: 'queue', value: event.dsnMessageId }],
        counters: {},
      };
    case 'removed':
      return { step: { step: 'removed', reason: event.reason }, index: [], counters: {} };
  }
}

/**
 * The Message-ID header (RFC 5322 §3.6.4) without angle brackets, or null. Reads the header
 * block only; folded lines are unfolded.
 */
export function messageIdHeader(message: Buffer): string | null {
  // Only the first MAX_HEADER_SCAN octets are searched: a header block is rarely longer.
  const head = message.subarray(0, MAX_HEADER_SCAN);
  let end = head.indexOf('\r\n\r\n');
  if (end < 0) end = head.indexOf('\n\n');
  const header = (end < 0 ? head : head.subarray(0, end)).toString('latin1');
  const match = /(?:^|\n)message-id[ \t]*:((?:[^\n]*)(?:\n[ \t][^\n]*)*)/i.exec(header);
  if (!match) return null;
  const value = match[1].replace(/\r?\n/g, '').trim();
  const bracketed = /<([^<>\s]+)>/.exec(value);
  const id = bracketed ? bracketed[1] : value.split(/\s+/)[0];
  return id ? id : null;
}
