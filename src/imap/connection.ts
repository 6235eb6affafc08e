/**
 * One client connection: owns the socket (and its TLS upgrade), the command parser, output with
 * backpressure, the idle timer and the per-command log line. It hands complete commands to the
 * gate (commands/index.ts) one at a time and writes their tagged replies; it knows nothing about
 * what commands mean.
 *
 * Invariants:
 * - One command at a time: the next parser event is pulled only after the previous command's
 *   tagged reply (and its `after` step) are done, so IDLE and AUTHENTICATE can switch the parser
 *   to line mode and read raw lines (ParserEvent 'line').
 * - While a command runs and reads no lines, the socket is paused: a client that pipelines
 *   cannot make the server buffer more than the parser's limits.
 * - Output is bounded: commands that write much wait (waitForOutput) until the client has read
 *   the buffer down to maxOutputBuffer; a write that finds the buffer already over the bound
 *   (unsolicited updates to a client that stopped reading) disconnects. A client that neither
 *   reads nor sends is disconnected by the idle timer.
 * - STARTTLS discards everything the client sent after the command (CVE-2011-0411) and starts a
 *   fresh parser on the TLS stream.
 * - COMPRESS=DEFLATE (RFC 4978): from the octet after its tagged OK, everything passes the
 *   DeflateLayer (compression.ts) both ways, over TLS when TLS is on; octets the client pipelined
 *   after the command are inflated first. Output bounds count octets before compression.
 * - Pipelined input is only looked at, never parsed ahead: when a command ends, the octets
 *   already received after it are scanned for a command that names messages by sequence number
 *   (non-UID FETCH, STORE, SEARCH, COPY, MOVE, SORT, THREAD), so that other sessions' expunges
 *   wait instead of renumbering under it (RFC 9051 §5.5; commands/index.ts).
 * - Logs: one `imap.command` line per command with cid (bound by the server's child logger), user,
 *   command name, result and duration; never arguments (LOGIN and AUTHENTICATE carry passwords).
 *   At debug level, except NO, BAD and slow commands, which are info: a busy server's info log
 *   holds connections, logins and what went wrong, not every FETCH.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TLSSocket, type SecureContext } from 'node:tls';
import { imapBad } from '../errors.js';
import type { Logger } from '../log.js';
import { executeCommand } from './commands/index.js';
import { DeflateLayer } from './compression.js';
import { CommandParser } from './protocol/parser.js';
import type { ParsedCommand, ParserEvent, ParserLimits } from './protocol/types.js';
import { continuation, tagged, untaggedStatus } from './protocol/writer.js';
import { Session, type SessionContext, type SessionTransport } from './session.js';

export interface ConnectionLimits {
  idleTimeoutMs: number;
  maxLineLength: number;
  maxLiteralSize: number;
  maxMessageSize: number;
  maxOutputBuffer: number;
}

export interface ConnectionOptions {
  socket: Socket;
  cid: string;
  /** The socket is already TLS (implicit TLS listener). */
  secure: boolean;
  secureContext: SecureContext;
  limits: ConnectionLimits;
  context: Omit<SessionContext, 'log' | 'limits'>;
  log: Logger;
}

/** Consecutive BAD replies after which the client is considered broken or hostile. */
const MAX_CONSECUTIVE_BAD = 20;
/** How long a closing connection may take to flush its last words before it is destroyed. */
const CLOSE_GRACE_MS = 2000;
/** Deepest nesting of lists in a command; real commands stay below 5. */
const MAX_DEPTH = 16;
/**
 * Responses are gathered and sent as one socket write per turn of the event loop, or sooner once
 * this many octets wait: a 100,000-line FETCH becomes a few hundred TLS records, not 100,000.
 */
const COALESCE_BYTES = 64 * 1024;
/** Commands whose arguments or results are sequence numbers when not prefixed by UID. */
const SEQUENCE_COMMANDS = new Set(['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'SORT', 'THREAD']);
/** How many pipelined commands, and octets, are looked at when a command ends. */
const LOOKAHEAD_COMMANDS = 32;
const LOOKAHEAD_BYTES = 64 * 1024;
/** A command that took this long is logged at info, with `slow: true`. */
const SLOW_COMMAND_MS = 1000;
/** Commands whose duration is the client's: never "slow". */
const WAITS_FOR_CLIENT = new Set(['IDLE', 'AUTHENTICATE']);
/** Commands whose arguments are secrets: their reply texts are not logged either. */
const CARRIES_CREDENTIALS = new Set(['LOGIN', 'AUTHENTICATE']);

export class Connection implements SessionTransport {
  readonly cid: string;
  readonly remoteAddress: string;
  readonly session: Session;
  private socket: Socket;
  private parser: CommandParser;
  private readonly parserLimits: ParserLimits;
  private readonly limits: ConnectionLimits;
  private readonly secureContext: SecureContext;
  private readonly log: Logger;
  private tls: boolean;
  private startedTls = false;
  /** COMPRESS=DEFLATE is active (RFC 4978): all octets after its OK pass through this layer. */
  private compression: DeflateLayer | null = null;
  private busy = false;
  private pumping = false;
  private closing = false;
  private closed = false;
  private consecutiveBad = 0;
  private lineWaiter: { resolve: (line: Buffer | null) => void; reject: (error: Error) => void } | null = null;
  private readonly drainWaiters: Array<() => void> = [];
  /** Responses written but not yet handed to the socket (see COALESCE_BYTES). */
  private coalesced: Buffer[] = [];
  private coalescedBytes = 0;
  private flushScheduled = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly closedPromise: Promise<void>;
  private markClosed!: () => void;

  constructor(options: ConnectionOptions) {
    this.cid = options.cid;
    this.socket = options.socket;
    this.remoteAddress = options.socket.remoteAddress ?? 'unknown';
    this.tls = options.secure;
    this.secureContext = options.secureContext;
    this.limits = options.limits;
    this.log = options.log;
    this.parserLimits = {
      maxLineLength: options.limits.maxLineLength,
      maxLiteralSize: options.limits.maxLiteralSize,
      maxCommandSize: options.limits.maxLiteralSize + 4 * options.limits.maxLineLength,
      maxDepth: MAX_DEPTH,
    };
    this.parser = new CommandParser(this.parserLimits);
    this.session = new Session(this, {
      ...options.context,
      log: options.log,
      // A message must also fit in one literal, so the advertised APPENDLIMIT is the smaller bound.
      limits: { maxMessageSize: Math.min(options.limits.maxMessageSize, options.limits.maxLiteralSize) },
    });
    this.closedPromise = new Promise((resolve) => (this.markClosed = resolve));
  }

  get secure(): boolean {
    return this.tls;
  }

  get canStartTls(): boolean {
    return !this.tls && !this.startedTls;
  }

  get compressed(): boolean {
    return this.compression !== null;
  }

  /** Resolves once the socket is closed. */
  get done(): Promise<void> {
    return this.closedPromise;
  }

  /** Greets the client and starts reading. */
  start(): void {
    this.attach(this.socket);
    this.log.info({ evt: 'imap.connect', remoteAddress: this.remoteAddress, tls: this.tls }, 'connection opened');
    const caps = this.session.capabilities().join(' ');
    this.write(untaggedStatus('OK', 'Bridgehead ready', `CAPABILITY ${caps}`));
    this.idleTimer = setTimeout(() => this.onIdleTimeout(), this.limits.idleTimeoutMs);
  }

  /** Says BYE and closes (server shutdown, too many connections). */
  shutdown(text: string): void {
    if (this.closing || this.closed) return;
    this.write(untaggedStatus('BYE', text));
    this.close();
  }

  // ---- SessionTransport ----------------------------------------------------------------------

  write(data: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    // Only what the socket could not send counts: octets gathered this turn are not yet offered.
    const unsent = this.outputPending - this.coalescedBytes;
    if (unsent > this.limits.maxOutputBuffer) {
      this.log.warn({ evt: 'imap.output-overflow', buffered: unsent }, 'client does not read its responses');
      this.destroy();
      return;
    }
    this.coalesced.push(data);
    this.coalescedBytes += data.length;
    if (this.coalescedBytes >= Math.min(COALESCE_BYTES, this.limits.maxOutputBuffer)) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /** Hands the gathered responses to the socket as one write. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.coalesced.length === 0) return;
    const data = this.coalesced.length === 1 ? this.coalesced[0] : Buffer.concat(this.coalesced, this.coalescedBytes);
    this.coalesced = [];
    this.coalescedBytes = 0;
    if (this.closed || this.socket.destroyed) return;
    // One compressor write per burst too: zlib works chunk by chunk, each a round trip to its thread.
    if (this.compression) this.compression.write(data);
    else this.socket.write(data);
  }

  /** Response octets written but not yet sent (before compression, when it is on). */
  private get outputPending(): number {
    return this.coalescedBytes + (this.compression ? this.compression.pending : this.socket.writableLength);
  }

  waitForOutput(): Promise<void> {
    if (this.closed || this.outputPending <= this.limits.maxOutputBuffer) return Promise.resolve();
    this.flush();
    if (this.outputPending <= this.limits.maxOutputBuffer) return Promise.resolve();
    const compression = this.compression;
    if (compression) return compression.waitForDrain().then(() => this.waitForOutput());
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      if (this.drainWaiters.length === 1) this.socket.once('drain', () => this.releaseDrainWaiters());
    });
  }

  readLine(): Promise<Buffer | null> {
    if (this.closed || this.closing) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.lineWaiter = { resolve, reject };
      this.parser.setLineMode(true);
      this.pump();
    });
  }

  async startTls(): Promise<void> {
    // The tagged OK goes out in the clear, before the handshake.
    this.flush();
    const plain = this.socket;
    // Anything pipelined after STARTTLS was sent in the clear: drop it, parser and socket buffer.
    this.parser = new CommandParser(this.parserLimits);
    plain.removeAllListeners('data');
    while (plain.read() !== null);
    this.startedTls = true;
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.secureContext });
    this.socket = secure;
    this.attach(secure);
    try {
      await once(secure, 'secure');
      this.tls = true;
    } catch (error) {
      this.log.info({ evt: 'imap.tls-failed', err: (error as Error).message }, 'TLS handshake failed');
      this.destroy();
    }
  }

  /**
   * Starts COMPRESS=DEFLATE (RFC 4978 §3), right after its tagged OK was written: from here on
   * both directions are compressed. Octets the client sent after the command are already
   * compressed; they are taken back from the parser and inflated first.
   */
  startCompression(): void {
    if (this.compression || this.closed) return;
    // The tagged OK goes out uncompressed.
    this.flush();
    const leftover = this.parser.takeUnconsumed();
    this.compression = new DeflateLayer(this.socket, {
      onInput: (chunk) => {
        this.parser.push(chunk);
        this.pump();
      },
      onError: (error) => {
        this.log.info({ evt: 'imap.compress-error', err: error.message }, 'invalid compressed data');
        this.destroy();
      },
    });
    if (leftover.length > 0) this.compression.input(leftover);
  }

  close(): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.flush();
    if (this.compression) this.compression.end();
    else this.socket.end();
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  }

  // ---- input -------------------------------------------------------------------------------

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      if (this.closing) return;
      this.idleTimer?.refresh();
      if (this.compression) {
        this.compression.input(chunk);
        return;
      }
      this.parser.push(chunk);
      this.pump();
    });
    socket.on('close', () => this.onClose());
    socket.on('error', (error) => {
      this.log.debug({ evt: 'imap.socket-error', err: error.message }, 'socket error');
    });
  }

  /** Pulls parser events while the connection can act on them. Not re-entrant. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && !this.closing) {
        if (this.lineWaiter) {
          const event = this.parser.next();
          if (!event) break;
          this.deliverLine(event);
          continue;
        }
        if (this.busy) break;
        const event = this.parser.next();
        if (!event) break;
        this.handleEvent(event);
      }
    } finally {
      this.pumping = false;
    }
    this.updateFlow();
  }

  private deliverLine(event: ParserEvent): void {
    const waiter = this.lineWaiter!;
    if (event.kind === 'line') {
      this.lineWaiter = null;
      this.parser.setLineMode(false);
      waiter.resolve(event.line);
    } else if (event.kind === 'error') {
      this.lineWaiter = null;
      this.parser.setLineMode(false);
      if (event.fatal) this.fatal(event.text, event.code);
      waiter.reject(imapBad(event.text, event.code));
    }
  }

  private handleEvent(event: ParserEvent): void {
    switch (event.kind) {
      case 'continue':
        this.write(continuation('Ready for literal'));
        return;
      case 'line':
        return;
      case 'error':
        this.onParseError(event);
        return;
      case 'command':
        this.busy = true;
        this.runCommand(event.command)
          .catch((error: unknown) => {
            // executeCommand turns every failure into a reply; reaching here is a bug: drop the client.
            this.log.error({ evt: 'imap.error', err: error }, 'command crashed');
            this.destroy();
          })
          .finally(() => {
            this.busy = false;
            this.pump();
          });
        return;
    }
  }

  /** Paused while a command runs that reads no lines, so input waits in the kernel, not here. */
  private updateFlow(): void {
    if (this.closed) return;
    const paused = this.busy && !this.lineWaiter;
    if (this.compression) {
      if (paused) this.compression.pause();
      else this.compression.resume();
    } else if (paused) {
      this.socket.pause();
    } else {
      this.socket.resume();
    }
  }

  private onParseError(event: Extract<ParserEvent, { kind: 'error' }>): void {
    this.log.info({ evt: 'imap.protocol-error', user: this.session.user, text: event.text, fatal: event.fatal }, 'invalid command');
    if (event.fatal) {
      this.fatal(event.text, event.code);
      return;
    }
    if (event.tag) this.write(tagged(event.tag, 'BAD', event.text, event.code));
    else this.write(untaggedStatus('BAD', event.text, event.code));
    this.countBad();
  }

  private fatal(text: string, code: string | null): void {
    this.write(untaggedStatus('BYE', text, code));
    this.close();
  }

  private countBad(): void {
    if (++this.consecutiveBad >= MAX_CONSECUTIVE_BAD) {
      this.write(untaggedStatus('BYE', 'Too many invalid commands'));
      this.close();
    }
  }

  private async runCommand(command: ParsedCommand): Promise<void> {
    await this.waitForOutput();
    const started = performance.now();
    const outcome = await executeCommand(this.session, command);
    this.write(tagged(command.tag, outcome.status, outcome.text, outcome.code));
    const ms = Math.round((performance.now() - started) * 10) / 10;
    // Every command at debug; at info only what an admin may act on: refusals and slow commands
    // (IDLE and AUTHENTICATE last as long as the client takes, so their time says nothing).
    const slow = ms >= SLOW_COMMAND_MS && !WAITS_FOR_CLIENT.has(command.name);
    // A refusal says why; except for the commands that carry credentials, whose texts might echo them.
    const reason = outcome.status !== 'OK' && !CARRIES_CREDENTIALS.has(command.name) ? { text: outcome.text } : {};
    this.log[outcome.status !== 'OK' || slow ? 'info' : 'debug'](
      { evt: 'imap.command', user: this.session.user, command: command.name, result: outcome.status, ms, ...reason, ...(slow ? { slow } : {}) },
      'command',
    );
    if (outcome.status === 'BAD') this.countBad();
    else this.consecutiveBad = 0;
    if (outcome.status === 'OK' && outcome.after) await outcome.after();
  }

  /**
   * Whether the client already sent, after the running command, one that names messages by
   * sequence number. The parser is not pulled while a command runs, so what it holds unconsumed
   * is the client's next commands; they are looked at (the first 64 KB), never parsed ahead.
   */
  hasQueuedSequenceCommand(): boolean {
    return namesSequenceNumbers(this.parser.peekUnconsumed(LOOKAHEAD_BYTES));
  }

  // ---- ending ------------------------------------------------------------------------------

  private onIdleTimeout(): void {
    this.log.info({ evt: 'imap.idle-timeout', user: this.session.user }, 'idle timeout');
    this.shutdown('Autologout; idle for too long');
  }

  private destroy(): void {
    this.compression?.destroy();
    this.socket.destroy();
  }

  private releaseDrainWaiters(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.compression?.destroy();
    this.releaseDrainWaiters();
    const waiter = this.lineWaiter;
    this.lineWaiter = null;
    waiter?.resolve(null);
    this.session.logout();
    this.log.info({ evt: 'imap.disconnect', user: this.session.user }, 'connection closed');
    this.markClosed();
  }
}

/**
 * Scans raw pipelined input for a command that uses sequence numbers: each command's first line
 * gives `tag name` (or `tag UID name`), and a line ending in a literal announcement
 * (`{n}`, `{n+}`, `{n-}`, `~{n}`) continues the same command after n octets. A command whose
 * first line has not fully arrived still counts when its name has.
 */
function namesSequenceNumbers(input: Buffer): boolean {
  let offset = 0;
  for (let commands = 0; commands < LOOKAHEAD_COMMANDS && offset < input.length; commands++) {
    const words = input.toString('latin1', offset, Math.min(input.length, offset + 64)).split(/[ \r\n]/, 3);
    if (words.length >= 2 && SEQUENCE_COMMANDS.has(words[1].toUpperCase())) return true;
    // Skip to the end of this command, through its literals.
    for (;;) {
      const lineEnd = input.indexOf(0x0a, offset);
      if (lineEnd < 0) return false;
      const literal = /~?\{(\d+)[+-]?\}\r?$/.exec(input.toString('latin1', Math.max(offset, lineEnd - 24), lineEnd));
      offset = lineEnd + 1;
      if (!literal) break;
      offset += Number(literal[1]);
    }
  }
  return false;
}
