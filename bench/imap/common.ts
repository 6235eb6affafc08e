/**
 * What the IMAP benchmarks share: where their data lives (bench/.data, git-ignored by a
 * `.gitignore` of its own), the realistic corpus (../shared/tools/gen_mbox.py, relative to the
 * repository, so a clean clone next to shared/ works), the config of the benchmark server, and a
 * lean raw-socket IMAP client that counts octets instead of building strings, so that reading a
 * 100,000-line reply measures the server and not the client.
 *
 * Benchmarks are not tests (STYLE.md): they print figures and the command that produced them.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as connectPlain, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect as connectTls } from 'node:tls';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA = join(REPO, 'bench', '.data');
export const GENERATOR = resolve(REPO, '../shared/tools/gen_mbox.py');

export const DOMAIN = 'bench.test';
export const USER = `bench@${DOMAIN}`;
export const PASSWORD = 'bench password';
/** The account the load generator works on (its own, so the 100k INBOX stays as loaded). */
export const LOAD_USER = `load@${DOMAIN}`;

/** Creates bench/.data with a .gitignore that ignores everything in it. */
export function dataDir(...parts: string[]): string {
  mkdirSync(DATA, { recursive: true });
  const ignore = join(DATA, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  const dir = join(DATA, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The generated corpus (cached in bench/.data/corpus): `count` messages from `seed`. */
export function corpusPath(count: number, seed: number): string {
  const path = join(dataDir('corpus'), `seed-${seed}-${count}.mbox`);
  if (!existsSync(path)) {
    if (!existsSync(GENERATOR)) throw new Error(`corpus generator not found at ${GENERATOR}`);
    process.stderr.write(`generating ${count} messages with ${GENERATOR} (takes a while, cached afterwards)\n`);
    execFileSync('python3', [GENERATOR, `${path}.tmp`, String(count), String(seed)], { stdio: 'inherit' });
    execFileSync('mv', [`${path}.tmp`, path]);
  }
  return path;
}

/** The messages of an mbox file (mboxo/mboxrd: ">From " unescaped one level), with CRLF endings. */
export function readMbox(path: string): Buffer[] {
  const text = readFileSync(path, 'latin1');
  const messages: Buffer[] = [];
  for (const chunk of text.split(/^From .*\n/m)) {
    if (chunk.length === 0) continue;
    const body = chunk
      .replace(/\n$/, '')
      .replace(/^>(>*From )/gm, '$1')
      .replace(/\r?\n/g, '\r\n');
    messages.push(Buffer.from(body, 'latin1'));
  }
  return messages;
}

/** config.json for the benchmark server: every listener on 127.0.0.1 port 0, quiet, no DNS. */
export function benchConfigObject(dir: string): Record<string, unknown> {
  // Distinct placeholder ports (the schema refuses duplicates); the server binds port 0 instead.
  const listener = (port: number, enabled = true) => ({ enabled, host: '127.0.0.1', port });
  return {
    hostname: 'mail.bench.test',
    dataDir: join(dir, 'data'),
    log: { level: 'silent' },
    smtp: { mx: listener(1), submission: listener(2, false), submissions: listener(3, false), maxConnections: 2000 },
    imap: { maxConnections: 5000, imap: listener(4), imaps: listener(5) },
    auth: { failureDelayMs: 0, maxFailures: 1000, windowSeconds: 60, cacheTtlSeconds: 3600 },
    quota: { defaultBytes: 0 },
    dns: { staticOnly: true },
    mailauth: { enabled: false },
  };
}

export function writeBenchConfig(dir: string): string {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(benchConfigObject(dir), null, 2));
  return path;
}

export interface CommandResult {
  ms: number;
  /** Octets of the whole reply, untagged responses and tagged line. */
  bytes: number;
  /** The tagged line. */
  status: string;
  /** The reply as text, when it was asked for (small replies only). */
  text?: string;
}

/**
 * A raw IMAP client for measurements. Replies are scanned for the tagged line at the end of each
 * chunk only (tags are unique and never occur inside message data here), so a 100 MB reply costs
 * the client almost nothing.
 */
export class RawImap {
  private socket: Socket;
  private chunks: Buffer[] = [];
  private received = 0;
  private onData: (() => void) | null = null;
  private closed = false;
  private tagCounter = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.received += chunk.length;
      this.onData?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.onData?.();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, options: { tls: boolean } = { tls: true }): Promise<RawImap> {
    const socket = options.tls
      ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : connectPlain({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    await once(socket, options.tls ? 'secureConnect' : 'connect');
    const client = new RawImap(socket);
    await client.readUntil((text) => text.includes('\r\n'));
    client.take();
    return client;
  }

  static async login(port: number, user = USER, options: { tls: boolean } = { tls: true }): Promise<RawImap> {
    const client = await RawImap.connect(port, options);
    const result = await client.command(`LOGIN ${user} "${PASSWORD}"`);
    if (!/ OK /.test(result.status)) throw new Error(`login failed: ${result.status}`);
    return client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private take(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [];
    return all;
  }

  /** Waits until `done` holds for the text of the last chunk joined to its predecessor. */
  private readUntil(done: (tail: string) => boolean, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.onData = null;
        reject(new Error('timed out waiting for the server'));
      }, timeoutMs);
      const check = (): void => {
        // The last chunk and the end of the one before: a short line may straddle two chunks.
        const last = this.chunks.length;
        let tail = last === 0 ? '' : this.chunks[last - 1].toString('latin1', Math.max(0, this.chunks[last - 1].length - 4096));
        if (last > 1 && tail.length < 4096) {
          const previous = this.chunks[last - 2];
          tail = previous.toString('latin1', Math.max(0, previous.length - 1024)) + tail;
        }
        if (done(tail)) {
          clearTimeout(timer);
          this.onData = null;
          resolvePromise();
        } else if (this.closed) {
          clearTimeout(timer);
          this.onData = null;
          reject(new Error('connection closed'));
        }
      };
      this.onData = check;
      check();
    });
  }

  /** Sends a command with a fresh tag and waits for its tagged reply. */
  async command(line: string, options: { keepText?: boolean } = {}): Promise<CommandResult> {
    const tag = `B${++this.tagCounter}`;
    const start = performance.now();
    const before = this.received - this.pendingBytes();
    this.socket.write(`${tag} ${line}\r\n`);
    const marker = `${tag} `;
    const found = (tail: string): boolean => {
      const at = tail.lastIndexOf(marker);
      return at >= 0 && (at === 0 || tail[at - 1] === '\n') && tail.endsWith('\r\n');
    };
    await this.readUntil(found);
    const ms = performance.now() - start;
    const data = this.take();
    const text = data.toString('latin1');
    const at = text.lastIndexOf(`\n${marker}`);
    const status = (at >= 0 ? text.slice(at + 1) : text).trim();
    const result: CommandResult = { ms, bytes: this.received - before, status };
    if (options.keepText) result.text = text;
    return result;
  }

  private pendingBytes(): number {
    let n = 0;
    for (const chunk of this.chunks) n += chunk.length;
    return n;
  }

  /** Sends raw text without waiting (IDLE's DONE, pipelined input). */
  write(text: string): void {
    this.socket.write(text);
  }

  /** Waits for a line matching `pattern` and returns the text received up to it. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    await this.readUntil((tail) => pattern.test(tail), timeoutMs);
    return this.take().toString('latin1');
  }

  /** Starts IDLE; resolves once the server says `+`. */
  async idle(): Promise<string> {
    const tag = `B${++this.tagCounter}`;
    this.socket.write(`${tag} IDLE\r\n`);
    await this.waitFor(/^\+ /m);
    return tag;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

export function fmtMb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The command line that reproduces this run, printed with every figure. */
export function commandLine(): string {
  const script = process.argv[1] ? process.argv[1].replace(`${REPO}/`, '') : '';
  return ['npx tsx', script, ...process.argv.slice(2)].join(' ');
}
