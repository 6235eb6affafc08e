/**
 * The IMAP listener: accepts connections (plain with STARTTLS, or implicit TLS, RFC 8314),
 * enforces the connection limit, routes store change events to every session, and on close
 * says BYE to every session before it stops.
 *
 * Invariants:
 * - A connection over maxConnections gets `* BYE Too many connections` and is closed at once.
 * - Store events reach every open session; each session keeps only what concerns its selected
 *   mailbox (session.ts), so IDLE learns of new mail from the store, never from other front ends.
 * - close() resolves once every connection is closed; the store stays open (the caller closes it
 *   after the server).
 */
import { randomBytes } from 'node:crypto';
import { createServer as createPlainServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';
import type { TrafficCounter } from '../audit/events.js';
import type { Logger } from '../log.js';
import type { Authenticator } from '../pipeline/auth.js';
import { Quotas } from '../pipeline/quota.js';
import type { Store, StoreEvent } from '../store/types.js';
import { Connection } from './connection.js';
import { untaggedStatus } from './protocol/writer.js';

export interface ImapServerOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 993) instead of STARTTLS (port 143). */
  implicitTls: boolean;
  tls: { key: Buffer; cert: Buffer };
  store: Store;
  auth: Authenticator;
  /** Storage quotas; default: only accounts' own limits, no server-wide default. */
  quotas?: Quotas;
  log: Logger;
  hostname: string;
  /** Traffic counters (src/audit): sessions, refused connections, authentication failures. */
  stats?: TrafficCounter;
  limits: {
    maxConnections: number;
    /** RFC 9051 §5.4: at least 30 minutes. */
    idleTimeoutMs: number;
    maxLineLength: number;
    maxLiteralSize: number;
    /** Largest message APPEND accepts (APPENDLIMIT). */
    maxMessageSize: number;
    maxOutputBuffer: number;
  };
}

const KEEPALIVE_MS = 60_000;
/** How long a refused connection may take to read its BYE. */
const REFUSAL_GRACE_MS = 2000;

export class ImapServer {
  private readonly options: ImapServerOptions;
  private readonly log: Logger;
  private readonly secureContext: SecureContext;
  private readonly quotas: Quotas;
  private readonly open = new Set<Connection>();
  private server: Server | null = null;
  private nextId = 0;
  private readonly idPrefix = randomBytes(3).toString('hex');
  private readonly onStoreEvent = (event: StoreEvent): void => {
    for (const connection of this.open) connection.session.onStoreEvent(event);
  };

  constructor(options: ImapServerOptions) {
    this.options = options;
    this.log = options.log.child({ proto: 'imap' });
    this.quotas = options.quotas ?? new Quotas(options.store, { defaultBytes: null });
    this.secureContext = createSecureContext({ key: options.tls.key, cert: options.tls.cert });
  }

  get connections(): number {
    return this.open.size;
  }

  listen(): Promise<number> {
    const server = this.options.implicitTls
      ? createTlsServer({ key: this.options.tls.key, cert: this.options.tls.cert }, (socket) => this.accept(socket, true))
      : createPlainServer((socket) => this.accept(socket, false));
    if (this.options.implicitTls) {
      server.on('tlsClientError', (error) => this.log.debug({ evt: 'imap.tls-failed', err: error.message }, 'TLS handshake failed'));
    }
    this.server = server;
    this.options.store.events.on('change', this.onStoreEvent);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : this.options.port;
        this.log.info({ evt: 'imap.listening', host: this.options.host, port, implicitTls: this.options.implicitTls }, 'IMAP listening');
        resolve(port);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.options.store.events.off('change', this.onStoreEvent);
    const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    // Each connection destroys its socket if the client has not gone within its close grace time.
    const connections = [...this.open];
    for (const connection of connections) connection.shutdown('Server shutting down');
    await Promise.all(connections.map((connection) => connection.done));
    await stopped;
  }

  private accept(socket: Socket, secure: boolean): void {
    socket.on('error', () => {});
    // Replies are written as several small writes (untagged lines, then the tagged one): without
    // this, Nagle's algorithm and the client's delayed ACK add tens of milliseconds per command.
    socket.setNoDelay(true);
    // Clients that vanish during IDLE (laptop lid closed) are noticed by TCP keepalive.
    socket.setKeepAlive(true, KEEPALIVE_MS);
    if (!this.server || this.open.size >= this.options.limits.maxConnections) {
      this.log.warn({ evt: 'imap.too-many-connections', remoteAddress: socket.remoteAddress }, 'connection refused');
      this.options.stats?.count('rejected.connections');
      socket.end(untaggedStatus('BYE', 'Too many connections'));
      setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
      return;
    }
    const cid = `${this.idPrefix}${(this.nextId++).toString(36)}`;
    const connection = new Connection({
      socket,
      cid,
      secure,
      secureContext: this.secureContext,
      limits: this.options.limits,
      context: { store: this.options.store, auth: this.options.auth, quotas: this.quotas, hostname: this.options.hostname, stats: this.options.stats },
      log: this.log.child({ cid }),
    });
    this.options.stats?.count('sessions.imap');
    this.open.add(connection);
    void connection.done.then(() => this.open.delete(connection));
    connection.start();
  }
}
