/**
 * The benchmark server: a whole Bridgehead (startApp) on a loaded data folder, in a child process
 * of its own so that its memory is measured alone. Every listener binds 127.0.0.1 port 0; the
 * ports go to the parent over IPC. The parent asks for memory figures ('mem', after a full GC
 * when --expose-gc is on) and ends it with 'close'.
 *
 * Parent side: spawnServer() below.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';

export interface ServerPorts {
  imap: number;
  imaps: number;
  mx: number;
}

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

type Request = { id: number; cmd: 'mem' | 'cpu' | 'close' };

async function child(configPath: string): Promise<void> {
  const config = loadConfig(configPath);
  for (const listener of [config.smtp.mx, config.smtp.submission, config.smtp.submissions, config.imap.imap, config.imap.imaps]) {
    listener.port = 0;
  }
  const app = await startApp(config, silentLogger());
  const port = (name: string) => app.listeners.find((listener) => listener.name === name)?.port ?? 0;
  const ports: ServerPorts = { imap: port('imap.imap'), imaps: port('imap.imaps'), mx: port('smtp.mx') };
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message: Request) => {
    if (message.cmd === 'mem') {
      if (gc) {
        gc();
        gc();
      }
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      process.send!({ id: message.id, mem: { rss, heapUsed, external, arrayBuffers } });
    } else if (message.cmd === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send!({ id: message.id, cpuMs: (user + system) / 1000 });
    } else if (message.cmd === 'close') {
      void app.close().then(() => {
        process.send!({ id: message.id, closed: true });
        process.exit(0);
      });
    }
  });
  process.send!({ ready: ports });
}

export interface BenchServer {
  ports: ServerPorts;
  pid: number;
  memory(): Promise<MemoryFigures>;
  /** CPU time the server process has used so far (user + system), ms: robust on a busy machine. */
  cpuMs(): Promise<number>;
  close(): Promise<void>;
}

/** Starts the server child on a loaded data folder; `cpuProfDir` writes a --cpu-prof profile there. */
export async function spawnServer(configPath: string, options: { cpuProfDir?: string } = {}): Promise<BenchServer> {
  const execArgv = ['--import', 'tsx', '--expose-gc'];
  if (options.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  const proc: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child', configPath], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [first] = (await once(proc, 'message')) as [{ ready?: ServerPorts }];
  if (!first.ready) throw new Error('benchmark server did not start');
  let nextId = 0;
  const ask = <T>(cmd: Request['cmd'], pick: (reply: Record<string, unknown>) => T): Promise<T> =>
    new Promise((resolve) => {
      const id = ++nextId;
      const onMessage = (reply: Record<string, unknown>): void => {
        if (reply.id !== id) return;
        proc.off('message', onMessage);
        resolve(pick(reply));
      };
      proc.on('message', onMessage);
      proc.send({ id, cmd });
    });
  return {
    ports: first.ready,
    pid: proc.pid!,
    memory: () => ask('mem', (reply) => reply.mem as MemoryFigures),
    cpuMs: () => ask('cpu', (reply) => reply.cpuMs as number),
    async close() {
      const exited = once(proc, 'exit');
      await ask('close', () => undefined);
      await exited;
    },
  };
}

if (process.argv[2] === '--child') await child(process.argv[3]);
