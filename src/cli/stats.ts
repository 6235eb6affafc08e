/** `bridgehead stats [--since ...] [--json]`: the per-hour traffic counters as a table. */
import { formatStatsTable } from '../audit/format.js';
import type { StatsReport } from '../audit/stats.js';
import { runReport, sinceOption } from './audit.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type SubCommand } from './common.js';

const DAY_MS = 86_400_000;

const help = `Usage: bridgehead stats [options]

Prints the traffic per hour: sessions (SMTP, IMAP), messages and bytes in and out, deliveries
(local mailboxes, remote recipients), deferrals, bounces, rejected connections and recipients,
authentication failures. Hours without traffic are left out; the last row is the total.

Options:
  --since WHEN       from WHEN: 30m, 2h, 7d, 2026-11-24 (00:00 UTC) or an ISO time (default 24h)
  --until WHEN       up to WHEN (default now)
  --json             print the report as JSON (the form the web console reads)
  -c, --config FILE  configuration file (default: $BRIDGEHEAD_CONFIG, else ./config.json)

Counters of the running server are current to the second. Times are UTC.`;

export const statsCommand: SubCommand = {
  name: 'stats',
  summary: 'traffic per hour: sessions, messages, bytes, deliveries, bounces, rejections',
  help,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...configOption,
      ...helpOption,
      since: { type: 'string' },
      until: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) return print(io, help), 0;
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    const config = configFrom(values, io);
    const now = Date.now();
    const since = sinceOption(values.since, now) ?? now - DAY_MS;
    const until = sinceOption(values.until, now) ?? now;
    const report = (await runReport(config, 'stats.get', { since, until })) as StatsReport;
    print(io, values.json ? JSON.stringify(report, null, 2) : formatStatsTable(report));
    return 0;
  },
};
