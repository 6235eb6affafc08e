/**
 * `bridgehead queue list|show <id>|retry <id|--all>|delete <id>|flush`: the outbound queue.
 * Works whether the server runs (through the control socket, on the live queue) or not
 * (directly on the store; the server delivers at its next start).
 */
import type { QueueListResult } from '../queue/admin.js';
import type { QueueEntry } from '../store/types.js';
import { runAdmin } from './control-client.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type SubCommand } from './common.js';

const help = `Usage: bridgehead queue <list|show|retry|delete|flush> [id] [options]

The outbound queue: messages waiting for delivery to other servers. The id is the message id
from the server's "250 Message accepted, id ..." reply.

  bridgehead queue list               waiting messages, earliest next attempt first, with the
                                      status and last reply of every recipient
  bridgehead queue show <id>          one message in detail
  bridgehead queue retry <id>         try it again now
  bridgehead queue retry --all        try every waiting message now
  bridgehead queue delete <id>        remove it without a bounce to the sender
  bridgehead queue flush              retry everything now, including hosts recently down

Options:
  --json             print JSON instead of text
  --limit N          list at most N messages (default 1000)
  -c, --config FILE  configuration file (default: $BRIDGEHEAD_CONFIG, else ./config.json)`;

const iso = (time: number | null) => (time === null ? '-' : new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function formatList(result: QueueListResult): string {
  if (result.entries.length === 0) return 'queue is empty';
  const lines: string[] = [];
  for (const entry of result.entries) {
    const state = entry.inFlight ? 'sending now' : `next ${iso(entry.nextAttemptAt)}`;
    lines.push(`${entry.id}  ${entry.size} bytes  from <${entry.from}>  arrived ${iso(entry.createdAt)}  attempts ${entry.attempts}  ${state}`);
    for (const recipient of entry.recipients) {
      lines.push(`    <${recipient.address}>  ${recipient.status}${recipient.reply ? `  ${recipient.reply}` : ''}`);
    }
  }
  lines.push(result.truncated ? `${result.entries.length} of ${result.total} messages shown (--limit)` : `${result.total} message${result.total === 1 ? '' : 's'}`);
  return lines.join('\n');
}

function formatEntry(entry: QueueEntry & { inFlight: boolean }): string {
  const lines = [
    `id:            ${entry.id}`,
    `from:          <${entry.from}>${entry.user ? ` (submitted by ${entry.user})` : ''}`,
    `source:        ${entry.source}`,
    `size:          ${entry.size} bytes`,
    `arrived:       ${iso(entry.createdAt)}`,
    `attempts:      ${entry.attempts}, last ${iso(entry.lastAttemptAt)}`,
    `next attempt:  ${entry.inFlight ? 'sending now' : iso(entry.nextAttemptAt)}`,
  ];
  if (entry.envid || entry.ret) lines.push(`dsn:           ${entry.ret ? `RET=${entry.ret} ` : ''}${entry.envid ? `ENVID=${entry.envid}` : ''}`.trimEnd());
  lines.push('recipients:');
  for (const recipient of entry.recipients) {
    const reply = recipient.reply ? [recipient.reply.code, recipient.reply.enhanced, recipient.reply.text].filter((part) => part !== null).join(' ') : 'not attempted yet';
    lines.push(`  <${recipient.address}>  ${recipient.status}, ${recipient.attempts} attempt${recipient.attempts === 1 ? '' : 's'}`);
    lines.push(`      last reply: ${reply}${recipient.remoteHost ? ` (from ${recipient.remoteHost})` : ''}`);
    if (recipient.notify) lines.push(`      NOTIFY=${Array.isArray(recipient.notify) ? recipient.notify.join(',') : recipient.notify}`);
  }
  return lines.join('\n');
}

export const queueCommand: SubCommand = {
  name: 'queue',
  summary: 'list, show, retry, delete or flush outbound messages',
  help,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...configOption,
      ...helpOption,
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      limit: { type: 'string' },
    });
    if (values.help) return print(io, help), 0;
    const [action, id, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
    const config = configFrom(values, io);
    const needId = (what: string) => {
      if (!id) throw new UsageError(`queue ${what} needs a message id`);
      return id;
    };
    switch (action) {
      case 'list': {
        if (id) throw new UsageError(`unexpected argument: ${id}`);
        const limit = values.limit === undefined ? undefined : Number(values.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit needs a positive whole number');
        const result = (await runAdmin(config, { op: 'queue.list', args: { limit } })) as QueueListResult;
        print(io, values.json ? JSON.stringify(result, null, 2) : formatList(result));
        return 0;
      }
      case 'show': {
        const entry = (await runAdmin(config, { op: 'queue.show', args: { id: needId('show') } })) as (QueueEntry & { inFlight: boolean }) | null;
        if (!entry) throw new Error(`no queue entry ${id}`);
        print(io, values.json ? JSON.stringify(entry, null, 2) : formatEntry(entry));
        return 0;
      }
      case 'retry': {
        if (values.all && id) throw new UsageError('queue retry takes an id or --all, not both');
        if (!values.all) needId('retry');
        const count = (await runAdmin(config, { op: 'queue.retry', args: values.all ? { all: true } : { id } })) as number;
        print(io, values.all ? `${count} message${count === 1 ? '' : 's'} rescheduled for now` : count > 0 ? `${id} rescheduled for now` : `${id} is already due or being sent`);
        return 0;
      }
      case 'delete': {
        if (!(await runAdmin(config, { op: 'queue.delete', args: { id: needId('delete') } }))) throw new Error(`no queue entry ${id}`);
        print(io, `deleted ${id} (no bounce sent)`);
        return 0;
      }
      case 'flush': {
        if (id) throw new UsageError(`unexpected argument: ${id}`);
        const count = (await runAdmin(config, { op: 'queue.flush', args: {} })) as number;
        print(io, `${count} message${count === 1 ? '' : 's'} rescheduled for now`);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action: queue ${action}` : 'queue needs an action: list, show, retry, delete or flush');
    }
  },
};
