/**
 * Reading the audit trail: find the messages a query names and tell each one's story, with a
 * verdict per recipient that answers "did it go out, and if not, why?".
 *
 * A query is a message id (which is also its queue id), a Message-ID header (with or without
 * angle brackets), an id that leads to a message (a DSN's id), or an envelope address. Each is
 * answered from index ranges (store find) and one range read per message, never a scan.
 *
 * The report is plain JSON (times as ISO 8601 UTC strings at the top level of each event; the
 * details keep what was recorded) for `bridgehead audit --json` and the admin API.
 */
import { MESSAGE_ID_PATTERN } from '../pipeline/message-id.js';
import type { AuditEntry, AuditIndexKind, AuditStore } from '../store/types.js';
import type { AuditEvent, RemoteReply } from './events.js';

const DAY_MS = 86_400_000;
export const DEFAULT_STORY_LIMIT = 50;

export interface AuditLookup {
  query: string;
  /** Only messages with an event at or after this time (epoch ms). */
  since?: number | null;
  /** Index entries up to this time; default now plus a day (clocks of other hosts run ahead). */
  until?: number | null;
  /** Most recent messages shown; default 50. */
  limit?: number;
}

export type RecipientState = 'accepted' | 'stored' | 'queued' | 'deferred' | 'delivered' | 'bounced' | 'deleted' | 'handed-over' | 'read' | 'failed';

export interface RecipientStatus {
  recipient: string;
  state: RecipientState;
  /** ISO 8601 time of the event that decided the state. */
  at: string;
  detail: string;
}

export type StoryEvent = AuditEvent & { at: string };

export interface MessageStory {
  messageId: string;
  /** ISO 8601 time of the first event. */
  acceptedAt: string;
  events: StoryEvent[];
  recipients: RecipientStatus[];
}

export interface AuditReport {
  query: string;
  since: string | null;
  /** Messages found; `messages` holds the most recent `limit` of those that passed `since`. */
  found: number;
  messages: MessageStory[];
}

export interface LookupContext {
  now: number;
  /** How far back index entries are searched when `since` is not given. */
  retentionDays: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function lookupStories(audit: AuditStore, lookup: AuditLookup, context: LookupContext): Promise<AuditReport> {
  const query = lookup.query.trim();
  const since = lookup.since ?? null;
  const limit = Math.max(1, lookup.limit ?? DEFAULT_STORY_LIMIT);
  const ids = new Set<string>();
  const upper = query.toUpperCase();
  if (MESSAGE_ID_PATTERN.test(upper)) ids.add(upper);
  const bare = query.replace(/^<(.*)>$/, '$1');
  const range = {
    since: since ?? context.now - context.retentionDays * DAY_MS,
    until: lookup.until ?? context.now + DAY_MS,
  };
  const kinds: AuditIndexKind[] = bare.includes('@') ? ['address', 'header', 'queue'] : ['header', 'queue'];
  if (bare) {
    for (const kind of kinds) {
      for (const id of await audit.find(kind, bare, range)) ids.add(id);
    }
  }

  // Ids sort by acceptance time: the newest first, until `limit` stories are kept.
  const newestFirst = [...ids].sort().reverse();
  const messages: MessageStory[] = [];
  for (const id of newestFirst) {
    if (messages.length >= limit) break;
    const entries = await audit.events(id);
    if (entries.length === 0) continue;
    if (since !== null && entries[entries.length - 1].at < since) continue;
    messages.push(story(id, entries));
  }
  messages.reverse();
  return { query, since: since === null ? null : iso(since), found: ids.size, messages };
}

export function story(messageId: string, entries: AuditEntry[]): MessageStory {
  const events = entries.map((entry) => ({ ...(entry.event as AuditEvent), at: iso(entry.at) }));
  return { messageId, acceptedAt: iso(entries[0].at), events, recipients: recipientStatuses(entries) };
}

export function replyText(reply: RemoteReply): string {
  return [reply.code, reply.enhanced, reply.text].filter((part) => part !== null && part !== '').join(' ');
}

/** The latest state of every recipient, in the order they first appear. */
export function recipientStatuses(entries: AuditEntry[]): RecipientStatus[] {
  const statuses = new Map<string, RecipientStatus>();
  const set = (recipient: string, state: RecipientState, at: number, detail: string) => {
    const key = recipient.toLowerCase();
    statuses.set(key, { recipient: statuses.get(key)?.recipient ?? recipient, state, at: iso(at), detail });
  };
  const remote = new Set<string>();
  const stored: string[] = [];
  for (const { at, event: record } of entries) {
    const event = record as AuditEvent;
    switch (event.step) {
      case 'received':
        for (const recipient of event.to) set(recipient, 'accepted', at, 'accepted; no delivery recorded');
        break;
      case 'stored':
        stored.push(event.account);
        set(event.account, 'stored', at, `in ${event.account}'s ${event.mailbox} (uid ${event.uid})`);
        break;
      case 'queued':
        for (const recipient of event.recipients) {
          remote.add(recipient.toLowerCase());
          set(recipient, 'queued', at, 'queued; no attempt yet');
        }
        break;
      case 'delivered':
        set(event.recipient, 'delivered', at, `to ${hostText(event.host, event.ip)}: ${replyText(event.reply)}`);
        break;
      case 'deferred':
        set(
          event.recipient,
          'deferred',
          at,
          `${replyText(event.reply)}; ${event.attempts} attempt${event.attempts === 1 ? '' : 's'} so far, next at ${iso(event.nextAttemptAt)}`,
        );
        break;
      case 'bounced':
        set(event.recipient, 'bounced', at, `${event.reason === 'expired' ? 'gave up retrying' : 'refused'}: ${replyText(event.reply)}`);
        break;
      case 'deleted':
        set(event.recipient, 'deleted', at, 'removed from the queue by an admin');
        break;
      case 'dsn-sent':
        for (const recipient of event.recipients) {
          const status = statuses.get(recipient.toLowerCase());
          if (status) status.detail += `; ${event.kind} notice ${event.dsnMessageId} sent to <${event.to}>`;
        }
        break;
      case 'gateway-ack': {
        const state: RecipientState = { accepted: 'handed-over', delivered: 'delivered', read: 'read', failed: 'failed' }[event.status] as RecipientState;
        const detail = [`${event.gateway} gateway`, event.detail, event.reference ? `ref ${event.reference}` : null].filter(Boolean).join(': ');
        set(event.recipient, state, at, detail);
        break;
      }
      case 'attempt':
      case 'removed':
        break;
    }
  }
  // A local recipient whose copy went to another account (alias, subaddress, catch-all).
  if (stored.length > 0) {
    for (const status of statuses.values()) {
      if (status.state === 'accepted' && !remote.has(status.recipient.toLowerCase())) {
        status.state = 'stored';
        status.detail = `delivered locally to ${stored.join(', ')}`;
      }
    }
  }
  return [...statuses.values()];
}

function hostText(host: string, ip: string | null): string {
  return ip && ip !== host ? `${host} [${ip}]` : host;
}
