/**
 * The plugin host: runs the hooks of the loaded plugins (loader.ts) at each step of a message's
 * way, and gives each plugin its typed context (api.ts), never a server object.
 *
 * Invariants (STYLE.md habit 5, Haraka's per-hook timeouts):
 * - Deciding hooks (connect … route) run in `plugins.enabled` order; the first verdict other than
 *   continue wins and later plugins are not called.
 * - Every hook call runs under a timeout (`plugins.hookTimeoutMs`) inside a try/catch. A hook that
 *   throws, does not settle in time or returns something that is not a verdict is logged with the
 *   plugin's name and hook (`plugin.hook-failed`) and counts as tempfail (451 4.3.0): the client
 *   keeps the message. A late answer from a timed-out hook is ignored.
 * - Notification hooks (stored, delivered, deferred, bounced, gatewayAck) are called for every
 *   plugin, one notification after another in the order of the events; their failures are
 *   logged and change nothing. They never delay an SMTP reply.
 * - `data` hooks edit one HeaderBlock in turn; the message bytes change only through it.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Logger } from '../log.js';
import type { QueueEvent } from '../queue/events.js';
import type {
  BaseContext,
  GatewayAck,
  HeaderView,
  HookName,
  Hooks,
  MessageView,
  RouteDecision,
  Verdict,
} from './api.js';
import type { NOTIFICATION_HOOKS } from './api.js';

type NotificationHook = (typeof NOTIFICATION_HOOKS)[number];
import type { PluginsConfig } from '../config/schema.js';
import { GatewayHub } from './gateways.js';
import { HeaderBlock } from './headers.js';
import { loadPlugins, type LoadedPlugin, type LoadOptions } from './loader.js';
import { envelopeView, sessionView } from './views.js';
import { checkRouteResult, checkVerdict, CONTINUE, PLUGIN_FAILURE_TEXT, PluginVerdictError } from './verdicts.js';

export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

const TIMED_OUT = Symbol('timed out');

/** The session fields hooks see; the pipeline's SessionInfo has this shape. */
export interface HookSession {
  id: string;
  role: 'mx' | 'submission';
  remoteAddress: string;
  heloName: string;
  user: string | null;
  secure: boolean;
  /** Set for messages a gateway injected. */
  gateway?: string | null;
}

export interface HookEnvelope {
  from: string;
  to: readonly string[];
}

/** What a deciding hook step answered: the verdict and the plugin that gave it (null: none or the host). */
export interface Decision<V = Verdict> {
  verdict: V;
  plugin: string | null;
}

/**
 * A message between `data` and `stored`: its id, the bytes as edited by data hooks, the header
 * block, and the mailparser view parsed at most once per version of the bytes.
 */
export class PluginMessage {
  readonly id: string;
  readonly headers: HeaderBlock;
  private parsedFor: Buffer | null = null;
  private parsing: Promise<ParsedMail> | null = null;

  constructor(id: string, raw: Buffer) {
    this.id = id;
    this.headers = HeaderBlock.parse(raw);
  }

  /** The message bytes with every header change applied. */
  get raw(): Buffer {
    return this.headers.toBuffer();
  }

  parsed(): Promise<ParsedMail> {
    const raw = this.raw;
    if (this.parsing === null || this.parsedFor !== raw) {
      this.parsedFor = raw;
      this.parsing = simpleParser(raw, { skipImageLinks: true });
    }
    return this.parsing;
  }

  view(): MessageView {
    const raw = this.raw;
    return { id: this.id, size: raw.length, raw, parsed: () => this.parsed() };
  }
}

type AnyHook = (ctx: never) => unknown;

export class PluginHost {
  readonly plugins: readonly LoadedPlugin[];
  readonly hookTimeoutMs: number;
  /** The gateways the plugins provide (started by the composition root once the pipeline exists). */
  readonly gateways: GatewayHub;
  private readonly log: Logger;
  private readonly loggers = new Map<string, Logger>();
  private notifications: Promise<void> = Promise.resolve();

  constructor(plugins: readonly LoadedPlugin[], options: { log: Logger; hookTimeoutMs?: number }) {
    this.plugins = plugins;
    this.log = options.log.child({ component: 'plugins' });
    this.hookTimeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    for (const plugin of plugins) this.loggers.set(plugin.name, this.log.child({ plugin: plugin.name }));
    this.gateways = new GatewayHub(this, options.log);
  }

  /**
   * Loads the plugins `plugins.enabled` names and validates their config sections; throws
   * PluginLoadError or ConfigError naming the plugin (start-up stops).
   */
  static async load(config: PluginsConfig, options: { log: Logger } & LoadOptions): Promise<PluginHost> {
    const plugins = await loadPlugins(config, options);
    const host = new PluginHost(plugins, { log: options.log, hookTimeoutMs: config.hookTimeoutMs });
    if (plugins.length > 0) host.log.info({ evt: 'plugins.loaded', plugins: plugins.map((plugin) => `${plugin.name} (${plugin.source})`) }, 'plugins loaded');
    return host;
  }

  /** A host with no plugins: every step continues. */
  static empty(log: Logger): PluginHost {
    return new PluginHost([], { log });
  }

  /** Whether any plugin implements this hook (callers skip work such as parsing otherwise). */
  has(hook: HookName): boolean {
    return this.plugins.some((plugin) => typeof plugin.definition.hooks[hook] === 'function');
  }

  connect(session: HookSession): Promise<Decision> {
    return this.decide('connect', (base) => ({ ...base, session: sessionView(session) }));
  }

  helo(session: HookSession, helo: string): Promise<Decision> {
    return this.decide('helo', (base) => ({ ...base, session: sessionView(session), helo }));
  }

  auth(session: HookSession, account: string, method: string): Promise<Decision> {
    return this.decide('auth', (base) => ({ ...base, session: sessionView(session), account, method }));
  }

  mailFrom(session: HookSession, from: string): Promise<Decision> {
    return this.decide('mailFrom', (base) => ({ ...base, session: sessionView(session), from }));
  }

  rcptTo(session: HookSession, from: string, to: string): Promise<Decision> {
    return this.decide('rcptTo', (base) => ({ ...base, session: sessionView(session), from, to }));
  }

  /** Runs the data hooks over the message; the returned PluginMessage holds their header changes. */
  async data(session: HookSession, envelope: HookEnvelope, id: string, raw: Buffer): Promise<{ decision: Decision; message: PluginMessage }> {
    const message = new PluginMessage(id, raw);
    const decision = await this.decide('data', (base) => ({
      ...base,
      session: sessionView(session),
      envelope: envelopeView(envelope),
      message: message.view(),
      headers: message.headers,
    }));
    return { decision, message };
  }

  /** The route for one recipient: a plugin's decision, a refusing verdict, or null (default routing). */
  async route(session: HookSession, envelope: HookEnvelope, message: PluginMessage, recipient: string): Promise<Decision<Verdict | RouteDecision>> {
    const headers: HeaderView = message.headers.view();
    for (const plugin of this.plugins) {
      const hook = plugin.definition.hooks.route;
      if (typeof hook !== 'function') continue;
      const ctx = { ...this.base(plugin), session: sessionView(session), envelope: envelopeView(envelope), message: message.view(), headers, recipient };
      const outcome = await this.call(plugin, 'route', () => (hook as AnyHook).call(plugin.definition.hooks, ctx as never));
      if (!outcome.ok) return this.failed();
      const checked = checkRouteResult(outcome.value);
      if (!checked.ok) {
        this.logFailure(plugin, 'route', 'bad-result', checked.problem);
        return this.failed();
      }
      if (checked.result.kind !== 'continue') return { verdict: checked.result, plugin: plugin.name };
    }
    return { verdict: CONTINUE, plugin: null };
  }

  /** After the message is durable; does not wait for the hooks. */
  stored(info: { messageId: string; envelope: HookEnvelope; accounts: string[]; gateways: string[]; relayed: string[] }): void {
    this.notify('stored', () => ({
      messageId: info.messageId,
      envelope: envelopeView(info.envelope),
      accounts: Object.freeze([...info.accounts]),
      gateways: Object.freeze([...info.gateways]),
      relayed: Object.freeze([...info.relayed]),
    }));
  }

  /** The outbound queue's events (src/queue/events.ts) → delivered, deferred, bounced hooks. */
  queueEvent(event: QueueEvent): void {
    const response = (reply: { code: number | null; enhanced: string | null; text: string }) =>
      [reply.code, reply.enhanced, reply.text].filter((part) => part !== null && part !== '').join(' ');
    switch (event.type) {
      case 'delivered':
        this.notify('delivered', () => ({ messageId: event.messageId, recipient: event.recipient, response: response(event.reply) }));
        break;
      case 'deferred':
        this.notify('deferred', () => ({
          messageId: event.messageId, recipient: event.recipient, response: response(event.reply),
          attempts: event.attempts, nextAttemptAt: new Date(event.nextAttemptAt),
        }));
        break;
      case 'failed':
        // An entry an admin deleted was not bounced; nothing to tell.
        if (event.reason === 'deleted') break;
        this.notify('bounced', () => ({ messageId: event.messageId, recipient: event.recipient, response: response(event.reply), reason: event.reason }));
        break;
      default:
        break;
    }
  }

  /** A gateway's acknowledgement → every plugin's gatewayAck hook; resolves when all have run. */
  gatewayAck(ack: Required<Pick<GatewayAck, 'messageId' | 'gateway' | 'recipient' | 'status' | 'at'>> & Pick<GatewayAck, 'reference' | 'detail'>): Promise<void> {
    return this.notify('gatewayAck', () => ({ ack: Object.freeze({ ...ack }) }));
  }

  /** The logger a plugin's contexts carry. */
  loggerFor(plugin: LoadedPlugin): Logger {
    return this.loggers.get(plugin.name) ?? this.log.child({ plugin: plugin.name });
  }

  /** The fields every context has. */
  base(plugin: LoadedPlugin): BaseContext<unknown> {
    return { plugin: plugin.name, config: plugin.config, log: this.loggerFor(plugin) };
  }

  /**
   * Calls one plugin function under the timeout (`timeoutMs`, default the hook timeout) and a
   * try/catch. Failures are logged here with the plugin's name, except errors `expected` says are
   * answers (e.g. a GatewayRefusal); the caller decides what a failure means.
   */
  async call(
    plugin: LoadedPlugin,
    what: string,
    run: () => unknown,
    options: { expected?: (error: unknown) => boolean; timeoutMs?: number } = {},
  ): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown; timedOut: boolean }> {
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? this.hookTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, TIMED_OUT);
    });
    try {
      const pending = Promise.resolve().then(run);
      // A hook that answers after its timeout must not become an unhandled rejection.
      pending.catch(() => undefined);
      const value = await Promise.race([pending, timeout]);
      if (value === TIMED_OUT) {
        this.logFailure(plugin, what, 'timeout', `no answer within ${timeoutMs} ms`);
        return { ok: false, error: new Error(`plugin ${plugin.name}: ${what} timed out`), timedOut: true };
      }
      const ms = Date.now() - started;
      if (ms > timeoutMs / 2) this.loggerFor(plugin).warn({ evt: 'plugin.hook-slow', hook: what, ms }, 'slow plugin hook');
      return { ok: true, value };
    } catch (error) {
      if (!options.expected?.(error)) this.logFailure(plugin, what, 'threw', error);
      return { ok: false, error, timedOut: false };
    } finally {
      clearTimeout(timer);
    }
  }

  private async decide(hook: Exclude<HookName, 'route'>, build: (base: BaseContext<unknown>) => object): Promise<Decision> {
    for (const plugin of this.plugins) {
      const fn = plugin.definition.hooks[hook];
      if (typeof fn !== 'function') continue;
      const ctx = build(this.base(plugin));
      const outcome = await this.call(plugin, hook, () => (fn as AnyHook).call(plugin.definition.hooks, ctx as never));
      if (!outcome.ok) return this.failed();
      const checked = checkVerdict(outcome.value);
      if (!checked.ok) {
        this.logFailure(plugin, hook, 'bad-result', checked.problem);
        return this.failed();
      }
      if (checked.verdict.kind !== 'continue') {
        this.loggerFor(plugin).debug({ evt: 'plugin.verdict', hook, verdict: checked.verdict.kind }, 'plugin decided');
        return { verdict: checked.verdict, plugin: plugin.name };
      }
    }
    return { verdict: CONTINUE, plugin: null };
  }

  private async notify(hook: NotificationHook, build: () => object): Promise<void> {
    const run = async () => {
      for (const plugin of this.plugins) {
        const fn = (plugin.definition.hooks as Hooks<unknown>)[hook];
        if (typeof fn !== 'function') continue;
        const ctx = { ...this.base(plugin), ...build() };
        await this.call(plugin, hook, () => (fn as AnyHook).call(plugin.definition.hooks, ctx as never));
      }
    };
    // One after another, in the order things happened: a plugin never hears "delivered" before
    // the "deferred" that preceded it.
    const turn = this.notifications.then(run).catch((error: unknown) => this.log.error({ evt: 'plugin.notify-error', hook, err: error }, 'notification failed'));
    this.notifications = turn;
    await turn;
  }

  private failed(): Decision {
    return { verdict: { kind: 'tempfail', text: PLUGIN_FAILURE_TEXT }, plugin: null };
  }

  private logFailure(plugin: LoadedPlugin, hook: string, reason: 'threw' | 'timeout' | 'bad-result', error: unknown): void {
    const detail = error instanceof Error ? { err: error } : { detail: String(error) };
    this.log.error({ evt: 'plugin.hook-failed', plugin: plugin.name, hook, reason, ...detail }, `plugin ${plugin.name} failed in ${hook}`);
  }
}

/** The error that refuses for a decision, or null when it lets the step go on (continue, accept). */
export function refusalOf(decision: Decision): PluginVerdictError | null {
  const { verdict } = decision;
  return verdict.kind === 'continue' || verdict.kind === 'accept' ? null : new PluginVerdictError(verdict, decision.plugin);
}

/** Throws the PluginVerdictError of a refusing decision; returns true when a plugin accepted. */
export function enforceDecision(decision: Decision): boolean {
  const { verdict } = decision;
  if (verdict.kind === 'accept') return true;
  if (verdict.kind === 'continue') return false;
  throw new PluginVerdictError(verdict, decision.plugin);
}
