/**
 * The gateway contract on a whole server, with a test gateway (fixtures/echo-gateway):
 * outbound, the message is accepted into the outbound queue, which then drives the gateway's
 * start → addRecipient → body → commit, abort on a refusal (the sender gets a DSN) or a failure
 * (retried later), while the mail recipients have their copy; a gateway that reports itself
 * unavailable is disabled while the server runs; inbound messages injected through
 * deliverInbound reach the mailbox; acks reach the audit trail and the gatewayAck hooks.
 */
import t from 'tap';
import type { QueueEvent } from '../../src/queue/events.js';
import { RawClient } from '../smtp/helpers.js';
import { cli, type TestServer } from '../support/app.js';
import { echoRecord } from './fixtures/echo-gateway/index.js';
import { dataFor, folderOf, startPluginServer, submitter } from './support.js';

const USER = 'user@example.test';
const FRIEND = 'friend@example.test';

/** Resolves with the first queue event of the server that matches (already seen ones included). */
function queueEvent(server: TestServer, seen: QueueEvent[], predicate: (event: QueueEvent) => boolean): Promise<QueueEvent> {
  const found = seen.find(predicate);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const listener = (event: QueueEvent) => {
      if (!predicate(event)) return;
      server.app.queue.events.off('queue', listener);
      resolve(event);
    };
    server.app.queue.events.on('queue', listener);
  });
}

/** Records the server's queue events from now on. */
function recordQueue(server: TestServer): QueueEvent[] {
  const events: QueueEvent[] = [];
  server.app.queue.events.on('queue', (event) => events.push(event));
  return events;
}

function resetEcho() {
  const record = echoRecord();
  record.events = [];
  record.acks = [];
  record.bodies = [];
}

t.test('outbound: the delivery target steps, driven by the queue after the message is durable', async (t) => {
  const server = await startPluginServer(t, { enabled: ['echo-gateway'] }, { users: [USER, FRIEND] });
  resetEcho();
  const queued = recordQueue(server);
  const sent = await submitter(server, USER).sendMail({
    from: USER,
    to: ['+4915112345678@echo.example.test', FRIEND],
    subject: 'to the phone',
    text: 'call me',
  });
  t.match(sent.response, /^250 /);
  const id = /\b([0-9A-Za-z]{18})\b/.exec(sent.response)?.[1] ?? '';
  await queueEvent(server, queued, (event) => event.type === 'removed' && event.messageId === id);
  t.same(echoRecord().events, [
    `open ${USER}`,
    'addRecipient +4915112345678 +4915112345678@echo.example.test',
    'body',
    'commit',
  ]);
  t.same(echoRecord().bodies, ['to the phone'], 'the gateway read the parsed message');
  t.equal((await folderOf(server.app.store, FRIEND)).length, 1, 'the mail recipient got it too');
  const story = await cli(['audit', id, '--config', server.configPath]);
  t.match(story.stdout, /queued +for <\+4915112345678@echo\.example\.test>/, 'the audit trail shows the gateway recipient queued');
  t.match(story.stdout, /delivered +<\+4915112345678@echo\.example\.test> by echo gateway: 250 2\.0\.0 Handed over to the echo gateway/, 'and handed over');
});

t.test('outbound: a refusal bounces to the sender, a failure is retried later; the mail recipients have their copy, the server goes on', async (t) => {
  const server = await startPluginServer(t, { enabled: ['echo-gateway'], hookTimeoutMs: 500 }, { users: [USER, FRIEND] });
  const queued = recordQueue(server);
  const client = await RawClient.connect(t, server.port('smtp.mx'));
  await client.reply();
  await client.command('EHLO remote.example');
  const send = async (number: string) => {
    resetEcho();
    t.same(await client.command(`MAIL FROM:<${USER}>`), ['250 2.1.0 Accepted']);
    t.same(await client.command(`RCPT TO:<${number}@echo.example.test>`), ['250 2.1.5 Accepted']);
    t.same(await client.command(`RCPT TO:<${FRIEND}>`), ['250 2.1.5 Accepted']);
    t.match(await client.command('DATA'), [/^354 /]);
    client.write(dataFor(`to ${number}`));
    const reply = await client.reply();
    return { reply, id: /\b([0-9A-Za-z]{18})\b/.exec(reply[0] ?? '')?.[1] ?? '' };
  };

  const refused = await send('+10000000');
  t.match(refused.reply, [/^250 /], 'accepted into the queue: the gateway is asked afterwards');
  const failed = await queueEvent(server, queued, (event) => event.type === 'failed' && event.messageId === refused.id);
  t.match(failed, { recipient: '+10000000@echo.example.test', reason: 'permanent', reply: { code: 550, enhanced: '5.1.1', text: 'No such number' } }, 'the GatewayRefusal is the recipient\'s final reply');
  t.same(echoRecord().events, [`open ${USER}`, 'addRecipient +10000000 +10000000@echo.example.test', 'abort No such number']);
  await queueEvent(server, queued, (event) => event.type === 'removed' && event.messageId === refused.id);
  const notices = (await folderOf(server.app.store, USER)).filter((raw) => /Subject: Undelivered Mail Returned to Sender/.test(raw));
  t.equal(notices.length, 1, 'the sender got a delivery status notification');
  t.match(notices[0], /Final-Recipient: rfc822; \+10000000@echo\.example\.test\r\nAction: failed\r\nStatus: 5\.1\.1/);
  t.equal((await folderOf(server.app.store, FRIEND)).length, 1, 'the mail recipient got the message');

  const failing = await send('+19999999');
  t.match(failing.reply, [/^250 /]);
  const deferred = await queueEvent(server, queued, (event) => event.type === 'deferred' && event.messageId === failing.id);
  t.match(deferred, { recipient: '+19999999@echo.example.test', reply: { code: 451, enhanced: '4.3.0' } }, 'a throwing gateway defers: the queue tries again later');
  t.same(echoRecord().events.at(-1), 'abort Temporary failure in message processing, please try again later');
  t.notOk(echoRecord().events.includes('commit'));
  t.match(await server.app.store.queue.get(failing.id), { recipients: [{ address: '+19999999@echo.example.test', status: 'deferred' }] }, 'still queued, nothing lost');
  t.equal((await folderOf(server.app.store, FRIEND)).length, 2);

  const fine = await send('+4930123456');
  t.match(fine.reply, [/^250 /], 'the next message goes through');
  await queueEvent(server, queued, (event) => event.type === 'delivered' && event.messageId === fine.id);
  t.same(echoRecord().events.at(-1), 'commit');
  t.equal((await folderOf(server.app.store, FRIEND)).length, 3);
});

t.test('a gateway that reports itself unavailable is disabled; the server runs', async (t) => {
  const server = await startPluginServer(t, { enabled: ['echo-gateway'], 'echo-gateway': { unavailable: true } }, { users: [USER] });
  t.same(server.app.pipeline.plugins.gateways.states(), [{ name: 'echo', plugin: 'echo-gateway', available: false, reason: 'echo-tool is not installed' }]);
  const client = await RawClient.connect(t, server.port('smtp.mx'));
  await client.reply();
  await client.command('EHLO remote.example');
  await client.command('MAIL FROM:<sender@remote.example>');
  await client.command('RCPT TO:<+4915112345678@echo.example.test>');
  t.match(await client.command('DATA'), [/^354 /]);
  client.write(dataFor('to a disabled gateway'));
  t.same(await client.reply(), ['550 5.3.3 The echo gateway is not available on this server']);
  await client.command('MAIL FROM:<sender@remote.example>');
  await client.command(`RCPT TO:<${USER}>`);
  await client.command('DATA');
  client.write(dataFor('plain mail'));
  t.match(await client.reply(), [/^250 /], 'mail still flows');
});

t.test('inbound: deliverInbound puts a message from the medium into the mailbox', async (t) => {
  const server = await startPluginServer(t, { enabled: ['echo-gateway'] }, { users: [USER] });
  resetEcho();
  const ctx = echoRecord().context!;
  t.equal(ctx.gateway, 'echo');
  const result = await ctx.deliverInbound({
    from: '+4915112345678@echo.example.test',
    to: USER,
    subject: 'SMS from +4915112345678',
    text: 'running late',
    attachments: [{ filename: 'voicemail.wav', contentType: 'audio/wav', content: Buffer.from('RIFF....WAVE') }],
  });
  t.match(result, { ok: true, messageId: /^[0-9A-Z]{10,}$/ });
  const [stored] = await folderOf(server.app.store, USER);
  t.match(stored, /\r\nFrom: \+4915112345678@echo\.example\.test\r\n/);
  t.match(stored, /\r\nX-Bridgehead-Gateway: echo\r\n/);
  t.match(stored, /Content-Disposition: attachment; filename=voicemail\.wav/);

  t.same(await ctx.deliverInbound({ from: '+4915112345678@echo.example.test', to: 'nobody@example.test', text: 'x' }), {
    ok: false, temporary: false, reply: '550 5.1.1 Mailbox unavailable: no such user here',
  }, 'refusals come back with their reply');
  t.same(await ctx.deliverInbound({ from: '', to: USER }), { ok: false, temporary: false, reply: '501 5.5.4 deliverInbound needs a sender and at least one recipient' });

  await ctx.audit({ messageId: result.ok ? result.messageId : '', gateway: 'echo', recipient: '+4915112345678', status: 'delivered', reference: 'smsc-42' });
  t.match(echoRecord().acks, [{ messageId: result.ok ? result.messageId : '', gateway: 'echo', recipient: '+4915112345678', status: 'delivered', reference: 'smsc-42' }], 'gatewayAck hooks were told');
  const audit = await cli(['audit', result.ok ? result.messageId : '', '--config', server.configPath]);
  t.equal(audit.code, 0);
  t.match(audit.stdout, /smsc-42/, 'the ack is in the audit trail');
});
