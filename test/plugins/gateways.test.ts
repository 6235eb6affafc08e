/**
 * The gateway contract on a whole server, with a test gateway (fixtures/echo-gateway):
 * outbound start → addRecipient → body → commit after the store, abort on any refusal or
 * failure with nothing stored; a gateway that reports itself unavailable is disabled while the
 * server runs; inbound messages injected through deliverInbound reach the mailbox; acks reach the
 * audit trail and the gatewayAck hooks.
 */
import t from 'tap';
import { RawClient } from '../smtp/helpers.js';
import { cli } from '../support/app.js';
import { echoRecord } from './fixtures/echo-gateway/index.js';
import { dataFor, folderOf, startPluginServer, submitter } from './support.js';

const USER = 'user@example.test';
const FRIEND = 'friend@example.test';

function resetEcho() {
  const record = echoRecord();
  record.events = [];
  record.acks = [];
  record.bodies = [];
}

t.test('outbound: the delivery target steps, committed after the store', async (t) => {
  const server = await startPluginServer(t, { enabled: ['echo-gateway'] }, { users: [USER, FRIEND] });
  resetEcho();
  const sent = await submitter(server, USER).sendMail({
    from: USER,
    to: ['+4915112345678@echo.example.test', FRIEND],
    subject: 'to the phone',
    text: 'call me',
  });
  t.match(sent.response, /^250 /);
  t.same(echoRecord().events, [
    `open ${USER}`,
    'addRecipient +4915112345678 +4915112345678@echo.example.test',
    'body',
    'commit',
  ]);
  t.same(echoRecord().bodies, ['to the phone'], 'the gateway read the parsed message');
  t.equal((await folderOf(server.app.store, FRIEND)).length, 1, 'the mail recipient got it too');
});

t.test('outbound: a refusal or a failure aborts, nothing is stored, the server goes on', async (t) => {
  const server = await startPluginServer(t, { enabled: ['echo-gateway'], hookTimeoutMs: 500 }, { users: [USER, FRIEND] });
  const client = await RawClient.connect(t, server.port('smtp.mx'));
  await client.reply();
  await client.command('EHLO remote.example');
  const send = async (number: string) => {
    resetEcho();
    t.same(await client.command('MAIL FROM:<sender@remote.example>'), ['250 2.1.0 Accepted']);
    t.same(await client.command(`RCPT TO:<${number}@echo.example.test>`), ['250 2.1.5 Accepted']);
    t.same(await client.command(`RCPT TO:<${FRIEND}>`), ['250 2.1.5 Accepted']);
    t.match(await client.command('DATA'), [/^354 /]);
    client.write(dataFor(`to ${number}`));
    return client.reply();
  };

  t.same(await send('+10000000'), ['550 5.1.1 No such number'], 'a GatewayRefusal is the reply');
  t.same(echoRecord().events, ['open sender@remote.example', 'addRecipient +10000000 +10000000@echo.example.test', 'abort No such number']);

  t.same(await send('+19999999'), ['451 4.3.0 Temporary failure in message processing, please try again later'], 'a throwing gateway tempfails');
  t.same(echoRecord().events.at(-1), 'abort Temporary failure in message processing, please try again later');
  t.notOk(echoRecord().events.includes('commit'));
  t.same(await folderOf(server.app.store, FRIEND), [], 'the mail recipient got nothing either: the message was refused whole');

  t.match(await send('+4930123456'), [/^250 /], 'the next message goes through');
  t.same(echoRecord().events.at(-1), 'commit');
  t.equal((await folderOf(server.app.store, FRIEND)).length, 1);
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
