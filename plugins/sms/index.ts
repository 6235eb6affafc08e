/**
 * The SMS gateway: mail to "+<number>@<sms domain>" becomes an SMS (SMPP 3.4 or an HTTP gateway
 * such as Kannel), delivery receipts become `gatewayAck` entries in the audit trail, and SMS
 * sent to a user's number (or in reply to an SMS they sent) arrive in their INBOX from
 * "+<number>@<sms domain>", so a reply by mail goes back as an SMS.
 *
 * Invariants:
 * - Only authenticated senders (or `allowedSenders`) reach the gateway (the kit's routing hooks).
 * - The SMS is submitted during the body step, which the server's outbound queue drives once the
 *   message is durable: when it resolves the SMSC (or the HTTP gateway) has accepted it and the
 *   queue records the recipient as delivered; a temporary failure is retried by the queue, a
 *   GatewayRefusal bounces to the sender.
 * - Receipts are matched to messages by the SMSC's message id: written to the gateway's durable
 *   memory (the server's store) for `receiptDays` before the hand-over resolves, and cached in
 *   memory for `receiptMemory` submissions, so a receipt after a restart is still recorded; a
 *   receipt for an unknown id is logged, not recorded.
 * - An incoming SMS goes to the owner of the number it was sent to; when nobody owns it (a shared
 *   sender number), to the user who last sent an SMS to that phone within `replyWindowHours`
 *   (also kept in the durable memory).
 * - All state (transport, receipts, conversations) belongs to the gateway instance of one server.
 */
import {
  condensedMessageText, definePlugin, gatewayRoutingHooks, GatewayRefusal, gatewaySchema, perServerGateway, schema, submittingDelivery,
  type GatewayContext, type GatewayDelivery, type GatewayOpenInfo, type Infer,
} from '../../src/plugins/api.js';
import { planSms } from './encoding.js';
import { CallbackListener, httpSend, HttpSendError } from './http-transport.js';
import { SmppTransport, type DeliveryReceipt, type MobileOriginated } from './smpp-transport.js';

const configSchema = schema.object({
  domains: gatewaySchema.domains('Gateway domains: mail to +<number>@<domain> becomes an SMS. The first one is the From domain of incoming SMS.'),
  allowedSenders: gatewaySchema.allowedSenders('Senders allowed to use the gateway without authenticating (addresses or @domain), e.g. a monitoring system.'),
  maxLength: schema.integer({ min: 1, max: 10_000, default: 480, description: 'Characters of sender, subject and text before encoding.' }),
  maxParts: schema.integer({ min: 1, max: 16, default: 3, description: 'Most concatenated parts per SMS; longer texts are cut and end with "...".' }),
  includeSender: schema.boolean({ default: true, description: 'Start the SMS with the mail sender\'s address.' }),
  sourceAddress: schema.string({ default: 'Bridgehead', description: 'Sender shown on the phone: an E.164 number (replies come back) or up to 11 letters.' }),
  replyWindowHours: schema.integer({ min: 0, max: 8760, default: 72, description: 'How long an SMS reply to the shared source number finds the user who wrote last.' }),
  receiptMemory: schema.integer({ min: 100, max: 1_000_000, default: 10_000, description: 'Submissions whose receipts are also kept in memory (fast lookups).' }),
  receiptDays: schema.integer({ min: 1, max: 90, default: 7, description: 'How long a submission\'s receipt is still matched to its mail (kept in the store, across restarts).' }),
  transport: schema.enum(['smpp', 'http'] as const, { default: 'smpp', description: 'smpp: an SMSC over SMPP 3.4; http: a gateway with a send URL (Kannel sendsms).' }),
  smpp: schema.object({
    url: schema.string({ pattern: /^s?smpp:\/\/[^/\s]+$/, patternText: 'smpp://host:port or ssmpp://host:port', default: 'smpp://127.0.0.1:2775', description: 'SMSC address.' }),
    systemId: schema.string({ default: 'bridgehead', description: 'system_id for the bind.' }),
    password: schema.optional(schema.string({ description: 'password for the bind (never logged).' })),
    systemType: schema.optional(schema.string({ description: 'system_type for the bind.' })),
    bindMode: schema.enum(['transceiver', 'transmitter'] as const, { default: 'transceiver', description: 'transceiver also receives receipts and incoming SMS; transmitter only sends.' }),
    enquireLinkSeconds: schema.integer({ min: 5, max: 3600, default: 30, description: 'Keep-alive interval (enquire_link).' }),
    reconnectSeconds: schema.integer({ min: 1, max: 3600, default: 10, description: 'Delay before binding again after a lost connection.' }),
    submitTimeoutSeconds: schema.integer({ min: 1, max: 600, default: 30, description: 'Time allowed for binding and for each submit_sm_resp.' }),
  }),
  http: schema.object({
    url: schema.string({
      default: 'http://127.0.0.1:13013/cgi-bin/sendsms?username=bridgehead&password=secret&from={from}&to={to}&text={text}&coding={coding}&charset={charset}&max-messages={maxParts}&dlr-mask=31&dlr-url={dlrUrl}',
      description: 'Send URL with placeholders {to} {from} {text} {coding} {charset} {maxParts} {id} {dlrUrl}.',
    }),
    token: schema.optional(schema.string({ pattern: /^[A-Za-z0-9_-]{16,}$/, patternText: 'at least 16 letters, digits, _ or -', description: 'Secret the gateway must send with callbacks.' })),
    listenHost: schema.string({ default: '127.0.0.1', description: 'Address of the callback listener (delivery reports, incoming SMS).' }),
    listenPort: schema.integer({ min: 0, max: 65_535, default: 0, description: 'Port of the callback listener; 0 = no listener.' }),
    callbackBase: schema.optional(schema.string({ description: 'The callback listener\'s base URL as the gateway reaches it, e.g. http://10.0.0.5:13080.' })),
    timeoutSeconds: schema.integer({ min: 1, max: 600, default: 30, description: 'Time allowed for the send request.' }),
  }),
});

export type SmsConfig = Infer<typeof configSchema>;

interface Submission {
  messageId: string;
  recipient: string;
}

interface Conversation {
  account: string;
  at: number;
}

/** Keys of the gateway's durable memory. */
const receiptKey = (smscId: string) => `receipt:${smscId}`;
const conversationKey = (phone: string) => `conversation:${phone}`;

/** A Map that forgets its oldest entries beyond `limit`. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    this.delete(key);
    super.set(key, value);
    while (this.size > this.limit) this.delete(this.keys().next().value as K);
    return this;
  }
}

class SmsGateway {
  private readonly ctx: GatewayContext<SmsConfig>;
  private smpp: SmppTransport | null = null;
  private callbacks: CallbackListener | null = null;
  private readonly submissions: BoundedMap<string, Submission>;
  /** Receipts that came before their submit_sm_resp, by SMSC id. */
  private readonly earlyReceipts = new BoundedMap<string, DeliveryReceipt>(1000);
  /** phone number → { account that last wrote to it, when }. */
  private readonly conversations = new BoundedMap<string, Conversation>(10_000);
  private reference = Math.floor(Math.random() * 256);

  constructor(ctx: GatewayContext<SmsConfig>) {
    this.ctx = ctx;
    this.submissions = new BoundedMap(ctx.config.receiptMemory);
  }

  async start(): Promise<void> {
    const { config, log } = this.ctx;
    if (config.transport === 'smpp') {
      this.smpp = new SmppTransport(
        {
          url: config.smpp.url,
          systemId: config.smpp.systemId,
          password: config.smpp.password ?? '',
          systemType: config.smpp.systemType ?? '',
          bindMode: config.smpp.bindMode,
          enquireLinkMs: config.smpp.enquireLinkSeconds * 1000,
          reconnectMs: config.smpp.reconnectSeconds * 1000,
          submitTimeoutMs: config.smpp.submitTimeoutSeconds * 1000,
          reassemblyMs: 10 * 60 * 1000,
          log,
        },
        { receipt: (receipt) => this.onReceipt(receipt), mobileOriginated: (message) => this.onIncoming(message) },
      );
      // Binding happens in the background: an SMSC that is down must not stop the mail server.
      this.smpp.start().catch((error: Error) => log.warn({ evt: 'sms.smpp.unavailable', err: error.message }, 'SMSC not reachable yet; retrying'));
    } else if (config.http.listenPort > 0) {
      if (!config.http.token) throw new Error('plugins.sms.http.token is required when http.listenPort is set');
      this.callbacks = new CallbackListener(
        { host: config.http.listenHost, port: config.http.listenPort, token: config.http.token, log },
        {
          report: async (report) => {
            if (report.state === 'unknown') return;
            await this.audit(report.messageId, report.to, report.state, report.detail || undefined);
          },
          incoming: (message) => this.onIncoming({ ...message, complete: true }),
        },
      );
      const port = await this.callbacks.listen();
      log.info({ evt: 'sms.http.listening', host: config.http.listenHost, port }, 'SMS callback listener ready');
    }
  }

  async stop(): Promise<void> {
    await this.smpp?.close();
    await this.callbacks?.close();
  }

  open(info: GatewayOpenInfo): GatewayDelivery {
    const { config } = this.ctx;
    const account = info.session.user ?? info.envelope.from.toLowerCase();
    return submittingDelivery(this.ctx, info, {
      prepare: async (message) => {
        const text = await condensedMessageText(message, {
          from: config.includeSender && info.envelope.from ? info.envelope.from : null,
          maxLength: config.maxLength,
          nothing: 'Nothing to send',
        });
        return planSms(text, { maxParts: config.maxParts });
      },
      handOver: async (recipient, _index, plan) => {
        const references = await this.send(info.messageId, recipient.number, plan);
        await this.rememberConversation(recipient.number, { account, at: Date.now() });
        return {
          reference: references.join(',') || undefined,
          detail: `${plan.parts.length} part(s), ${plan.coding}`,
          log: { parts: plan.parts.length, coding: plan.coding, truncated: plan.truncated },
        };
      },
    });
  }

  private async send(messageId: string, to: string, plan: ReturnType<typeof planSms>): Promise<string[]> {
    const { config, log } = this.ctx;
    if (this.smpp) {
      const remembered: Array<Promise<void>> = [];
      const ids = await this.smpp.submit({
        to,
        from: config.sourceAddress,
        plan,
        reference: this.nextReference(),
        onAccepted: (smscId) => {
          const submission = { messageId, recipient: to };
          this.submissions.set(smscId, submission);
          remembered.push(this.rememberSubmission(smscId, submission));
          const early = this.earlyReceipts.get(smscId);
          if (early) {
            this.earlyReceipts.delete(smscId);
            void this.onReceipt(early).catch((error: Error) => log.error({ evt: 'sms.receipt-failed', err: error.message }, 'receipt not recorded'));
          }
        },
      });
      // Durable before the hand-over counts as done: a receipt after a restart still finds its mail.
      await Promise.all(remembered);
      return ids;
    }
    try {
      await httpSend(
        { urlTemplate: config.http.url, callbackBase: config.http.callbackBase, token: config.http.token, timeoutMs: config.http.timeoutSeconds * 1000 },
        { messageId, to, from: config.sourceAddress, plan },
      );
    } catch (error) {
      if (error instanceof HttpSendError && !error.temporary) throw new GatewayRefusal(554, '5.4.0', 'The SMS gateway refused the message');
      throw error;
    }
    return [];
  }

  /**
   * Writes the SMSC id → mail mapping to the durable memory. A failure is logged, not thrown: the
   * SMS is already with the SMSC, and failing the hand-over would make the queue send it again.
   */
  private async rememberSubmission(smscId: string, submission: Submission): Promise<void> {
    try {
      await this.ctx.memory.set(receiptKey(smscId), submission, { ttlMs: this.ctx.config.receiptDays * 86_400_000 });
    } catch (error) {
      this.ctx.log.error({ evt: 'sms.receipt-memory-failed', smscId, err: (error as Error).message }, 'receipt mapping kept in memory only');
    }
  }

  private async rememberConversation(phone: string, conversation: Conversation): Promise<void> {
    this.conversations.set(phone, conversation);
    const ttlMs = this.ctx.config.replyWindowHours * 3_600_000;
    if (ttlMs <= 0) return;
    try {
      await this.ctx.memory.set(conversationKey(phone), conversation, { ttlMs });
    } catch (error) {
      this.ctx.log.error({ evt: 'sms.conversation-memory-failed', err: (error as Error).message }, 'conversation kept in memory only');
    }
  }

  private async submissionOf(smscId: string): Promise<Submission | null> {
    return this.submissions.get(smscId) ?? (await this.ctx.memory.get<Submission>(receiptKey(smscId)));
  }

  private nextReference(): number {
    this.reference = (this.reference + 1) % 256;
    return this.reference;
  }

  private async onReceipt(receipt: DeliveryReceipt): Promise<void> {
    // Looked up in memory again after the store read: its submit_sm_resp may have come meanwhile.
    const submission = (await this.submissionOf(receipt.smscId)) ?? this.submissions.get(receipt.smscId);
    if (!submission) {
      // Some SMSCs send the receipt before the submit_sm_resp: kept until the id is known.
      this.earlyReceipts.set(receipt.smscId, receipt);
      this.ctx.log.warn({ evt: 'sms.receipt-unknown', smscId: receipt.smscId, status: receipt.status }, 'receipt for an unknown submission');
      return;
    }
    if (receipt.state === 'unknown') return;
    const detail = receipt.error ? `${receipt.status} err:${receipt.error}` : receipt.status;
    await this.audit(submission.messageId, submission.recipient, receipt.state, detail, receipt.smscId);
  }

  private async audit(messageId: string, recipient: string, state: 'delivered' | 'failed' | 'queued', detail?: string, reference?: string): Promise<void> {
    // "queued" receipts (ENROUTE, ACCEPTD) only say the SMSC still has it: nothing new to record.
    if (state === 'queued') return;
    await this.ctx.audit({ messageId, gateway: 'sms', recipient, status: state, detail, reference });
  }

  /** An SMS from a phone → a mail in the INBOX of its recipient. */
  private async onIncoming(message: MobileOriginated): Promise<void> {
    const { ctx } = this;
    const from = `${message.from}@${ctx.config.domains[0]}`;
    const inbound = {
      from,
      subject: `SMS from ${message.from}`,
      text: message.complete ? message.text : `${message.text}\n\n[parts of this SMS did not arrive]`,
      headers: { 'X-Bridgehead-Gateway': 'sms', 'X-Bridgehead-Called-Number': message.to },
    };
    // The number it was sent to, resolved to its owner by the server (a bare E.164 number).
    let result = await ctx.deliverInbound({ ...inbound, to: message.to });
    if (!result.ok && !result.temporary) {
      const conversation = this.conversations.get(message.from) ?? (await ctx.memory.get<Conversation>(conversationKey(message.from)));
      const windowMs = ctx.config.replyWindowHours * 3600 * 1000;
      if (conversation && Date.now() - conversation.at <= windowMs) {
        result = await ctx.deliverInbound({ ...inbound, to: conversation.account });
      }
    }
    if (result.ok) {
      ctx.log.info({ evt: 'sms.received', msgid: result.messageId, from: message.from }, 'incoming SMS delivered');
      await ctx.audit({ messageId: result.messageId, gateway: 'sms', recipient: message.from, status: 'received' });
      return;
    }
    ctx.log.warn({ evt: 'sms.undeliverable', from: message.from, to: message.to, reply: result.reply }, 'incoming SMS has no recipient here');
    if (result.temporary) throw Object.assign(new Error(result.reply), { temporary: true });
  }
}

export default definePlugin({
  name: 'sms',
  configSchema,
  hooks: gatewayRoutingHooks<SmsConfig>('sms', 'SMS'),
  gateways: [perServerGateway<SmsConfig>('sms', (ctx) => new SmsGateway(ctx))],
});
