/**
 * Human-readable forms of the audit report and the traffic statistics (the command line).
 * Times are UTC, written "2026-11-24 10:00:00.123", one event per line, in order.
 */
import type { CounterName } from './events.js';
import { replyText, type AuditReport, type MessageStory, type StoryEvent } from './query.js';
import type { StatsReport } from './stats.js';

/** "2026-11-24T10:00:00.123Z" → "2026-11-24 10:00:00.123". */
function when(isoTime: string): string {
  return isoTime.replace('T', ' ').replace(/Z$/, '');
}

function whenMs(ms: number): string {
  return when(new Date(ms).toISOString());
}

const list = (addresses: string[]) => addresses.map((address) => `<${address}>`).join(', ');

function host(name: string, ip: string | null, port?: number): string {
  const address = ip && ip !== name ? ` [${ip}]` : '';
  return `${name}${address}${port ? `:${port}` : ''}`;
}

export function describeEvent(event: StoryEvent): { label: string; text: string } {
  switch (event.step) {
    case 'received': {
      const parts = [`from <${event.from}> to ${list(event.to)}`, `${event.size} bytes`, `via ${event.via}`];
      if (event.clientIp) parts.push(`client ${event.clientIp}${event.helo ? ` (helo ${event.helo})` : ''}`);
      if (event.user) parts.push(`user ${event.user}`);
      parts.push(event.tls ? 'TLS' : 'no TLS');
      if (event.messageIdHeader) parts.push(`Message-ID <${event.messageIdHeader}>`);
      return { label: 'received', text: parts.join('; ') };
    }
    case 'stored':
      return { label: 'stored', text: `${event.account} ${event.mailbox} uid ${event.uid}` };
    case 'queued':
      return { label: 'queued', text: `for ${list(event.recipients)}; from <${event.from}>; ${event.size} bytes; ${event.source}` };
    case 'attempt': {
      const outcome = event.results.map((result) => `<${result.recipient}> ${result.status}`).join(', ');
      return {
        label: `attempt #${event.attempt}`,
        text: `${host(event.host, event.ip, event.port)}${event.tls ? ', TLS' : ''}, ${event.ms} ms: ${replyText(event.reply)}${outcome ? ` (${outcome})` : ''}`,
      };
    }
    case 'delivered':
      return { label: 'delivered', text: `<${event.recipient}> by ${host(event.host, event.ip)}: ${replyText(event.reply)}` };
    case 'deferred':
      return { label: 'deferred', text: `<${event.recipient}>: ${replyText(event.reply)}; next attempt ${whenMs(event.nextAttemptAt)}` };
    case 'bounced':
      return { label: 'bounced', text: `<${event.recipient}> (${event.reason}): ${replyText(event.reply)}` };
    case 'deleted':
      return { label: 'deleted', text: `<${event.recipient}> removed from the queue` };
    case 'dsn-sent':
      return { label: 'dsn sent', text: `${event.kind} notice ${event.dsnMessageId} to <${event.to}> about ${list(event.recipients)}` };
    case 'removed':
      return { label: 'removed', text: event.reason === 'done' ? 'left the queue: every recipient is final' : 'deleted from the queue' };
    case 'gateway-ack':
      return {
        label: 'gateway ack',
        text: [`${event.gateway}: <${event.recipient}> ${event.status}`, event.detail, event.reference ? `ref ${event.reference}` : null].filter(Boolean).join('; '),
      };
    default: {
      // Steps recorded by a newer version: shown as their JSON rather than hidden.
      const { at: _at, step, ...details } = event as { at: string; step: string };
      return { label: step, text: JSON.stringify(details) };
    }
  }
}

export function formatStory(story: MessageStory): string {
  const lines = [`Message ${story.messageId}, accepted ${when(story.acceptedAt)} UTC`];
  const described = story.events.map((event) => ({ at: when(event.at), ...describeEvent(event) }));
  const width = Math.max(...described.map((item) => item.label.length));
  for (const item of described) lines.push(`  ${item.at}  ${item.label.padEnd(width)}  ${item.text}`);
  if (story.recipients.length > 0) {
    lines.push('  Recipients:');
    const addressWidth = Math.max(...story.recipients.map((status) => status.recipient.length));
    const stateWidth = Math.max(...story.recipients.map((status) => status.state.length));
    for (const status of story.recipients) {
      lines.push(`    ${status.recipient.padEnd(addressWidth)}  ${status.state.padEnd(stateWidth)}  ${status.detail}`);
    }
  }
  return lines.join('\n');
}

export function formatAuditReport(report: AuditReport): string {
  if (report.messages.length === 0) {
    return `No message found for "${report.query}"${report.since ? ` since ${when(report.since)} UTC` : ''}.`;
  }
  const parts = report.messages.map(formatStory);
  const hidden = report.found - report.messages.length;
  if (hidden > 0) parts.push(`(${report.messages.length} most recent shown; ${hidden} older or outside --since not shown: use --limit or --since)`);
  return parts.join('\n\n');
}

const LABELS: Record<CounterName, string> = {
  'sessions.smtp': 'smtp',
  'sessions.imap': 'imap',
  'messages.in': 'msgs in',
  'messages.out': 'msgs out',
  'bytes.in': 'bytes in',
  'bytes.out': 'bytes out',
  'deliveries.local': 'local',
  'deliveries.remote': 'remote',
  deferrals: 'deferred',
  bounces: 'bounced',
  'rejected.connections': 'rej conn',
  'rejected.recipients': 'rej rcpt',
  'auth.failures': 'auth fail',
};

/** One row per hour with traffic, one column per counter, and a total row. */
export function formatStatsTable(report: StatsReport): string {
  const header = ['hour (UTC)', ...report.counters.map((name) => LABELS[name] ?? name)];
  const rows = report.hours.map((row) => [when(row.hour).slice(0, 16), ...report.counters.map((name) => String(row.counters[name]))]);
  rows.push(['total', ...report.counters.map((name) => String(report.totals[name]))]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const render = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd();
  const lines = [`Traffic from ${when(report.since).slice(0, 16)} to ${when(report.until).slice(0, 16)} UTC`, render(header), ...rows.map(render)];
  if (report.hours.length === 0) lines.splice(2, 0, '(no traffic recorded in this period)');
  return lines.join('\n');
}
