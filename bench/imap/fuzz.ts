/**
 * The long fuzz run (the bounded one is test/imap/fuzz.test.ts): random and mutated IMAP sessions
 * (test/imap/fuzz-sessions.ts) against a whole server in a child process, on a data set of its
 * own (bench/.data/fuzz, 500 messages in INBOX), for `--seconds`. After every session a watcher connection must still get its NOOP
 * answered; every 10 seconds the server's heap and RSS are printed, which must stay flat (no
 * unbounded memory). A failure prints the seed and session number, which replay it exactly.
 *
 *   npx tsx bench/imap/fuzz.ts [--seconds 60] [--seed N] [--parallel 4]
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { connect as connectTls } from 'node:tls';
import { parseArgs } from 'node:util';
import { fuzzSession, seededRandom } from '../../test/imap/fuzz-sessions.js';
import { PASSWORD, RawImap, USER, commandLine, dataDir, fmtMb } from './common.js';
import { load } from './load.js';
import { spawnServer } from './server.js';

async function session(port: number, chunks: Buffer[]): Promise<void> {
  const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false });
  socket.on('error', () => {});
  socket.on('data', () => {});
  await once(socket, 'secureConnect');
  for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
  await new Promise((resolve) => setTimeout(resolve, 20));
  socket.destroy();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, parallel: { type: 'string', default: '4' } },
  });
  const seed = Number(values.seed ?? Date.now() % 1_000_000);
  // A data set of its own: fuzzing appends, flags, expunges and renames at random.
  const { configPath } = await load({ messages: 500, dir: dataDir('fuzz') });
  const server = await spawnServer(configPath);
  const watcher = await RawImap.login(server.ports.imaps);
  await watcher.command('SELECT INBOX');
  process.stdout.write(`IMAP fuzzing, seed ${seed} — ${commandLine()}\n`);
  const random = seededRandom(seed);
  const started = performance.now();
  const deadline = started + Number(values.seconds) * 1000;
  let sessions = 0;
  let nextReport = started;
  try {
    while (performance.now() < deadline) {
      const batch = Array.from({ length: Number(values.parallel) }, () => fuzzSession(random, { user: USER, password: PASSWORD }));
      await Promise.all(batch.map((chunks) => session(server.ports.imaps, chunks)));
      sessions += batch.length;
      const reply = await watcher.command('NOOP');
      if (!/ OK /.test(reply.status)) throw new Error(`seed ${seed}, after session ${sessions}: NOOP got ${reply.status}`);
      if (performance.now() >= nextReport) {
        const memory = await server.memory();
        const seconds = ((performance.now() - started) / 1000).toFixed(0);
        process.stdout.write(`  ${seconds} s: ${sessions} sessions, server heap ${fmtMb(memory.heapUsed)}, rss ${fmtMb(memory.rss)}\n`);
        nextReport += 10_000;
      }
    }
    process.stdout.write(`  ${sessions} sessions, the server answered NOOP after every one\n`);
  } finally {
    watcher.close();
    await server.close();
  }
}

await main();
