/**
 * Starting a Bridgehead for the benchmarks: a fresh data folder, no DNS, and quiet logs unless
 * `--log <level>` asks for them (then pino writes its lines synchronously to /dev/null, as it
 * writes to stdout in production, so the cost of logging is measured and nothing is printed).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';

/** The `--log <level>` argument, or null for silent logs. */
export function logLevelArg(): string | null {
  const index = process.argv.indexOf('--log');
  return index >= 0 ? process.argv[index + 1] : null;
}

export async function startBenchServer(overrides: Record<string, unknown> = {}): Promise<{ app: App; port(name: string): number; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bh-bench-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({
    hostname: 'bench.example.test',
    dataDir: 'data',
    log: { level: logLevelArg() ?? 'silent' },
    smtp: { maxConnections: 1000 },
    mailauth: { enabled: false },
    dns: { staticOnly: true },
    ...overrides,
  }));
  const config = loadConfig(configPath);
  for (const listener of [config.smtp.mx, config.smtp.submission, config.smtp.submissions, config.imap.imap, config.imap.imaps]) listener.port = 0;
  const level = logLevelArg();
  const log = level ? pino({ level }, pino.destination({ dest: '/dev/null', sync: true })) : silentLogger();
  const app = await startApp(config, log);
  return {
    app,
    port(name) {
      const listener = app.listeners.find((candidate) => candidate.name === name);
      if (!listener) throw new Error(`no listener ${name}`);
      return listener.port;
    },
    async cleanup() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** The value after `--name`, or null when the argument is absent. */
export function stringArg(name: string): string | null {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? null) : null;
}
