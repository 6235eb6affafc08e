/**
 * One IMAP client connection for the imaptest runner: plain TCP (with STARTTLS when the server
 * asks for it through LOGINDISABLED) or implicit TLS, self-signed certificates accepted.
 *
 * Responses are framed by CRLF with `{n}`/`~{n}` literals read as raw bytes (RFC 9051 §4.3,
 * RFC 3516 literal8) and queued; the runner reads them one at a time, so a connection that is
 * not the active one keeps its untagged replies until its next command group, as imaptest does.
 * It also counts messages (EXISTS/EXPUNGE) for the `$N` sequence variables.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { parseArgs, type ImapArg } from './args.js';

export interface Response {
  /** `*`, `+` or the command's tag. */
  tag: string;
  /** Everything after the tag. */
  args: ImapArg[];
  raw: string;
}

const STATUS_WORDS = new Set(['OK', 'NO', 'BAD', 'BYE', 'PREAUTH']);

/**
 * Splits a response into arguments. Status responses get their response code parsed as
 * arguments and their human-readable text split into atoms, since free text need not be
 * balanced IMAP syntax.
 */
export function parseResponse(raw: string): Response {
  const space = raw.indexOf(' ');
  const tag = space < 0 ? raw : raw.slice(0, space);
  const rest = space < 0 ? '' : raw.slice(space + 1);
  if (tag === '+') return { tag, args: words(rest), raw };
  const firstWord = rest.split(' ', 1)[0]!.toUpperCase();
  if (STATUS_WORDS.has(firstWord)) {
    const afterStatus = rest.slice(firstWord.length).replace(/^ /, '');
    const args: ImapArg[] = [{ kind: 'atom', value: rest.slice(0, firstWord.length) }];
    let text = afterStatus;
    if (afterStatus.startsWith('[')) {
      const close = afterStatus.indexOf(']');
      const code = close < 0 ? afterStatus : afterStatus.slice(0, close + 1);
      try {
        args.push(...parseArgs(code));
      } catch {
        args.push(...words(code));
      }
      text = close < 0 ? '' : afterStatus.slice(close + 1);
    }
    args.push(...words(text));
    return { tag, args, raw };
  }
  return { tag, args: parseArgs(rest), raw };
}

function words(text: string): ImapArg[] {
  return text.split(' ').filter(Boolean).map((value) => ({ kind: 'atom', value }));
}

export class ImapConnection {
  private socket: Socket | TLSSocket;
  private buffer: Buffer = Buffer.alloc(0);
  private scanFrom = 0;
  private queue: Response[] = [];
  private waiter: (() => void) | null = null;
  private closedError: Error | null = null;
  /** Message count of the selected mailbox as the server has told this connection. */
  messageCount = 0;
  capabilities: string[] = [];

  private constructor(socket: Socket | TLSSocket) {
    this.socket = socket;
    this.attach(socket);
  }

  static async open(options: { host: string; port: number; tls: boolean }): Promise<ImapConnection> {
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s = options.tls
        ? connectTls({ host: options.host, port: options.port, rejectUnauthorized: false, ...(isIP(options.host) ? {} : { servername: options.host }) }, () => resolve(s))
        : connectTcp({ host: options.host, port: options.port }, () => resolve(s));
      s.once('error', reject);
    });
    return new ImapConnection(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.frame();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private frame(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n', this.scanFrom, 'latin1');
      if (end < 0) return;
      const lineStart = this.lastLineStart(end);
      const line = this.buffer.toString('latin1', lineStart, end);
      const literal = /~?\{(\d+)\}$/.exec(line);
      if (literal) {
        const next = end + 2 + Number(literal[1]);
        if (this.buffer.length < next) return;
        this.scanFrom = next;
        continue;
      }
      const raw = this.buffer.toString('latin1', 0, end);
      this.buffer = this.buffer.subarray(end + 2);
      this.scanFrom = 0;
      let response: Response;
      try {
        response = parseResponse(raw);
      } catch (error) {
        response = { tag: raw.split(' ', 1)[0]!, args: [{ kind: 'atom', value: `<unparsable: ${(error as Error).message}>` }], raw };
      }
      this.track(response);
      this.queue.push(response);
      this.wake();
    }
  }

  /** Start of the line that ends at `end`: after the last literal, or the response start. */
  private lastLineStart(end: number): number {
    return Math.min(this.scanFrom, end);
  }

  private track(response: Response): void {
    if (response.tag !== '*') return;
    const [first, second] = response.args;
    if (first?.kind !== 'atom') return;
    if (first.value.toUpperCase() === 'CAPABILITY') {
      this.capabilities = response.args.slice(1).flatMap((arg) => (arg.kind === 'atom' ? [arg.value] : []));
    }
    if (second?.kind === 'atom' && /^\d+$/.test(first.value)) {
      const word = second.value.toUpperCase();
      if (word === 'EXISTS') this.messageCount = Number(first.value);
      if (word === 'EXPUNGE') this.messageCount = Math.max(0, this.messageCount - 1);
    }
    if (first.value.toUpperCase() === 'OK' && second?.kind === 'atom' && second.value.toUpperCase() === '[CAPABILITY') {
      this.capabilities = response.args
        .slice(2)
        .flatMap((arg) => (arg.kind === 'atom' ? [arg.value.replace(/\]$/, '')] : []))
        .filter((word) => word !== '');
      const closing = response.args.findIndex((arg) => arg.kind === 'atom' && arg.value.endsWith(']'));
      if (closing > 0) {
        this.capabilities = response.args
          .slice(2, closing + 1)
          .flatMap((arg) => (arg.kind === 'atom' ? [arg.value.replace(/\]$/, '')] : []))
          .filter(Boolean);
      }
    }
  }

  /** The next response, or an error after timeoutMs or when the connection is gone. */
  async next(timeoutMs: number): Promise<Response> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = this.queue.shift();
      if (response) return response;
      if (this.closedError) throw this.closedError;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Responses already received and not yet read. */
  pending(): number {
    return this.queue.length;
  }

  write(text: string): void {
    this.socket.write(Buffer.from(text, 'latin1'));
  }

  /** Sends a command and reads until its tagged reply; returns everything received. */
  async simple(tag: string, command: string, timeoutMs: number): Promise<Response[]> {
    this.write(`${tag} ${command}\r\n`);
    const seen: Response[] = [];
    for (;;) {
      const response = await this.next(timeoutMs);
      seen.push(response);
      if (response.tag === tag) return seen;
    }
  }

  async startTls(host: string): Promise<void> {
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = connectTls({ socket: plain, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.buffer = Buffer.alloc(0);
    this.scanFrom = 0;
    this.attach(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}
