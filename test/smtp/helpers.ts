/**
 * SMTP test harness: a listener of a given role on 127.0.0.1 port 0 over a real store, a
 * self-signed certificate, captured pino lines, and a raw line client for exact transcripts.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import selfsigned from 'selfsigned';
import type { Test } from 'tap';
import { createLogger } from '../../src/log.js';
import { Authenticator } from '../../src/pipeline/auth.js';
import { Pipeline } from '../../src/pipeline/index.js';
import { createSmtpListener, type SmtpListener, type SmtpRole } from '../../src/smtp/server.js';
import type { Store } from '../../src/store/types.js';
import { openTestStore, populate } from '../pipeline/fixture.js';

export const HOSTNAME = 'mx.example.org';
export const PASSWORD = 'correct horse battery';

export interface TestCert {
  key: Buffer;
  cert: Buffer;
}

export async function makeCert(): Promise<TestCert> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256', notAfterDate: new Date(Date.now() + 2 * 86_400_000) });
  return { key: Buffer.from(pems.private), cert: Buffer.from(pems.cert) };
}

export interface ListenerLimits {
  maxMessageSize?: number;
  maxConnections?: number;
  idleTimeoutMs?: number;
  maxRecipients?: number;
}

export interface Harness {
  port: number;
  listener: SmtpListener;
  store: Store;
  logs: Array<Record<string, unknown>>;
}

/** Users alice and bob at example.org, aliases team (both), catch-all at catchall.org. */
export async function startListener(t: Test, role: SmtpRole, cert: TestCert, limits: ListenerLimits = {}): Promise<Harness> {
  const store = await openTestStore(t);
  await populate(store, {
    domains: ['example.org', 'catchall.org'],
    users: [
      ['alice@example.org', PASSWORD],
      ['bob@example.org', PASSWORD],
      ['owner@catchall.org', PASSWORD],
    ],
    aliases: [
      ['team@example.org', ['alice@example.org', 'bob@example.org']],
      ['*@catchall.org', ['owner@catchall.org']],
    ],
  });
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      callback();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  const maxMessageSize = limits.maxMessageSize ?? 100_000;
  const pipeline = new Pipeline({ store, log, hostname: HOSTNAME, maxMessageSize, maxRecipients: limits.maxRecipients ?? 50 });
  const listener = createSmtpListener({
    role,
    host: '127.0.0.1',
    port: 0,
    hostname: HOSTNAME,
    tls: cert,
    pipeline,
    auth: new Authenticator(store, { failureDelayMs: 5 }),
    log,
    maxMessageSize,
    maxConnections: limits.maxConnections ?? 20,
    idleTimeoutMs: limits.idleTimeoutMs ?? 10_000,
    closeTimeoutMs: 1_000,
  });
  const port = await listener.listen();
  t.teardown(() => listener.close());
  return { port, listener, store, logs };
}

/**
 * A raw SMTP client: sends lines, reads whole replies (all lines of a multi-line reply), and can
 * start TLS on the same connection.
 */
export class RawClient {
  private socket: net.Socket | tls.TLSSocket;
  private buffer = '';
  private lines: string[] = [];
  private waiting: (() => void) | null = null;
  private ended = false;

  private constructor(socket: net.Socket | tls.TLSSocket) {
    this.socket = socket;
    this.attach(socket);
  }

  static async connect(t: Test, port: number, options: { tls?: boolean } = {}): Promise<RawClient> {
    const socket = options.tls
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawClient(socket);
    t.teardown(() => client.destroy());
    return client;
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      this.buffer += data;
      let index: number;
      while ((index = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, index));
        this.buffer = this.buffer.slice(index + 2);
      }
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }

  /** The next complete reply, as its lines; [] if the server closed the connection first. */
  async reply(timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = this.lines.findIndex((line) => /^\d{3}( |$)/.test(line));
      if (last >= 0) return this.lines.splice(0, last + 1);
      if (this.ended) return [];
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no reply within ${timeoutMs} ms; have ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Sends one command line and returns its reply. */
  async command(line: string): Promise<string[]> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** STARTTLS exchange plus handshake; returns the 220 reply. */
  async startTls(): Promise<string[]> {
    const ready = await this.command('STARTTLS');
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    const secure = tls.connect({ socket: plain as net.Socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
    return ready;
  }

  get closed(): boolean {
    return this.ended;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** AUTH PLAIN initial response (RFC 4616). */
export function plainAuth(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString('base64');
}

/** The INBOX messages of an account, raw. */
export async function inboxOf(store: Store, account: string): Promise<Buffer[]> {
  const mailbox = await store.getMailbox(account, 'INBOX');
  if (!mailbox) return [];
  const messages = await store.listMessages(mailbox.id);
  return Promise.all(messages.map((meta) => store.readBlob(meta.blobId, 'full')));
}

export const sampleMessage = (subject = 'Hello') =>
  Buffer.from(`From: sender@remote.net\r\nTo: alice@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@remote.net>\r\n\r\nHello there.\r\n.leading dot\r\nBye\r\n`);

/** DATA payload on the wire: dot-stuffed (RFC 5321 §4.5.2) and terminated. */
export const dataPayload = (message: Buffer) => `${message.toString('utf8').replace(/^\./gm, '..')}.\r\n`;
