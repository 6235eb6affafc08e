/**
 * Test harness for the IMAP server: a LevelDB store in a tap test dir, an ImapServer on port 0
 * with a self-signed certificate and one account, and a raw-socket transcript client that sends
 * a command and collects every reply line up to its tagged one, for exact comparisons.
 *
 * Teardown closes the clients, then the server, then the store (in that order).
 */
import { once } from 'node:events';
import { connect as connectPlain, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { constants as zlib, createDeflateRaw, createInflateRaw } from 'node:zlib';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { generate } from 'selfsigned';
import { ImapServer, type ImapServerOptions } from '../../src/imap/server.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { Authenticator } from '../../src/pipeline/auth.js';
import { hashPassword } from '../../src/pipeline/passwords.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

/** What tap's `t` offers that the harness uses. */
export interface TestContext {
  testdir(): string;
  teardown(fn: () => unknown): void;
}

/**
 * The capabilities the harness server advertises, once: tests compare greetings and login
 * replies against these (RFC 9051 §7.2.2; capabilities.ts says why each is there).
 */
export const PRE_TLS_CAPABILITIES = 'IMAP4rev1 SASL-IR LITERAL+ LITERAL- ID ENABLE IDLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256';
export const POST_LOGIN_CAPABILITIES = [
  'IMAP4rev1 IMAP4rev2 LITERAL+ LITERAL- SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN LIST-EXTENDED SPECIAL-USE UTF8=ACCEPT',
  'APPENDLIMIT=524288 COMPRESS=DEFLATE MULTIAPPEND BINARY QUOTA QUOTA=RES-STORAGE STATUS=SIZE SAVEDATE LIST-STATUS CREATE-SPECIAL-USE',
  'CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES',
].join(' ');

export const USER = 'alice@example.org';
export const PASSWORD = 'correct horse battery staple';
export const OTHER_USER = 'bob@example.org';

let certificate: Promise<{ key: Buffer; cert: Buffer }> | null = null;

/** One self-signed certificate per test process (EC P-256: fast to make). */
export function testCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
  certificate ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
  }).then((pems) => ({ key: Buffer.from(pems.private), cert: Buffer.from(pems.cert) }));
  return certificate;
}

export interface HarnessOptions {
  implicitTls?: boolean;
  limits?: Partial<ImapServerOptions['limits']>;
  log?: Logger;
  authFailureDelayMs?: number;
}

export interface Harness {
  port: number;
  server: ImapServer;
  store: Store;
  implicitTls: boolean;
  /** A raw transcript client, already connected (TLS when the listener is implicit TLS). */
  client(): Promise<TranscriptClient>;
  /** A raw client logged in as USER (after STARTTLS on a plain listener). */
  loggedIn(): Promise<TranscriptClient>;
}

export const DEFAULT_LIMITS: ImapServerOptions['limits'] = {
  maxConnections: 20,
  idleTimeoutMs: 30 * 60_000,
  maxLineLength: 8192,
  maxLiteralSize: 1024 * 1024,
  maxMessageSize: 512 * 1024,
  maxOutputBuffer: 1024 * 1024,
};

export async function startServer(t: TestContext, options: HarnessOptions = {}): Promise<Harness> {
  const store = await openStore({ path: t.testdir() });
  const implicitTls = options.implicitTls ?? true;
  const passwordHash = await hashPassword(PASSWORD, 10);
  await store.addDomain('example.org');
  await store.createAccount(USER, passwordHash);
  await store.createAccount(OTHER_USER, passwordHash);
  const auth = new Authenticator(store, {
    failureDelayMs: options.authFailureDelayMs ?? 0,
    maxFailures: 100,
    windowMs: 60_000,
    cacheTtlMs: 60_000,
  });
  const server = new ImapServer({
    host: '127.0.0.1',
    port: 0,
    implicitTls,
    tls: await testCertificate(),
    store,
    auth,
    log: options.log ?? silentLogger(),
    hostname: 'mail.example.org',
    limits: { ...DEFAULT_LIMITS, ...options.limits },
  });
  const port = await server.listen();
  const clients: TranscriptClient[] = [];
  t.teardown(async () => {
    for (const client of clients) client.destroy();
    await server.close();
    await store.close();
  });
  const client = async (): Promise<TranscriptClient> => {
    const c = await TranscriptClient.connect(port, { tls: implicitTls });
    clients.push(c);
    return c;
  };
  return {
    port,
    server,
    store,
    implicitTls,
    client,
    async loggedIn() {
      const c = await client();
      if (!implicitTls) {
        await c.command('S1 STARTTLS');
        await c.startTls();
      }
      const reply = await c.command(`L1 LOGIN ${USER} "${PASSWORD}"`);
      if (!reply[reply.length - 1].startsWith('L1 OK')) throw new Error(`login failed: ${reply.join(' | ')}`);
      return c;
    },
  };
}

/**
 * A line-oriented IMAP client on a raw socket. A server line ending in a literal `{n}` is joined
 * with the n octets and the rest of the response, so one "line" is one whole response.
 */
export class TranscriptClient {
  greeting = '';
  private socket: Socket;
  private buffer = Buffer.alloc(0);
  private readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;
  /** Where outgoing octets go: the socket, or a deflate stream once COMPRESS is on. */
  private sink: (data: string | Buffer) => void;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.sink = (data) => this.socket.write(data);
    this.listen(socket);
  }

  static async connect(port: number, options: { tls: boolean }): Promise<TranscriptClient> {
    const socket = options.tls
      ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : connectPlain({ host: '127.0.0.1', port });
    await once(socket, options.tls ? 'secureConnect' : 'connect');
    const client = new TranscriptClient(socket);
    client.greeting = await client.readLine();
    return client;
  }

  get closed(): boolean {
    return this.ended;
  }

  private listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.split();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private split(): void {
    for (;;) {
      const line = this.takeResponse();
      if (line === null) break;
      this.lines.push(line);
    }
    this.wake();
  }

  /** One whole response from the buffer (literals included), or null when incomplete. */
  private takeResponse(): string | null {
    let offset = 0;
    for (;;) {
      const end = this.buffer.indexOf('\r\n', offset);
      if (end === -1) return null;
      const literal = /\{(\d+)\}$/.exec(this.buffer.toString('latin1', offset, end));
      if (!literal) {
        const response = this.buffer.toString('utf8', 0, end);
        this.buffer = this.buffer.subarray(end + 2);
        return response;
      }
      const next = end + 2 + Number(literal[1]);
      if (this.buffer.length < next) return null;
      offset = next;
    }
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The next response line; rejects after `timeoutMs` or when the connection closed. */
  async readLine(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a line');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.lines.shift()!;
  }

  /** Lines received so far and not yet read. */
  pending(): string[] {
    return this.lines.splice(0);
  }

  /** Waits until the connection is closed by the server. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.sink(data);
  }

  /** Sends one raw line (CRLF added), e.g. an AUTHENTICATE response or IDLE's DONE. */
  sendLine(line: string): void {
    this.sink(`${line}\r\n`);
  }

  /**
   * Compresses both directions after a `COMPRESS DEFLATE` OK (RFC 4978): raw deflate, each write
   * flushed with Z_SYNC_FLUSH. Received octets not yet read as lines are inflated first.
   */
  startCompression(): void {
    const socket = this.socket;
    socket.removeAllListeners('data');
    const deflate = createDeflateRaw();
    const inflate = createInflateRaw();
    deflate.pipe(socket);
    const leftover = this.buffer;
    this.buffer = Buffer.alloc(0);
    inflate.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.split();
    });
    inflate.on('error', () => socket.destroy());
    // The connection counts as closed once what arrived before the close is inflated.
    socket.removeAllListeners('close');
    socket.on('close', () => inflate.end());
    inflate.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('data', (chunk: Buffer) => inflate.write(chunk));
    if (leftover.length > 0) inflate.write(leftover);
    this.sink = (data) => {
      deflate.write(data);
      deflate.flush(zlib.Z_SYNC_FLUSH);
    };
  }

  /** Sends `line` CRLF and returns every response up to and including the tagged one. */
  async command(line: string | Buffer): Promise<string[]> {
    const text = typeof line === 'string' ? line : line.toString('latin1');
    const tag = text.slice(0, text.indexOf(' '));
    this.write(typeof line === 'string' ? `${line}\r\n` : Buffer.concat([line, Buffer.from('\r\n')]));
    return this.until(tag);
  }

  /** Reads responses until the tagged one for `tag`. */
  async until(tag: string, timeoutMs = 5000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const response = await this.readLine(timeoutMs);
      out.push(response);
      if (response.startsWith(`${tag} `)) return out;
    }
  }

  /** Upgrades to TLS after a STARTTLS OK. */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = connectTls({ socket: plain, rejectUnauthorized: false });
    await once(secure, 'secureConnect');
    this.socket = secure;
    this.listen(secure);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A small RFC 5322 message with CRLF line endings. */
export function sampleMessage(subject = 'Hello', body = 'Hi there.'): string {
  return [
    'From: Bob <bob@example.org>',
    'To: Alice <alice@example.org>',
    `Subject: ${subject}`,
    'Date: Tue, 03 Mar 2026 10:00:00 +0000',
    `Message-ID: <${subject.replace(/\W/g, '')}@example.org>`,
    '',
    body,
    '',
  ].join('\r\n');
}

/** APPENDs a message with a synchronizing literal and returns the tagged reply. */
export async function appendMessage(client: TranscriptClient, tag: string, mailbox: string, message: string, flags = ''): Promise<string[]> {
  const size = Buffer.byteLength(message);
  client.write(`${tag} APPEND ${mailbox}${flags ? ` (${flags})` : ''} {${size}}\r\n`);
  const go = await client.readLine();
  if (!go.startsWith('+')) throw new Error(`no continuation: ${go}`);
  client.write(`${message}\r\n`);
  return client.until(tag);
}

/**
 * imapflow logged in as USER over the harness's implicit-TLS listener (self-signed certificate
 * accepted), closed at teardown. `options` add to or override the defaults (e.g. qresync).
 */
export async function imapflowClient(t: TestContext, h: Harness, options: Partial<ImapFlowOptions> = {}): Promise<ImapFlow> {
  const imap = new ImapFlow({
    host: '127.0.0.1',
    port: h.port,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: USER, pass: PASSWORD },
    logger: false,
    ...options,
  });
  await imap.connect();
  t.teardown(() => imap.close());
  return imap;
}
