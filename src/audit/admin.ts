/**
 * The audit and statistics operations of the admin interfaces: the control socket runs them in
 * the server (control/operations.ts), the command line runs them on the store when no server
 * runs, and the admin API will call them too. Arguments arrive as JSON and are checked here.
 *
 *   audit.find  { query, since?: epoch ms, limit?: n, retentionDays?: n } → AuditReport
 *   stats.get   { since: epoch ms, until?: epoch ms }                      → StatsReport
 */
import type { Store } from '../store/types.js';
import { DEFAULT_STORY_LIMIT, lookupStories, type AuditReport } from './query.js';
import { trafficStats, type StatsReport } from './stats.js';

/** How far back a lookup searches without --since, when the caller does not say. */
const DEFAULT_RETENTION_DAYS = 30;

export class ReportArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportArgumentError';
  }
}

function optionalTime(args: Record<string, unknown>, name: string): number | null {
  const value = args[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ReportArgumentError(`argument ${name} must be a time in epoch ms`);
  return value;
}

function optionalCount(args: Record<string, unknown>, name: string, fallback: number): number {
  const value = args[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ReportArgumentError(`argument ${name} must be a positive integer`);
  return value;
}

export function auditFind(store: Store, args: Record<string, unknown>, now = Date.now()): Promise<AuditReport> {
  const query = args.query;
  if (typeof query !== 'string' || query.trim() === '') throw new ReportArgumentError('missing argument: query');
  return lookupStories(
    store.audit,
    { query, since: optionalTime(args, 'since'), limit: optionalCount(args, 'limit', DEFAULT_STORY_LIMIT) },
    { now, retentionDays: optionalCount(args, 'retentionDays', DEFAULT_RETENTION_DAYS) },
  );
}

export function statsGet(store: Store, args: Record<string, unknown>, now = Date.now()): Promise<StatsReport> {
  const since = optionalTime(args, 'since');
  if (since === null) throw new ReportArgumentError('missing argument: since');
  return trafficStats(store.audit, { since, until: optionalTime(args, 'until') ?? now });
}

export const reportOperations = {
  'audit.find': auditFind,
  'stats.get': statsGet,
} as const satisfies Record<string, (store: Store, args: Record<string, unknown>) => Promise<unknown>>;
