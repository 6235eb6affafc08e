/**
 * The outbound queue: durable entries in the store, a scheduler that scans them in due order,
 * delivery rounds through the remote target (smtp-client.ts) and the gateway target
 * (gateway-target.ts: SMS, fax, voice), retries with backoff, and DSNs.
 *
 * Life of an entry (one per accepted message with remote or gateway recipients; id = message id):
 *   accept (synced, held) → release (visible to the scheduler, `queued` event)
 *   → rounds: per recipient domain, next hop (route.ts) and one SMTP transaction per group of
 *     recipients with equal DSN parameters; per gateway recipient, one hand-over to its gateway;
 *     each recipient ends delivered / failed or stays deferred → DSNs for what the sender asked
 *     to hear about → removed when every recipient is final and reported, else rescheduled on
 *     the backoff.
 *
 * Invariants:
 * - Never lost: an entry leaves the store only when every recipient is delivered or failed and
 *   reported (or an admin deletes it). A crash at any point leaves the entry with a due time
 *   in the past or future; on start the scheduler simply picks up whatever is due, which
 *   includes the entries that were in flight (nothing marks "in flight" on disk).
 * - Delivered exactly once in the normal case: right after a remote 250 (or a gateway's
 *   acceptance) the recipient's `delivered` status is written in a synced batch before anything
 *   else happens to it. Only a crash between the remote's 250 and that write can repeat a
 *   delivery (RFC 5321 §6.1 accepts a duplicate over a loss).
 * - Memory: the scheduler holds ids of the entries in flight (bounded by maxConnections) and
 *   scans the due index with a limit; waiting entries and their bytes stay on disk.
 * - Never bounce a bounce: entries with the null sender get no DSN (RFC 3461 §6.2).
 * - Temporary trouble (4xx, no connection, DNS failure, a gateway that failed or is not running)
 *   defers; only a 5xx, a null MX or a non-existent domain fails a recipient before the give-up
 *   age.
 */
import type { QueueConfig, RouteConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { GatewayRoute, MessageTarget, TargetMessage, TargetRecipient } from '../pipeline/target.js';
import type { QueueGatewayTarget } from '../store/types.js';
import type { DsnNotify, QueueEntry, QueueRecipient, QueueReply, QueueStore } from '../store/types.js';
import { expired, nextAttemptAt, type RetryPolicy } from './backoff.js';
import { systemClock, type Clock, type Timer } from './clock.js';
import { composeDsn, statusFor, type DsnKind, type DsnRecipient } from './dsn.js';
import { createQueueEvents, type QueueEvent, type QueueEvents } from './events.js';
import { GatewayTarget, type GatewayDispatcher } from './gateway-target.js';
import { Router, systemResolver, type Resolver } from './route.js';
import { SmtpClient, type AttemptReport, type RecipientResult } from './smtp-client.js';
import { QueueTarget } from './target.js';

/** DKIM or other signing applied once per message before it is first sent. */
export type MessageSigner = (raw: Buffer, fromDomain: string) => Promise<Buffer>;

/** Hands a DSN to the pipeline, which stores it locally or queues it; resolves with its id. */
export type DsnSubmitter = (envelope: { from: ''; to: string[] }, raw: Buffer) => Promise<string>;

export interface OutboundQueueOptions {
  store: QueueStore;
  log: Logger;
  /** Our name: EHLO, Reporting-MTA, MAILER-DAEMON's domain. */
  hostname: string;
  config: QueueConfig;
  routes: Record<string, RouteConfig>;
  resolver?: Resolver;
  clock?: Clock;
  /** Port of MX hosts (25); tests point it at a loopback peer. */
  mxPort?: number;
  signer?: MessageSigner;
  submitDsn?: DsnSubmitter;
  /** How long a host that refused a connection is skipped (ms); default 30 s. */
  hostDownMs?: number;
  /** The gateways gateway recipients are handed to (the plugin host's hub); absent: they wait. */
  gateways?: GatewayDispatcher | null;
}

/** The scheduler waits at most this long between scans, whatever the next due time. */
const MAX_SLEEP_MS = 5 * 60_000;
/** An entry whose round threw unexpectedly is left alone this long. */
const COOLDOWN_MS = 60_000;

const isOpen = (recipient: QueueRecipient) => recipient.status === 'pending' || recipient.status === 'deferred';
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

function wants(recipient: QueueRecipient, what: DsnNotify): boolean {
  if (recipient.notify === 'NEVER') return false;
  // RFC 3461 §4.1: without NOTIFY, behave as NOTIFY=FAILURE or FAILURE,DELAY; we take the latter.
  if (recipient.notify === null) return what === 'FAILURE' || what === 'DELAY';
  return recipient.notify.includes(what);
}

/** What one delivery round carries between its steps. */
interface RoundState {
  /** The due time the entry's key was written with when the round began. */
  previousDue: number;
  /** Events whose fact the round's final write makes durable. */
  afterWrite: QueueEvent[];
}

export class OutboundQueue {
  readonly events: QueueEvents = createQueueEvents();
  readonly target: MessageTarget;
  private readonly store: QueueStore;
  private readonly log: Logger;
  private readonly hostname: string;
  private readonly clock: Clock;
  private readonly policy: RetryPolicy;
  private readonly delayNoticeMs: number;
  private readonly maxJobs: number;
  private readonly router: Router;
  private readonly client: SmtpClient;
  private readonly gateways: GatewayTarget | null;
  private readonly signer: MessageSigner | undefined;
  private submitDsn: DsnSubmitter | undefined;
  /** Accepted but not yet committed by the pipeline: invisible to the scheduler. */
  private readonly held = new Set<string>();
  private readonly active = new Map<string, Promise<void>>();
  /** In-flight entries an admin deleted: the round removes them when it ends. */
  private readonly cancelled = new Set<string>();
  private readonly cooldown = new Map<string, number>();
  private timer: Timer | null = null;
  private pumping = false;
  private pumpAgain = false;
  private started = false;
  private closed = false;

  constructor(options: OutboundQueueOptions) {
    this.store = options.store;
    this.log = options.log.child({ component: 'queue' });
    this.hostname = options.hostname;
    this.clock = options.clock ?? systemClock;
    const config = options.config;
    this.policy = {
      initialMs: config.retryInitialSeconds * 1000,
      maxMs: config.retryMaxSeconds * 1000,
      giveUpMs: config.giveUpSeconds * 1000,
    };
    this.delayNoticeMs = config.delayNoticeSeconds * 1000;
    this.maxJobs = config.maxConnections;
    this.router = new Router({ routes: options.routes, resolver: options.resolver ?? systemResolver(), mxPort: options.mxPort });
    this.client = new SmtpClient({
      hostname: options.hostname,
      log: this.log,
      clock: this.clock,
      maxConnections: config.maxConnections,
      maxPerDestination: config.maxConnectionsPerDestination,
      connectTimeoutMs: config.connectTimeoutSeconds * 1000,
      idleMs: config.idleConnectionSeconds * 1000,
      hostDownMs: options.hostDownMs,
    });
    this.gateways = options.gateways ? new GatewayTarget(options.gateways) : null;
    this.signer = options.signer;
    this.submitDsn = options.submitDsn;
    this.target = new QueueTarget(this);
  }

  /** The pipeline is built after the queue; app.ts connects DSN submission through here. */
  setDsnSubmitter(submit: DsnSubmitter): void {
    this.submitDsn = submit;
  }

  /** Starts scheduling: whatever is due (including entries a crash left in flight) goes now. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.log.info({ evt: 'queue.start' }, 'outbound queue started');
    this.kick();
  }

  /** Stops scheduling, lets rounds in flight end (bounded by the caller's deadline), closes sessions. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    await Promise.allSettled([...this.active.values()]);
    await this.client.close();
    this.log.info({ evt: 'queue.closed' }, 'outbound queue closed');
  }

  // ── acceptance (used by target.ts) ─────────────────────────────────────────────────────

  /**
   * Writes a new entry durably (one synced batch, shared with concurrent writers). It stays
   * held, invisible to the scheduler, until `release`; `discard` removes it.
   */
  async accept(message: TargetMessage, recipients: TargetRecipient[], raw: Buffer): Promise<QueueEntry> {
    // Signatures are for mail servers (DKIM); gateways turn the message into another medium.
    const bySmtp = recipients.some((recipient) => !recipient.gateway);
    const signed = this.signer && bySmtp ? await this.signer(raw, signingDomain(raw, message.from, this.hostname)) : raw;
    const now = this.clock.now();
    const ordinals = new Map<string, number>();
    const entry: QueueEntry = {
      id: message.id,
      source: message.source,
      from: message.from,
      user: message.user,
      envid: message.dsn.envid,
      ret: message.dsn.ret,
      recipients: recipients.map((recipient) => ({
        address: recipient.address,
        status: 'pending',
        notify: recipient.dsn.notify,
        orcpt: recipient.dsn.orcpt,
        reply: null,
        remoteHost: null,
        attempts: 0,
        updatedAt: now,
        delayNotified: false,
        reported: false,
        ...(recipient.gateway ? { gateway: gatewayTargetOf(recipient.gateway, ordinals) } : {}),
      })),
      createdAt: message.receivedAt,
      nextAttemptAt: now,
      attempts: 0,
      lastAttemptAt: null,
      size: signed.length,
    };
    this.held.add(entry.id);
    try {
      await this.store.add(entry, signed);
    } catch (error) {
      this.held.delete(entry.id);
      throw error;
    }
    return entry;
  }

  /** The acceptance is complete (the 250 is going out): schedule the entry. */
  release(entry: QueueEntry): void {
    this.held.delete(entry.id);
    this.emit({
      type: 'queued',
      at: this.clock.now(),
      messageId: entry.id,
      source: entry.source,
      from: entry.from,
      recipients: entry.recipients.map((recipient) => recipient.address),
      size: entry.size,
      user: entry.user,
    });
    this.kick();
  }

  /** The acceptance failed elsewhere: the entry never existed. */
  async discard(entry: QueueEntry): Promise<void> {
    try {
      await this.store.remove(entry);
    } finally {
      this.held.delete(entry.id);
    }
  }

  // ── administration ─────────────────────────────────────────────────────────────────────

  /** Entries in a delivery round now, and open outbound sessions (busy or idle). */
  get activity(): { inFlight: number; openConnections: number } {
    return { inFlight: this.active.size, openConnections: this.client.openConnections };
  }

  isInFlight(id: string): boolean {
    return this.active.has(id);
  }

  /** Makes an entry (or all) due now; resolves with how many were rescheduled. */
  async retry(id: string | null): Promise<number> {
    const count = await makeDue(this.store, id, this.clock.now(), {
      skip: (entry) => this.active.has(entry.id) || this.held.has(entry.id),
      rescheduled: (entry) => this.cooldown.delete(entry.id),
    });
    this.kick();
    return count;
  }

  /** Like `retry --all`, and forgets which hosts were recently unreachable. */
  async flush(): Promise<number> {
    this.client.forgetDownHosts();
    return this.retry(null);
  }

  /** Removes an entry without DSN; an entry in flight is removed when its round ends. */
  async delete(id: string): Promise<boolean> {
    const entry = await this.store.get(id);
    if (!entry || this.held.has(id)) return false;
    if (this.active.has(id)) {
      this.cancelled.add(id);
      return true;
    }
    await this.removeDeleted(entry);
    return true;
  }

  private async removeDeleted(entry: QueueEntry, settledBefore: QueueEvent[] = []): Promise<void> {
    await this.store.remove(entry);
    settledBefore.forEach((event) => this.emit(event));
    const at = this.clock.now();
    for (const recipient of entry.recipients.filter(isOpen)) {
      this.emit({ type: 'failed', at, messageId: entry.id, recipient: recipient.address, reply: { code: null, enhanced: null, text: 'deleted by an administrator' }, reason: 'deleted' });
    }
    this.emit({ type: 'removed', at, messageId: entry.id, reason: 'deleted' });
    this.log.info({ evt: 'queue.deleted', msgid: entry.id }, 'queue entry deleted by an administrator');
  }

  // ── scheduling ─────────────────────────────────────────────────────────────────────────

  /** Scan for due entries soon (after an enqueue, a finished round, a retry, a timer). */
  kick(): void {
    if (!this.started || this.closed) return;
    void this.pump();
  }

  /** Resolves when no round is running (for tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.pumping) {
      await Promise.allSettled([...this.active.values()]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      // A kick while this runs sets pumpAgain: the scan and the timer are redone, so an entry
      // released meanwhile is never left waiting for the long sleep.
      for (;;) {
        this.pumpAgain = false;
        const now = this.clock.now();
        const free = this.maxJobs - this.active.size;
        if (free > 0) {
          const skip = this.active.size + this.held.size + this.cooldown.size;
          const due = await this.store.due(now, skip + free);
          let started = 0;
          for (const { id } of due) {
            if (started >= free || this.closed) break;
            if (this.active.has(id) || this.held.has(id) || this.coolingDown(id, now)) continue;
            this.startRound(id);
            started++;
          }
          if (started === free && !this.closed) continue;
        }
        await this.armTimer();
        if (!this.pumpAgain || this.closed) break;
      }
    } catch (error) {
      this.log.error({ evt: 'queue.scan-failed', err: error }, 'queue scan failed');
      this.timer?.cancel();
      this.timer = this.closed ? null : this.clock.setTimer(COOLDOWN_MS, () => this.kick());
    } finally {
      this.pumping = false;
    }
  }

  private coolingDown(id: string, now: number): boolean {
    const until = this.cooldown.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.cooldown.delete(id);
    return false;
  }

  /** Sleeps until the first entry not in flight is due. */
  private async armTimer(): Promise<void> {
    if (this.closed) return;
    this.timer?.cancel();
    this.timer = null;
    const skip = this.active.size + this.held.size + this.cooldown.size;
    const upcoming = await this.store.upcoming(skip + 1);
    const now = this.clock.now();
    const next = upcoming.find(({ id }) => !this.active.has(id) && !this.held.has(id) && !this.coolingDown(id, now));
    let wait = MAX_SLEEP_MS;
    if (next) wait = Math.min(wait, Math.max(0, next.dueAt - now));
    for (const until of this.cooldown.values()) wait = Math.min(wait, Math.max(0, until - now));
    if (wait === 0) {
      // Due already (it came due while the scan ran): scan again now, unless every slot is
      // busy, in which case the end of a round kicks the scheduler.
      if (this.active.size < this.maxJobs) this.pumpAgain = true;
      return;
    }
    this.timer = this.clock.setTimer(Math.max(wait, 1), () => this.kick());
  }

  private startRound(id: string): void {
    const round = this.runRound(id)
      .catch((error: unknown) => {
        this.log.error({ evt: 'queue.round-failed', msgid: id, err: error }, 'delivery round failed; entry left for later');
        this.cooldown.set(id, this.clock.now() + COOLDOWN_MS);
      })
      .finally(() => {
        this.active.delete(id);
        this.kick();
      });
    this.active.set(id, round);
  }

  // ── one delivery round ─────────────────────────────────────────────────────────────────

  private async runRound(id: string): Promise<void> {
    const entry = await this.store.get(id);
    // The scan that chose this entry may predate a round that just ended and rescheduled it
    // (or delivered it): the entry as stored now decides, so a message is never tried twice in a row.
    if (!entry || entry.nextAttemptAt > this.clock.now()) return;
    const previousDue = entry.nextAttemptAt;
    const round: RoundState = { previousDue, afterWrite: [] };
    const log = this.log.child({ msgid: id });
    const open = entry.recipients.filter(isOpen);
    // The bytes are read only when a session will send them or a notice returns them: a
    // round towards a host known to be down touches the small entry alone.
    let body: Promise<Buffer | null> | null = null;
    const loadBody = () => (body ??= this.store.readMessage(id));
    if (open.length > 0) {
      entry.attempts++;
      entry.lastAttemptAt = this.clock.now();
      const byDomain = new Map<string, QueueRecipient[]>();
      const forGateways: QueueRecipient[] = [];
      for (const recipient of open) {
        if (recipient.gateway) {
          forGateways.push(recipient);
          continue;
        }
        const domain = domainOf(recipient.address);
        byDomain.set(domain, [...(byDomain.get(domain) ?? []), recipient]);
      }
      await Promise.all([
        ...[...byDomain].map(([domain, recipients]) => this.deliverDomain(entry, round, domain, recipients, loadBody)),
        ...(forGateways.length > 0 ? [this.deliverToGateways(entry, round, forGateways, loadBody)] : []),
      ]);
    }
    if (this.cancelled.delete(id)) {
      await this.removeDeleted(entry, round.afterWrite);
      return;
    }
    const now = this.clock.now();
    const failedNow: QueueRecipient[] = [];
    if (expired(this.policy, entry.createdAt, now)) {
      for (const recipient of entry.recipients.filter(isOpen)) {
        const reply: QueueReply = recipient.reply ?? { code: null, enhanced: '4.4.7', text: 'Delivery time expired' };
        recipient.status = 'failed';
        recipient.reply = { ...reply, text: `${reply.text} (gave up after ${Math.round((now - entry.createdAt) / 3_600_000)} hours)` };
        recipient.updatedAt = now;
        failedNow.push(recipient);
      }
    }
    await this.report(entry, loadBody, log);

    const stillOpen = entry.recipients.filter(isOpen);
    const done = stillOpen.length === 0 && entry.recipients.every((recipient) => recipient.reported);
    if (done) {
      await this.store.remove({ ...entry, nextAttemptAt: previousDue });
    } else {
      entry.nextAttemptAt = nextAttemptAt(this.policy, entry.createdAt, now, Math.max(1, entry.attempts));
      await this.store.update(entry, previousDue);
    }
    round.afterWrite.forEach((event) => this.emit(event));
    const at = this.clock.now();
    for (const recipient of failedNow) {
      this.emit({ type: 'failed', at, messageId: id, recipient: recipient.address, reply: recipient.reply!, reason: 'expired' });
    }
    if (done) {
      this.emit({ type: 'removed', at, messageId: id, reason: 'done' });
      log.info({ evt: 'queue.done', attempts: entry.attempts }, 'queue entry complete');
    } else {
      for (const recipient of stillOpen) {
        this.emit({ type: 'deferred', at, messageId: id, recipient: recipient.address, reply: recipient.reply ?? { code: null, enhanced: null, text: 'not attempted' }, attempts: entry.attempts, nextAttemptAt: entry.nextAttemptAt });
      }
      log.info({ evt: 'queue.deferred', open: stillOpen.length, next: new Date(entry.nextAttemptAt).toISOString() }, 'queue entry rescheduled');
    }
  }

  /** All open recipients of one domain: next hop, then one transaction per DSN-parameter group. */
  private async deliverDomain(
    entry: QueueEntry,
    round: RoundState,
    domain: string,
    recipients: QueueRecipient[],
    loadBody: () => Promise<Buffer | null>,
  ): Promise<void> {
    const hop = await this.router.nextHop(domain);
    const addresses = hop.ok ? await this.router.addresses(hop.value) : hop;
    if (!hop.ok || !addresses.ok) {
      const failure = !hop.ok ? hop : (addresses as Extract<typeof addresses, { ok: false }>);
      for (const recipient of recipients) {
        this.settle(entry, recipient, failure.permanent ? 'failed' : 'deferred', failure.reply, null);
      }
      if (failure.permanent) this.emitFailed(entry, recipients, 'permanent');
      return;
    }
    const down = this.client.unreachable(addresses.value);
    if (down) {
      for (const recipient of recipients) this.settle(entry, recipient, 'deferred', down, null);
      return;
    }
    const raw = await loadBody();
    if (!raw) return this.failMissingBody(entry, recipients);
    const groups = new Map<string, QueueRecipient[]>();
    for (const recipient of recipients) {
      const key = `${recipient.notify === null ? '' : String(recipient.notify)}|${recipient.orcpt ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), recipient]);
    }
    const message = targetMessageOf(entry);
    for (const group of groups.values()) {
      if (this.closed) break;
      await this.client.withSlot(hop.value.destination, async () => {
        const delivery = this.client.start(message, hop.value, addresses.value, (report) => this.emitAttempt(entry, group, report));
        try {
          for (const recipient of group) await delivery.addRecipient({ address: recipient.address, dsn: { notify: recipient.notify, orcpt: recipient.orcpt } });
          await delivery.body(raw);
        } catch (error) {
          await delivery.abort();
          throw error;
        }
        await this.record(entry, round, group, delivery.results, { host: delivery.lastHost, ip: delivery.lastIp, remoteMta: delivery.lastHost });
        await delivery.commit();
      });
    }
  }

  /** The queued bytes are gone (a damaged store): the recipients fail permanently. */
  private failMissingBody(entry: QueueEntry, recipients: QueueRecipient[]): void {
    this.log.error({ evt: 'queue.body-missing', msgid: entry.id }, 'queued message bytes missing');
    const reply: QueueReply = { code: null, enhanced: '5.3.0', text: 'The queued message data is missing' };
    for (const recipient of recipients) this.settle(entry, recipient, 'failed', reply, null);
    this.emitFailed(entry, recipients, 'permanent');
  }

  /**
   * Gateway recipients (SMS, fax, voice): one hand-over each through the gateway target, each
   * result written before the next hand-over starts, so a later failure never repeats one.
   */
  private async deliverToGateways(entry: QueueEntry, round: RoundState, recipients: QueueRecipient[], loadBody: () => Promise<Buffer | null>): Promise<void> {
    if (!this.gateways) {
      const reply: QueueReply = { code: 451, enhanced: '4.3.5', text: 'No gateways run on this server' };
      for (const recipient of recipients) this.settle(entry, recipient, 'deferred', reply, null);
      return;
    }
    const raw = await loadBody();
    if (!raw) return this.failMissingBody(entry, recipients);
    const message = targetMessageOf(entry);
    const envelopeTo = entry.recipients.map((recipient) => recipient.address);
    for (const recipient of recipients) {
      if (this.closed) break;
      const gateway = recipient.gateway!;
      const delivery = this.gateways.start(message, { gateway: gateway.name, envelopeTo }, (report) => this.emitAttempt(entry, [recipient], report));
      await delivery.addRecipient({ address: recipient.address, dsn: { notify: recipient.notify, orcpt: recipient.orcpt }, gateway });
      await delivery.body(raw);
      // A gateway is not an MTA: no Remote-MTA in the sender's DSN.
      await this.record(entry, round, [recipient], delivery.results, { host: delivery.host, ip: null, remoteMta: null });
      await delivery.commit();
    }
  }

  /**
   * Settles a group from its delivery's results and makes the outcome durable: the synced write
   * right after a remote 250 (or a gateway's acceptance), so a restart does not send it again.
   * When this settled the whole entry and nothing is owed to the sender, that write is the
   * entry's removal at the end of the round (no other I/O comes in between).
   */
  private async record(
    entry: QueueEntry,
    round: RoundState,
    group: QueueRecipient[],
    results: ReadonlyMap<string, RecipientResult>,
    by: { host: string | null; ip: string | null; remoteMta: string | null },
  ): Promise<void> {
    const delivered: QueueRecipient[] = [];
    const failed: QueueRecipient[] = [];
    for (const recipient of group) {
      const result = results.get(recipient.address);
      const reply = result?.reply ?? { code: null, enhanced: null, text: 'no result' };
      const status = result?.status ?? 'deferred';
      this.settle(entry, recipient, status, reply, by.remoteMta);
      if (status === 'delivered') {
        delivered.push(recipient);
        // The next hop reports success itself when it took NOTIFY (RFC 3461 §6.2.2).
        if (!wants(recipient, 'SUCCESS') || result?.dsnPassedOn) recipient.reported = true;
      }
      if (status === 'failed') failed.push(recipient);
    }
    const finished = entry.recipients.every((recipient) => !isOpen(recipient) && recipient.reported);
    const events: QueueEvent[] = delivered.map((recipient) => ({
      type: 'delivered', at: this.clock.now(), messageId: entry.id, recipient: recipient.address,
      host: by.host ?? '', ip: by.ip, reply: recipient.reply!, size: entry.size,
    }));
    events.push(...this.failedEvents(entry, failed, 'permanent'));
    if (finished) {
      // Emitted once the removal is durable.
      round.afterWrite.push(...events);
    } else {
      if (delivered.length > 0) await this.store.update(entry, round.previousDue);
      events.forEach((event) => this.emit(event));
    }
  }

  private settle(entry: QueueEntry, recipient: QueueRecipient, status: QueueRecipient['status'], reply: QueueReply, host: string | null): void {
    recipient.status = status;
    recipient.reply = reply;
    recipient.remoteHost = host;
    recipient.attempts++;
    recipient.updatedAt = this.clock.now();
    if (status === 'failed' && (entry.from === '' || !wants(recipient, 'FAILURE'))) recipient.reported = true;
  }

  private emitFailed(entry: QueueEntry, recipients: QueueRecipient[], reason: 'permanent'): void {
    this.failedEvents(entry, recipients, reason).forEach((event) => this.emit(event));
  }

  private failedEvents(entry: QueueEntry, recipients: QueueRecipient[], reason: 'permanent'): QueueEvent[] {
    const at = this.clock.now();
    return recipients.map((recipient) => ({ type: 'failed', at, messageId: entry.id, recipient: recipient.address, reply: recipient.reply!, reason }));
  }

  private emitAttempt(entry: QueueEntry, group: QueueRecipient[], report: AttemptReport): void {
    this.log.info(
      { evt: 'queue.attempt', msgid: entry.id, host: report.host, ip: report.ip, port: report.port, tls: report.tls, code: report.reply.code, enhanced: report.reply.enhanced, text: report.reply.text, ms: report.ms, rcpts: group.length },
      'delivery attempt',
    );
    this.emit({
      type: 'attempt',
      at: this.clock.now(),
      messageId: entry.id,
      attempt: entry.attempts,
      recipients: group.map((recipient) => recipient.address),
      host: report.host,
      ip: report.ip,
      port: report.port,
      tls: report.tls,
      reply: report.reply,
      results: report.results.map((result) => ({ recipient: result.recipient, status: result.status, reply: result.reply })),
      ms: report.ms,
      bytes: report.bytes,
    });
  }

  // ── DSNs ───────────────────────────────────────────────────────────────────────────────

  /** Sends the failure, success and delay notices this round owes; marks what was sent. */
  private async report(entry: QueueEntry, loadBody: () => Promise<Buffer | null>, log: Logger): Promise<void> {
    if (entry.from === '') {
      // RFC 3461 §6.2: never a DSN about a message with the null reverse-path.
      for (const recipient of entry.recipients) if (!isOpen(recipient)) recipient.reported = true;
      return;
    }
    const now = this.clock.now();
    const failures = entry.recipients.filter((recipient) => recipient.status === 'failed' && !recipient.reported);
    const successes = entry.recipients.filter((recipient) => recipient.status === 'delivered' && !recipient.reported);
    const delayed = this.delayNoticeMs > 0 && now - entry.createdAt >= this.delayNoticeMs
      ? entry.recipients.filter((recipient) => isOpen(recipient) && !recipient.delayNotified && wants(recipient, 'DELAY'))
      : [];
    const notices: Array<[DsnKind, QueueRecipient[]]> = [['failure', failures], ['success', successes], ['delay', delayed]];
    for (const [kind, recipients] of notices) {
      if (recipients.length === 0) continue;
      const dsnRecipients: DsnRecipient[] = recipients.map((recipient) => {
        const action = kind === 'failure' ? 'failed' : kind === 'delay' ? 'delayed' : 'relayed';
        return {
          address: recipient.address,
          orcpt: recipient.orcpt,
          action,
          status: statusFor(recipient.reply, action),
          reply: recipient.reply,
          remoteMta: recipient.remoteHost,
          lastAttemptAt: entry.lastAttemptAt,
          willRetryUntil: kind === 'delay' ? entry.createdAt + this.policy.giveUpMs : null,
        };
      });
      const { raw: dsn } = composeDsn({
        kind,
        hostname: this.hostname,
        to: entry.from,
        messageId: entry.id,
        envid: entry.envid,
        ret: entry.ret,
        arrivalDate: entry.createdAt,
        now,
        recipients: dsnRecipients,
        original: (await loadBody()) ?? Buffer.alloc(0),
      });
      try {
        const dsnId = await this.sendDsn(entry.from, dsn);
        for (const recipient of recipients) {
          if (kind === 'delay') recipient.delayNotified = true;
          else recipient.reported = true;
        }
        this.emit({ type: 'dsn-sent', at: this.clock.now(), messageId: entry.id, dsnMessageId: dsnId, kind, recipients: recipients.map((recipient) => recipient.address), to: entry.from });
        log.info({ evt: 'queue.dsn', kind, dsn: dsnId, rcpts: recipients.length }, 'delivery status notification sent');
      } catch (error) {
        // Left unreported: the entry stays and the next round tries again.
        log.warn({ evt: 'queue.dsn-failed', kind, err: error }, 'could not submit a delivery status notification');
      }
    }
  }

  private async sendDsn(to: string, raw: Buffer): Promise<string> {
    if (this.submitDsn) return this.submitDsn({ from: '', to: [to] }, raw);
    throw new Error('no DSN submitter configured');
  }

  private emit(event: QueueEvent): void {
    try {
      this.events.emit('queue', event);
    } catch (error) {
      this.log.error({ evt: 'queue.listener-error', type: event.type, err: error }, 'queue event listener threw');
    }
  }
}

/** What the queue's targets are told about an entry's message. */
function targetMessageOf(entry: QueueEntry): TargetMessage {
  return {
    id: entry.id,
    from: entry.from,
    source: entry.source,
    user: entry.user,
    dsn: { ret: entry.ret, envid: entry.envid },
    receivedAt: entry.createdAt,
  };
}

/** A gateway recipient's queue record, numbered in order among the message's recipients on that gateway. */
function gatewayTargetOf(route: GatewayRoute, ordinals: Map<string, number>): QueueGatewayTarget {
  const ordinal = (ordinals.get(route.name) ?? 0) + 1;
  ordinals.set(route.name, ordinal);
  return { name: route.name, number: route.number, ordinal };
}

/** Visits every entry in due order, a page at a time (never the whole queue in memory). */
export async function forEachEntry(store: QueueStore, visit: (entry: QueueEntry) => Promise<void>, pageSize = 500): Promise<void> {
  let after: { dueAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.list({ limit: pageSize, after });
    if (page.length === 0) return;
    // Positions are taken before visiting: a visit may move an entry's due key.
    const last = page[page.length - 1];
    after = { dueAt: last.nextAttemptAt, id: last.id };
    for (const entry of page) await visit(entry);
    if (page.length < pageSize) return;
  }
}

/**
 * Makes one entry (or, with `id` null, every entry) due at `now`, skipping those `skip` names
 * and those already due; resolves with how many were rescheduled. Shared by the live queue and
 * the offline `bridgehead queue retry`.
 */
export async function makeDue(
  store: QueueStore,
  id: string | null,
  now: number,
  options: { skip?: (entry: QueueEntry) => boolean; rescheduled?: (entry: QueueEntry) => void } = {},
): Promise<number> {
  let count = 0;
  const reschedule = async (entry: QueueEntry) => {
    if (entry.nextAttemptAt <= now || options.skip?.(entry)) return;
    const previous = entry.nextAttemptAt;
    entry.nextAttemptAt = now;
    await store.update(entry, previous);
    options.rescheduled?.(entry);
    count++;
  };
  if (id !== null) {
    const entry = await store.get(id);
    if (!entry) throw new Error(`no queue entry ${id}`);
    await reschedule(entry);
  } else {
    await forEachEntry(store, reschedule);
  }
  return count;
}

/**
 * The domain a signer signs for: the RFC 5322 From address's domain (what DMARC aligns with),
 * else the envelope sender's, else our own (DSNs from MAILER-DAEMON).
 */
export function signingDomain(raw: Buffer, envelopeFrom: string, hostname: string): string {
  const end = raw.indexOf('\r\n\r\n');
  const header = raw.subarray(0, end < 0 ? Math.min(raw.length, 65_536) : end).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const from = /^From:[^\r\n]*?@([A-Za-z0-9.-]+)/im.exec(header);
  if (from) return from[1].toLowerCase().replace(/\.$/, '');
  if (envelopeFrom.includes('@')) return domainOf(envelopeFrom);
  return hostname.toLowerCase();
}
