/**
 * Measuring an SMTP server that runs outside the bench process (Postfix, or Bridgehead started
 * with `bridgehead serve`): where it listens, how much CPU its processes spent, and when its
 * background delivery into a Maildir has finished.
 *
 * Invariants: targets are loopback addresses only (bench/README.md: a load test sends traffic
 * to this machine alone). CPU is read from Linux's /proc: the server's whole process tree, its
 * live processes' own time plus the time of the children its processes have already reaped
 * (proc(5), fields 14–17 of /proc/PID/stat), so a Postfix smtpd or cleanup process that exits
 * between two readings is still counted, once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

export interface Target {
  host: string;
  port: number;
}

/** `127.0.0.1:2626`, `localhost:2626` or `[::1]:2626`; anything off loopback is refused. */
export function parseTarget(text: string): Target {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!match) throw new Error(`--target wants host:port, got ${text}`);
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (!loopback) throw new Error(`--target must be a loopback address (127.0.0.0/8, ::1, localhost), got ${host}`);
  if (port < 1 || port > 65_535) throw new Error(`--target port out of range: ${port}`);
  return { host, port };
}

interface ProcStat {
  pid: number;
  parent: number;
  /** utime + stime of the process itself (all its threads), clock ticks. */
  own: number;
  /** cutime + cstime: children it has waited for, clock ticks. */
  reaped: number;
}

/** Clock ticks per second of /proc's time fields: USER_HZ, 100 on every Linux architecture in use. */
const ticksPerSecond = 100;

async function readStat(pid: number): Promise<ProcStat | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const number = (field: number) => Number(fields[field - 3]);
    return { pid, parent: number(4), own: number(14) + number(15), reaped: number(16) + number(17) };
  } catch {
    return null;
  }
}

/** CPU seconds spent so far by the process `root` and every process below it. */
export async function processTreeCpuSeconds(root: number): Promise<number> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const stats = (await Promise.all(pids.map(readStat))).filter((stat): stat is ProcStat => stat !== null);
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.parent, [...(children.get(stat.parent) ?? []), stat]);
  const rootStat = stats.find((stat) => stat.pid === root);
  if (!rootStat) throw new Error(`no process ${root}`);
  let ticks = 0;
  const pending = [rootStat];
  while (pending.length > 0) {
    const stat = pending.pop()!;
    ticks += stat.own + stat.reaped;
    pending.push(...(children.get(stat.pid) ?? []));
  }
  return ticks / ticksPerSecond;
}

/** Files in a folder (a Maildir's `new/`), 0 when it does not exist yet. */
export async function countFiles(folder: string): Promise<number> {
  try {
    return (await readdir(folder)).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * Polls `folder` until it holds `count` files; resolves with `performance.now()` at the first
 * poll that saw them (so the figure is late by at most `intervalMs`), or null after `timeoutMs`.
 */
export async function waitForFiles(folder: string, count: number, options: { intervalMs: number; timeoutMs: number }): Promise<number | null> {
  const deadline = performance.now() + options.timeoutMs;
  while (performance.now() < deadline) {
    if ((await countFiles(folder)) >= count) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  return null;
}
