/**
 * The outbound queue's lifecycle events (queue/events.ts) become the story of a message: every
 * attempt with its host, IP, reply and duration, deferrals, a bounce with the remote reply, the
 * DSN, the final delivery; `bridgehead audit <address>` then answers "did the mail to
 * bob@example.org go out, and if not, why?". Counters move with the events.
 */
import t from 'tap';
import { Audit } from '../../src/audit/index.js';
import { formatAuditReport } from '../../src/audit/format.js';
import { lookupStories } from '../../src/audit/query.js';
import { trafficStats } from '../../src/audit/stats.js';
import { silentLogger } from '../../src/log.js';
import { newMessageId } from '../../src/pipeline/message-id.js';
import { createQueueEvents, type QueueEvent } from '../../src/queue/events.js';
import { openStore } from '../../src/store/index.js';

const START = Date.UTC(2026, 10, 24, 10, 0, 0);
const MINUTE = 60_000;

t.test('a relayed message: deferred, then delivered to one recipient and bounced for another', async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  let now = START;
  const audit = new Audit({ store, log: silentLogger(), auditRetentionDays: 30, statsRetentionDays: 30, clock: () => now });
  const events = createQueueEvents();
  const unsubscribe = audit.subscribe(events);

  const id = newMessageId(START);
  const dsnId = newMessageId(START + 11 * MINUTE);
  const message = Buffer.from('Message-ID: <relay-1@example.net>\r\nSubject: hi\r\n\r\nhello\r\n');
  const trail = audit.begin({
    messageId: id,
    via: 'smtp/submission',
    session: { id: 'c1', remoteAddress: '192.0.2.7', heloName: 'laptop', user: 'alice@example.net', secure: true },
    envelope: { from: 'alice@example.net', to: ['bob@example.org', 'carol@example.com'] },
    message,
  });
  trail.accepted();

  const refused = { code: 451, enhanced: '4.7.1', text: 'greylisted, try again later' };
  const ok = { code: 250, enhanced: '2.0.0', text: 'queued as 4F2A' };
  const unknown = { code: 550, enhanced: '5.1.1', text: 'no such user carol' };
  const emit = (event: QueueEvent) => {
    now = event.at;
    events.emit('queue', event);
  };
  emit({ type: 'queued', at: START + 1, messageId: id, source: 'submission', from: 'alice@example.net', recipients: ['bob@example.org', 'carol@example.com'], size: message.length, user: 'alice@example.net' });
  emit({
    type: 'attempt', at: START + 2000, messageId: id, attempt: 1, recipients: ['bob@example.org'], host: 'mx.example.org', ip: '198.51.100.5', port: 25, tls: true,
    reply: refused, results: [{ recipient: 'bob@example.org', status: 'deferred', reply: refused }], ms: 312, bytes: 0,
  });
  emit({ type: 'deferred', at: START + 2001, messageId: id, recipient: 'bob@example.org', reply: refused, attempts: 1, nextAttemptAt: START + 5 * MINUTE });
  emit({
    type: 'attempt', at: START + 2500, messageId: id, attempt: 1, recipients: ['carol@example.com'], host: 'mx.example.com', ip: '203.0.113.9', port: 25, tls: false,
    reply: unknown, results: [{ recipient: 'carol@example.com', status: 'failed', reply: unknown }], ms: 95, bytes: 0,
  });
  emit({ type: 'failed', at: START + 2501, messageId: id, recipient: 'carol@example.com', reply: unknown, reason: 'permanent' });
  emit({ type: 'dsn-sent', at: START + 2600, messageId: id, dsnMessageId: dsnId, kind: 'failure', recipients: ['carol@example.com'], to: 'alice@example.net' });

  // Before the retry: the answer is "not yet, greylisted".
  const waiting = await lookupStories(store.audit, { query: 'bob@example.org' }, { now, retentionDays: 30 });
  t.match(waiting.messages[0].recipients, [
    { recipient: 'bob@example.org', state: 'deferred', detail: '451 4.7.1 greylisted, try again later; 1 attempt so far, next at 2026-11-24T10:05:00.000Z' },
    { recipient: 'carol@example.com', state: 'bounced', detail: `refused: 550 5.1.1 no such user carol; failure notice ${dsnId} sent to <alice@example.net>` },
  ]);

  emit({
    type: 'attempt', at: START + 5 * MINUTE + 10, messageId: id, attempt: 2, recipients: ['bob@example.org'], host: 'mx.example.org', ip: '198.51.100.5', port: 25, tls: true,
    reply: ok, results: [{ recipient: 'bob@example.org', status: 'delivered', reply: ok }], ms: 120, bytes: 2048,
  });
  emit({ type: 'delivered', at: START + 5 * MINUTE + 11, messageId: id, recipient: 'bob@example.org', host: 'mx.example.org', ip: '198.51.100.5', reply: ok, size: 2048 });
  emit({ type: 'removed', at: START + 5 * MINUTE + 12, messageId: id, reason: 'done' });
  unsubscribe();

  const report = await lookupStories(store.audit, { query: 'bob@example.org' }, { now, retentionDays: 30 });
  t.equal(report.messages.length, 1);
  const story = report.messages[0];
  t.same(
    story.events.map((event) => event.step),
    ['received', 'queued', 'attempt', 'deferred', 'attempt', 'bounced', 'dsn-sent', 'attempt', 'delivered', 'removed'],
    'every step in order, failed attempts included',
  );
  t.match(story.events[2], { step: 'attempt', host: 'mx.example.org', ip: '198.51.100.5', reply: refused, ms: 312, at: '2026-11-24T10:00:02.000Z' });
  t.match(story.recipients, [
    { recipient: 'bob@example.org', state: 'delivered', detail: 'to mx.example.org [198.51.100.5]: 250 2.0.0 queued as 4F2A' },
    { recipient: 'carol@example.com', state: 'bounced' },
  ]);

  t.equal(
    formatAuditReport(report),
    [
      `Message ${id}, accepted 2026-11-24 10:00:00.000 UTC`,
      `  2026-11-24 10:00:00.000  received    from <alice@example.net> to <bob@example.org>, <carol@example.com>; ${message.length} bytes; via smtp/submission; client 192.0.2.7 (helo laptop); user alice@example.net; TLS; Message-ID <relay-1@example.net>`,
      `  2026-11-24 10:00:00.001  queued      for <bob@example.org>, <carol@example.com>; from <alice@example.net>; ${message.length} bytes; submission`,
      '  2026-11-24 10:00:02.000  attempt #1  mx.example.org [198.51.100.5]:25, TLS, 312 ms: 451 4.7.1 greylisted, try again later (<bob@example.org> deferred)',
      '  2026-11-24 10:00:02.001  deferred    <bob@example.org>: 451 4.7.1 greylisted, try again later; next attempt 2026-11-24 10:05:00.000',
      '  2026-11-24 10:00:02.500  attempt #1  mx.example.com [203.0.113.9]:25, 95 ms: 550 5.1.1 no such user carol (<carol@example.com> failed)',
      '  2026-11-24 10:00:02.501  bounced     <carol@example.com> (permanent): 550 5.1.1 no such user carol',
      `  2026-11-24 10:00:02.600  dsn sent    failure notice ${dsnId} to <alice@example.net> about <carol@example.com>`,
      '  2026-11-24 10:05:00.010  attempt #2  mx.example.org [198.51.100.5]:25, TLS, 120 ms: 250 2.0.0 queued as 4F2A (<bob@example.org> delivered)',
      '  2026-11-24 10:05:00.011  delivered   <bob@example.org> by mx.example.org [198.51.100.5]: 250 2.0.0 queued as 4F2A',
      '  2026-11-24 10:05:00.012  removed     left the queue: every recipient is final',
      '  Recipients:',
      '    bob@example.org    delivered  to mx.example.org [198.51.100.5]: 250 2.0.0 queued as 4F2A',
      `    carol@example.com  bounced    refused: 550 5.1.1 no such user carol; failure notice ${dsnId} sent to <alice@example.net>`,
    ].join('\n'),
  );

  const byDsn = await lookupStories(store.audit, { query: dsnId }, { now, retentionDays: 30 });
  t.same(byDsn.messages.map((found) => found.messageId), [id], "the DSN's id leads to the message it is about");
  const byQueueId = await lookupStories(store.audit, { query: id.toLowerCase() }, { now, retentionDays: 30 });
  t.same(byQueueId.messages.map((found) => found.messageId), [id], 'the queue id is the message id (any case)');
  const byHeader = await lookupStories(store.audit, { query: '<relay-1@example.net>' }, { now, retentionDays: 30 });
  t.same(byHeader.messages.map((found) => found.messageId), [id]);

  const recent = await lookupStories(store.audit, { query: 'bob@example.org', since: START + 4 * MINUTE }, { now, retentionDays: 30 });
  t.equal(recent.messages.length, 1, '--since matches a message with a later step');
  const none = await lookupStories(store.audit, { query: 'bob@example.org', since: START + 6 * MINUTE }, { now, retentionDays: 30 });
  t.equal(none.messages.length, 0, 'and not one whose last step is older');

  const stats = await trafficStats(store.audit, { since: START, until: now });
  t.match(stats.totals, {
    'messages.in': 1,
    'bytes.in': message.length,
    'messages.out': 1,
    'bytes.out': 2048,
    'deliveries.remote': 1,
    'deliveries.local': 0,
    deferrals: 1,
    bounces: 1,
  });
});

t.test('a gateway acknowledgement lands in the story', async (t) => {
  const store = await openStore({ path: t.testdir() });
  t.teardown(() => store.close());
  const audit = new Audit({ store, log: silentLogger(), auditRetentionDays: 30, statsRetentionDays: 30, clock: () => START });
  const id = newMessageId(START);
  await audit.gatewayAck({ messageId: id, gateway: 'sms', recipient: '+4915112345678@sms.example.com', status: 'delivered', detail: 'DELIVRD', reference: 'smsc-42' });
  const report = await lookupStories(store.audit, { query: '+4915112345678@sms.example.com' }, { now: START, retentionDays: 30 });
  t.match(report.messages[0], {
    events: [{ step: 'gateway-ack', gateway: 'sms', status: 'delivered', detail: 'DELIVRD', reference: 'smsc-42' }],
    recipients: [{ recipient: '+4915112345678@sms.example.com', state: 'delivered', detail: 'sms gateway: DELIVRD: ref smsc-42' }],
  });
  await t.rejects(audit.gatewayAck({ messageId: 'not-an-id', gateway: 'sms', recipient: 'x', status: 'failed' }), /not a message id/);
});
