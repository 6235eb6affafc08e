/**
 * Load generator (issue 3): `imapflow` clients doing a mixed workload on one shared INBOX of
 * 2,000 messages (load@bench.test), for `--seconds` at each client count (default 1, 10, 50).
 * Each client loops over: SELECT, FETCH (flags, size and envelope of the newest 20), STORE (toggle
 * \Flagged on a random message), APPEND (a corpus message), SEARCH (FROM), IDLE (until the next
 * command breaks it), and EXPUNGE of the message it appended (STORE \Deleted + UID EXPUNGE), so
 * the mailbox keeps its size. Operations per second are printed in all and per kind.
 *
 *   npx tsx bench/imap/loadgen.ts [--messages 100000] [--clients 1,10,50] [--seconds 10] [--cpu-prof DIR]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import { LOAD_USER, PASSWORD, commandLine } from './common.js';
import { LOAD_MESSAGES, benchDir, corpus, load, variant } from './load.js';
import { spawnServer, type BenchServer } from './server.js';

const KINDS = ['SELECT', 'FETCH', 'STORE', 'APPEND', 'SEARCH', 'IDLE', 'EXPUNGE'] as const;
type Kind = (typeof KINDS)[number];

export interface LoadResult {
  clients: number;
  seconds: number;
  counts: Record<Kind, number>;
  errors: number;
}

async function client(port: number): Promise<ImapFlow> {
  const flow = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: LOAD_USER, pass: PASSWORD },
    logger: false,
    disableAutoIdle: true,
  });
  flow.on('error', () => {});
  await flow.connect();
  return flow;
}

async function worker(flow: ImapFlow, until: number, counts: Record<Kind, number>, seed: number, messages: Buffer[]): Promise<void> {
  let n = seed;
  const count = (kind: Kind) => counts[kind]++;
  while (performance.now() < until) {
    const mailbox = await flow.mailboxOpen('INBOX');
    count('SELECT');
    const exists = mailbox.exists;
    if (exists > 0) {
      for await (const message of flow.fetch(`${Math.max(1, exists - 19)}:*`, { uid: true, flags: true, size: true, envelope: true })) {
        void message;
      }
      count('FETCH');
      const target = 1 + ((n * 7919) % exists);
      await flow.messageFlagsAdd(String(target), ['\\Flagged']);
      count('STORE');
    }
    const appended = await flow.append('INBOX', variant(messages, n++, `load${seed}-`), ['\\Seen']);
    count('APPEND');
    await flow.search({ from: 'smith' }, { uid: true });
    count('SEARCH');
    const idling = flow.idle();
    count('IDLE');
    if (appended && typeof appended === 'object' && appended.uid) {
      // The next command ends IDLE (imapflow sends DONE first).
      await flow.messageDelete(String(appended.uid), { uid: true });
      count('EXPUNGE');
    }
    await idling;
  }
}

export async function runLoad(server: BenchServer, clients: number, seconds: number): Promise<LoadResult> {
  const messages = corpus();
  const counts = Object.fromEntries(KINDS.map((kind) => [kind, 0])) as Record<Kind, number>;
  const flows = await Promise.all(Array.from({ length: clients }, () => client(server.ports.imaps)));
  let errors = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    flows.map((flow, i) =>
      worker(flow, until, counts, i * 100_000 + Math.floor(Math.random() * 50_000), messages).catch(() => {
        errors++;
      }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(flows.map((flow) => flow.logout().catch(() => flow.close())));
  return { clients, seconds: elapsed, counts, errors };
}

export function printLoad(result: LoadResult): void {
  const total = KINDS.reduce((sum, kind) => sum + result.counts[kind], 0);
  const perKind = KINDS.map((kind) => `${kind} ${(result.counts[kind] / result.seconds).toFixed(0)}`).join(', ');
  process.stdout.write(
    `  ${String(result.clients).padStart(2)} clients: ${(total / result.seconds).toFixed(0)} ops/s (${perKind})` +
      `${result.errors ? `, ${result.errors} clients failed` : ''}\n`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      clients: { type: 'string', default: '1,10,50' },
      seconds: { type: 'string', default: '10' },
      'cpu-prof': { type: 'string' },
    },
  });
  const messages = Number(values.messages);
  const { configPath } = await load({ messages, dir: benchDir(messages) });
  const server = await spawnServer(configPath, { cpuProfDir: values['cpu-prof'] });
  try {
    process.stdout.write(`Mixed-workload load generator (imapflow, INBOX of ${LOAD_MESSAGES} messages) — ${commandLine()}\n`);
    for (const clients of values.clients.split(',').map(Number)) printLoad(await runLoad(server, clients, Number(values.seconds)));
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
