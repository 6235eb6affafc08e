/**
 * The plugin API: the one module a plugin imports (built-in plugins under plugins/<name>/ and
 * npm packages alike). Everything a plugin may see or return is declared here; plugins never
 * receive the server's own objects (DESIGN.md "Plugins see typed contexts").
 *
 * A plugin exports one object, `definePlugin({ name, configSchema, hooks, gateways })`.
 * Gateways to phone-numbered media also find their shared parts here: the gateway kit
 * (gateway-kit.ts, re-exported below: routing by E.164 number, tool checks, spools, text).
 *
 * Hook catalogue, in transaction order (STYLE.md habit 5):
 *   connect → helo → auth → mailFrom → rcptTo (per recipient) → data → route (per recipient)
 *   → stored, and later, from the outbound queue and the gateways: delivered, deferred, bounced,
 *   gatewayAck.
 *
 * Invariants the host (src/plugins/host.ts) guarantees:
 * - Hooks run in the order of `plugins.enabled` in config.json. For the deciding hooks (connect
 *   to route) the first verdict other than `continue` wins; later plugins are not asked.
 * - The notification hooks (stored, delivered, deferred, bounced, gatewayAck) are told about
 *   something that has already happened: every plugin is called, return values are ignored.
 * - Every call has a timeout (`plugins.hookTimeoutMs`, default 10 s) and a try/catch. A hook that
 *   throws or does not settle in time counts as `tempfail` (SMTP 451 4.3.0) and is logged with
 *   the plugin's name: the client keeps the message and retries, it is never lost.
 * - Verdicts map to SMTP replies (RFC 5321 §4.2, enhanced codes RFC 3463) in src/smtp/replies.ts.
 */
import type { ParsedMail } from 'mailparser';
import { schema, type Infer, type Schema } from './schema.js';

export { schema };
export type { Infer, ParsedMail, Schema };
export * from './gateway-kit.js';

// ─── Verdicts ────────────────────────────────────────────────────────────────────────────────

/**
 * The closed set of answers a deciding hook gives.
 * - continue: no opinion; the next plugin is asked, then the server's own checks.
 * - accept: this plugin decides "yes"; later plugins are not asked. The server's own checks
 *   still apply, with one exception: `rcptTo` accept vouches for a recipient the server does not
 *   host itself (a plugin's own address space, e.g. a gateway domain); a `route` hook must then
 *   give it a target.
 * - reject: a permanent refusal with the SMTP code (5xx), enhanced status code (5.x.x) and text.
 * - tempfail: a temporary refusal, sent as 451 4.3.0 with the text; the client retries.
 * - disconnect: 421 4.7.0 with the text, then the connection is closed.
 */
export type Verdict =
  | { kind: 'continue' }
  | { kind: 'accept' }
  | { kind: 'reject'; code: number; enhanced: string; text: string }
  | { kind: 'tempfail'; text: string }
  | { kind: 'disconnect'; text: string };

export type VerdictKind = Verdict['kind'];

/** Where a recipient goes (the answer of a `route` hook). */
export type RouteTarget =
  /** What the server would do without plugins (local mailbox, or relay when allowed). */
  | { kind: 'default' }
  /** A folder of a local account; mailbox "INBOX" unless given. */
  | { kind: 'mailbox'; account: string; mailbox: string }
  /** The outbound queue, to the given address (default: the recipient itself). */
  | { kind: 'relay'; address: string | null }
  /** A gateway a plugin provides (`gateways[].name`), e.g. "sms", with the medium's address. */
  | { kind: 'gateway'; gateway: string; address: string };

/** A `route` hook answers with a verdict or with one or more targets for its recipient. */
export type RouteDecision = { kind: 'route'; targets: RouteTarget[] };

const REPLY_TEXT = /^[\x20-\x7e]{1,400}$/;

/** Builders for verdicts; `reject` checks its code so a typo cannot become a 250. */
export const verdict = {
  continue: (): Verdict => ({ kind: 'continue' }),
  accept: (): Verdict => ({ kind: 'accept' }),
  /** e.g. `verdict.reject(550, '5.7.1', 'Not allowed')`; code 500..599, enhanced 5.x.x. */
  reject(code: number, enhanced: string, text: string): Verdict {
    if (!Number.isInteger(code) || code < 500 || code > 599) throw new TypeError(`reject: code must be 500..599, got ${code}`);
    if (!/^5\.\d{1,3}\.\d{1,3}$/.test(enhanced)) throw new TypeError(`reject: enhanced code must look like 5.7.1, got ${enhanced}`);
    return { kind: 'reject', code, enhanced, text: replyText(text) };
  },
  tempfail: (text = 'Temporary failure, please try again later'): Verdict => ({ kind: 'tempfail', text: replyText(text) }),
  disconnect: (text = 'Closing connection'): Verdict => ({ kind: 'disconnect', text: replyText(text) }),
  /** One or more targets for the recipient of a `route` hook. */
  route: (...targets: RouteTarget[]): RouteDecision => {
    if (targets.length === 0) throw new TypeError('route: give at least one target');
    return { kind: 'route', targets };
  },
} as const;

/** Builders for route targets. */
export const target = {
  default: (): RouteTarget => ({ kind: 'default' }),
  mailbox: (account: string, mailbox = 'INBOX'): RouteTarget => ({ kind: 'mailbox', account: account.toLowerCase(), mailbox }),
  relay: (address: string | null = null): RouteTarget => ({ kind: 'relay', address }),
  gateway: (gateway: string, address: string): RouteTarget => ({ kind: 'gateway', gateway, address }),
} as const;

function replyText(text: string): string {
  if (!REPLY_TEXT.test(text)) throw new TypeError('reply text must be 1..400 printable ASCII characters without line breaks');
  return text;
}

// ─── Contexts ────────────────────────────────────────────────────────────────────────────────

/** A pino-compatible logger bound to the plugin's name. Never log a password or a body. */
export interface PluginLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** The SMTP session (or gateway) a message arrives through. */
export interface SessionView {
  /** Connection id, as in the server's logs. */
  readonly id: string;
  /** "mx": inbound from the Internet; "submission": an authenticated client (587/465). */
  readonly role: 'mx' | 'submission';
  readonly remoteAddress: string;
  /** HELO/EHLO argument as sent ("" before HELO). */
  readonly heloName: string;
  /** The authenticated account, or null. */
  readonly user: string | null;
  /** TLS is up. */
  readonly secure: boolean;
  /** For a message a gateway injected (medium → mail): the gateway's name, e.g. "sms"; else null. */
  readonly gateway: string | null;
}

export interface EnvelopeView {
  /** Reverse-path without angle brackets; "" is the null sender. */
  readonly from: string;
  readonly to: readonly string[];
}

/** What every hook gets. */
export interface BaseContext<C> {
  /** The plugin's name as listed in `plugins.enabled`. */
  readonly plugin: string;
  /** The plugin's validated config section (`plugins.<name>` in config.json). */
  readonly config: C;
  readonly log: PluginLogger;
}

export interface ConnectContext<C> extends BaseContext<C> {
  readonly session: SessionView;
}

export interface HeloContext<C> extends BaseContext<C> {
  readonly session: SessionView;
  /** The HELO/EHLO argument. */
  readonly helo: string;
}

/** After the server verified the password; the plugin never sees the password. */
export interface AuthContext<C> extends BaseContext<C> {
  readonly session: SessionView;
  /** The account that authenticated (lower-cased address). */
  readonly account: string;
  /** SASL mechanism: "PLAIN" or "LOGIN". */
  readonly method: string;
}

export interface MailFromContext<C> extends BaseContext<C> {
  readonly session: SessionView;
  /** The reverse-path; "" is the null sender (bounces). */
  readonly from: string;
}

export interface RcptToContext<C> extends BaseContext<C> {
  readonly session: SessionView;
  readonly from: string;
  /** The recipient being decided. */
  readonly to: string;
}

/** Header fields of a message, unfolded values, names compared case-insensitively. */
export interface HeaderView {
  /** Values of every field with this name, top to bottom. */
  get(name: string): string[];
  has(name: string): boolean;
  /** Every field in order. */
  all(): Array<{ name: string; value: string }>;
}

/**
 * Header changes a `data` hook may make. Added fields go on top of the header block (like
 * trace fields); `set` replaces every field of that name. Names must be RFC 5322 §3.6.8 field
 * names and values single-line (the host folds long ones): an invalid change is a plugin error.
 */
export interface HeaderEditor extends HeaderView {
  add(name: string, value: string): void;
  set(name: string, value: string): void;
  remove(name: string): void;
}

export interface MessageView {
  /** The message id the server gave this message (in logs, Received and the audit trail). */
  readonly id: string;
  /** Size in octets as received. */
  readonly size: number;
  /** The message as received (without the server's trace fields); read-only. */
  readonly raw: Buffer;
  /** The content decoded by mailparser: text, html, attachments; parsed on first call, once. */
  parsed(): Promise<ParsedMail>;
}

export interface DataContext<C> extends BaseContext<C> {
  readonly session: SessionView;
  readonly envelope: EnvelopeView;
  readonly message: MessageView;
  readonly headers: HeaderEditor;
}

export interface RouteContext<C> extends BaseContext<C> {
  readonly session: SessionView;
  readonly envelope: EnvelopeView;
  readonly message: MessageView;
  /** The headers as changed by `data` hooks. */
  readonly headers: HeaderView;
  /** The recipient (one of envelope.to) being routed. */
  readonly recipient: string;
}

export interface StoredContext<C> extends BaseContext<C> {
  readonly messageId: string;
  readonly envelope: EnvelopeView;
  /** Local accounts that got the message in a mailbox. */
  readonly accounts: readonly string[];
  /** Gateway recipients queued for their gateway, as "gateway:address" (outcomes: delivered, deferred, bounced). */
  readonly gateways: readonly string[];
  /** Recipients handed to the outbound queue. */
  readonly relayed: readonly string[];
}

/** From the outbound queue: one remote (SMTP) or gateway recipient's delivery outcome. */
export interface DeliveryEventContext<C> extends BaseContext<C> {
  readonly messageId: string;
  readonly recipient: string;
  /** The remote server's reply or the local error, e.g. "250 2.0.0 OK" or "connection refused". */
  readonly response: string;
}

export interface DeferredContext<C> extends DeliveryEventContext<C> {
  /** Attempts made so far. */
  readonly attempts: number;
  /** When the queue tries again. */
  readonly nextAttemptAt: Date;
}

export interface BouncedContext<C> extends DeliveryEventContext<C> {
  /** permanent: a 5xx or undeliverable destination; expired: retries gave up. */
  readonly reason: 'permanent' | 'expired';
}

/** A gateway's report on one hand-over (DESIGN.md: delivered, read, failed acknowledgements). */
export type GatewayAckStatus = 'submitted' | 'delivered' | 'read' | 'failed' | 'received';

export interface GatewayAck {
  /** The server's message id of the mail (outbound) or of the injected mail (inbound). */
  messageId: string;
  /** Gateway name, e.g. "sms". */
  gateway: string;
  /** The medium address concerned, e.g. "+4915112345678". */
  recipient: string;
  status: GatewayAckStatus;
  /** The medium's own reference, e.g. the SMSC message id or the fax job id. */
  reference?: string;
  /** Short human-readable detail, e.g. an SMPP error status; never message content. */
  detail?: string;
  /** When the medium reported it; default now. */
  at?: Date;
}

export interface GatewayAckContext<C> extends BaseContext<C> {
  readonly ack: Readonly<Required<Omit<GatewayAck, 'reference' | 'detail'>>> & Pick<GatewayAck, 'reference' | 'detail'>;
}

// ─── Hooks ───────────────────────────────────────────────────────────────────────────────────

type Awaitable<T> = T | Promise<T>;

/** A deciding hook: a verdict, or nothing for `continue`. */
export type HookResult = Awaitable<Verdict | void>;
export type RouteResult = Awaitable<Verdict | RouteDecision | void>;
/** A notification hook: return values are ignored. */
export type NotifyResult = Awaitable<void>;

export interface Hooks<C> {
  connect?(ctx: ConnectContext<C>): HookResult;
  helo?(ctx: HeloContext<C>): HookResult;
  auth?(ctx: AuthContext<C>): HookResult;
  mailFrom?(ctx: MailFromContext<C>): HookResult;
  rcptTo?(ctx: RcptToContext<C>): HookResult;
  data?(ctx: DataContext<C>): HookResult;
  route?(ctx: RouteContext<C>): RouteResult;
  stored?(ctx: StoredContext<C>): NotifyResult;
  delivered?(ctx: DeliveryEventContext<C>): NotifyResult;
  deferred?(ctx: DeferredContext<C>): NotifyResult;
  bounced?(ctx: BouncedContext<C>): NotifyResult;
  gatewayAck?(ctx: GatewayAckContext<C>): NotifyResult;
}

export type HookName = keyof Hooks<unknown>;

/** The catalogue in transaction order; the host runs exactly these. */
export const HOOK_NAMES = [
  'connect', 'helo', 'auth', 'mailFrom', 'rcptTo', 'data', 'route',
  'stored', 'delivered', 'deferred', 'bounced', 'gatewayAck',
] as const satisfies readonly HookName[];

export const NOTIFICATION_HOOKS = ['stored', 'delivered', 'deferred', 'bounced', 'gatewayAck'] as const satisfies readonly HookName[];

// ─── Gateways ────────────────────────────────────────────────────────────────────────────────

/** One recipient on a gateway: the full address and the medium address (the local part). */
export interface GatewayRecipient {
  /** e.g. "+4915112345678@sms.example.com". */
  address: string;
  /** e.g. "+4915112345678" (for sms/fax/voice: the E.164 number). */
  number: string;
  /**
   * 1-based position of this recipient among the message's recipients on this gateway, the same
   * on every attempt: name jobs after it (e.g. "<messageId>-<ordinal>") so that a retry of one
   * recipient never overwrites another's job. Absent when the host did not set one.
   */
  ordinal?: number;
}

/** The message handed to a gateway: as stored, plus its decoded content. */
export interface GatewayMessage {
  readonly id: string;
  readonly envelope: EnvelopeView;
  /** Full RFC 5322 bytes including the server's trace fields. */
  readonly raw: Buffer;
  readonly headers: HeaderView;
  parsed(): Promise<ParsedMail>;
}

/**
 * Outbound (mail → medium): one message to one gateway, in the delivery-target shape every
 * target shares (STYLE.md habit 6): start → addRecipient* → body → commit | abort.
 *
 * The server accepts a message for a gateway recipient into its durable outbound queue first
 * (the sender's 250 means the queue has it); the queue then opens one delivery per recipient and
 * retries it like mail to a remote server. The host calls `abort` after any failure, never
 * `commit` then. A GatewayRefusal from addRecipient, body or commit with a 5xx code fails the
 * recipient for good (the sender gets a delivery status notification with that reply); a 4xx one,
 * any other error and a timeout are temporary: the queue tries again later, with backoff.
 * Hand the message to the medium in body or commit, and make a step that resolved final: the
 * queue records the recipient as delivered right after `commit` resolves.
 */
export interface GatewayDelivery {
  addRecipient(recipient: GatewayRecipient): Promise<void>;
  body(message: GatewayMessage): Promise<void>;
  /** The hand-over is final: the medium (or its spool) has the message. */
  commit(): Promise<void>;
  abort(reason: string): Promise<void>;
}

/** Thrown by a gateway to refuse with a specific SMTP reply (e.g. 550 5.1.1 unknown number). */
export class GatewayRefusal extends Error {
  readonly code: number;
  readonly enhanced: string;
  constructor(code: number, enhanced: string, text: string) {
    super(replyText(text));
    this.name = 'GatewayRefusal';
    if (!Number.isInteger(code) || code < 400 || code > 599) throw new TypeError(`GatewayRefusal: code must be 4xx or 5xx, got ${code}`);
    this.code = code;
    this.enhanced = enhanced;
  }
}

/** A message from another medium to inject as mail (medium → mail). */
export interface InboundMessage {
  /** Envelope and From: sender, e.g. "+4915112345678@sms.example.com" so a reply goes back. */
  from: string;
  /**
   * Local recipients: accounts or aliases, or bare E.164 numbers such as "+4930123456" (the
   * number the medium was called at). The server resolves a number to the account whose profile
   * holds it (`bridgehead user set <address> --phone/--fax`; a gateway named "fax" looks among fax
   * numbers first, the others among phone numbers first); a number nobody holds is refused with
   * 550 5.1.1, like an unknown address.
   */
  to: string | string[];
  subject?: string;
  /** Plain-text body. */
  text?: string;
  attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
  /** When the medium received it; default now. */
  date?: Date;
  /** Extra header fields, e.g. { 'X-Bridgehead-Caller': '+49...' }. */
  headers?: Record<string, string>;
}

export type InboundResult =
  | { ok: true; messageId: string }
  /** Refused, with the SMTP reply the pipeline gave (e.g. "550 5.1.1 ..."); retry when temporary. */
  | { ok: false; temporary: boolean; reply: string };

/**
 * What a gateway gets at start: its config, a logger, and the way into the pipeline. One context
 * per server that runs the gateway: `start`, `open` and `stop` of that server get the same object,
 * so a gateway can keep per-server state keyed by it (`perServerGateway` does that for you).
 */
export interface GatewayContext<C> extends BaseContext<C> {
  /** The gateway's name, e.g. "sms". */
  readonly gateway: string;
  /**
   * Injects a message into the pipeline as if received by the MX (hooks, recipient checks,
   * route, store); resolves once it is durable or refused. The host builds the MIME message.
   */
  deliverInbound(message: InboundMessage): Promise<InboundResult>;
  /** Records an acknowledgement in the audit trail and tells every plugin's `gatewayAck` hook. */
  audit(ack: GatewayAck): Promise<void>;
  /** Aborted when the server shuts down. */
  readonly signal: AbortSignal;
  /** Durable memory that survives a restart (e.g. the medium's reference → the message id). */
  readonly memory: GatewayMemory;
}

/**
 * A gateway's memory in the server's store, for what it must still know after a restart: the
 * medium's id of a hand-over → the message it came from (so a receipt arriving later is still
 * recorded), who last wrote to a phone. Each gateway has its own; every entry expires.
 * Keys: 1..512 characters without NUL; values: JSON.
 */
export interface GatewayMemory {
  /** The value, or null when there is none or it expired. */
  get<T = unknown>(key: string): Promise<T | null>;
  /** Stores a value for `ttlMs` (at most a year); resolves once it is on disk. */
  set(key: string, value: unknown, options: { ttlMs: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

export type GatewayStatus = { available: true } | { available: false; reason: string };

/** What `open` learns about the message it delivers. */
export interface GatewayOpenInfo {
  readonly messageId: string;
  readonly envelope: EnvelopeView;
  readonly session: SessionView;
}

export interface GatewayDefinition<C> {
  /** The name route targets use: `target.gateway('sms', number)`. Lower-case letters, digits, '-'. */
  name: string;
  /**
   * Called once at start-up, in config order. Return `{ available: false, reason }` when a
   * required tool is missing: the gateway is disabled with that reason logged and the server
   * runs. Throwing stops start-up (like a plugin that fails to load).
   */
  start?(ctx: GatewayContext<C>): Promise<GatewayStatus | void> | GatewayStatus | void;
  /**
   * Outbound: begins one message's delivery to this gateway. `ctx` is the context `start` got on
   * the same server (a gateway written as `open(info)` may ignore it).
   */
  open(info: GatewayOpenInfo, ctx: GatewayContext<C>): Promise<GatewayDelivery> | GatewayDelivery;
  /** Called at shutdown after `signal` aborts, with the context `start` got; not called when it never started. */
  stop?(ctx: GatewayContext<C>): Promise<void> | void;
}

// ─── The plugin ──────────────────────────────────────────────────────────────────────────────

export interface PluginDefinition<C = unknown> {
  /** For built-in plugins, the folder name under plugins/. */
  name: string;
  /** Validates `plugins.<name>` of config.json; missing section = `{}` (defaults apply). */
  configSchema: Schema<C>;
  hooks: Hooks<C>;
  gateways?: Array<GatewayDefinition<C>>;
}

/** Identity function that gives a plugin its types: `export default definePlugin({...})`. */
export function definePlugin<S extends Schema<any>>(plugin: {
  name: string;
  configSchema: S;
  hooks: Hooks<Infer<S>>;
  gateways?: Array<GatewayDefinition<Infer<S>>>;
}): PluginDefinition<Infer<S>> {
  return plugin;
}
