/**
 * Command timings against the 100,000-message INBOX (issue 3, "Speed and memory"), over loopback
 * IMAPS with a raw socket: the time from writing the command to reading its tagged OK, whole
 * reply included. Each command runs `--runs` times on one session; the first run and the median
 * are printed with their targets.
 *
 *   npx tsx bench/imap/timings.ts [--messages 100000] [--runs 3] [--only REGEXP] [--cpu-prof DIR] [--settle SECONDS]
 */
import { parseArgs } from 'node:util';
import { RawImap, commandLine, fmtMb, fmtMs } from './common.js';
import { benchDir, load } from './load.js';
import { spawnServer, type BenchServer } from './server.js';

export const THUNDERBIRD_HEADERS =
  'UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])';

interface Case {
  name: string;
  command: string;
  targetMs: number;
  /** Runs only when the server advertises this capability. */
  needs?: string;
  /** Whether the session must have INBOX selected first. */
  selected: boolean;
}

export const CASES: Case[] = [
  { name: 'SELECT INBOX', command: 'SELECT INBOX', targetMs: 50, selected: false },
  { name: 'UID FETCH 1:* (FLAGS)', command: 'UID FETCH 1:* (FLAGS)', targetMs: 500, selected: true },
  { name: "Thunderbird's header fetch", command: THUNDERBIRD_HEADERS, targetMs: 3000, selected: true },
  { name: 'UID SEARCH FROM "nakamura"', command: 'UID SEARCH FROM "nakamura"', targetMs: 300, selected: true },
  { name: 'UID SEARCH TEXT "xyzzy" (no match: every message read)', command: 'UID SEARCH TEXT "xyzzy"', targetMs: 2000, selected: true },
  { name: 'UID SEARCH TEXT "invoice"', command: 'UID SEARCH TEXT "invoice"', targetMs: 2000, selected: true },
  { name: 'UID SORT (DATE) UTF-8 ALL', command: 'UID SORT (DATE) UTF-8 ALL', targetMs: 500, needs: 'SORT', selected: true },
  { name: 'UID SORT (REVERSE ARRIVAL) UTF-8 ALL', command: 'UID SORT (REVERSE ARRIVAL) UTF-8 ALL', targetMs: 500, needs: 'SORT', selected: true },
];

export interface Timing {
  name: string;
  command: string;
  targetMs: number;
  runs: number[];
  /** Server CPU time of each run (user + system), ms. */
  cpu: number[];
  bytes: number;
  status: string;
}

export async function runTimings(server: BenchServer, runs: number, options: { only?: RegExp; onResult?: (timing: Timing) => void } = {}): Promise<Timing[]> {
  const client = await RawImap.login(server.ports.imaps);
  const caps = (await client.command('CAPABILITY', { keepText: true })).text ?? '';
  const results: Timing[] = [];
  try {
    for (const item of CASES) {
      if (options.only && !options.only.test(item.name)) continue;
      if (item.needs && !new RegExp(`[ ]${item.needs}[ \\r]`).test(caps)) {
        results.push({ name: item.name, command: item.command, targetMs: item.targetMs, runs: [], cpu: [], bytes: 0, status: `${item.needs} not advertised` });
        continue;
      }
      const timing: Timing = { name: item.name, command: item.command, targetMs: item.targetMs, runs: [], cpu: [], bytes: 0, status: '' };
      for (let run = 0; run < runs; run++) {
        if (item.selected) await client.command('SELECT INBOX');
        const cpuBefore = await server.cpuMs();
        const result = await client.command(item.command);
        timing.cpu.push((await server.cpuMs()) - cpuBefore);
        timing.runs.push(result.ms);
        timing.bytes = result.bytes;
        timing.status = result.status;
      }
      results.push(timing);
      options.onResult?.(timing);
    }
  } finally {
    client.close();
  }
  return results;
}

export function printTimings(results: Timing[]): void {
  for (const result of results) printTiming(result);
}

export function printTiming(result: Timing): void {
  {
    if (result.runs.length === 0) {
      process.stdout.write(`  ${result.name}: skipped (${result.status})\n`);
      return;
    }
    const sorted = [...result.runs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const cpu = [...result.cpu].sort((a, b) => a - b)[Math.floor(result.cpu.length / 2)];
    const verdict = median <= result.targetMs ? 'holds' : 'MISSES';
    const ok = /^\S+ OK/.test(result.status) ? '' : ` [${result.status}]`;
    process.stdout.write(
      `  ${result.name}: first ${fmtMs(result.runs[0])}, median ${fmtMs(median)} of ${result.runs.length} ` +
        `(target ≤ ${fmtMs(result.targetMs)}: ${verdict}); server CPU median ${fmtMs(cpu)}; reply ${fmtMb(result.bytes)}${ok}\n`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '3' },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
      // Seconds between the server's start and the first command: a client connecting a moment
      // after a restart, once the start-up warm-up of listings and search fields (store.warmCaches) has run.
      settle: { type: 'string', default: '0' },
    },
  });
  const messages = Number(values.messages);
  const { configPath } = await load({ messages, dir: benchDir(messages) });
  const server = await spawnServer(configPath, { cpuProfDir: values['cpu-prof'] });
  try {
    process.stdout.write(`IMAP command timings, INBOX of ${messages} messages — ${commandLine()}\n`);
    const only = values.only ? new RegExp(values.only, 'i') : undefined;
    await new Promise((resolve) => setTimeout(resolve, Number(values.settle) * 1000));
    await runTimings(server, Number(values.runs), { only, onResult: printTiming });
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
