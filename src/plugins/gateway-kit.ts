/**
 * The gateway kit: what gateways to phone-numbered media (the built-in sms, fax and voice, and any
 * plugin of the same kind) share, exported to plugins through api.ts, the one module they import.
 *
 * - Per-server instances: `perServerGateway` gives each started server its own gateway object,
 *   so two servers in one process (tests, embedding) never share a gateway's state.
 * - Addresses: a gateway address is `<E.164 number>@<gateway domain>`, e.g.
 *   "+4915112345678@sms.example.com" (ITU-T E.164: "+", country code, at most 15 digits);
 *   `gatewayRoutingHooks` gives the rcptTo and route hooks, `gatewaySchema` the config keys.
 * - External programs (Ghostscript, espeak-ng, HylaFAX's sendfax, libtiff's tiff2pdf): found on
 *   PATH or given as absolute paths, checked at start-up so a missing one disables its gateway
 *   with a clear reason instead of failing each message.
 * - Text: mail → the few words a phone shows or speaks.
 * - Spool directories: files handed to another program and taken from it without either side
 *   seeing half a file; received documents (a file and its JSON description) → mail.
 * - Outbound: a delivery that hands the message to the medium in its body step and records
 *   `submitted` acknowledgements (the server's queue drives it once the message is durable).
 *
 * Invariants:
 * - Never an open gateway: a recipient at a gateway domain is accepted only from an
 *   authenticated sender or one listed in `allowedSenders`; anyone else gets 550 5.7.1 at RCPT,
 *   so MX mail from the Internet cannot make the server send SMS, faxes or calls.
 * - A spool job is written as files whose names do not yet match what the reader looks for
 *   (".tmp") and renamed into place, the JSON description last, so its presence means every file
 *   of the job is complete (rename is atomic within a file system).
 * - A spool watcher handles one file at a time, never runs twice at once, and stops when the
 *   server shuts down (the gateway context's signal aborts).
 * - A received document leaves the spool only after its mail is durable; one nobody can receive
 *   is moved to `<dir>/rejected/`, kept but not retried; a temporary refusal leaves it for the next
 *   round.
 * - api.ts re-exports this module, so the values taken from api.ts here are used only inside
 *   functions, never while the module is evaluated: the import cycle stays harmless.
 */
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import {
  GatewayRefusal,
  target,
  verdict,
  type GatewayContext,
  type GatewayDefinition,
  type GatewayDelivery,
  type GatewayMessage,
  type GatewayOpenInfo,
  type GatewayRecipient,
  type GatewayStatus,
  type Hooks,
  type InboundMessage,
  type RcptToContext,
  type RouteContext,
} from './api.js';
import { schema } from './schema.js';

// ─── Per-server instances ────────────────────────────────────────────────────────────────────

/** A gateway's state and steps for one server, made when that server starts the gateway. */
export interface GatewayInstance {
  /** As `GatewayDefinition.start`; the context was given to the factory. */
  start?(): Promise<GatewayStatus | void> | GatewayStatus | void;
  /** Outbound: begins one message's delivery. */
  open(info: GatewayOpenInfo): Promise<GatewayDelivery> | GatewayDelivery;
  /** At shutdown, after the context's signal aborted. */
  stop?(): Promise<void> | void;
}

/**
 * A gateway whose state lives in one object per server: `create(ctx)` runs when a server starts
 * the gateway, and that server's open and stop calls go to the object it made.
 * `gateways: [perServerGateway('sms', (ctx) => new SmsGateway(ctx))]`.
 */
export function perServerGateway<C>(name: string, create: (ctx: GatewayContext<C>) => GatewayInstance): GatewayDefinition<C> {
  const instances = new WeakMap<GatewayContext<C>, GatewayInstance>();
  return {
    name,
    start(ctx) {
      const instance = create(ctx);
      instances.set(ctx, instance);
      return instance.start?.();
    },
    async open(info, ctx) {
      const instance = instances.get(ctx);
      if (!instance) throw new Error(`the ${name} gateway is not started on this server`);
      return instance.open(info);
    },
    async stop(ctx) {
      const instance = instances.get(ctx);
      instances.delete(ctx);
      await instance?.stop?.();
    },
  };
}

// ─── Addresses and routing ───────────────────────────────────────────────────────────────────

/** An international number as ITU-T E.164 writes it: "+", then 2 to 15 digits, no leading 0. */
export const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164.test(value);
}

/** The config keys the routing hooks read (`gatewaySchema.domains`, `gatewaySchema.allowedSenders`). */
export interface GatewayRoutingConfig {
  readonly domains: readonly string[];
  readonly allowedSenders: readonly string[];
}

/** The local part and domain when `address` is at one of `domains`, else null. */
export function atGatewayDomain(address: string, domains: readonly string[]): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const domain = address.slice(at + 1).toLowerCase();
  return domains.includes(domain) ? { local: address.slice(0, at), domain } : null;
}

/** Whether an unauthenticated sender is allowed: listed as an address or as "@domain". */
export function senderAllowed(from: string, allowed: readonly string[]): boolean {
  if (from === '') return false;
  const address = from.toLowerCase();
  const domain = address.slice(address.lastIndexOf('@'));
  return allowed.includes(address) || allowed.includes(domain);
}

/**
 * The rcptTo and route hooks of a gateway named `gateway`: its domains' recipients are accepted
 * from allowed senders when the local part is an E.164 number, and routed to the gateway.
 * `what` names the medium in replies: "Only authenticated users may send <what>".
 */
export function gatewayRoutingHooks<C extends GatewayRoutingConfig>(gateway: string, what: string): Required<Pick<Hooks<C>, 'rcptTo' | 'route'>> {
  return {
    rcptTo(ctx: RcptToContext<C>) {
      const address = atGatewayDomain(ctx.to, ctx.config.domains);
      if (!address) return verdict.continue();
      if (!ctx.session.user && !senderAllowed(ctx.from, ctx.config.allowedSenders)) {
        ctx.log.info({ evt: `${gateway}.sender-refused`, role: ctx.session.role, from: ctx.from }, 'gateway use refused: not authenticated');
        return verdict.reject(550, '5.7.1', `Only authenticated users may send ${what}`);
      }
      if (!E164.test(address.local)) {
        return verdict.reject(550, '5.1.3', `Address ${what} as +<international number>@${address.domain}`);
      }
      return verdict.accept();
    },
    route(ctx: RouteContext<C>) {
      const address = atGatewayDomain(ctx.recipient, ctx.config.domains);
      if (!address) return verdict.continue();
      return verdict.route(target.gateway(gateway, address.local));
    },
  };
}

const DOMAIN_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

/** Config keys every gateway of this kind has; each takes the text shown for the key. */
export const gatewaySchema = {
  /** The gateway domains (at least one); the first is the From domain of messages it brings in. */
  domains: (description: string) =>
    schema.array(schema.string({ pattern: DOMAIN_NAME, patternText: 'a lower-case domain name' }), { minItems: 1, description }),
  /** Senders that may use the gateway without authenticating: addresses or "@domain". */
  allowedSenders: (description = 'Senders allowed without authenticating (addresses or @domain).') =>
    schema.array(schema.email({ allowDomain: true }), { default: [], description }),
  /** An optional absolute path (spool directories). */
  absolutePath: (description: string) =>
    schema.optional(schema.string({ pattern: /^\//, patternText: 'an absolute path', description })),
};

// ─── External programs ───────────────────────────────────────────────────────────────────────

/** A program a gateway runs, with the Debian package that installs it (named in the reason). */
export interface RequiredTool {
  program: string;
  debianPackage: string;
}

/** The absolute path of an executable, or null when it is not installed. */
export async function findExecutable(name: string, path = process.env.PATH ?? ''): Promise<string | null> {
  const candidates = isAbsolute(name) ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; next
    }
  }
  return null;
}

/** The tools missing from a list, each as "name (Debian package pkg)". */
export async function missingTools(tools: readonly RequiredTool[]): Promise<string[]> {
  const missing: string[] = [];
  for (const tool of tools) {
    if ((await findExecutable(tool.program)) === null) missing.push(`${tool.program} (Debian package ${tool.debianPackage})`);
  }
  return missing;
}

/** Available when every tool is installed; else unavailable with "missing <tools>", for `start`. */
export async function toolsStatus(tools: readonly RequiredTool[]): Promise<GatewayStatus> {
  const missing = await missingTools(tools);
  return missing.length === 0 ? { available: true } : { available: false, reason: `missing ${missing.join(', ')}` };
}

// ─── Text for a phone ────────────────────────────────────────────────────────────────────────

export interface CondensedTextInput {
  /** The sender to name (or a phrase such as "Message from x"), or null to leave it out. */
  from: string | null;
  subject: string;
  text: string;
  maxLength: number;
}

/** Lines of a reply that introduce the quoted original ("On ... wrote:" before the "> ..." lines). */
const QUOTE_INTRO = /^(on .+wrote:|am .+schrieb .+:|le .+a écrit :)$/i;

/**
 * Mail → the words of an SMS or a call: who it is from, the subject, and the plain-text body
 * without quoted replies and signature, whitespace collapsed, cut to `maxLength` code points.
 * The result never holds a run of more than one newline or one space: every character costs on
 * a phone.
 */
export function condensedText(input: CondensedTextInput): string {
  const lines = input.text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    // RFC 3676 §4.3: "-- " starts the signature.
    if (line === '-- ') break;
    if (line.startsWith('>')) continue;
    kept.push(line);
  }
  while (kept.length > 0 && QUOTE_INTRO.test(kept[kept.length - 1].trim())) kept.pop();
  const body = kept.join('\n').replace(/[ \t\u00a0]+/g, ' ').replace(/ ?\n[\n ]*/g, '\n').trim();
  const subject = input.subject.replace(/\s+/g, ' ').trim();
  const head = [input.from, subject].filter((part): part is string => Boolean(part)).join(': ');
  const full = head && body ? `${head}\n${body}` : head || body;
  const chars = [...full];
  return chars.length <= input.maxLength ? full : chars.slice(0, input.maxLength).join('');
}

/**
 * The condensed text of a gateway message; refuses it (550 5.6.0 "<nothing>: the message has no
 * subject and no plain text") when nothing is left to send.
 */
export async function condensedMessageText(message: GatewayMessage, options: { from: string | null; maxLength: number; nothing: string }): Promise<string> {
  const parsed = await message.parsed();
  const text = condensedText({ from: options.from, subject: parsed.subject ?? '', text: parsed.text ?? '', maxLength: options.maxLength });
  if (text === '') throw new GatewayRefusal(550, '5.6.0', `${options.nothing}: the message has no subject and no plain text`);
  return text;
}

// ─── Spool directories ───────────────────────────────────────────────────────────────────────

/** Writes `name` in `dir` through a temporary name and a rename, so no reader sees half of it. */
export async function writeFileAtomically(dir: string, name: string, content: Buffer | string): Promise<void> {
  const temporary = join(dir, `.${name}.tmp`);
  await writeFile(temporary, content, { mode: 0o640 });
  await rename(temporary, join(dir, name));
}

/** Writes files then the JSON description, each through a temporary name and rename. */
export async function writeJob(dir: string, files: Array<{ name: string; content: Buffer | string }>, description: { name: string; value: unknown }): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const file of [...files, { name: description.name, content: `${JSON.stringify(description.value, null, 2)}\n` }]) {
    await writeFileAtomically(dir, file.name, file.content);
  }
}

export interface Poller {
  close(): void;
}

/**
 * Calls `handle` for every file in `dir` whose name matches `pattern`, now and every
 * `intervalMs`. `handle` decides what to do with the file (remove, move); errors are passed to
 * `onError` and the file is tried again next round.
 */
export function pollDirectory(
  dir: string,
  pattern: RegExp,
  intervalMs: number,
  handle: (name: string) => Promise<void>,
  onError: (name: string, error: Error) => void,
): Poller {
  let running = false;
  let closed = false;
  const round = async () => {
    if (running || closed) return;
    running = true;
    try {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => pattern.test(name)).sort();
      for (const name of names) {
        if (closed) break;
        await handle(name).catch((error: Error) => onError(name, error));
      }
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void round(), intervalMs);
  timer.unref();
  void round();
  return {
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}

export interface SpoolWatch {
  dir: string;
  /** Names of the files to handle, e.g. /^[^.].*\.json$/ (names starting with "." are staged). */
  pattern: RegExp;
  pollMs: number;
  handle(name: string): Promise<void>;
  /** What failed, for the log line `<gateway>.<event>` when `handle` throws (the file is retried). */
  failure: { event: string; message: string };
}

/** Creates `dir` and polls it until the server shuts down (the context's signal aborts). */
export async function watchSpool(ctx: GatewayContext<unknown>, watch: SpoolWatch): Promise<Poller> {
  await mkdir(watch.dir, { recursive: true });
  const poller = pollDirectory(watch.dir, watch.pattern, watch.pollMs, watch.handle, (name, error) =>
    ctx.log.error({ evt: `${ctx.gateway}.${watch.failure.event}`, file: name, err: error.message }, watch.failure.message));
  ctx.signal.addEventListener('abort', () => poller.close(), { once: true });
  return poller;
}

/** A received document in an inbound spool: `<base><extension>` beside `<base>.json`. */
export interface SpooledArrival {
  /** The file name without extension, e.g. "rx1". */
  base: string;
  /** The JSON description as read: { from, to, receivedAt?, ... }. */
  description: Record<string, unknown>;
  /** The number called (E.164, checked): the mail goes to the account holding it. */
  to: string;
  /** The caller's number as given, or "unknown". */
  caller: string;
  receivedAt: Date;
  document: { file: string; path: string; extension: string; content: Buffer };
}

export interface InboundSpool {
  dir: string;
  pollMs: number;
  /** The document's extensions in order of preference, e.g. ['.pdf', '.tif', '.tiff']. */
  extensions: readonly string[];
  /** Local part of the From address when the caller is not an E.164 number, e.g. "fax". */
  anonymousSender: string;
  /** What arrived, for logs: "received fax", "voicemail". */
  noun: string;
  /** The mail's subject, text and attachments for a document. */
  compose(arrival: SpooledArrival): Promise<Pick<InboundMessage, 'subject' | 'text' | 'attachments'>>;
}

/**
 * Watches an inbound spool: every `<base>.json` { from, to, receivedAt? } with its document
 * becomes a mail from `+<caller>@<first gateway domain>` to the account holding the number `to`
 * (the server resolves a bare E.164 recipient), acknowledged as `received`.
 */
export function watchInboundSpool<C extends { readonly domains: readonly string[] }>(ctx: GatewayContext<C>, spool: InboundSpool): Promise<Poller> {
  const { dir } = spool;
  const setAside = async (base: string, file: string | null, reason: string) => {
    const rejected = join(dir, 'rejected');
    await mkdir(rejected, { recursive: true });
    for (const name of [file, `${base}.json`]) if (name) await rename(join(dir, name), join(rejected, name)).catch(() => undefined);
    ctx.log.warn({ evt: `${ctx.gateway}.rejected`, file: base, reason }, `${spool.noun} has no recipient here; moved to rejected/`);
  };
  const receive = async (name: string) => {
    const base = name.slice(0, -'.json'.length);
    const description = JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>;
    const document = await findDocument(dir, base, spool.extensions);
    if (!document || !isE164(description.to)) {
      await setAside(base, document?.file ?? null, 'no document or no valid "to" number');
      return;
    }
    const caller = typeof description.from === 'string' && description.from ? description.from : 'unknown';
    const receivedAt = description.receivedAt ? new Date(description.receivedAt as string | number) : new Date();
    const domain = ctx.config.domains[0];
    const content = await spool.compose({ base, description, to: description.to, caller, receivedAt, document });
    const result = await ctx.deliverInbound({
      ...content,
      from: isE164(caller) ? `${caller}@${domain}` : `${spool.anonymousSender}@${domain}`,
      to: description.to,
      date: receivedAt,
      headers: { 'X-Bridgehead-Gateway': ctx.gateway, 'X-Bridgehead-Caller': caller },
    });
    if (result.ok) {
      await ctx.audit({ messageId: result.messageId, gateway: ctx.gateway, recipient: caller, status: 'received' });
      await rm(document.path, { force: true });
      await rm(join(dir, name), { force: true });
      ctx.log.info({ evt: `${ctx.gateway}.received`, msgid: result.messageId, from: caller }, `${spool.noun} delivered`);
      return;
    }
    if (result.temporary) throw new Error(result.reply);
    await setAside(base, document.file, result.reply);
  };
  return watchSpool(ctx, {
    dir,
    pattern: /^[^.].*\.json$/,
    pollMs: spool.pollMs,
    handle: receive,
    failure: { event: 'inbound-failed', message: `${spool.noun} not processed; retrying` },
  });
}

/** The first `<base><extension>` that exists, read; null when there is none. */
async function findDocument(dir: string, base: string, extensions: readonly string[]): Promise<SpooledArrival['document'] | null> {
  for (const extension of extensions) {
    const file = `${base}${extension}`;
    const path = join(dir, file);
    try {
      return { file, path, extension, content: await readFile(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return null;
}

// ─── Outbound ────────────────────────────────────────────────────────────────────────────────

/** What a hand-over to the medium gave: the medium's reference and a short detail for the ack. */
export interface HandOver {
  reference?: string;
  detail?: string;
  /** Extra fields for the `<gateway>.submitted` log line (counts, codings; never content). */
  log?: Record<string, unknown>;
}

export interface SubmittingSteps<P> {
  /** Once per delivery, in the body step: what every recipient gets (rendered, encoded). */
  prepare(message: GatewayMessage, recipients: readonly GatewayRecipient[]): Promise<P>;
  /**
   * Once per recipient, in order: hands `prepared` to the medium; resolves once the medium has it.
   * `index` is the recipient's 0-based position among the message's recipients on this gateway
   * (its ordinal - 1), the same on every attempt: name jobs after it.
   */
  handOver(recipient: GatewayRecipient, index: number, prepared: P): Promise<HandOver>;
}

/**
 * A delivery that hands the message to the medium during the body step and records a
 * `submitted` acknowledgement for each recipient. The server's outbound queue drives it after
 * the message is durable, one recipient per delivery: when body resolves the queue records the
 * recipient as delivered; a GatewayRefusal with a 5xx bounces it to the sender, any other failure
 * is retried later. Commit has nothing left to do.
 */
export function submittingDelivery<P>(ctx: GatewayContext<unknown>, info: GatewayOpenInfo, steps: SubmittingSteps<P>): GatewayDelivery {
  const recipients: GatewayRecipient[] = [];
  return {
    addRecipient: async (recipient) => {
      recipients.push(recipient);
    },
    body: async (message) => {
      const prepared = await steps.prepare(message, recipients);
      for (const [index, recipient] of recipients.entries()) {
        const { reference, detail, log } = await steps.handOver(recipient, (recipient.ordinal ?? index + 1) - 1, prepared);
        ctx.log.info({ evt: `${ctx.gateway}.submitted`, msgid: info.messageId, to: recipient.number, reference, ...log }, 'handed over to the medium');
        await ctx.audit({ messageId: info.messageId, gateway: ctx.gateway, recipient: recipient.number, status: 'submitted', reference, detail });
      }
    },
    commit: async () => undefined,
    abort: async (reason) => {
      if (recipients.length > 0) ctx.log.info({ evt: `${ctx.gateway}.aborted`, msgid: info.messageId, reason }, 'gateway delivery aborted');
    },
  };
}
