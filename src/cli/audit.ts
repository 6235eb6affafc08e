/**
 * `bridgehead audit <message-id | Message-ID | queue-id | address> [--since ...] [--json]`: the
 * story of each matching message, step by step, and where each recipient stands.
 *
 * Like every command it asks a running server over the control socket, else opens the store
 * itself (runReport, shared with `bridgehead stats`).
 */
import { reportOperations } from '../audit/admin.js';
import { formatAuditReport } from '../audit/format.js';
import type { AuditReport } from '../audit/query.js';
import { parseSince, TimeArgumentError } from '../audit/time.js';
import type { Config } from '../config/schema.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type SubCommand } from './common.js';
import { runAdmin } from './control-client.js';

const help = `Usage: bridgehead audit <message-id | Message-ID | queue-id | address> [options]

Shows the story of each matching message in order: received (client, HELO, user, size,
envelope), stored (account, mailbox, uid), queued, every delivery attempt (host, IP, reply,
duration), delivered, deferred, bounced, DSN sent, gateway acknowledgements; then where each
recipient stands.

  bridgehead audit 01JD5Z8QK3M2N4P6R8ST       by the id in the 250 reply (also the queue id)
  bridgehead audit '<abc@mail.example.org>'    by the Message-ID header
  bridgehead audit bob@example.org --since 2h  every message from or to an address

Options:
  --since WHEN       only messages with a step since WHEN: 30m, 2h, 7d, 2026-11-24 (00:00 UTC)
                     or an ISO time; without it the whole retention period is searched
  --limit N          show at most the N most recent messages (default 50)
  --json             print the report as JSON
  -c, --config FILE  configuration file (default: $BRIDGEHEAD_CONFIG, else ./config.json)

Times are UTC. Works whether the server runs or not.`;

type ReportOperation = keyof typeof reportOperations;

/** Runs a report operation in the running server, or on the store when no server runs. */
export function runReport(config: Config, op: ReportOperation, args: Record<string, unknown>): Promise<unknown> {
  return runAdmin(config, { op, args });
}

/** --since as epoch ms, or a usage error that says what is accepted. */
export function sinceOption(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  try {
    return parseSince(value, now);
  } catch (error) {
    if (error instanceof TimeArgumentError) throw new UsageError(error.message);
    throw error;
  }
}

export const auditCommand: SubCommand = {
  name: 'audit',
  summary: 'show what happened to a message: received, stored, queued, attempts, delivered, bounced',
  help,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...configOption,
      ...helpOption,
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) return print(io, help), 0;
    const [query, ...extra] = positionals;
    if (!query) throw new UsageError('audit needs a message id, Message-ID, queue id or address');
    if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
    let limit: number | undefined;
    if (values.limit !== undefined) {
      limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit needs a positive number, got ${values.limit}`);
    }
    const config = configFrom(values, io);
    const since = sinceOption(values.since, Date.now());
    const report = (await runReport(config, 'audit.find', {
      query,
      since,
      limit,
      retentionDays: config.audit.retentionDays,
    })) as AuditReport;
    print(io, values.json ? JSON.stringify(report, null, 2) : formatAuditReport(report));
    return 0;
  },
};
