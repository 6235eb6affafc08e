/**
 * The pipeline: the one path every message passes, whatever front end received it. Front ends
 * translate a protocol into these calls and the thrown SmtpError back into replies (STYLE.md
 * habit 4); every decision about senders, recipients and delivery is made here.
 *
 * Invariants:
 * - Never an open relay: MX accepts only recipients that resolve to local accounts or lie in a
 *   configured relay domain (the bridgehead role); submission requires an authenticated user
 *   who owns the sender address, and only then relays to remote domains. Address-literal
 *   domains are never relayed. Without an outbound queue, remote recipients are refused.
 * - `deliver` re-checks sender and recipients itself, so a front end that skipped a check cannot
 *   bypass it, and resolves only after every target (store, queue) has durably written the
 *   message (the SMTP 250 is sent after that, DESIGN.md "Storage").
 * - Every recipient is routed to a delivery target (pipeline/target.ts, STYLE.md habit 6): local
 *   ones to the mailbox target (targets/mailbox.ts), remote ones and gateway ones (SMS, fax,
 *   voice) to the queue target (src/queue), which hands them on after the 250 with retries,
 *   backoff and DSNs. One acceptance for all (targets/deliver.ts): the queue writes first (it
 *   can abort: its entry is removed), the store last (stored mail is visible at once), so a
 *   failure leaves nothing behind and the client's retry sends nothing twice. The bytes carry
 *   Received; the mailbox target adds Return-Path, which belongs to final delivery
 *   (RFC 5321 §4.4).
 * - One message id per accepted message (message-id.ts), in the Received header, in every log
 *   line about the message and in the reply.
 * - The stored bytes are the received bytes with Return-Path and Received prepended
 *   (RFC 5321 §4.4), nothing else changed; the bytes are stored once for all recipients. MX mail
 *   verified by mailauth also gets Authentication-Results, and loses forged ones (RFC 8601 §5).
 *   Plugins' `data` hooks may add, change or remove header fields (src/plugins/stage.ts).
 * - Plugin hooks run before the built-in check of their step (mailFrom, rcptTo, route);
 *   a plugin can refuse, never lift the sender rule; its rcptTo accept vouches only for an
 *   address a route hook then routes (src/plugins/api.ts, "Verdicts").
 */
import { Smtp, SmtpError, StoreError } from '../errors.js';
import type { Audit } from '../audit/index.js';
import type { Logger } from '../log.js';
import { junkTargets } from '../mailauth/quarantine.js';
import type { InboundVerifier } from '../mailauth/verify.js';
import { enforceDecision, PluginHost } from '../plugins/host.js';
import { planMessage, type MessagePlan } from '../plugins/stage.js';
import type { DeliveryTarget, Store } from '../store/types.js';
import { normalizeDomain, parseMailbox } from './address.js';
import { newMessageId } from './message-id.js';
import { QuotaExceededError, Quotas } from './quota.js';
import { resolveRecipient, type Resolution } from './recipients.js';
import type { EnvelopeDsn, MessageSource, MessageTarget, RecipientDsn, TargetMessage, TargetRecipient } from './target.js';
import { deliverToTargets, type RoutedRecipients } from './targets/deliver.js';
import { MailboxTarget } from './targets/mailbox.js';
import { composeDsn } from '../queue/dsn.js';

export { newMessageId } from './message-id.js';

export interface SessionInfo {
  /** Connection id, for logs. */
  id: string;
  role: 'mx' | 'submission';
  remoteAddress: string;
  /** The HELO/EHLO argument as the client sent it. */
  heloName: string;
  /** The authenticated account, or null. */
  user: string | null;
  secure: boolean;
  tlsProtocol?: string;
  tlsCipher?: string;
  /** For a message a gateway injected (src/plugins/gateways.ts): the gateway's name. */
  gateway?: string | null;
}

export interface Envelope {
  /** Reverse-path without angle brackets; "" is the null sender. */
  from: string;
  to: string[];
  /** RFC 3461 RET and ENVID from MAIL FROM (submission advertises DSN). */
  dsn?: EnvelopeDsn;
  /** RFC 3461 NOTIFY and ORCPT per recipient, aligned with `to`. */
  rcptDsn?: RecipientDsn[];
}

/** Where one recipient goes. */
type Route = { kind: 'local'; accounts: string[] } | { kind: 'remote'; address: string };

/** Where a message's recipients go, and what the stored hook hears of it. */
interface MessageRoutes {
  /** For the mailbox target, each with its mailboxes. */
  local: TargetRecipient[];
  /** For the queue target: remote addresses and gateway recipients. */
  queued: TargetRecipient[];
  /** Accounts that get a copy. */
  accounts: string[];
  /** Gateway recipients as "gateway:number". */
  gateways: string[];
  /** Remote addresses queued for SMTP. */
  relayed: string[];
}

const NO_RECIPIENT_DSN: RecipientDsn = { notify: null, orcpt: null };

/** How long a route decided at RCPT may be used by the DATA that follows. */
const ROUTE_MEMORY_MS = 60_000;
const MAX_REMEMBERED_ROUTES = 50_000;

export interface PipelineOptions {
  store: Store;
  log: Logger;
  /** This server's name, used in Received headers and for the bare "postmaster" recipient. */
  hostname: string;
  maxMessageSize: number;
  maxRecipients: number;
  /** More Received headers than this means a mail loop (RFC 5321 §6.3); default 50. */
  maxReceivedHeaders?: number;
  /** Plugin hooks (src/plugins/host.ts); absent: no plugins. */
  plugins?: PluginHost;
  /** SPF/DKIM/DMARC/ARC verification of MX mail (src/mailauth/verify.ts); absent: not verified. */
  mailauth?: InboundVerifier | null;
  /** The outbound queue's target (src/queue); absent: remote and gateway recipients are refused. */
  queue?: MessageTarget | null;
  /** Non-local domains the MX accepts and queues to their route (lower-case). */
  relayDomains?: string[];
  /** Audit trail and traffic counters (src/audit); absent: nothing recorded. */
  audit?: Audit | null;
  /** Storage quotas (quota.ts); absent: only accounts' own limits, no server-wide default. */
  quotas?: Quotas;
}

export const DEFAULT_MAX_RECEIVED_HEADERS = 50;

export class Pipeline {
  readonly hostname: string;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxReceivedHeaders: number;
  private readonly store: Store;
  private readonly log: Logger;
  private readonly mailauth: InboundVerifier | null;
  private readonly queue: MessageTarget | null;
  /** Final delivery into the store (targets/mailbox.ts). */
  private readonly mailbox: MessageTarget;
  private readonly relayDomains: Set<string>;
  /**
   * Routes decided at RCPT, used once by the DATA of the same session and then dropped, so a
   * recipient is resolved once per transaction (fewer store reads per message). A front end
   * that skipped checkRecipient finds nothing here and `deliver` resolves the address itself.
   */
  private readonly rcptRoutes = new Map<string, { route: Route; at: number }>();
  private readonly audit: Audit | null;
  private readonly quotas: Quotas;

  readonly plugins: PluginHost;

  constructor(options: PipelineOptions) {
    this.plugins = options.plugins ?? PluginHost.empty(options.log);
    this.mailauth = options.mailauth ?? null;
    this.queue = options.queue ?? null;
    this.relayDomains = new Set((options.relayDomains ?? []).map((domain) => domain.toLowerCase()));
    this.audit = options.audit ?? null;
    this.store = options.store;
    this.quotas = options.quotas ?? new Quotas(options.store, { defaultBytes: null });
    this.mailbox = new MailboxTarget({ store: options.store, quotas: this.quotas });
    this.log = options.log.child({ component: 'pipeline' });
    this.hostname = options.hostname;
    this.maxMessageSize = options.maxMessageSize;
    this.maxRecipients = options.maxRecipients;
    this.maxReceivedHeaders = options.maxReceivedHeaders ?? DEFAULT_MAX_RECEIVED_HEADERS;
  }

  /**
   * MAIL FROM. MX: any sender, including the null sender (RFC 5321 §4.5.5). Submission: the
   * authenticated user must own the address (RFC 6409 §6.1): it is their account, or it
   * resolves to them (an alias that targets them, their subaddress, a catch-all of theirs).
   */
  async checkSender(session: SessionInfo, address: string): Promise<void> {
    enforceDecision(await this.plugins.mailFrom(session, address));
    await this.senderPolicy(session, address);
  }

  /** The built-in sender rule. A plugin's accept does not lift it: no user may send as another. */
  private async senderPolicy(session: SessionInfo, address: string): Promise<void> {
    if (session.role === 'mx') return;
    if (!session.user) throw Smtp.authRequired();
    if (address === '') throw Smtp.senderNotOwned();
    const parsed = parseMailbox(address);
    if (!parsed.ok) throw Smtp.badSenderSyntax(parsed.reason);
    if (!(await this.owns(session.user, parsed.mailbox.address))) {
      this.log.info({ evt: 'pipeline.sender-refused', cid: session.id, user: session.user, from: parsed.mailbox.address }, 'sender not owned');
      throw Smtp.senderNotOwned();
    }
  }

  /**
   * RCPT TO. Local recipients are accepted on both roles; unknown local ones get 550 5.1.1;
   * remote ones are relay: on MX only for relay domains (else 550 5.7.1), on submission for the
   * authenticated user (451 4.3.0 when this server has no outbound queue).
   */
  async checkRecipient(session: SessionInfo, address: string, from = ''): Promise<void> {
    // rcptTo hooks first; an accept vouches for an address in the plugin's own space (a gateway
    // domain), which a route hook then routes.
    if (enforceDecision(await this.plugins.rcptTo(session, from, address))) return;
    const route = await this.route(session, address);
    this.rememberRoute(session, address, route);
  }

  /**
   * DATA. Checks the envelope again, adds the trace headers, routes every recipient to its target
   * (mailboxes; the queue for remote and gateway recipients) and returns the message's id once it
   * is durable at every target.
   */
  async deliver(session: SessionInfo, envelope: Envelope, message: Buffer): Promise<{ id: string }> {
    const id = newMessageId();
    const log = this.log.child({ msgid: id, cid: session.id });
    if (message.length > this.maxMessageSize) throw Smtp.tooBig(this.maxMessageSize);
    if (envelope.to.length === 0) throw Smtp.badSyntax('No recipients');
    if (envelope.to.length > this.maxRecipients) throw Smtp.tooManyRecipients();
    await this.senderPolicy(session, envelope.from);

    const received = countReceivedHeaders(message);
    if (received > this.maxReceivedHeaders) {
      log.warn({ evt: 'pipeline.loop', received }, 'mail loop detected');
      throw Smtp.loopDetected(received);
    }

    // MX only (submission is authenticated): throws the 550/451 of a reject or tempfail verdict.
    const auth = session.role === 'mx' && this.mailauth
      ? await this.mailauth.verify({ message, remoteAddress: session.remoteAddress, heloName: session.heloName, mailFrom: envelope.from, id, cid: session.id })
      : null;
    // Plugins: data hooks (may change headers), then a route per recipient (src/plugins/stage.ts).
    const plan = await planMessage({
      plugins: this.plugins, session, envelope, id, message: auth?.message ?? message, log,
      accountExists: async (account) => (await this.store.getAccount(account)) !== null,
    });
    const routes = await this.routeRecipients(session, envelope, plan, { quarantine: auth?.disposition === 'junk' });
    // Debug: the front end writes the one info line per transaction (DESIGN.md), with the id.
    log.debug({ evt: 'pipeline.accepted', from: envelope.from, rcpts: envelope.to.length, accounts: routes.accounts.length, size: message.length }, 'message accepted');

    const trace = receivedHeader({ id, hostname: this.hostname, session, envelope, date: new Date() });
    // RFC 8601 §5: Authentication-Results is a trace field, added beside our Received.
    const raw = Buffer.concat([Buffer.from(trace + (auth?.header ?? ''), 'utf8'), plan.message]);
    const via = session.gateway ? `gateway/${session.gateway}` : `smtp/${session.role}`;
    const trail = this.audit?.begin({ messageId: id, via, session, envelope, message });
    const targetMessage: TargetMessage = {
      id,
      from: envelope.from,
      source: session.role === 'mx' ? 'mx' : 'submission',
      user: session.user,
      dsn: envelope.dsn ?? { ret: null, envid: null },
      receivedAt: Date.now(),
      trail,
    };
    try {
      await deliverToTargets(targetMessage, this.routed(routes), raw, log);
    } catch (error) {
      throw refusalFor(error, log);
    }
    log.debug({ evt: 'pipeline.stored', accounts: routes.accounts.length, queued: routes.queued.length, size: raw.length }, 'message stored');
    this.notifyLocalSuccess(targetMessage, routes.local, raw);
    plan.stored({ accounts: routes.accounts, gateways: routes.gateways, relayed: routes.relayed });
    trail?.accepted();
    return { id };
  }

  /**
   * Where each recipient of a message goes: the mailbox target (local accounts, in quarantine their
   * Junk folders; plugins' mailbox routes) or the queue target (remote addresses, plugins' relay
   * routes, gateway routes). Throws the SmtpError that refuses the message.
   */
  private async routeRecipients(session: SessionInfo, envelope: Envelope, plan: MessagePlan, options: { quarantine: boolean }): Promise<MessageRoutes> {
    const queued: TargetRecipient[] = plan.relay.map((address) => ({ address, dsn: recipientDsn(envelope, address) }));
    const relayed = [...plan.relay];
    // A gateway that is unknown or not running refuses the message now, not in the queue.
    this.plugins.gateways.checkRoutes(plan.gateways);
    for (const target of plan.gateways) {
      queued.push({ address: target.recipient, dsn: recipientDsn(envelope, target.recipient), gateway: { name: target.gateway, number: target.number } });
    }
    if (queued.length > 0 && !this.queue) throw session.role === 'mx' ? Smtp.relayDenied() : Smtp.relayUnavailable();
    const localAccounts: Array<{ address: string; accounts: string[] }> = [];
    for (const recipient of plan.byDefault) {
      const route = this.recallRoute(session, recipient) ?? (await this.route(session, recipient));
      if (route.kind === 'remote') {
        queued.push({ address: route.address, dsn: recipientDsn(envelope, recipient) });
        relayed.push(route.address);
      } else {
        localAccounts.push({ address: recipient, accounts: route.accounts });
      }
    }
    const accounts = [...new Set(localAccounts.flatMap((recipient) => recipient.accounts))];
    const folders: DeliveryTarget[] = options.quarantine
      ? await junkTargets(this.store, accounts)
      : accounts.map((account) => ({ account, mailbox: 'INBOX' }));
    const folderOf = new Map(folders.map((folder) => [folder.account, folder]));
    const local: TargetRecipient[] = localAccounts.map(({ address, accounts: reached }) => ({
      address,
      dsn: recipientDsn(envelope, address),
      mailboxes: reached.map((account) => folderOf.get(account)!),
    }));
    // A plugin's mailbox route files the message there as well (no DSN is asked for it).
    for (const extra of plan.mailboxes) local.push({ address: extra.account, dsn: NO_RECIPIENT_DSN, mailboxes: [extra] });
    return {
      local,
      queued,
      accounts: [...new Set(local.flatMap((recipient) => (recipient.mailboxes ?? []).map((mailbox) => mailbox.account)))],
      gateways: plan.gateways.map((target) => `${target.gateway}:${target.number}`),
      relayed,
    };
  }

  /** The targets of a message's routes, the queue first (it can abort), the mailbox store last. */
  private routed(routes: Pick<MessageRoutes, 'local' | 'queued'>): RoutedRecipients[] {
    return [
      ...(this.queue ? [{ target: this.queue, recipients: routes.queued }] : []),
      { target: this.mailbox, recipients: routes.local },
    ];
  }

  /** Where a recipient goes for this session, or the SmtpError that refuses it. */
  private async route(session: SessionInfo, address: string): Promise<Route> {
    if (session.role === 'submission' && !session.user) throw Smtp.authRequired();
    const resolution = await this.resolve(address);
    switch (resolution.kind) {
      case 'local':
        return { kind: 'local', accounts: resolution.accounts };
      case 'unknown-local':
        throw Smtp.unknownUser();
      case 'invalid':
        throw Smtp.badRecipientSyntax(resolution.reason);
      case 'remote': {
        const parsed = parseMailbox(address);
        // Never relay to an address literal: it would let a client aim us at any host.
        if (!parsed.ok || parsed.mailbox.domainIsLiteral) throw Smtp.relayDenied();
        if (session.role === 'mx' && !this.relayDomains.has(parsed.mailbox.domain)) throw Smtp.relayDenied();
        if (!this.queue) throw session.role === 'mx' ? Smtp.relayDenied() : Smtp.relayUnavailable();
        return { kind: 'remote', address: remoteAddress(address, parsed.mailbox.domain) };
      }
    }
  }

  private rememberRoute(session: SessionInfo, address: string, route: Route): void {
    const now = Date.now();
    if (this.rcptRoutes.size >= MAX_REMEMBERED_ROUTES) {
      // Transactions that never reached DATA leave entries behind; drop the stale ones.
      for (const [key, entry] of this.rcptRoutes) if (now - entry.at > ROUTE_MEMORY_MS) this.rcptRoutes.delete(key);
      if (this.rcptRoutes.size >= MAX_REMEMBERED_ROUTES) this.rcptRoutes.clear();
    }
    this.rcptRoutes.set(`${session.id}\u0000${session.user ?? ''}\u0000${address}`, { route, at: now });
  }

  private recallRoute(session: SessionInfo, address: string): Route | null {
    const key = `${session.id}\u0000${session.user ?? ''}\u0000${address}`;
    const entry = this.rcptRoutes.get(key);
    if (!entry) return null;
    this.rcptRoutes.delete(key);
    return Date.now() - entry.at <= ROUTE_MEMORY_MS ? entry.route : null;
  }

  /**
   * A message this server makes itself (DSNs): no session checks, recipients routed like any
   * other (local → INBOX, remote → queue). A recipient that cannot be routed is logged and
   * dropped, so a notice to a vanished sender does not come back forever. Resolves once durable.
   */
  async submitInternal(envelope: Envelope, message: Buffer, options: { source: MessageSource }): Promise<{ id: string }> {
    const id = newMessageId();
    const log = this.log.child({ msgid: id });
    const local: TargetRecipient[] = [];
    const queued: TargetRecipient[] = [];
    for (const recipient of envelope.to) {
      const resolution = await this.resolve(recipient);
      const parsed = parseMailbox(recipient);
      if (resolution.kind === 'local') {
        local.push({ address: recipient, dsn: NO_RECIPIENT_DSN, mailboxes: resolution.accounts.map((account) => ({ account, mailbox: 'INBOX' })) });
      } else if (resolution.kind === 'remote' && parsed.ok && !parsed.mailbox.domainIsLiteral && this.queue) {
        queued.push({ address: remoteAddress(recipient, parsed.mailbox.domain), dsn: NO_RECIPIENT_DSN });
      } else {
        log.warn({ evt: 'pipeline.internal-unroutable', to: recipient, kind: resolution.kind }, 'internal message recipient dropped');
      }
    }
    if (local.length === 0 && queued.length === 0) return { id };
    const received = `Received: by ${this.hostname} (Bridgehead) with local id ${id}; ${rfc5322Date(new Date())}\r\n`;
    const trail = this.audit?.begin({ messageId: id, via: `internal/${options.source}`, session: null, envelope, message, counted: false });
    const targetMessage: TargetMessage = { id, from: envelope.from, source: options.source, user: null, dsn: { ret: null, envid: null }, receivedAt: Date.now(), trail };
    await deliverToTargets(targetMessage, this.routed({ local, queued }), Buffer.concat([Buffer.from(received, 'utf8'), message]), log);
    trail?.accepted();
    const accounts = new Set(local.flatMap((recipient) => (recipient.mailboxes ?? []).map((mailbox) => mailbox.account)));
    log.info({ evt: 'pipeline.internal', source: options.source, accounts: accounts.size, remote: queued.length }, 'internal message accepted');
    return { id };
  }

  /** The DSN submitter the queue uses (bounces, delay and success notices). */
  readonly submitDsn = async (envelope: { from: ''; to: string[] }, raw: Buffer): Promise<string> =>
    (await this.submitInternal(envelope, raw, { source: 'dsn' })).id;

  /**
   * RFC 3461 §6.1: NOTIFY=SUCCESS on a recipient delivered here asks for a "delivered" DSN. Sent
   * after the 250, in the background: a failure to send it is logged, never fails the message.
   */
  private notifyLocalSuccess(message: TargetMessage, local: readonly TargetRecipient[], raw: Buffer): void {
    if (message.from === '') return;
    // The envelope's own recipients come first; a plugin's extra mailbox for the same address asks nothing.
    const localDsn = new Map<string, RecipientDsn>();
    for (const recipient of local) if (!localDsn.has(recipient.address)) localDsn.set(recipient.address, recipient.dsn);
    const asked = [...localDsn].filter(([, dsn]) => Array.isArray(dsn.notify) && dsn.notify.includes('SUCCESS'));
    if (asked.length === 0) return;
    const now = Date.now();
    const { raw: notice } = composeDsn({
      kind: 'success',
      hostname: this.hostname,
      to: message.from,
      messageId: message.id,
      envid: message.dsn.envid,
      ret: message.dsn.ret,
      arrivalDate: message.receivedAt,
      now,
      recipients: asked.map(([address, dsn]) => ({
        address, orcpt: dsn.orcpt, action: 'delivered', status: '2.0.0', reply: null, remoteMta: null, lastAttemptAt: now,
      })),
      original: raw,
    });
    this.submitDsn({ from: '', to: [message.from] }, notice).catch((error: unknown) => {
      this.log.warn({ evt: 'pipeline.success-dsn-failed', msgid: message.id, err: error }, 'could not send a success notice');
    });
  }

  private resolve(address: string): Promise<Resolution> {
    // RFC 5321 §4.1.1.3: the domainless "postmaster" must be accepted; it means ours.
    const target = address.toLowerCase() === 'postmaster' ? `postmaster@${this.hostname}` : address;
    return resolveRecipient(this.store, target, { log: this.log });
  }

  private async owns(user: string, address: string): Promise<boolean> {
    if (address === user) return true;
    const resolution = await resolveRecipient(this.store, address, { log: this.log });
    return resolution.kind === 'local' && resolution.accounts.includes(user);
  }
}

/**
 * A remote address as it goes out: the local part exactly as the client wrote it (only the
 * remote server may interpret it, RFC 5321 §2.4), the domain in its canonical lower-case form.
 */
function remoteAddress(address: string, domain: string): string {
  return `${address.slice(0, address.lastIndexOf('@'))}@${domain}`;
}

/**
 * The reply for a message no target could take: quota refusals as such, a target's own SmtpError
 * (a refused recipient) as it is, anything else (a store failure) as 451 so the client retries.
 */
function refusalFor(error: unknown, log: Logger): SmtpError {
  if (error instanceof QuotaExceededError && error.permanent) {
    log.warn({ evt: 'pipeline.over-quota', permanent: true }, 'delivery refused: larger than the quota');
    return new SmtpError(552, '5.2.2', 'Message is larger than the mailbox quota');
  }
  if (error instanceof StoreError && error.kind === 'over-quota') {
    log.warn({ evt: 'pipeline.over-quota' }, 'delivery refused: over quota');
    return new SmtpError(452, '4.2.2', 'Mailbox full, try again later');
  }
  if (error instanceof SmtpError) return error;
  log.error({ evt: 'pipeline.store-failed', err: error }, 'delivery failed');
  return Smtp.tempFailure();
}

/** The DSN parameters the client gave with RCPT TO for this address. */
function recipientDsn(envelope: Envelope, address: string): RecipientDsn {
  const index = envelope.to.indexOf(address);
  return (index >= 0 ? envelope.rcptDsn?.[index] : undefined) ?? NO_RECIPIENT_DSN;
}

/** Received headers in the header block (RFC 5321 §6.3 loop detection). */
export function countReceivedHeaders(message: Buffer): number {
  const header = headerBlock(message).toString('latin1');
  const matches = header.match(/(^|\n)Received[ \t]*:/gi);
  return matches ? matches.length : 0;
}

function headerBlock(message: Buffer): Buffer {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  const ends = [crlf, lf].filter((index) => index >= 0);
  return ends.length > 0 ? message.subarray(0, Math.min(...ends)) : message;
}

interface TraceInput {
  id: string;
  hostname: string;
  session: SessionInfo;
  envelope: Envelope;
  date: Date;
}

/**
 * The Received time stamp line (RFC 5321 §4.4 Stamp; protocol names per RFC 3848: ESMTP, ESMTPS
 * with TLS, ESMTPSA with TLS and AUTH). "for" names the recipient only when there is exactly one,
 * so Bcc recipients are not revealed. Return-Path is final delivery's (targets/mailbox.ts).
 */
export function receivedHeader(input: TraceInput): string {
  const { session } = input;
  const literal = addressLiteral(session.remoteAddress);
  const helo = heloDomain(session.heloName);
  const from = helo ? `${helo} (${literal})` : `${literal} (${literal})`;
  const protocol = `ESMTP${session.secure ? 'S' : ''}${session.user ? 'A' : ''}`;
  const lines = [`Received: from ${from}`, `\tby ${input.hostname} (Bridgehead) with ${protocol} id ${input.id}`];
  if (session.secure && (session.tlsProtocol || session.tlsCipher)) {
    lines.push(`\t(version=${session.tlsProtocol ?? 'unknown'} cipher=${session.tlsCipher ?? 'unknown'})`);
  }
  const date = rfc5322Date(input.date);
  if (input.envelope.to.length === 1) lines.push(`\tfor <${input.envelope.to[0]}>; ${date}`);
  else lines[lines.length - 1] += `; ${date}`;
  return `${lines.join('\r\n')}\r\n`;
}

/** The HELO name when it is a Domain or an address literal, else null (it goes unrecorded). */
function heloDomain(helo: string): string | null {
  if (!helo) return null;
  if (/^\[[0-9A-Za-z:.]+\]$/.test(helo)) return helo;
  const domain = normalizeDomain(helo);
  return domain.ok ? domain.domain : null;
}

function addressLiteral(ip: string): string {
  return ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`;
}

/** RFC 5322 §3.3 date-time in UTC, e.g. "Thu, 05 Mar 2026 10:00:00 +0000". */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
