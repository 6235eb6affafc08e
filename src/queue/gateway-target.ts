/**
 * The gateway target: how the outbound queue hands a recipient to an SMS, fax or voice gateway,
 * as smtp-client.ts is how it hands remote recipients to the next SMTP hop. Same contract
 * (pipeline/target.ts): start → addRecipient → body (the hand-over; its outcome decides each
 * recipient, in `results`) → commit | abort.
 *
 * The gateways themselves are plugins run by the plugin host (src/plugins/gateways.ts, which
 * implements GatewayDispatcher); the composition root connects the two, so the queue depends on
 * this interface only.
 *
 * Invariants:
 * - One hand-over per recipient, each reported as its own `attempt`: the queue writes a
 *   recipient's `delivered` status (synced) right after its hand-over, before the next one, so a
 *   failure or a restart later never hands the same recipient over again. Only a crash between a
 *   gateway's acceptance and that write can repeat one, or a gateway step that outlives its
 *   timeout (plugins/gateways.ts HAND_OVER_TIMEOUT_MS) and still completes after the deferral.
 * - A hand-over the gateway refused with a 5xx fails the recipient (the sender gets a DSN);
 *   anything else that went wrong (4xx, a throwing or hanging gateway, a gateway not running)
 *   defers it to the queue's next round.
 */
import type { MessageSource, TargetDelivery, TargetMessage, TargetRecipient } from '../pipeline/target.js';
import type { QueueReply } from '../store/types.js';
import type { AttemptReport, RecipientResult, RecipientStatus } from './smtp-client.js';

export interface GatewayHandOverRequest {
  /** The gateway's name, e.g. "sms". */
  gateway: string;
  message: {
    id: string;
    /** Reverse-path; "" is the null sender. */
    from: string;
    /** The envelope recipients the gateway is told about (the queued ones). */
    to: string[];
    /** Authenticated submitter, or null. */
    user: string | null;
    source: MessageSource;
  };
  /** The queued bytes (Received on top, no Return-Path). */
  raw: Buffer;
  recipient: { address: string; number: string; ordinal: number };
}

export interface GatewayHandOverOutcome {
  status: RecipientStatus;
  reply: QueueReply;
}

/** What the queue needs of the gateways: one hand-over, whose outcome never throws. */
export interface GatewayDispatcher {
  handOver(request: GatewayHandOverRequest): Promise<GatewayHandOverOutcome>;
}

export class GatewayTarget {
  constructor(private readonly dispatcher: GatewayDispatcher) {}

  /** A delivery to one gateway; `envelopeTo` is what the gateway sees as the envelope's recipients. */
  start(message: TargetMessage, options: { gateway: string; envelopeTo: string[] }, onAttempt: (report: AttemptReport) => void): GatewayHandOver {
    return new GatewayHandOver(this.dispatcher, message, options, onAttempt);
  }
}

export class GatewayHandOver implements TargetDelivery {
  readonly results = new Map<string, RecipientResult>();
  /** How the audit and DSNs name the other side: "<gateway> gateway". */
  readonly host: string;
  private readonly recipients: TargetRecipient[] = [];

  constructor(
    private readonly dispatcher: GatewayDispatcher,
    private readonly message: TargetMessage,
    private readonly options: { gateway: string; envelopeTo: string[] },
    private readonly onAttempt: (report: AttemptReport) => void,
  ) {
    this.host = `${options.gateway} gateway`;
  }

  async addRecipient(recipient: TargetRecipient): Promise<void> {
    if (recipient.gateway?.name !== this.options.gateway) throw new Error(`recipient ${recipient.address} is not for the ${this.options.gateway} gateway`);
    this.recipients.push(recipient);
  }

  /** Hands the message over for each recipient in turn; the outcomes are in `results`. */
  async body(raw: Buffer): Promise<void> {
    const { message } = this;
    for (const recipient of this.recipients) {
      const route = recipient.gateway!;
      const started = performance.now();
      const outcome = await this.dispatcher.handOver({
        gateway: this.options.gateway,
        message: { id: message.id, from: message.from, to: this.options.envelopeTo, user: message.user, source: message.source },
        raw,
        recipient: { address: recipient.address, number: route.number, ordinal: route.ordinal ?? 1 },
      });
      const result: RecipientResult = { recipient: recipient.address, status: outcome.status, reply: outcome.reply };
      this.results.set(recipient.address, result);
      this.onAttempt({
        host: this.host, ip: null, port: 0, tls: false, reply: outcome.reply, results: [result],
        ms: Math.round(performance.now() - started), bytes: outcome.status === 'delivered' ? raw.length : 0, transacted: true,
      });
    }
  }

  async commit(): Promise<void> {
    // Each hand-over was final when the gateway accepted it.
  }

  async abort(): Promise<void> {
    // A gateway that failed has aborted its own delivery (the plugin host saw to it).
  }
}
