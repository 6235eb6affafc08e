/**
 * Fills the benchmark data folder straight through the store (openStore + deliver in concurrent
 * waves, so group commit batches the fsyncs), no network involved:
 *
 * - bench@bench.test: an INBOX of `--messages` (default 100,000) realistic messages of 2-50 KB,
 *   mixed MIME, from gen_mbox.py's corpus. The corpus holds a few thousand distinct messages;
 *   each delivered copy gets its own Message-ID (and so its own blob: nothing is deduplicated
 *   that would not be in a real mailbox), internal dates one minute apart, and a realistic flag
 *   mix (mostly \Seen, some \Answered, \Flagged, $Forwarded).
 * - load@bench.test: an INBOX of 2,000 messages for the load generator (loadgen.ts).
 * - idle0..idle19@bench.test: INBOXes of 200 messages for the 1,000 IDLE sessions (memory.ts).
 *
 * A marker file records what was loaded; a second run with the same arguments does nothing.
 *
 *   npx tsx bench/imap/load.ts [--messages 100000] [--dir bench/.data/imap-100k]
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { storePath } from '../../src/config/paths.js';
import { loadConfig } from '../../src/config/load.js';
import { hashPassword } from '../../src/pipeline/passwords.js';
import { openStore } from '../../src/store/index.js';
import type { LevelStore } from '../../src/store/level/index.js';
import { DOMAIN, LOAD_USER, PASSWORD, USER, corpusPath, dataDir, readMbox, writeBenchConfig } from './common.js';

export const IDLE_ACCOUNTS = 20;
export const IDLE_MESSAGES = 200;
export const LOAD_MESSAGES = 2000;
const WAVE = 256;
const MIN_SIZE = 2 * 1024;
const MAX_SIZE = 50 * 1024;
const CORPUS_COUNT = 4000;
const CORPUS_SEED = 42;

export function idleUser(index: number): string {
  return `idle${index}@${DOMAIN}`;
}

/** The default data folder of a mailbox size. */
export function benchDir(messages: number): string {
  return dataDir(messages % 1000 === 0 ? `imap-${messages / 1000}k` : `imap-${messages}`);
}

/** Corpus messages within the 2-50 KB the issue asks for. */
export function corpus(): Buffer[] {
  const all = readMbox(corpusPath(CORPUS_COUNT, CORPUS_SEED));
  return all.filter((message) => message.length >= MIN_SIZE && message.length <= MAX_SIZE);
}

/** Copy `n` of the corpus: its own Message-ID, so its own blob. */
export function variant(messages: Buffer[], n: number, tag: string): Buffer {
  const base = messages[n % messages.length];
  const text = base.toString('latin1');
  const replaced = text.replace(/^(Message-ID:\s*<)/im, `$1${tag}${n}.`);
  return Buffer.from(replaced === text ? `Message-ID: <${tag}${n}@bench.test>\r\n${text}` : replaced, 'latin1');
}

/** A flag mix like a real INBOX: most read, some answered, flagged, forwarded. */
function flagsFor(n: number, total: number): string[] {
  const flags: string[] = [];
  // The newest 2% are unread, and a scattering of older ones.
  if (n < total * 0.98 && n % 37 !== 0) flags.push('\\Seen');
  if (n % 11 === 0) flags.push('\\Answered');
  if (n % 53 === 0) flags.push('\\Flagged');
  if (n % 97 === 0) flags.push('$Forwarded');
  return flags;
}

async function deliverWaves(
  store: LevelStore,
  count: number,
  make: (n: number) => { raw: Buffer; targets: Array<{ account: string; mailbox: string; flags: string[] }>; internalDate: number },
  label: string,
): Promise<void> {
  const started = performance.now();
  for (let start = 0; start < count; start += WAVE) {
    const wave: Array<Promise<unknown>> = [];
    for (let n = start; n < Math.min(count, start + WAVE); n++) {
      const { raw, targets, internalDate } = make(n);
      wave.push(store.deliver(raw, targets, { internalDate }));
    }
    await Promise.all(wave);
    if ((start / WAVE) % 40 === 0 || start + WAVE >= count) {
      const done = Math.min(count, start + WAVE);
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(`${label}: ${done}/${count} in ${seconds.toFixed(1)} s (${Math.round(done / seconds)}/s)\n`);
    }
  }
}

export async function load(options: { messages: number; dir: string }): Promise<{ configPath: string }> {
  const configPath = writeBenchConfig(options.dir);
  const marker = join(options.dir, 'loaded.json');
  const wanted = JSON.stringify({ messages: options.messages, idle: IDLE_ACCOUNTS * IDLE_MESSAGES, load: LOAD_MESSAGES, version: 3 });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return { configPath };

  const config = loadConfig(configPath);
  rmSync(config.dataDir, { recursive: true, force: true });
  const messages = corpus();
  process.stderr.write(`corpus: ${messages.length} distinct messages of 2-50 KB\n`);
  const store = await openStore({ path: storePath(config) });
  try {
    const hash = await hashPassword(PASSWORD, 10);
    await store.addDomain(DOMAIN);
    const accounts = [USER, LOAD_USER, ...Array.from({ length: IDLE_ACCOUNTS }, (_, i) => idleUser(i))];
    for (const account of accounts) await store.createAccount(account, hash);
    const base = Date.UTC(2024, 0, 1);
    await deliverWaves(
      store,
      options.messages,
      (n) => ({
        raw: variant(messages, n, 'b'),
        targets: [{ account: USER, mailbox: 'INBOX', flags: flagsFor(n, options.messages) }],
        internalDate: base + n * 60_000,
      }),
      USER,
    );
    await deliverWaves(
      store,
      LOAD_MESSAGES,
      (n) => ({
        raw: variant(messages, n, 'l'),
        targets: [{ account: LOAD_USER, mailbox: 'INBOX', flags: flagsFor(n, LOAD_MESSAGES) }],
        internalDate: base + n * 60_000,
      }),
      LOAD_USER,
    );
    // Every idle account gets the same messages: one blob each, as a mailing list's copies.
    await deliverWaves(
      store,
      IDLE_MESSAGES,
      (n) => ({
        raw: variant(messages, n, 'i'),
        targets: Array.from({ length: IDLE_ACCOUNTS }, (_, i) => ({ account: idleUser(i), mailbox: 'INBOX', flags: flagsFor(n, IDLE_MESSAGES) })),
        internalDate: base + n * 60_000,
      }),
      'idle accounts',
    );
    const inbox = await store.getMailbox(USER, 'INBOX');
    process.stderr.write(`INBOX of ${USER}: ${inbox?.messages} messages, ${((inbox?.size ?? 0) / 1024 / 1024).toFixed(0)} MB\n`);
  } finally {
    await store.close();
  }
  writeFileSync(marker, wanted);
  return { configPath };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' }, dir: { type: 'string' } } });
  const messages = Number(values.messages);
  const dir = values.dir ?? benchDir(messages);
  const started = performance.now();
  const { configPath } = await load({ messages, dir });
  process.stdout.write(`loaded ${messages} messages into ${dir} (config ${configPath}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
