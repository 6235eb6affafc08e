/**
 * Push latency (issue 3): from the end of SMTP DATA (the client writing `CRLF.CRLF` on the MX
 * listener) to the `* n EXISTS` an IDLE session receives, over loopback, for `--count` messages
 * sent one after another. Percentiles are printed; the target is p99 ≤ 10 ms. The SMTP 250
 * latency is printed too (the store's synced write is in it; EXISTS follows the same write).
 *
 * The messages land in idle19@bench.test's INBOX and are expunged afterwards, so runs repeat.
 *
 *   npx tsx bench/imap/latency.ts [--messages 100000] [--count 1000]
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RawImap, commandLine, fmtMs, percentile } from './common.js';
import { IDLE_ACCOUNTS, benchDir, corpus, idleUser, load, variant } from './load.js';
import { spawnServer, type BenchServer } from './server.js';

/** A minimal SMTP client: one line per reply is enough for this server's MX replies. */
class Smtp {
  private buffer = '';
  private waiter: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.waiter?.();
    });
  }

  static async connect(port: number): Promise<Smtp> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    const smtp = new Smtp(socket);
    await smtp.reply();
    return smtp;
  }

  /** The next complete reply (last line `nnn text`). */
  async reply(): Promise<string> {
    for (;;) {
      const match = /^(\d{3}) .*\r\n/m.exec(this.buffer);
      if (match) {
        const end = match.index + match[0].length;
        const reply = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end);
        return reply;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
  }

  async command(line: string, expect: RegExp): Promise<string> {
    this.socket.write(`${line}\r\n`);
    const reply = await this.reply();
    if (!expect.test(reply)) throw new Error(`SMTP ${line.split(' ')[0]}: ${reply.trim()}`);
    return reply;
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Dot-stuffs a CRLF message for DATA (RFC 5321 §4.5.2). */
function dotStuff(message: Buffer): Buffer {
  return Buffer.from(message.toString('latin1').replace(/^\./gm, '..'), 'latin1');
}

export interface LatencyResult {
  exists: number[];
  accepted: number[];
  /** EXISTS arrival minus 250 arrival: the push path alone, without the synced write both wait for. */
  afterAccepted: number[];
}

export async function runLatency(server: BenchServer, count: number): Promise<LatencyResult> {
  const user = idleUser(IDLE_ACCOUNTS - 1);
  const imap = await RawImap.login(server.ports.imaps, user);
  const smtp = await Smtp.connect(server.ports.mx);
  const messages = corpus();
  const result: LatencyResult = { exists: [], accepted: [], afterAccepted: [] };
  try {
    const select = await imap.command('SELECT INBOX', { keepText: true });
    const uidNext = Number(/UIDNEXT (\d+)/.exec(select.text ?? '')?.[1]);
    await smtp.command('EHLO bench.client', /^250/);
    const tag = await imap.idle();
    for (let i = 0; i < count; i++) {
      await smtp.command('MAIL FROM:<sender@example.net>', /^250/);
      await smtp.command(`RCPT TO:<${user}>`, /^250/);
      await smtp.command('DATA', /^354/);
      smtp.write(dotStuff(variant(messages, i, `lat${Date.now()}-`)));
      const pushed = imap.waitFor(/^\* \d+ EXISTS\r\n/m, 10_000);
      const accepted = smtp.reply();
      const start = performance.now();
      smtp.write('\r\n.\r\n');
      const [existsAt, acceptedAt] = await Promise.all([
        pushed.then(() => performance.now()),
        accepted.then((reply) => {
          if (!/^250/.test(reply)) throw new Error(`DATA: ${reply.trim()}`);
          return performance.now();
        }),
      ]);
      result.exists.push(existsAt - start);
      result.accepted.push(acceptedAt - start);
      result.afterAccepted.push(existsAt - acceptedAt);
    }
    imap.write('DONE\r\n');
    await imap.waitFor(new RegExp(`^${tag} OK`, 'm'));
    // Leave the mailbox as loaded.
    await imap.command(`UID STORE ${uidNext}:* +FLAGS.SILENT (\\Deleted)`);
    await imap.command(`UID EXPUNGE ${uidNext}:*`);
  } finally {
    smtp.close();
    imap.close();
  }
  return result;
}

export function printLatency(result: LatencyResult): void {
  const show = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `p50 ${fmtMs(percentile(sorted, 50))}, p90 ${fmtMs(percentile(sorted, 90))}, p99 ${fmtMs(percentile(sorted, 99))}, max ${fmtMs(sorted[sorted.length - 1])}`;
  };
  const p99 = percentile([...result.exists].sort((a, b) => a - b), 99);
  process.stdout.write(
    `  end of DATA → * n EXISTS in IDLE (${result.exists.length} messages): ${show(result.exists)} ` +
      `(target p99 ≤ 10 ms: ${p99 <= 10 ? 'holds' : 'MISSES'})\n`,
  );
  process.stdout.write(`  end of DATA → SMTP 250 (includes the synced write): ${show(result.accepted)}\n`);
  process.stdout.write(`  SMTP 250 → * n EXISTS (the push path alone; negative: EXISTS came first): ${show(result.afterAccepted)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' }, count: { type: 'string', default: '1000' } } });
  const messages = Number(values.messages);
  const { configPath } = await load({ messages, dir: benchDir(messages) });
  const server = await spawnServer(configPath);
  try {
    process.stdout.write(`Push latency — ${commandLine()}\n`);
    printLatency(await runLatency(server, Number(values.count)));
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
