/**
 * Server memory (issue 3): the server runs in a child process (server.ts) and reports its own
 * RSS and V8 heap after a full GC; the figures are differences between two such readings.
 *
 * - The start-up warm-up (listings and SEARCH fields of the largest mailboxes, loaded in the
 *   background once the server is up): the difference between a reading right after start and
 *   one `--settle` seconds later. The session figures are taken after it, so that it is not
 *   counted as theirs.
 * - Sessions with the 100,000-message INBOX selected (target ≤ 20 MB each): one session first
 *   (its delta includes what the server shares between every session on that mailbox), then
 *   `--sessions` more, whose delta divided by their number is the cost of each further session.
 * - 1,000 concurrent IDLE sessions (target ≤ 100 MB in all): IMAPS logins spread over the 20
 *   idle accounts (200-message INBOXes), each with INBOX selected and in IDLE; realistic for
 *   1,000 users' clients waiting for mail. TLS state is part of what is measured.
 *
 *   npx tsx bench/imap/memory.ts [--messages 100000] [--sessions 10] [--idle 1000] [--settle 5]
 */
import { parseArgs } from 'node:util';
import { RawImap, commandLine, fmtMb } from './common.js';
import { IDLE_ACCOUNTS, benchDir, idleUser, load } from './load.js';
import { spawnServer, type BenchServer, type MemoryFigures } from './server.js';

export interface MemoryResult {
  warmUp: MemoryFigures;
  firstSession: MemoryFigures;
  perSession: MemoryFigures;
  sessions: number;
  idle: MemoryFigures;
  idleSessions: number;
}

function delta(after: MemoryFigures, before: MemoryFigures, divisor = 1): MemoryFigures {
  return {
    rss: (after.rss - before.rss) / divisor,
    heapUsed: (after.heapUsed - before.heapUsed) / divisor,
    external: (after.external - before.external) / divisor,
    arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / divisor,
  };
}

async function selected(port: number): Promise<RawImap> {
  const client = await RawImap.login(port);
  const result = await client.command('SELECT INBOX');
  if (!/ OK /.test(result.status)) throw new Error(`SELECT failed: ${result.status}`);
  return client;
}

export async function runMemory(server: BenchServer, options: { sessions: number; idle: number; settleSeconds?: number }): Promise<MemoryResult> {
  const port = server.ports.imaps;
  const clients: RawImap[] = [];
  try {
    const started = await server.memory();
    await new Promise((resolve) => setTimeout(resolve, (options.settleSeconds ?? 5) * 1000));
    const warmed = await server.memory();
    // A session that logs in and selects nothing: connection, TLS and login costs are not counted below.
    clients.push(await RawImap.login(port));
    const base = await server.memory();
    clients.push(await selected(port));
    const one = await server.memory();
    for (let i = 0; i < options.sessions; i++) clients.push(await selected(port));
    const many = await server.memory();
    for (const client of clients.splice(0)) client.close();
    await new Promise((resolve) => setTimeout(resolve, 500));

    const beforeIdle = await server.memory();
    const waves = 50;
    for (let start = 0; start < options.idle; start += waves) {
      const wave = [];
      for (let i = start; i < Math.min(options.idle, start + waves); i++) {
        wave.push(
          (async () => {
            const client = await RawImap.login(port, idleUser(i % IDLE_ACCOUNTS));
            await client.command('SELECT INBOX');
            await client.idle();
            return client;
          })(),
        );
      }
      clients.push(...(await Promise.all(wave)));
    }
    const idle = await server.memory();
    return {
      warmUp: delta(warmed, started),
      firstSession: delta(one, base),
      perSession: delta(many, one, options.sessions),
      sessions: options.sessions,
      idle: delta(idle, beforeIdle),
      idleSessions: options.idle,
    };
  } finally {
    for (const client of clients) client.close();
  }
}

function line(figures: MemoryFigures): string {
  return `heap ${fmtMb(figures.heapUsed)}, rss ${fmtMb(figures.rss)}, buffers ${fmtMb(figures.arrayBuffers)}`;
}

export function printMemory(result: MemoryResult, messages: number): void {
  const worst = (figures: MemoryFigures) => Math.max(figures.rss, figures.heapUsed + figures.arrayBuffers);
  const verdict = (value: number, limit: number) => (value <= limit * 1024 * 1024 ? 'holds' : 'MISSES');
  process.stdout.write(`  start-up warm-up (listings and SEARCH fields, shared by every session): ${line(result.warmUp)}\n`);
  process.stdout.write(`  first session selecting the ${messages}-message INBOX (includes what all sessions share): ${line(result.firstSession)}\n`);
  process.stdout.write(
    `  each further session (${result.sessions} measured): ${line(result.perSession)} ` +
      `(target ≤ 20 MB: ${verdict(worst(result.perSession), 20)})\n`,
  );
  process.stdout.write(
    `  ${result.idleSessions} IDLE sessions (IMAPS, 200-message INBOXes): ${line(result.idle)} ` +
      `(target ≤ 100 MB in all: ${verdict(worst(result.idle), 100)})\n`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      sessions: { type: 'string', default: '10' },
      idle: { type: 'string', default: '1000' },
      settle: { type: 'string', default: '5' },
    },
  });
  const messages = Number(values.messages);
  const { configPath } = await load({ messages, dir: benchDir(messages) });
  const server = await spawnServer(configPath);
  try {
    process.stdout.write(`IMAP server memory — ${commandLine()}\n`);
    printMemory(await runMemory(server, { sessions: Number(values.sessions), idle: Number(values.idle), settleSeconds: Number(values.settle) }), messages);
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
