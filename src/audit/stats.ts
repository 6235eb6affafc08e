/**
 * Traffic statistics: the per-hour counters as a report, for `bridgehead stats` and the admin
 * API (the web console draws from the same JSON). Hours without traffic are left out; every row
 * carries every counter (0 when nothing happened).
 */
import type { AuditStore } from '../store/types.js';
import { COUNTERS, type CounterName } from './events.js';

export type CounterValues = Record<CounterName, number>;

export interface StatsReport {
  /** ISO 8601 bounds of the report. */
  since: string;
  until: string;
  /** Column order. */
  counters: CounterName[];
  hours: Array<{ hour: string; counters: CounterValues }>;
  totals: CounterValues;
}

const zeros = (): CounterValues => Object.fromEntries(COUNTERS.map((name) => [name, 0])) as CounterValues;

export async function trafficStats(audit: AuditStore, range: { since: number; until: number }): Promise<StatsReport> {
  const rows = await audit.counters(range);
  const totals = zeros();
  const hours = rows.map((row) => {
    const counters = zeros();
    for (const name of COUNTERS) {
      counters[name] = row.counters[name] ?? 0;
      totals[name] += counters[name];
    }
    return { hour: new Date(row.hour).toISOString(), counters };
  });
  return {
    since: new Date(range.since).toISOString(),
    until: new Date(range.until).toISOString(),
    counters: [...COUNTERS],
    hours,
    totals,
  };
}
