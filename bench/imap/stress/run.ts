/**
 * Runs the stress workload against an IMAP server for a fixed time and reports operations per
 * second per command and every violation with transcripts. Used by bench/imap/stress.ts (the
 * CLI) and test/imap/stress.test.ts (a short fixed-seed run in the suite).
 *
 * The account must exist and hold INBOX; Filed is created here if missing.
 */
import { performance } from 'node:perf_hooks';
import { StressConnection } from './connection.js';
import { quote } from './client.js';
import { SharedModel, type Violation } from './model.js';
import { Oracle, pairClients, randomClient, type RunState, type StressTarget } from './workload.js';
import { resyncClient, type ResyncStats } from './resync.js';
import { Checkpoint, type CheckpointStats } from './checkpoint.js';

export interface StressOptions extends StressTarget {
  clients: number;
  /** Watcher/mover pairs (the SELECT-then-MOVE-in pattern), on top of `clients`. */
  pairs: number;
  seconds: number;
  seed: number;
  /** Commands each random client writes before waiting for replies (imaptest pipelines); default 1. */
  pipeline?: number;
  /** QRESYNC resync clients (resync.ts), on top of the others; default 0. */
  qresync?: number;
  /** Model-checked SEARCH programs in the random clients (search-model.ts). */
  searchModel?: boolean;
  /** Random HEADER.FIELDS / .NOT items in FETCH, checked against the APPENDed message. */
  headerFields?: boolean;
  /** Seconds between checkpoints (checkpoint.ts); 0 or absent: none. */
  checkpoint?: number;
}

export interface StressResult {
  seconds: number;
  counts: Map<string, { n: number; ms: number }>;
  violations: Violation[];
  kinds: Map<string, number>;
  /** Commands written while others of the same session were outstanding, and the deepest pipeline. */
  pipelined: { commands: number; deepest: number };
  /** Items checked against the generated messages (facts.ts). */
  checked: Map<string, number>;
  /** What the optional checks covered. */
  coverage: {
    resync: ResyncStats;
    search: { searches: number; compared: number };
    checkpoint: CheckpointStats | null;
  };
}

export async function runStress(options: StressOptions): Promise<StressResult> {
  const epoch = performance.now();
  const model = new SharedModel(epoch);
  const target: StressTarget = { host: options.host, port: options.port, user: options.user, password: options.password };
  await prepareMailboxes(target, epoch);
  const run: RunState = {
    target,
    model,
    counts: new Map(),
    seed: options.seed,
    until: options.seconds * 1000,
    oracle: new Oracle(target, epoch),
    connections: new Map(),
    messageCounter: { n: 0 },
    pipeline: options.pipeline ?? 1,
    features: {
      searchModel: options.searchModel ?? false,
      headerFields: options.headerFields ?? false,
      checkpoint: options.checkpoint ? new Checkpoint(target, model, options.checkpoint * 1000) : null,
      owners: Array.from({ length: options.clients }, (_, index) => `c${index}`),
    },
    searchModelStats: { searches: 0, compared: 0 },
  };
  const resync: ResyncStats = { rounds: 0, compared: 0, variants: new Map() };
  try {
    await Promise.all([
      ...Array.from({ length: options.clients }, (_, index) => randomClient(run, index)),
      ...Array.from({ length: options.pairs }, (_, index) => pairClients(run, index)),
      ...Array.from({ length: options.qresync ?? 0 }, (_, index) => resyncClient(run, index, resync)),
    ]);
  } finally {
    run.oracle.close();
    for (const connection of run.connections.values()) connection.close();
  }
  const pipelined = { commands: 0, deepest: 0 };
  for (const connection of run.connections.values()) {
    pipelined.commands += connection.pipelining.commands;
    pipelined.deepest = Math.max(pipelined.deepest, connection.pipelining.deepest);
  }
  return {
    seconds: (performance.now() - epoch) / 1000,
    counts: run.counts,
    violations: model.violations,
    kinds: model.kinds(),
    pipelined,
    checked: model.checked,
    coverage: { resync, search: run.searchModelStats, checkpoint: run.features.checkpoint?.stats ?? null },
  };
}

async function prepareMailboxes(target: StressTarget, epoch: number): Promise<void> {
  const connection = await StressConnection.open({ host: target.host, port: target.port, name: 'setup', epoch });
  try {
    await connection.command(connection.nextTag(), `LOGIN ${quote(target.user)} ${quote(target.password)}`);
    await connection.command(connection.nextTag(), 'CREATE Filed');
    await connection.command(connection.nextTag(), 'LOGOUT');
  } finally {
    connection.close();
  }
}

/** Operations per second per command, busiest first. */
export function formatCounts(result: StressResult): string {
  const rows = [...result.counts.entries()].sort((a, b) => b[1].n - a[1].n);
  const total = rows.reduce((sum, [, entry]) => sum + entry.n, 0);
  const lines = [`${total} commands in ${result.seconds.toFixed(1)} s: ${(total / result.seconds).toFixed(0)} ops/s`];
  if (result.pipelined.commands > 0) lines.push(`${result.pipelined.commands} written while others were outstanding (up to ${result.pipelined.deepest} at once)`);
  const { resync, search, checkpoint } = result.coverage;
  if (resync.rounds > 0) lines.push(`QRESYNC resyncs: ${resync.rounds} (${[...resync.variants].map(([name, n]) => `${n} ${name}`).join(', ')}), ${resync.compared} messages compared`);
  if (search.searches > 0) lines.push(`model-checked SEARCHes: ${search.searches}, ${search.compared} message answers compared (${(search.compared / search.searches).toFixed(1)} per search)`);
  if (result.checked.size > 0) lines.push(`checked against the APPENDed message: ${[...result.checked].map(([name, n]) => `${n} ${name}`).join(', ')}`);
  if (checkpoint) lines.push(`checkpoints: ${checkpoint.done} done, ${checkpoint.skipped} skipped; ${checkpoint.sessions} session views and ${checkpoint.messages} message flag sets compared`);
  for (const [name, entry] of rows) {
    lines.push(`  ${name.padEnd(12)} ${String(entry.n).padStart(7)}  ${(entry.n / result.seconds).toFixed(1).padStart(7)}/s  mean ${(entry.ms / entry.n).toFixed(1)} ms`);
  }
  return lines.join('\n');
}

/** Every violation kind with its count, then the first `detailed` of each kind with transcripts. */
export function formatViolations(result: StressResult, detailed = 3): string {
  if (result.violations.length === 0) return 'no violations';
  const lines = [`${result.violations.length} violation(s):`];
  for (const [kind, count] of [...result.kinds.entries()].sort((a, b) => b[1] - a[1])) lines.push(`  ${kind}: ${count}`);
  const shown = new Map<string, number>();
  for (const violation of result.violations) {
    const n = shown.get(violation.kind) ?? 0;
    shown.set(violation.kind, n + 1);
    if (n >= detailed) continue;
    lines.push('', `=== ${violation.kind} at ${violation.at.toFixed(0)} ms: ${violation.message}`);
    for (const transcript of violation.transcripts) {
      lines.push(`--- transcript of ${transcript.name} (last ${transcript.lines.length} lines)`);
      lines.push(...transcript.lines);
    }
  }
  return lines.join('\n');
}
