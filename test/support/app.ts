/**
 * Starting a whole Bridgehead (startApp) for tests: a temporary data folder, a config file in
 * it, every listener on 127.0.0.1 port 0, fast password checks, no log output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { CommandIo } from '../../src/cli/common.js';
import { main } from '../../src/cli/index.js';
import { silentLogger } from '../../src/log.js';
import { Readable, Writable } from 'node:stream';

export interface TestServer {
  app: App;
  config: Config;
  configPath: string;
  dir: string;
  port(name: string): number;
}

/** Writes a config file in dir (ports as given, default 0 = any) and loads it. */
export function writeTestConfig(dir: string, overrides: Record<string, unknown> = {}): { config: Config; configPath: string } {
  const configPath = join(dir, 'config.json');
  const object = {
    hostname: 'mail.example.test',
    dataDir: 'data',
    log: { level: 'silent' },
    auth: { failureDelayMs: 0, maxFailures: 5, windowSeconds: 60, cacheTtlSeconds: 60 },
    ...overrides,
  };
  writeFileSync(configPath, JSON.stringify(object, null, 2));
  const config = loadConfig(configPath);
  // The schema wants real ports; tests let the system choose (port 0).
  for (const listener of [config.smtp.mx, config.smtp.submission, config.smtp.submissions, config.imap.imap, config.imap.imaps]) {
    listener.port = 0;
  }
  return { config, configPath };
}

/**
 * A fresh short temporary folder, removed after the test: tap's t.testdir() paths can exceed
 * the 108 bytes a Unix socket path (the control socket) may have.
 */
export function shortTempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startTestServer(t: Test, dir = shortTempDir(t), overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const { config, configPath } = writeTestConfig(dir, overrides);
  const app = await startApp(config, silentLogger());
  t.teardown(() => app.close());
  return {
    app,
    config,
    configPath,
    dir,
    port(name: string) {
      const listener = app.listeners.find((candidate) => candidate.name === name);
      if (!listener) throw new Error(`no listener ${name}`);
      return listener.port;
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the bridgehead command line in this process, as a user would type it. */
export async function cli(argv: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const io: CommandIo = {
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    env: options.env ?? {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
