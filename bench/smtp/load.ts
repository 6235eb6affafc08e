/**
 * Load generator for the SMTP benchmarks: N concurrent sessions on loopback, each sending
 * messages back to back over one connection with PIPELINING (MAIL, RCPT, DATA in one write,
 * RFC 2920), as a busy MTA does. Raw sockets, so the client costs little next to the server.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface LoadOptions {
  /** Address of the server; 127.0.0.1 unless given. Loopback only (bench/README.md). */
  host?: string;
  port: number;
  sessions: number;
  /** Messages in all, spread over the sessions. */
  messages: number;
  from: string;
  to: string;
  message: Buffer;
  /** STARTTLS and AUTH PLAIN before sending (submission). */
  auth?: { user: string; pass: string };
}

export interface LoadResult {
  messages: number;
  seconds: number;
  perSecond: number;
  failures: number;
  ids: string[];
  /** CPU time of this process (client and, in-process, the server) per message, ms. */
  cpuMsPerMessage: number;
  /** `performance.now()` when the first message was written (sessions already open). */
  startedAt: number;
}

/** A message of about `size` octets: headers plus 76-character lines of text. */
export function makeMessage(size: number, subject = 'Benchmark'): Buffer {
  const header = `From: Bench <bench@client.test>\r\nTo: <rcpt@example.test>\r\nSubject: ${subject}\r\nMessage-ID: <bench@client.test>\r\nDate: Mon, 05 Jan 2026 09:00:00 +0000\r\n\r\n`;
  const line = `${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3).slice(0, 76)}\r\n`;
  const lines = Math.max(1, Math.round((size - header.length) / line.length));
  return Buffer.from(header + line.repeat(lines));
}

class Session {
  private buffer = '';
  private waiters: Array<(line: string) => void> = [];
  private lines: string[] = [];

  constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let index: number;
      while ((index = this.buffer.indexOf('\r\n')) >= 0) {
        const line = this.buffer.slice(0, index);
        this.buffer = this.buffer.slice(index + 2);
        if (!/^\d{3} /.test(line)) continue;
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
  }

  reply(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async startTls(): Promise<void> {
    this.write('STARTTLS\r\n');
    await this.reply();
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain as net.Socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  end(): void {
    this.socket.end('QUIT\r\n');
  }
}

async function open(options: LoadOptions): Promise<Session> {
  const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const session = new Session(socket);
  await session.reply();
  session.write('EHLO load.client.test\r\n');
  await session.reply();
  if (options.auth) {
    await session.startTls();
    session.write('EHLO load.client.test\r\n');
    await session.reply();
    session.write(`AUTH PLAIN ${Buffer.from(`\0${options.auth.user}\0${options.auth.pass}`).toString('base64')}\r\n`);
    const reply = await session.reply();
    if (!reply.startsWith('235')) throw new Error(`AUTH failed: ${reply}`);
  }
  return session;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const payload = Buffer.concat([Buffer.from(options.message.toString('latin1').replace(/^\./gm, '..'), 'latin1'), Buffer.from('.\r\n')]);
  const sessions = await Promise.all(Array.from({ length: options.sessions }, () => open(options)));
  let remaining = options.messages;
  let failures = 0;
  const ids: string[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    sessions.map(async (session) => {
      while (remaining > 0) {
        remaining--;
        session.write(`MAIL FROM:<${options.from}>\r\nRCPT TO:<${options.to}>\r\nDATA\r\n`);
        const [mail, rcpt, data] = [await session.reply(), await session.reply(), await session.reply()];
        if (!mail.startsWith('250') || !rcpt.startsWith('250') || !data.startsWith('354')) {
          failures++;
          if (data.startsWith('354')) session.write('.\r\n'), await session.reply();
          continue;
        }
        session.write(payload);
        const done = await session.reply();
        if (!done.startsWith('250')) failures++;
        else {
          const id = /id (\w+)/.exec(done)?.[1];
          if (id) ids.push(id);
        }
      }
      session.end();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerMessage = (cpu.user + cpu.system) / 1000 / options.messages;
  return { messages: options.messages, seconds, perSecond: options.messages / seconds, failures, ids, cpuMsPerMessage, startedAt: started };
}
