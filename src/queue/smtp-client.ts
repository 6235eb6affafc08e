/**
 * The remote target: one SMTP transaction towards a next hop, on nodemailer's SMTPConnection,
 * with connection reuse and concurrency limits. It implements the target contract
 * (pipeline/target.ts): start → addRecipient… → body (MAIL, RCPT…, DATA: the remote's reply
 * decides each recipient) → commit (the session goes back to the pool for reuse) | abort (the
 * session is closed).
 *
 * Behaviour (RFC 5321 §4.5.4, §5.1; RFC 3207; RFC 4954; RFC 3461):
 * - The hop's addresses are tried in order until one gives a session; a failure to connect, a
 *   non-2xx greeting or EHLO, or a TLS failure where TLS is required moves on to the next
 *   address. Once MAIL FROM is sent, the outcome of that session is the outcome of the attempt.
 * - TLS per hop: none; starttls (opportunistic: used when offered, plaintext when the upgrade
 *   fails); required-starttls (no STARTTLS or a failed upgrade is a temporary failure);
 *   implicit (TLS from the first byte). AUTH only when the hop has credentials, and nodemailer
 *   sends them only over the session it established.
 * - Per-recipient results: 2xx to RCPT then 2xx after DATA → delivered; 4xx anywhere (or a
 *   dropped connection, a timeout) → deferred; 5xx → failed.
 * - DSN parameters (RET, ENVID, NOTIFY, ORCPT) are passed on when the next hop offers DSN
 *   (RFC 3461 §6.2.1); nodemailer sends one NOTIFY/ORCPT per transaction, so the caller groups
 *   recipients with equal parameters.
 * - Limits: at most `maxConnections` sessions busy in all and `maxPerDestination` per
 *   destination; idle sessions are kept `idleMs` for the next message to the same address,
 *   reset (RSET) only after a transaction that did not end in 250.
 * - A host that refused or timed out a connection is skipped for `hostDownMs` (queue clock), so
 *   100,000 messages to a dead destination do not make 100,000 connection attempts per round.
 * - Never logs a password or message bytes.
 */
import SMTPConnection, { type SMTPConnectionSendInfo } from 'nodemailer/lib/smtp-connection';
import type { Logger } from '../log.js';
import type { TargetDelivery, TargetMessage, TargetRecipient } from '../pipeline/target.js';
import type { QueueReply } from '../store/types.js';
import type { Clock } from './clock.js';
import type { HopAddress, NextHop } from './route.js';
import { Semaphore } from './semaphore.js';
import { decodeXtext } from './xtext.js';

export interface SmtpClientOptions {
  /** Our name in EHLO. */
  hostname: string;
  log: Logger;
  clock: Clock;
  maxConnections: number;
  maxPerDestination: number;
  connectTimeoutMs: number;
  /** Inactivity limit within a session (RFC 5321 §4.5.3.2 suggests minutes). */
  socketTimeoutMs?: number;
  idleMs: number;
  /** How long a host that refused a connection is skipped; default 30 s. */
  hostDownMs?: number;
  /** Messages per session before it is closed instead of reused; default 100. */
  maxMessagesPerConnection?: number;
}

export type RecipientStatus = 'delivered' | 'deferred' | 'failed';

export interface RecipientResult {
  recipient: string;
  status: RecipientStatus;
  reply: QueueReply;
  /** The next hop offered DSN, so NOTIFY went along and it reports success itself (RFC 3461 §6.2.2). */
  dsnPassedOn?: boolean;
}

/** One session attempt, reported as it ends (the queue turns these into `attempt` events). */
export interface AttemptReport {
  host: string;
  ip: string | null;
  port: number;
  tls: boolean;
  reply: QueueReply;
  results: RecipientResult[];
  ms: number;
  bytes: number;
  /** Whether the session reached MAIL FROM (else the next address was tried). */
  transacted: boolean;
}

interface PooledConnection {
  key: string;
  connection: SMTPConnection;
  messages: number;
  /** Whether the next hop advertised DSN (RFC 3461). */
  dsn: boolean;
  idleTimer: { cancel(): void } | null;
  broken: boolean;
  /** Set after a transaction that did not end in 250: RSET before reuse. */
  needsReset: boolean;
}

interface SessionFailure {
  reply: QueueReply;
  /** True when no connection was tried because the host was marked down moments ago. */
  skipped: boolean;
}

const DEFAULT_HOST_DOWN_MS = 30_000;
const DEFAULT_MAX_MESSAGES = 100;
const DEFAULT_SOCKET_TIMEOUT_MS = 5 * 60_000;

/** "550 5.1.1 No such user" (possibly multi-line) → its parts. */
export function parseReply(response: string | undefined | false, fallback: string): QueueReply {
  if (!response) return { code: null, enhanced: null, text: fallback };
  const lines = response.split(/\r?\n/).filter(Boolean);
  const first = /^(\d{3})[ -]?(.*)$/.exec(lines[0] ?? '');
  if (!first) return { code: null, enhanced: null, text: response.trim() || fallback };
  const code = Number(first[1]);
  const texts = lines.map((line) => line.replace(/^\d{3}[ -]?/, ''));
  const enhanced = /^([245]\.\d{1,3}\.\d{1,3})\s*/.exec(texts[0]);
  const text = texts.map((line) => line.replace(/^[245]\.\d{1,3}\.\d{1,3}\s*/, '')).join(' ').trim();
  return { code, enhanced: enhanced ? enhanced[1] : null, text };
}

const statusOf = (reply: QueueReply): RecipientStatus =>
  reply.code !== null && reply.code >= 200 && reply.code < 300 ? 'delivered' : reply.code !== null && reply.code >= 500 ? 'failed' : 'deferred';

interface NodemailerError extends Error {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
  rejectedErrors?: NodemailerError[];
}

export class SmtpClient {
  private readonly options: SmtpClientOptions;
  private readonly log: Logger;
  private readonly total: Semaphore;
  private readonly perDestination = new Map<string, Semaphore>();
  private readonly idle = new Map<string, PooledConnection[]>();
  private readonly open = new Set<PooledConnection>();
  private readonly downUntil = new Map<string, number>();
  private closed = false;

  constructor(options: SmtpClientOptions) {
    this.options = options;
    this.log = options.log.child({ component: 'smtp-client' });
    this.total = new Semaphore(options.maxConnections);
  }

  /** The remote target for one transaction to one hop. */
  start(message: TargetMessage, hop: NextHop, addresses: HopAddress[], onAttempt: (report: AttemptReport) => void): RemoteDelivery {
    return new RemoteDelivery(this, message, hop, addresses, onAttempt);
  }

  /** Closes every session; later transactions fail as temporary. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pooled of [...this.open]) this.discard(pooled);
    this.idle.clear();
  }

  /**
   * The reply to record when every address of a hop was unreachable moments ago and has no
   * idle session: then a round defers without trying (or reading the message); else null.
   */
  unreachable(addresses: HopAddress[]): QueueReply | null {
    const now = this.options.clock.now();
    if (addresses.length === 0) return null;
    for (const address of addresses) {
      const until = this.downUntil.get(`${address.ip}|${address.port}`);
      if (until === undefined || until <= now) return null;
    }
    const first = addresses[0];
    return { code: null, enhanced: '4.4.1', text: `${first.host} [${first.ip}]:${first.port} was unreachable moments ago; not retried yet` };
  }

  /** Forgets which hosts were unreachable (`bridgehead queue flush`). */
  forgetDownHosts(): void {
    this.downUntil.clear();
  }

  get openConnections(): number {
    return this.open.size;
  }

  /** Runs `work` holding a total slot and a slot of the destination. */
  async withSlot<T>(destination: string, work: () => Promise<T>): Promise<T> {
    let semaphore = this.perDestination.get(destination);
    if (!semaphore) {
      semaphore = new Semaphore(this.options.maxPerDestination);
      this.perDestination.set(destination, semaphore);
    }
    const local = semaphore;
    return local.run(() => this.total.run(work)).finally(() => {
      if (local.idle) this.perDestination.delete(destination);
    });
  }

  /** A reusable idle session for the address, or a new one; a SessionFailure when none. */
  async session(address: HopAddress, hop: NextHop): Promise<PooledConnection | SessionFailure> {
    const key = `${address.ip}|${address.port}|${hop.tls}|${hop.auth?.user ?? ''}`;
    const pool = this.idle.get(key);
    while (pool && pool.length > 0) {
      const pooled = pool.pop()!;
      pooled.idleTimer?.cancel();
      pooled.idleTimer = null;
      if (pooled.broken || pooled.connection.destroyed) {
        this.discard(pooled);
        continue;
      }
      if (pooled.needsReset) {
        const reset = await new Promise<boolean>((resolve) => pooled.connection.reset((error) => resolve(!error)));
        if (!reset) {
          this.discard(pooled);
          continue;
        }
        pooled.needsReset = false;
      }
      return pooled;
    }
    const downKey = `${address.ip}|${address.port}`;
    const down = this.downUntil.get(downKey);
    if (down !== undefined) {
      if (down > this.options.clock.now()) {
        return { reply: { code: null, enhanced: '4.4.1', text: `${address.host} [${address.ip}]:${address.port} was unreachable moments ago; not retried yet` }, skipped: true };
      }
      this.downUntil.delete(downKey);
    }
    return this.connect(key, address, hop);
  }

  private connect(key: string, address: HopAddress, hop: NextHop): Promise<PooledConnection | SessionFailure> {
    const servername = address.host !== address.ip && !address.host.startsWith('[') ? address.host : undefined;
    const connection = new SMTPConnection({
      host: address.ip,
      port: address.port,
      name: this.options.hostname,
      secure: hop.tls === 'implicit',
      requireTLS: hop.tls === 'required-starttls',
      ignoreTLS: hop.tls === 'none',
      opportunisticTLS: hop.tls === 'starttls',
      connectionTimeout: this.options.connectTimeoutMs,
      greetingTimeout: this.options.connectTimeoutMs,
      socketTimeout: this.options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS,
      socketCloseTimeout: 0,
      logger: false,
      tls: { servername, rejectUnauthorized: hop.verifyCertificate },
    });
    // Errors after setup arrive here; the promise-based calls below report them too.
    connection.on('error', () => undefined);
    return new Promise((resolve) => {
      let settled = false;
      const failed = (error: NodemailerError) => {
        if (settled) return;
        settled = true;
        connection.close();
        const unreachable = ['ECONNECTION', 'ETIMEDOUT'].includes(error.code ?? '') && !error.response;
        if (unreachable) this.downUntil.set(`${address.ip}|${address.port}`, this.options.clock.now() + (this.options.hostDownMs ?? DEFAULT_HOST_DOWN_MS));
        resolve({ reply: parseReply(error.response, describeError(error)), skipped: false });
      };
      connection.once('end', () => failed(Object.assign(new Error('connection closed'), { code: 'ECONNECTION' })));
      connection.connect((error) => {
        if (error) return failed(error as NodemailerError);
        const ready = () => {
          if (settled) return;
          settled = true;
          connection.removeAllListeners('end');
          const pooled: PooledConnection = {
            key,
            connection,
            messages: 0,
            dsn: ehloOffers(connection, 'DSN'),
            idleTimer: null,
            broken: false,
            needsReset: false,
          };
          connection.on('end', () => (pooled.broken = true));
          this.open.add(pooled);
          resolve(pooled);
        };
        if (!hop.auth) return ready();
        connection.login({ user: hop.auth.user, pass: hop.auth.pass }, (loginError) => {
          if (loginError) failed(loginError as NodemailerError);
          else ready();
        });
      });
    });
  }

  /** Back to the pool, or closed when it is broken, used up, or reuse is off. */
  release(pooled: PooledConnection, reusable: boolean): void {
    const max = this.options.maxMessagesPerConnection ?? DEFAULT_MAX_MESSAGES;
    if (this.closed || !reusable || pooled.broken || pooled.messages >= max || this.options.idleMs <= 0) {
      this.retire(pooled);
      return;
    }
    const pool = this.idle.get(pooled.key) ?? [];
    if (pool.length >= this.options.maxPerDestination) {
      this.retire(pooled);
      return;
    }
    pool.push(pooled);
    this.idle.set(pooled.key, pool);
    pooled.idleTimer = this.options.clock.setTimer(this.options.idleMs, () => {
      const list = this.idle.get(pooled.key);
      const index = list ? list.indexOf(pooled) : -1;
      if (index >= 0) list!.splice(index, 1);
      if (list && list.length === 0) this.idle.delete(pooled.key);
      this.retire(pooled);
    });
  }

  /** QUIT politely. */
  private retire(pooled: PooledConnection): void {
    this.open.delete(pooled);
    pooled.idleTimer?.cancel();
    if (pooled.broken || pooled.connection.destroyed) pooled.connection.close();
    else pooled.connection.quit();
  }

  discard(pooled: PooledConnection): void {
    this.open.delete(pooled);
    pooled.idleTimer?.cancel();
    pooled.broken = true;
    pooled.connection.close();
  }
}

function describeError(error: NodemailerError): string {
  const original = (error as { originalCode?: string }).originalCode;
  return `${error.message}${original ? ` (${original})` : ''}`.replace(/\s+/g, ' ').trim();
}

/** nodemailer records the EHLO keywords it understood; DSN is among them. */
function ehloOffers(connection: SMTPConnection, keyword: string): boolean {
  const extensions = (connection as unknown as { _supportedExtensions?: string[] })._supportedExtensions;
  return Array.isArray(extensions) && extensions.includes(keyword);
}

export class RemoteDelivery implements TargetDelivery {
  readonly results = new Map<string, RecipientResult>();
  /** The host and IP of the session that decided the results (null when none was reached). */
  lastHost: string | null = null;
  lastIp: string | null = null;
  private readonly recipients: TargetRecipient[] = [];
  private current: PooledConnection | null = null;
  private finished = false;

  constructor(
    private readonly client: SmtpClient,
    private readonly message: TargetMessage,
    private readonly hop: NextHop,
    private readonly addresses: HopAddress[],
    private readonly onAttempt: (report: AttemptReport) => void,
  ) {}

  async addRecipient(recipient: TargetRecipient): Promise<void> {
    this.recipients.push(recipient);
  }

  /**
   * Tries the hop's addresses in order; resolves when some session reached a verdict for every
   * recipient or every address failed (then all are deferred, or failed if TLS/AUTH refused
   * permanently). Results are in `results`.
   */
  async body(raw: Buffer): Promise<void> {
    let lastFailure: QueueReply = { code: null, enhanced: '4.4.1', text: 'No address to connect to' };
    for (const address of this.addresses) {
      const t0 = performance.now();
      const session = await this.client.session(address, this.hop);
      if (!('connection' in session)) {
        lastFailure = session.reply;
        // A skipped (recently down) host made no attempt worth reporting.
        if (!session.skipped) {
          this.onAttempt({
            host: address.host, ip: address.ip, port: address.port, tls: false, reply: session.reply,
            results: [], ms: Math.round(performance.now() - t0), bytes: 0, transacted: false,
          });
        }
        continue;
      }
      this.current = session;
      this.lastHost = address.host;
      this.lastIp = address.ip;
      const tls = Boolean(session.connection.secure);
      const outcome = await this.transact(session, raw);
      outcome.results.forEach((result) => this.results.set(result.recipient, result));
      this.onAttempt({
        host: address.host, ip: address.ip, port: address.port, tls, reply: outcome.reply,
        results: outcome.results, ms: Math.round(performance.now() - t0), bytes: outcome.bytes, transacted: true,
      });
      return;
    }
    // No session anywhere: whatever refused it (greeting, TLS where required, AUTH) may be
    // fixed by the remote admin or ours, so the recipients wait for the next round.
    for (const recipient of this.recipients) {
      this.results.set(recipient.address, { recipient: recipient.address, status: 'deferred', reply: lastFailure });
    }
  }

  async commit(): Promise<void> {
    this.finish(true);
  }

  async abort(): Promise<void> {
    this.finish(false);
  }

  private finish(reusable: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.current) this.client.release(this.current, reusable);
    this.current = null;
  }

  private transact(pooled: PooledConnection, raw: Buffer): Promise<{ reply: QueueReply; results: RecipientResult[]; bytes: number }> {
    const first = this.recipients[0]?.dsn;
    const dsn = pooled.dsn && (this.message.dsn.ret || this.message.dsn.envid || first?.notify || first?.orcpt)
      ? {
          ret: this.message.dsn.ret ?? undefined,
          envid: this.message.dsn.envid ? decodeXtext(this.message.dsn.envid) : undefined,
          notify: first?.notify ?? undefined,
          orcpt: first?.orcpt ? orcptForNodemailer(first.orcpt) : undefined,
        }
      : undefined;
    const envelope = {
      from: this.message.from === '' ? false as const : this.message.from,
      to: this.recipients.map((recipient) => recipient.address),
      size: raw.length,
      dsn,
    };
    pooled.messages++;
    return new Promise((resolve) => {
      pooled.connection.send(envelope, raw, (error: Error | null, info?: SMTPConnectionSendInfo) => {
        if (!error && info) {
          const final = parseReply(info.response, 'accepted');
          const rejected = new Map((info.rejectedErrors ?? []).map((rejection) => {
            const err = rejection as NodemailerError;
            return [err.recipient ?? '', parseReply(err.response, err.message)];
          }));
          const results = this.recipients.map((recipient): RecipientResult => {
            const reply = rejected.get(recipient.address) ?? final;
            return { recipient: recipient.address, status: statusOf(reply), reply, dsnPassedOn: pooled.dsn };
          });
          if (final.code === null || final.code >= 300) pooled.needsReset = true;
          resolve({ reply: final, results, bytes: raw.length });
          return;
        }
        const err = error as NodemailerError;
        const reply = parseReply(err.response, describeError(err));
        const connectionLost = !err.response || ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ETLS'].includes(err.code ?? '');
        if (connectionLost) pooled.broken = true;
        else pooled.needsReset = true;
        const rejected = new Map((err.rejectedErrors ?? []).map((rejection) => [rejection.recipient ?? '', parseReply(rejection.response, rejection.message)]));
        const results = this.recipients.map((recipient): RecipientResult => {
          const own = rejected.get(recipient.address);
          if (own) return { recipient: recipient.address, status: statusOf(own), reply: own };
          // No reply at all (dropped mid-transaction) is temporary: RFC 5321 §6.1 keeps the duty.
          if (reply.code === null) return { recipient: recipient.address, status: 'deferred', reply };
          return { recipient: recipient.address, status: statusOf(reply), reply };
        });
        resolve({ reply, results, bytes: err.command === 'DATA' || connectionLost ? raw.length : 0 });
      });
    });
  }
}

/** nodemailer xtext-encodes ORCPT itself: hand it the decoded "type;address". */
function orcptForNodemailer(orcpt: string): string {
  const semicolon = orcpt.indexOf(';');
  return semicolon < 0 ? decodeXtext(orcpt) : `${orcpt.slice(0, semicolon)};${decodeXtext(orcpt.slice(semicolon + 1))}`;
}
