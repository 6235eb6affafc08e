/**
 * The default IMAP benchmark set (`npm run bench`): loads the 100,000-message data set if needed
 * (bench/.data, git-ignored; the first load takes minutes), then runs, each against a fresh
 * server child process: command timings, memory, push latency and the load generator. Every
 * section prints its figures and the command that reproduces it alone.
 *
 *   npx tsx bench/imap/index.ts [--messages 100000] [--quick]
 *
 * --quick: 2,000 messages, fewer runs and sessions, 3 s per load level (a smoke run).
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { benchDir, load } from './load.js';
import { printLatency, runLatency } from './latency.js';
import { printLoad, runLoad } from './loadgen.js';
import { printMemory, runMemory } from './memory.js';
import { spawnServer } from './server.js';
import { printTiming, runTimings } from './timings.js';

async function section<T>(title: string, configPath: string, body: (server: Awaited<ReturnType<typeof spawnServer>>) => Promise<T>): Promise<T> {
  process.stdout.write(`\n${title} (load average ${loadavg().map((n) => n.toFixed(1)).join(' ')})\n`);
  const server = await spawnServer(configPath);
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string' }, quick: { type: 'boolean', default: false } } });
  const quick = values.quick;
  const messages = Number(values.messages ?? (quick ? 2000 : 100_000));
  const started = performance.now();
  process.stdout.write(`Bridgehead IMAP benchmarks: ${cpus().length} CPUs, Node ${process.version}, INBOX of ${messages} messages\n`);
  const { configPath } = await load({ messages, dir: benchDir(messages) });
  const m = `--messages ${messages}`;

  await section(`Command timings — npx tsx bench/imap/timings.ts ${m} --runs ${quick ? 1 : 3}`, configPath, (server) =>
    runTimings(server, quick ? 1 : 3, { onResult: printTiming }),
  );
  const sessions = quick ? 3 : 10;
  const idle = quick ? 100 : 1000;
  await section(`Memory — npx tsx bench/imap/memory.ts ${m} --sessions ${sessions} --idle ${idle}`, configPath, async (server) =>
    printMemory(await runMemory(server, { sessions, idle }), messages),
  );
  const count = quick ? 100 : 1000;
  await section(`Push latency — npx tsx bench/imap/latency.ts ${m} --count ${count}`, configPath, async (server) =>
    printLatency(await runLatency(server, count)),
  );
  const seconds = quick ? 3 : 10;
  await section(`Load generator — npx tsx bench/imap/loadgen.ts ${m} --clients 1,10,50 --seconds ${seconds}`, configPath, async (server) => {
    for (const clients of [1, 10, 50]) printLoad(await runLoad(server, clients, seconds));
  });
  process.stdout.write(`\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

await main();
