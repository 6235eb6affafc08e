/**
 * One raw IMAP connection of the stress checker: TLS socket, whole responses parsed as they
 * arrive (response.ts) and handed to a listener at once (so a checker sees the untagged stream in
 * order, IDLE pushes included), several commands outstanding at once when the caller pipelines
 * (RFC 9051 §5.5), and a transcript ring of the last lines in both directions for violation
 * reports.
 *
 * Invariants:
 * - The listener sees every response before the command it belongs to resolves.
 * - Untagged responses go to the oldest outstanding command: the server answers pipelined
 *   commands in order, so what comes before a tagged reply belongs to it (RFC 9051 §2.2.2 lets a
 *   server send untagged data at any time, which is exactly what the listener is for). With no
 *   command registered (the greeting, IDLE before DONE) they wait in a queue for next().
 * - Writes made in one turn of the event loop leave in one socket write (cork), so commands
 *   pipelined together arrive together, as imaptest sends them.
 */
import { once } from 'node:events';
import { constants as zlib, createDeflateRaw, createInflateRaw } from 'node:zlib';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { parseResponse, responseEnd, type Response } from './response.js';

export interface TranscriptLine {
  at: number;
  dir: 'C' | 'S' | '!';
  text: string;
}

export interface CommandReply {
  tagged: Response;
  untagged: Response[];
  ms: number;
}

interface Outstanding {
  tag: string;
  started: number;
  untagged: Response[];
  resolve: (reply: CommandReply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const TRANSCRIPT_LINES = 80;
const LINE_LIMIT = 400;

export class StressConnection {
  /** Called for every response, in order, before the command that it belongs to resolves. */
  onResponse: (response: Response) => void = () => {};
  private buffer: Buffer = Buffer.alloc(0);
  private readonly transcript: TranscriptLine[] = [];
  private waiter: ((response: Response | null) => void) | null = null;
  private queued: Response[] = [];
  /** Commands sent and not yet answered, oldest first. */
  private readonly outstanding: Outstanding[] = [];
  private corked = false;
  private closed = false;
  /** Commands written while another was outstanding, and the most outstanding at once. */
  readonly pipelining = { commands: 0, deepest: 0 };
  private tagCounter = 0;
  /** Where outgoing octets go: the socket, or a deflate stream after COMPRESS (RFC 4978). */
  private sink: (data: string | Buffer) => void;

  private constructor(
    private readonly socket: TLSSocket,
    readonly name: string,
    private readonly epoch: number,
  ) {
    this.sink = (data) => socket.write(data);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.markClosed());
    socket.on('error', () => {});
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.note('!', 'connection closed');
    this.waiter?.(null);
    for (const command of this.outstanding.splice(0)) {
      clearTimeout(command.timer);
      command.reject(new Error('connection closed'));
    }
  }

  static async open(options: { host: string; port: number; name: string; epoch: number }): Promise<StressConnection> {
    const socket = connectTls({ host: options.host, port: options.port, rejectUnauthorized: false });
    socket.setNoDelay(true);
    await once(socket, 'secureConnect');
    const connection = new StressConnection(socket, options.name, options.epoch);
    const greeting = await connection.next(10_000);
    if (!greeting || greeting.status !== 'OK') throw new Error(`${options.name}: bad greeting ${greeting?.raw}`);
    return connection;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  nextTag(): string {
    return `${this.name}.${++this.tagCounter}`;
  }

  /** The last lines sent and received, oldest first, with milliseconds since the run started. */
  lines(): TranscriptLine[] {
    return this.transcript.slice();
  }

  note(dir: TranscriptLine['dir'], raw: string): void {
    // Literals span lines: keep one transcript line per response, CRLFs shown as \r\n.
    const text = raw.replace(/\r\n/g, '\\r\\n');
    this.transcript.push({ at: performance.now() - this.epoch, dir, text: text.length > LINE_LIMIT ? `${text.slice(0, LINE_LIMIT)}…` : text });
    if (this.transcript.length > TRANSCRIPT_LINES) this.transcript.shift();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = responseEnd(this.buffer);
      if (end < 0) break;
      const data = this.buffer.subarray(0, end);
      this.buffer = this.buffer.subarray(end);
      let response: Response;
      try {
        response = parseResponse(data);
      } catch (error) {
        response = { raw: data.toString('latin1').trimEnd(), tag: '*', values: ['UNPARSABLE'], text: String(error) };
      }
      this.note('S', response.raw);
      this.onResponse(response);
      if (this.route(response)) continue;
      if (this.waiter) {
        const wake = this.waiter;
        this.waiter = null;
        wake(response);
      } else {
        this.queued.push(response);
      }
    }
  }

  /** Hands a response to the outstanding command it belongs to; false when none is registered. */
  private route(response: Response): boolean {
    if (response.tag === '+' || this.outstanding.length === 0) return false;
    if (response.tag === '*') {
      this.outstanding[0].untagged.push(response);
      return true;
    }
    const index = this.outstanding.findIndex((command) => command.tag === response.tag);
    if (index < 0) return false;
    const [command] = this.outstanding.splice(index, 1);
    clearTimeout(command.timer);
    command.resolve({ tagged: response, untagged: command.untagged, ms: performance.now() - command.started });
    return true;
  }

  /** The next response, or null on close or timeout. */
  next(timeoutMs: number): Promise<Response | null> {
    if (this.queued.length > 0) return Promise.resolve(this.queued.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, timeoutMs);
      this.waiter = (response) => {
        clearTimeout(timer);
        resolve(response);
      };
    });
  }

  write(text: string | Buffer, transcriptText?: string): void {
    this.note('C', transcriptText ?? (typeof text === 'string' ? text.replace(/\r\n$/, '') : `<${text.length} octets>`));
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.sink(text);
  }

  /**
   * Compresses both directions after `COMPRESS DEFLATE` was answered OK (RFC 4978 §3): raw
   * deflate, every write flushed, so a push the server does not flush would go unseen here too.
   */
  startCompression(): void {
    const socket = this.socket;
    socket.removeAllListeners('data');
    const deflate = createDeflateRaw();
    const inflate = createInflateRaw();
    deflate.pipe(socket);
    inflate.on('data', (chunk: Buffer) => this.receive(chunk));
    inflate.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => inflate.write(chunk));
    // Closed only once what arrived before the close is inflated (LOGOUT's BYE and OK).
    socket.removeAllListeners('close');
    socket.on('close', () => inflate.end());
    inflate.on('close', () => this.markClosed());
    this.sink = (data) => {
      deflate.write(data);
      deflate.flush(zlib.Z_SYNC_FLUSH);
    };
  }

  /**
   * Sends `tag line` and collects responses up to the tagged one. The command is written at once
   * (before this returns its promise), so calls made in one turn are pipelined.
   */
  command(tag: string, line: string, timeoutMs = 30_000): Promise<CommandReply> {
    const reply = this.until(tag, performance.now(), timeoutMs);
    this.write(`${tag} ${line}\r\n`);
    return reply;
  }

  /** APPEND with a non-synchronizing literal (RFC 7888 LITERAL+), written at once like command(). */
  append(tag: string, prefix: string, message: Buffer, timeoutMs = 30_000): Promise<CommandReply> {
    const reply = this.until(tag, performance.now(), timeoutMs);
    this.write(`${tag} ${prefix} {${message.length}+}\r\n`);
    this.write(Buffer.concat([message, Buffer.from('\r\n')]), `<${message.length} octets>`);
    return reply;
  }

  /**
   * Registers `tag` as outstanding and resolves with its tagged reply. Responses already queued
   * (IDLE's, read with next() before DONE) are taken first.
   */
  until(tag: string, started: number, timeoutMs: number): Promise<CommandReply> {
    const untagged: Response[] = [];
    while (this.queued.length > 0) {
      const response = this.queued.shift()!;
      if (response.tag === tag) return Promise.resolve({ tagged: response, untagged, ms: performance.now() - started });
      untagged.push(response);
    }
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.outstanding.findIndex((command) => command.tag === tag);
        if (index >= 0) this.outstanding.splice(index, 1);
        reject(new Error(`no tagged reply to ${tag} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.outstanding.push({ tag, started, untagged, resolve, reject, timer });
      if (this.outstanding.length > 1) this.pipelining.commands++;
      this.pipelining.deepest = Math.max(this.pipelining.deepest, this.outstanding.length);
    });
  }

  /** Drains responses already received (IDLE pushes) without waiting. */
  drain(): Response[] {
    return this.queued.splice(0);
  }

  close(): void {
    this.socket.destroy();
  }
}
