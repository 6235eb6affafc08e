/**
 * SORT, ESORT and THREAD timings on a large INBOX (issue 3: "SORT (DATE) ≤ 500 ms" on 100,000
 * messages), in one process: the store is filled straight through `deliver` (concurrent waves,
 * so group commit batches the fsyncs), then an ImapServer on 127.0.0.1 port 0 answers a raw
 * IMAPS client. Each command runs `--runs` times on one session; the first run and the median
 * are printed. Messages are small (about 1 KB): SORT and THREAD read only the per-message meta
 * and summary records, never the bodies, so body size does not change these figures.
 *
 * The mailbox is kept in bench/.data/sort-<n> (git-ignored) and reused by later runs.
 *
 * Subject, address and THREAD keys are read from the store once per message and then kept in
 * memory for every session (src/imap/sort/keys-cache.ts): the first command that needs them
 * (`UID SORT (SUBJECT DATE)` below) pays the read; its "first" figure is the cold cost. Run with
 * `node --expose-gc` to also print the heap those keys take.
 *
 *   npx tsx bench/imap/sort.ts [--messages 100000] [--runs 3]
 *   node --expose-gc --import tsx bench/imap/sort.ts [--messages 100000] [--runs 3]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generate } from 'selfsigned';
import { ImapServer } from '../../src/imap/server.js';
import { silentLogger } from '../../src/log.js';
import { Authenticator } from '../../src/pipeline/auth.js';
import { hashPassword } from '../../src/pipeline/passwords.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { DOMAIN, PASSWORD, RawImap, USER, dataDir, fmtMs } from './common.js';

const WAVE = 256;
const SUBJECTS = ['Quarterly report', 'Lunch on Friday?', 'Invoice 2231', 'Build failed', 'Holiday plans', 'Meeting notes', 'Your order has shipped'];
const PREFIXES = ['', '', '', 'Re: ', 'RE: Re: ', 'Fwd: ', '[team] Re: '];
const PEOPLE = ['Nakamura Aiko <aiko@example.jp>', '"Müller, Jörg" <joerg@example.de>', 'ops@example.org', 'Zoë Adams <zoe@example.com>', 'billing@shop.example'];

/** A deterministic pseudo-random sequence, so every run builds the same mailbox. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

function message(i: number, next: () => number): Buffer {
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
  // Dates over ten years in random order and zones: the Date order differs from arrival order.
  const date = new Date(Date.UTC(2016, 0, 1) + Math.floor(next() * 10 * 365 * 86_400_000));
  const zone = pick(['+0000', '+0100', '-0500', '+0900']);
  const lines = [
    `From: ${pick(PEOPLE)}`,
    `To: ${pick(PEOPLE)}`,
    `Subject: ${pick(PREFIXES)}${pick(SUBJECTS)} ${i % 500}`,
    `Date: ${date.toUTCString().replace('GMT', zone)}`,
    `Message-ID: <m${i}@bench.test>`,
  ];
  if (i > 10 && next() < 0.6) {
    const parent = i - 1 - Math.floor(next() * 10);
    lines.push(`In-Reply-To: <m${parent}@bench.test>`, `References: <m${Math.max(1, parent - 3)}@bench.test> <m${parent}@bench.test>`);
  }
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', `Message ${i}. ${'Lorem ipsum dolor sit amet. '.repeat(30)}`, '');
  return Buffer.from(lines.join('\r\n'));
}

async function fill(store: Store, messages: number): Promise<void> {
  await store.addDomain(DOMAIN);
  await store.createAccount(USER, await hashPassword(PASSWORD, 10));
  const next = random(5256);
  const started = performance.now();
  for (let first = 1; first <= messages; first += WAVE) {
    const wave: Promise<unknown>[] = [];
    for (let i = first; i < Math.min(first + WAVE, messages + 1); i++) {
      wave.push(store.deliver(message(i, next), [{ account: USER, mailbox: 'INBOX' }], { internalDate: Date.UTC(2026, 0, 1) + i * 60_000 }));
    }
    await Promise.all(wave);
    if ((first - 1) % 10_240 === 0) process.stderr.write(`  ${first - 1} messages\r`);
  }
  process.stderr.write(`filled ${messages} messages in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

const COMMANDS = [
  'UID SORT (DATE) UTF-8 ALL',
  'SORT (REVERSE DATE) UTF-8 ALL',
  'UID SORT (REVERSE ARRIVAL) UTF-8 ALL',
  'UID SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 ALL',
  'UID SORT (SUBJECT DATE) UTF-8 ALL',
  'UID SORT (DISPLAYFROM) UTF-8 ALL',
  'UID THREAD ORDEREDSUBJECT UTF-8 ALL',
  'UID THREAD REFERENCES UTF-8 ALL',
];

/** Heap used after a full GC, or null without `--expose-gc`. */
function settledHeap(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' } } });
  const messages = Number(values.messages);
  const runs = Number(values.runs);
  const dir = dataDir(`sort-${messages}`);
  const marker = join(dir, 'loaded.json');
  const store = await openStore({ path: join(dir, 'store') });
  if (!existsSync(marker)) {
    await fill(store, messages);
    writeFileSync(marker, JSON.stringify({ messages, version: 1 }));
  }
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  const server = new ImapServer({
    host: '127.0.0.1',
    port: 0,
    implicitTls: true,
    tls: { key: Buffer.from(pems.private), cert: Buffer.from(pems.cert) },
    store,
    auth: new Authenticator(store, { failureDelayMs: 0 }),
    log: silentLogger(),
    hostname: 'mail.bench.test',
    limits: { maxConnections: 10, idleTimeoutMs: 30 * 60_000, maxLineLength: 65536, maxLiteralSize: 1 << 20, maxMessageSize: 1 << 20, maxOutputBuffer: 1 << 22 },
  });
  const port = await server.listen();
  const client = await RawImap.login(port);
  try {
    const select = await client.command('SELECT INBOX');
    process.stdout.write(`SORT and THREAD on an INBOX of ${messages} messages — npx tsx bench/imap/sort.ts --messages ${messages} --runs ${runs}\n`);
    process.stdout.write(`  SELECT INBOX: ${fmtMs(select.ms)}\n`);
    const heapBefore = settledHeap();
    for (const command of COMMANDS) {
      const times: number[] = [];
      let status = '';
      let bytes = 0;
      for (let run = 0; run < runs; run++) {
        const result = await client.command(command);
        times.push(result.ms);
        status = result.status;
        bytes = result.bytes;
      }
      const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
      const ok = /^B\d+ OK/.test(status) ? '' : ` [${status}]`;
      process.stdout.write(`  ${command}: first ${fmtMs(times[0])}, median ${fmtMs(median)} of ${runs}; reply ${(bytes / 1e6).toFixed(1)} MB${ok}\n`);
    }
    const heapAfter = settledHeap();
    if (heapBefore !== null && heapAfter !== null) {
      process.stdout.write(`  heap kept after the commands (the shared sort keys): ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB\n`);
    }
  } finally {
    client.close();
    await server.close();
    await store.close();
  }
}

await main();
