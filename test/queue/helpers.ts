/**
 * Queue test harness: a scripted SMTP peer on loopback (raw sockets, so every reply is exactly
 * what the test says, including dropping the connection mid-DATA), a real LevelDB store, and an
 * OutboundQueue on a ManualClock whose DSNs are captured.
 */
import net from 'node:net';
import type { Test } from 'tap';
import { ManualClock } from '../../src/queue/clock.js';
import type { QueueEvent } from '../../src/queue/events.js';
import { OutboundQueue, type OutboundQueueOptions } from '../../src/queue/queue.js';
import type { Resolver } from '../../src/queue/route.js';
import type { QueueConfig, RouteConfig } from '../../src/config/schema.js';
import { newMessageId } from '../../src/pipeline/message-id.js';
import type { RecipientDsn } from '../../src/pipeline/target.js';
import { openStore, type LevelStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/log.js';

export interface PeerTransaction {
  from: string;
  mailParams: string;
  rcpts: Array<{ address: string; params: string; reply: string }>;
  data: Buffer | null;
  /** The reply given after the data, or null when none was given. */
  reply: string | null;
}

export interface PeerScript {
  /** Extra EHLO keywords, e.g. ['DSN']. */
  ehlo?: string[];
  /** Reply to RCPT TO; `n` counts transactions from 0. Default 250. */
  rcpt?: (address: string, n: number) => string;
  /**
   * Reply after the message data; default 250. Return null to drop the connection instead,
   * 'silent' to keep it open without a reply (a remote that hangs after the final dot).
   */
  data?: (n: number, tx: PeerTransaction) => string | null;
  /** Drop the connection as soon as message bytes of transaction `n` arrive (mid-DATA). */
  dropInData?: (n: number) => boolean;
  /** Greeting line; default 220. */
  greeting?: string;
}

export interface Peer {
  port: number;
  transactions: PeerTransaction[];
  /** Transactions answered with 2xx after DATA: the deliveries that count. */
  accepted(): PeerTransaction[];
  connections: number;
  script: PeerScript;
  close(): Promise<void>;
}

/** A minimal SMTP server that answers exactly as scripted (RFC 5321 §4.1 command set). */
export async function startPeer(t: Test, script: PeerScript = {}, port = 0): Promise<Peer> {
  const transactions: PeerTransaction[] = [];
  const sockets = new Set<net.Socket>();
  const peer: Peer = {
    port: 0,
    transactions,
    accepted: () => transactions.filter((tx) => tx.reply !== null && tx.reply.startsWith('2')),
    connections: 0,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    peer.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let tx: PeerTransaction | null = null;
    let inData = false;
    const send = (line: string) => socket.write(`${line}\r\n`);
    send(peer.script.greeting ?? '220 peer.test ESMTP scripted');
    const command = (line: string) => {
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') {
        const keywords = ['peer.test', 'SIZE 50000000', '8BITMIME', 'ENHANCEDSTATUSCODES', ...(peer.script.ehlo ?? [])];
        send(keywords.map((keyword, i) => `250${i === keywords.length - 1 ? ' ' : '-'}${keyword}`).join('\r\n'));
      } else if (verb === 'HELO') send('250 peer.test');
      else if (verb === 'MAIL') {
        const match = /^MAIL FROM:\s*<([^>]*)>\s*(.*)$/i.exec(line);
        tx = { from: match?.[1] ?? '', mailParams: match?.[2] ?? '', rcpts: [], data: null, reply: null };
        transactions.push(tx);
        send('250 2.1.0 OK');
      } else if (verb === 'RCPT') {
        const match = /^RCPT TO:\s*<([^>]*)>\s*(.*)$/i.exec(line);
        const reply = peer.script.rcpt ? peer.script.rcpt(match?.[1] ?? '', transactions.length - 1) : '250 2.1.5 OK';
        tx?.rcpts.push({ address: match?.[1] ?? '', params: match?.[2] ?? '', reply });
        send(reply);
      } else if (verb === 'DATA') {
        if (!tx || !tx.rcpts.some((rcpt) => rcpt.reply.startsWith('2'))) send('554 5.5.1 No valid recipients');
        else {
          inData = true;
          send('354 go ahead');
        }
      } else if (verb === 'RSET') {
        tx = null;
        send('250 2.0.0 OK');
      } else if (verb === 'NOOP') send('250 2.0.0 OK');
      else if (verb === 'QUIT') {
        send('221 2.0.0 bye');
        socket.end();
      } else send('502 5.5.2 Command not implemented');
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          const current = tx!;
          if (peer.script.dropInData?.(transactions.length - 1)) {
            current.data = Buffer.from(buffer);
            socket.destroy();
            return;
          }
          if (end < 0) {
            // Scripted drop: once some message bytes have arrived, vanish mid-DATA.
            if (buffer.length > 0 && peer.script.dropInData?.(transactions.length - 1)) {
              current.data = Buffer.from(buffer);
              socket.destroy();
            }
            return;
          }
          const body = buffer.subarray(0, end + 2).toString('latin1').replace(/^\.\./gm, '.');
          buffer = buffer.subarray(end + 5);
          inData = false;
          current.data = Buffer.from(body, 'latin1');
          const reply = peer.script.data ? peer.script.data(transactions.length - 1, current) : `250 2.0.0 queued as ${transactions.length}`;
          if (reply === null) {
            socket.destroy();
            return;
          }
          if (reply === 'silent') return;
          current.reply = reply;
          send(reply);
          tx = null;
          continue;
        }
        const newline = buffer.indexOf('\r\n');
        if (newline < 0) return;
        const line = buffer.subarray(0, newline).toString('utf8');
        buffer = buffer.subarray(newline + 2);
        command(line);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  peer.port = (server.address() as net.AddressInfo).port;
  t.teardown(() => peer.close());
  return peer;
}

/** A loopback port with nothing listening (the "destination is down" case). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const QUEUE_DEFAULTS: QueueConfig = {
  retryInitialSeconds: 300,
  retryMaxSeconds: 14_400,
  giveUpSeconds: 432_000,
  delayNoticeSeconds: 14_400,
  maxConnections: 20,
  maxConnectionsPerDestination: 5,
  connectTimeoutSeconds: 5,
  idleConnectionSeconds: 10,
};

export function route(port: number, extra: Partial<RouteConfig> = {}): RouteConfig {
  return { host: '127.0.0.1', port, tls: 'none', user: '', password: '', verifyCertificate: false, ...extra };
}

export interface Dsn {
  to: string[];
  raw: Buffer;
}

export interface QueueHarness {
  queue: OutboundQueue;
  store: LevelStore;
  clock: ManualClock;
  events: QueueEvent[];
  dsns: Dsn[];
  /** Queues a message as the pipeline would; resolves with its id once committed. */
  enqueue(input: { from?: string; to: string[]; raw?: Buffer; dsn?: Partial<RecipientDsn>[]; ret?: 'FULL' | 'HDRS' | null; envid?: string | null }): Promise<string>;
  /** Waits (real time) until an event matches. */
  waitFor(predicate: (event: QueueEvent) => boolean, what: string, timeoutMs?: number): Promise<QueueEvent>;
  /** Waits (real time) until `condition` holds. */
  until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  /** Advances the clock and waits until the rounds it started have ended. */
  advance(ms: number): Promise<void>;
  /** Stops the queue and closes the store (for restart tests). */
  close(): Promise<void>;
}

export const sampleRaw = (subject = 'Queued hello') =>
  Buffer.from(
    `Received: by relay.example.test (Bridgehead) with ESMTPSA id TEST; Mon, 5 Jan 2026 09:00:00 +0000\r\n` +
      `From: Alice <alice@example.test>\r\nTo: Bob <bob@remote.test>\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n\r\nHello Bob,\r\n.a line with a leading dot\r\nbye\r\n`,
  );

export async function startQueue(
  t: Test,
  options: { path?: string; routes?: Record<string, RouteConfig>; config?: Partial<QueueConfig>; resolver?: Resolver; clock?: ManualClock } & Partial<Pick<OutboundQueueOptions, 'mxPort' | 'signer' | 'hostDownMs' | 'gateways'>> = {},
): Promise<QueueHarness> {
  const path = options.path ?? t.testdir();
  const store = await openStore({ path });
  const clock = options.clock ?? new ManualClock();
  const dsns: Dsn[] = [];
  const events: QueueEvent[] = [];
  const waiters: Array<{ predicate: (event: QueueEvent) => boolean; resolve: (event: QueueEvent) => void }> = [];
  const queue = new OutboundQueue({
    store: store.queue,
    log: silentLogger(),
    hostname: 'relay.example.test',
    config: { ...QUEUE_DEFAULTS, ...options.config },
    routes: options.routes ?? {},
    resolver: options.resolver ?? { resolveMx: failingLookup, resolve4: failingLookup, resolve6: failingLookup },
    clock,
    mxPort: options.mxPort,
    signer: options.signer,
    hostDownMs: options.hostDownMs,
    gateways: options.gateways,
    submitDsn: async (envelope, raw) => {
      dsns.push({ to: envelope.to, raw });
      return newMessageId();
    },
  });
  queue.events.on('queue', (event) => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  });
  queue.start();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await queue.close();
    await store.close();
  };
  t.teardown(close);
  return {
    queue,
    store,
    clock,
    events,
    dsns,
    async enqueue(input) {
      const id = newMessageId();
      const delivery = queue.target.start({
        id,
        from: input.from ?? 'alice@example.test',
        source: 'submission',
        user: 'alice@example.test',
        dsn: { ret: input.ret ?? null, envid: input.envid ?? null },
        receivedAt: clock.now(),
      });
      for (const [i, address] of input.to.entries()) {
        await delivery.addRecipient({ address, dsn: { notify: input.dsn?.[i]?.notify ?? null, orcpt: input.dsn?.[i]?.orcpt ?? null } });
      }
      await delivery.body(input.raw ?? sampleRaw());
      await delivery.commit();
      return id;
    },
    waitFor(predicate, what, timeoutMs = 5000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events.map((e) => e.type))}`)), timeoutMs);
        waiters.push({ predicate, resolve: (event) => (clearTimeout(timer), resolve(event)) });
      });
    },
    async until(condition, what, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async advance(ms) {
      clock.advance(ms);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await queue.idle();
    },
    close,
  };
}

/** A resolver for tests that must not look anything up. */
async function failingLookup(): Promise<never> {
  throw Object.assign(new Error('no DNS in tests'), { code: 'ESERVFAIL' });
}

/** Splits a raw message into header text and body text. */
export function splitMessage(raw: Buffer): { header: string; body: string } {
  const text = raw.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  return { header: text.slice(0, end), body: text.slice(end + 4) };
}
