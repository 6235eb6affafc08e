/**
 * Gateways: the delivery targets plugins provide for other media (SMS, fax, voice), and the way
 * back in. Outbound, the pipeline queues a message's gateway recipients in the durable outbound
 * queue, and the queue's gateway target (src/queue/gateway-target.ts) hands each of them over
 * here (`handOver`), with the queue's retries, backoff and DSNs; inbound, a gateway calls
 * `ctx.deliverInbound`, which builds a MIME message and passes it through the same pipeline
 * steps as mail from the MX (sender, recipient and data hooks, routing, store).
 *
 * Invariants:
 * - At acceptance only the route is checked (`checkRoutes`: the gateway exists and runs); the
 *   gateway sees the message once it is durable in the queue, so a failed store never leaves an
 *   SMS, fax or call behind that the client's retry would send again.
 * - `handOver` drives one recipient's delivery (open → addRecipient → body → commit, abort after
 *   a failure) and answers with an outcome, never an exception: delivered; failed for a
 *   GatewayRefusal with a 5xx; deferred for anything else. `prepare` does the same for several
 *   recipients at once and throws the SMTP reply instead (direct sends such as notifications).
 * - Every gateway call runs under the plugin timeout and try/catch (PluginHost.call); steps the
 *   queue drives get at least HAND_OVER_TIMEOUT_MS, since no client is waiting on them.
 *   A GatewayRefusal is the gateway's answer (its SMTP reply); anything else is a tempfail.
 * - Each gateway's context carries its durable memory (gateway-memory.ts) on the store's gateway
 *   state, whose expired entries are swept at start and every hour.
 * - A gateway whose start() reports it unavailable (a missing tool) is disabled with its reason
 *   logged; mail routed to it is refused with 550 5.3.3, the rest of the server runs.
 * - Acknowledgements go to the audit sink and to every plugin's gatewayAck hook.
 * - Each gateway gets one context per hub (per server): `start`, `open` and `stop` receive the
 *   same object, so a gateway's state is per server even when two servers share a process.
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { SmtpError } from '../errors.js';
import type { Logger } from '../log.js';
import type {
  GatewayAck,
  GatewayContext,
  GatewayDefinition,
  GatewayDelivery,
  GatewayMessage,
  GatewayOpenInfo,
  GatewayStatus,
  InboundMessage,
  InboundResult,
} from './api.js';
import { GatewayRefusal } from './api.js';
import type { GatewayDispatcher, GatewayHandOverOutcome, GatewayHandOverRequest } from '../queue/gateway-target.js';
import type { GatewayStateStore } from '../store/types.js';
import { gatewayMemory, memoryGatewayState } from './gateway-memory.js';
import { PluginMessage, type HookEnvelope, type HookSession, type PluginHost } from './host.js';
import { sessionView } from './views.js';
import type { LoadedPlugin } from './loader.js';
import { PLUGIN_FAILURE_TEXT, PluginVerdictError } from './verdicts.js';

/** The pipeline steps an inbound gateway message passes; Pipeline has these methods. */
export interface InboundPipeline {
  checkSender(session: HookSession, address: string): Promise<void>;
  checkRecipient(session: HookSession, address: string): Promise<void>;
  deliver(session: HookSession, envelope: { from: string; to: string[] }, message: Buffer): Promise<{ id: string }>;
}

/** Where acknowledgements are recorded (the audit trail). */
export type GatewayAuditSink = (ack: ResolvedAck) => Promise<void> | void;

export type ResolvedAck = Required<Pick<GatewayAck, 'messageId' | 'gateway' | 'recipient' | 'status' | 'at'>> & Pick<GatewayAck, 'reference' | 'detail'>;

export interface GatewayState {
  name: string;
  plugin: string;
  available: boolean;
  /** Why it is unavailable, or null. */
  reason: string | null;
}

/** One recipient handed to a gateway. */
export interface GatewayRecipientTarget {
  gateway: string;
  /** The mail address being routed. */
  recipient: string;
  /** The medium address from the route target (e.g. the E.164 number). */
  number: string;
}

/** Opened gateway deliveries waiting for the store; commit after it, abort otherwise. */
export interface PreparedGateways {
  /** "gateway:number" for every recipient taken, for the stored hook and logs. */
  readonly taken: string[];
  commit(): Promise<void>;
  abort(reason: string): Promise<void>;
}

interface Entry {
  plugin: LoadedPlugin;
  definition: GatewayDefinition<unknown>;
  state: GatewayState;
  /** The context given to start and then to every open and stop; null until started. */
  context: GatewayContext<unknown> | null;
}

const ACK_STATUSES = new Set(['submitted', 'delivered', 'read', 'failed', 'received']);

/** Least time a queued hand-over step gets: rendering a fax or placing a call can take minutes. */
export const HAND_OVER_TIMEOUT_MS = 10 * 60_000;
/** How often expired gateway memory is removed from the store. */
const MEMORY_SWEEP_MS = 3_600_000;

export class GatewayHub implements GatewayDispatcher {
  private readonly host: PluginHost;
  private readonly log: Logger;
  private readonly entries = new Map<string, Entry>();
  private readonly shutdown = new AbortController();
  private inboundSequence = 0;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(host: PluginHost, log: Logger) {
    this.host = host;
    this.log = log.child({ component: 'gateways' });
    for (const plugin of host.plugins) {
      for (const definition of plugin.definition.gateways ?? []) {
        this.entries.set(definition.name, {
          plugin,
          definition,
          state: { name: definition.name, plugin: plugin.name, available: false, reason: 'not started' },
          context: null,
        });
      }
    }
  }

  /** Every gateway with its availability, for status pages and logs. */
  states(): GatewayState[] {
    return [...this.entries.values()].map((entry) => ({ ...entry.state }));
  }

  /**
   * Starts every gateway in config order. A gateway that throws stops start-up (like a plugin
   * that fails to load); one that reports itself unavailable, or does not answer in time, is
   * disabled and logged. `state` is where the gateways' memory lives (the store's gateway state;
   * without it, memory is kept in this process only).
   */
  async start(options: { pipeline: InboundPipeline; audit?: GatewayAuditSink; hostname: string; state?: GatewayStateStore }): Promise<void> {
    const state = options.state ?? memoryGatewayState();
    if (this.entries.size > 0) await this.sweepMemory(state);
    for (const entry of this.entries.values()) {
      const { plugin, definition } = entry;
      const ctx: GatewayContext<unknown> = {
        ...this.host.base(plugin),
        gateway: definition.name,
        signal: this.shutdown.signal,
        deliverInbound: (message) => this.deliverInbound(entry, message, options),
        audit: (ack) => this.recordAck(entry, ack, options.audit),
        memory: gatewayMemory(state, definition.name),
      };
      entry.context = ctx;
      if (typeof definition.start !== 'function') {
        entry.state = { ...entry.state, available: true, reason: null };
        continue;
      }
      const outcome = await this.host.call(plugin, `gateway ${definition.name} start`, () => definition.start!(ctx));
      if (!outcome.ok) {
        const error = outcome.error as Error;
        if (outcome.timedOut) {
          entry.state = { ...entry.state, available: false, reason: 'start did not finish in time' };
        } else {
          throw new Error(`plugin "${plugin.name}": gateway "${definition.name}" failed to start: ${error?.message ?? String(error)}`);
        }
      } else {
        const status = (outcome.value ?? { available: true }) as GatewayStatus;
        entry.state = status.available
          ? { ...entry.state, available: true, reason: null }
          : { ...entry.state, available: false, reason: String(status.reason || 'unavailable') };
      }
      if (entry.state.available) this.log.info({ evt: 'gateway.started', gateway: definition.name, plugin: plugin.name }, 'gateway started');
      else this.log.warn({ evt: 'gateway.disabled', gateway: definition.name, plugin: plugin.name, reason: entry.state.reason }, `gateway ${definition.name} disabled: ${entry.state.reason}`);
    }
    if (this.entries.size > 0 && !this.shutdown.signal.aborted) {
      this.sweeper = setInterval(() => void this.sweepMemory(state), MEMORY_SWEEP_MS);
      this.sweeper.unref();
    }
  }

  /** Removes expired gateway memory; a failure is logged and retried at the next sweep. */
  private async sweepMemory(state: GatewayStateStore): Promise<void> {
    try {
      const removed = await state.expire(Date.now());
      if (removed > 0) this.log.info({ evt: 'gateway.memory-expired', removed }, 'expired gateway memory removed');
    } catch (error) {
      this.log.error({ evt: 'gateway.memory-sweep-failed', err: error }, 'could not remove expired gateway memory');
    }
  }

  /** Stops every gateway (after aborting the shutdown signal); errors are logged. */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.shutdown.abort();
    for (const entry of this.entries.values()) {
      const { context } = entry;
      if (typeof entry.definition.stop !== 'function' || !context) continue;
      await this.host.call(entry.plugin, `gateway ${entry.definition.name} stop`, () => entry.definition.stop!(context));
    }
  }

  /**
   * At acceptance: throws the SmtpError that refuses a message routed to a gateway no plugin
   * provides (a configuration fault: tempfail, logged) or to one that is not available (550 5.3.3).
   */
  checkRoutes(targets: readonly GatewayRecipientTarget[]): void {
    for (const target of targets) {
      const entry = this.entries.get(target.gateway);
      if (!entry) {
        this.log.error({ evt: 'gateway.unknown', gateway: target.gateway }, 'a route names a gateway no plugin provides');
        throw new PluginVerdictError({ kind: 'tempfail', text: PLUGIN_FAILURE_TEXT }, null);
      }
      if (!entry.state.available) throw new SmtpError(550, '5.3.3', `The ${target.gateway} gateway is not available on this server`);
    }
  }

  /**
   * Opens the deliveries for a message's gateway recipients and hands each its recipients and
   * body, at once (not through the queue: for courtesy notices, where a retry is not worth a
   * queue entry). Throws the SmtpError that refuses the message, after aborting what was opened.
   */
  async prepare(input: {
    session: HookSession;
    envelope: HookEnvelope;
    message: PluginMessage;
    /** The bytes as stored: trace fields plus the message. */
    raw: Buffer;
    targets: GatewayRecipientTarget[];
  }): Promise<PreparedGateways> {
    this.checkRoutes(input.targets);
    const byGateway = new Map<string, GatewayRecipientTarget[]>();
    for (const target of input.targets) byGateway.set(target.gateway, [...(byGateway.get(target.gateway) ?? []), target]);

    const opened: Array<{ entry: Entry; delivery: GatewayDelivery }> = [];
    const abortAll = async (reason: string) => {
      for (const { entry, delivery } of opened) {
        await this.host.call(entry.plugin, `gateway ${entry.definition.name} abort`, () => delivery.abort(reason));
      }
    };
    const envelope = Object.freeze({ from: input.envelope.from, to: Object.freeze([...input.envelope.to]) });
    const message: GatewayMessage = {
      id: input.message.id,
      envelope,
      raw: input.raw,
      headers: input.message.headers.view(),
      parsed: () => input.message.parsed(),
    };
    const session = sessionView(input.session);
    try {
      for (const [name, targets] of byGateway) {
        const entry = this.entries.get(name)!;
        // Available implies started, so the context is there.
        const context = entry.context as GatewayContext<unknown>;
        const delivery = await this.open(entry, { messageId: message.id, envelope, session }, context);
        opened.push({ entry, delivery });
        for (const [index, target] of targets.entries()) {
          await this.step(entry, 'addRecipient', () => delivery.addRecipient({ address: target.recipient, number: target.number, ordinal: index + 1 }));
        }
        await this.step(entry, 'body', () => delivery.body(message));
      }
    } catch (error) {
      await abortAll(error instanceof Error ? error.message : 'refused');
      throw error;
    }
    const taken = input.targets.map((target) => `${target.gateway}:${target.number}`);
    return {
      taken,
      commit: async () => {
        for (const { entry, delivery } of opened) {
          const outcome = await this.host.call(entry.plugin, `gateway ${entry.definition.name} commit`, () => delivery.commit());
          if (!outcome.ok) {
            // The mail part is already durable; what is left is the gateway's own failure record.
            this.log.error({ evt: 'gateway.commit-failed', gateway: entry.definition.name, msgid: message.id }, 'gateway commit failed after the message was stored');
          }
        }
      },
      abort: abortAll,
    };
  }

  /**
   * The queue's hand-over of one recipient (src/queue/gateway-target.ts): open → addRecipient →
   * body → commit, abort after a failure. Answers with the outcome; never throws.
   */
  async handOver(request: GatewayHandOverRequest): Promise<GatewayHandOverOutcome> {
    const { gateway, recipient } = request;
    const entry = this.entries.get(gateway);
    // Both may be mended (config, an installed tool) before the queue gives up: wait, do not bounce.
    if (!entry) return deferred('4.3.5', `No gateway named ${gateway} runs on this server`);
    if (!entry.state.available || !entry.context) return deferred('4.3.2', `The ${gateway} gateway is not available: ${entry.state.reason ?? 'not started'}`);
    const context = entry.context;
    const parsing = new PluginMessage(request.message.id, request.raw);
    const envelope = Object.freeze({ from: request.message.from, to: Object.freeze([...request.message.to]) });
    const message: GatewayMessage = { id: request.message.id, envelope, raw: request.raw, headers: parsing.headers.view(), parsed: () => parsing.parsed() };
    // What the gateway learns of the sender: the queue keeps the submitter, not the connection.
    const session = sessionView({
      id: `queue-${request.message.id}`,
      role: request.message.source === 'mx' ? 'mx' : 'submission',
      remoteAddress: '127.0.0.1',
      heloName: 'localhost',
      user: request.message.user,
      secure: true,
    });
    const timeoutMs = Math.max(this.host.hookTimeoutMs, HAND_OVER_TIMEOUT_MS);
    let delivery: GatewayDelivery | null = null;
    try {
      delivery = await this.open(entry, { messageId: message.id, envelope, session }, context, { timeoutMs });
      const opened = delivery;
      await this.step(entry, 'addRecipient', () => opened.addRecipient({ address: recipient.address, number: recipient.number, ordinal: recipient.ordinal }), { timeoutMs });
      await this.step(entry, 'body', () => opened.body(message), { timeoutMs });
      await this.step(entry, 'commit', () => opened.commit(), { timeoutMs });
    } catch (error) {
      const refusal = error instanceof SmtpError ? error : new SmtpError(451, '4.3.0', PLUGIN_FAILURE_TEXT);
      if (delivery) {
        const opened = delivery;
        await this.host.call(entry.plugin, `gateway ${gateway} abort`, () => opened.abort(refusal.message));
      }
      const reply = { code: refusal.code, enhanced: refusal.enhanced, text: refusal.message };
      this.log.info({ evt: 'gateway.hand-over-failed', gateway, msgid: message.id, to: recipient.number, code: refusal.code, enhanced: refusal.enhanced }, 'gateway did not take the message');
      return { status: refusal.code >= 500 ? 'failed' : 'deferred', reply };
    }
    this.log.info({ evt: 'gateway.handed-over', gateway, msgid: message.id, to: recipient.number }, 'handed over to the gateway');
    return { status: 'delivered', reply: { code: 250, enhanced: '2.0.0', text: `Handed over to the ${gateway} gateway` } };
  }

  /** A gateway's open(), checked to return a delivery (else a plugin failure: tempfail). */
  private async open(entry: Entry, info: GatewayOpenInfo, context: GatewayContext<unknown>, options: { timeoutMs?: number } = {}): Promise<GatewayDelivery> {
    const delivery = (await this.step(entry, 'open', () => entry.definition.open(info, context), options)) as GatewayDelivery;
    if (!delivery || typeof delivery.addRecipient !== 'function' || typeof delivery.body !== 'function' || typeof delivery.commit !== 'function' || typeof delivery.abort !== 'function') {
      this.log.error({ evt: 'plugin.hook-failed', plugin: entry.plugin.name, hook: `gateway ${entry.definition.name} open`, reason: 'bad-result' }, 'open() did not return a delivery');
      throw new PluginVerdictError({ kind: 'tempfail', text: PLUGIN_FAILURE_TEXT }, null);
    }
    return delivery;
  }

  /** One outbound step; a GatewayRefusal becomes its SMTP reply, anything else a tempfail. */
  private async step(entry: Entry, what: string, run: () => unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const outcome = await this.host.call(entry.plugin, `gateway ${entry.definition.name} ${what}`, run, { expected: isRefusal, timeoutMs: options.timeoutMs });
    if (outcome.ok) return outcome.value;
    if (isRefusal(outcome.error)) {
      const refusal = outcome.error as GatewayRefusal;
      throw new SmtpError(refusal.code, refusal.enhanced, refusal.message);
    }
    throw new PluginVerdictError({ kind: 'tempfail', text: PLUGIN_FAILURE_TEXT }, null);
  }

  private async deliverInbound(entry: Entry, input: InboundMessage, options: { pipeline: InboundPipeline; hostname: string }): Promise<InboundResult> {
    const gateway = entry.definition.name;
    const recipients = (Array.isArray(input.to) ? input.to : [input.to]).filter((address) => typeof address === 'string' && address !== '');
    if (typeof input.from !== 'string' || input.from === '' || recipients.length === 0) {
      return { ok: false, temporary: false, reply: '501 5.5.4 deliverInbound needs a sender and at least one recipient' };
    }
    const session: HookSession = {
      id: `gw-${gateway}-${(++this.inboundSequence).toString(36)}-${randomBytes(3).toString('hex')}`,
      role: 'mx',
      remoteAddress: '127.0.0.1',
      heloName: 'localhost',
      user: null,
      secure: true,
      gateway,
    };
    try {
      const raw = await new MailComposer({
        from: input.from,
        to: recipients,
        subject: input.subject ?? '',
        text: input.text ?? '',
        date: input.date ?? new Date(),
        headers: { 'X-Bridgehead-Gateway': gateway, ...(input.headers ?? {}) },
        attachments: (input.attachments ?? []).map((attachment) => ({
          filename: attachment.filename,
          contentType: attachment.contentType,
          content: attachment.content,
        })),
        messageId: `<${randomBytes(12).toString('hex')}@${options.hostname}>`,
      }).compile().build();
      await options.pipeline.checkSender(session, input.from);
      for (const recipient of recipients) await options.pipeline.checkRecipient(session, recipient);
      const { id } = await options.pipeline.deliver(session, { from: input.from, to: recipients }, raw);
      this.log.info({ evt: 'gateway.inbound', gateway, msgid: id, rcpts: recipients.length }, 'gateway message delivered');
      return { ok: true, messageId: id };
    } catch (error) {
      if (error instanceof SmtpError) {
        this.log.info({ evt: 'gateway.inbound-refused', gateway, reply: `${error.code} ${error.enhanced}` }, 'gateway message refused');
        return { ok: false, temporary: error.code < 500, reply: error.reply };
      }
      this.log.error({ evt: 'gateway.inbound-error', gateway, err: error }, 'gateway message failed');
      return { ok: false, temporary: true, reply: '451 4.3.0 Temporary local failure, please try again later' };
    }
  }

  private async recordAck(entry: Entry, input: GatewayAck, audit: GatewayAuditSink | undefined): Promise<void> {
    if (!input || typeof input.messageId !== 'string' || typeof input.recipient !== 'string' || !ACK_STATUSES.has(input.status)) {
      throw new TypeError('audit: an ack needs messageId, recipient and a status of submitted, delivered, read, failed or received');
    }
    const ack: ResolvedAck = {
      messageId: input.messageId,
      gateway: input.gateway || entry.definition.name,
      recipient: input.recipient,
      status: input.status,
      at: input.at instanceof Date ? input.at : new Date(),
      ...(input.reference === undefined ? {} : { reference: String(input.reference) }),
      ...(input.detail === undefined ? {} : { detail: String(input.detail) }),
    };
    this.log.info({ evt: 'gateway.ack', gateway: ack.gateway, msgid: ack.messageId, status: ack.status, reference: ack.reference }, 'gateway acknowledgement');
    if (audit) {
      try {
        await audit(ack);
      } catch (error) {
        this.log.error({ evt: 'gateway.audit-failed', gateway: ack.gateway, msgid: ack.messageId, err: error }, 'could not record the acknowledgement');
        throw error;
      }
    }
    await this.host.gatewayAck(ack);
  }
}

function deferred(enhanced: string, text: string): GatewayHandOverOutcome {
  return { status: 'deferred', reply: { code: 451, enhanced, text } };
}

function isRefusal(error: unknown): boolean {
  return error instanceof GatewayRefusal
    || (error instanceof Error && error.name === 'GatewayRefusal' && typeof (error as GatewayRefusal).code === 'number');
}

/** The audit trail's record of an acknowledgement (src/audit). */
interface AuditGatewayAcks {
  gatewayAck(input: { messageId: string; gateway: string; recipient: string; status: 'accepted' | 'delivered' | 'read' | 'failed'; detail?: string | null; reference?: string | null; at?: number }): Promise<void>;
}

/**
 * The audit trail as a GatewayAuditSink. The trail knows accepted/delivered/read/failed: a
 * gateway's "submitted" (handed to the medium) is its "accepted", and "received" (a message from
 * the medium injected as mail) is recorded as accepted with that said in the detail.
 */
export function auditSink(audit: AuditGatewayAcks): GatewayAuditSink {
  return (ack) => audit.gatewayAck({
    messageId: ack.messageId,
    gateway: ack.gateway,
    recipient: ack.recipient,
    status: ack.status === 'submitted' || ack.status === 'received' ? 'accepted' : ack.status,
    detail: ack.status === 'received' ? `received from the medium${ack.detail ? `: ${ack.detail}` : ''}` : ack.detail ?? null,
    reference: ack.reference ?? null,
    at: ack.at.getTime(),
  });
}
