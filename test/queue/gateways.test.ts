/**
 * Gateway recipients in the outbound queue: the queue hands each to its gateway (a real plugin
 * gateway run by the plugin host's hub) as it hands remote recipients to SMTP, with the same
 * retries, backoff and DSNs: a temporary failure defers and is retried, then delivered once; a
 * permanent one bounces to the sender; one recipient's failure never repeats another's
 * hand-over; a gateway that is not running makes its recipients wait.
 */
import t, { type Test } from 'tap';
import { silentLogger } from '../../src/log.js';
import { newMessageId } from '../../src/pipeline/message-id.js';
import { definePlugin, GatewayRefusal, schema, type GatewayRecipient } from '../../src/plugins/api.js';
import { PluginHost } from '../../src/plugins/host.js';
import type { LoadedPlugin } from '../../src/plugins/loader.js';
import type { QueueEvent } from '../../src/queue/events.js';
import { sampleRaw, splitMessage, startQueue, type QueueHarness } from './helpers.js';

/** What the probe gateway does for a number on its n-th hand-over (1-based): take it, or fail. */
type Script = (number: string, attempt: number) => 'take' | Error;

interface Probe {
  /** Every call, as "open", "add <number> #<ordinal>", "body", "commit", "abort <reason>". */
  calls: string[];
  /** Messages the medium got: one per successful body. */
  taken: Array<{ messageId: string; number: string; subject: string }>;
  script: Script;
}

/** A gateway "probe" in a real PluginHost, its hub started like the server starts it. */
async function probeGateway(t: Test, script: Script = () => 'take') {
  const probe: Probe = { calls: [], taken: [], script };
  const attempts = new Map<string, number>();
  const definition = definePlugin({
    name: 'probe',
    configSchema: schema.object({}),
    hooks: {},
    gateways: [{
      name: 'probe',
      open() {
        probe.calls.push('open');
        const recipients: GatewayRecipient[] = [];
        return {
          async addRecipient(recipient) {
            probe.calls.push(`add ${recipient.number} #${recipient.ordinal}`);
            recipients.push(recipient);
          },
          async body(message) {
            probe.calls.push('body');
            for (const recipient of recipients) {
              const attempt = (attempts.get(recipient.number) ?? 0) + 1;
              attempts.set(recipient.number, attempt);
              const outcome = probe.script(recipient.number, attempt);
              if (outcome instanceof Error) throw outcome;
              probe.taken.push({ messageId: message.id, number: recipient.number, subject: (await message.parsed()).subject ?? '' });
            }
          },
          async commit() {
            probe.calls.push('commit');
          },
          async abort(reason) {
            probe.calls.push(`abort ${reason}`);
          },
        };
      },
    }],
  });
  const plugin: LoadedPlugin = { name: 'probe', source: 'built-in', definition, config: {} };
  const host = new PluginHost([plugin], { log: silentLogger(), hookTimeoutMs: 5000 });
  const unused = async () => {
    throw new Error('no inbound messages in this test');
  };
  await host.gateways.start({ pipeline: { checkSender: unused, checkRecipient: unused, deliver: unused }, hostname: 'relay.example.test' });
  t.teardown(() => host.gateways.stop());
  return { probe, hub: host.gateways };
}

/** Queues a message for gateway recipients as the pipeline does (the queue target). */
async function enqueueForGateway(harness: QueueHarness, numbers: string[], options: { gateway?: string; from?: string } = {}): Promise<string> {
  const id = newMessageId();
  const from = options.from ?? 'alice@example.test';
  const delivery = harness.queue.target.start({ id, from, source: 'submission', user: from, dsn: { ret: null, envid: null }, receivedAt: harness.clock.now() });
  for (const number of numbers) {
    const gateway = options.gateway ?? 'probe';
    await delivery.addRecipient({ address: `${number}@${gateway}.example.test`, dsn: { notify: null, orcpt: null }, gateway: { name: gateway, number } });
  }
  await delivery.body(sampleRaw('To the phone'));
  await delivery.commit();
  return id;
}

const ofType = <K extends QueueEvent['type']>(events: QueueEvent[], type: K) => events.filter((event): event is Extract<QueueEvent, { type: K }> => event.type === type);

t.test('a temporary gateway failure is retried by the queue and then delivered once; the other recipient is not handed over again', async (t) => {
  const { probe, hub } = await probeGateway(t, (number, attempt) => (number === '+4930000002' && attempt === 1 ? new Error('modem busy') : 'take'));
  const harness = await startQueue(t, { gateways: hub });
  const id = await enqueueForGateway(harness, ['+4930000001', '+4930000002']);

  const deferred = await harness.waitFor((event) => event.type === 'deferred', 'the deferral');
  t.match(deferred, { messageId: id, recipient: '+4930000002@probe.example.test', reply: { code: 451, enhanced: '4.3.0' }, attempts: 1 });
  t.same(probe.taken.map((item) => item.number), ['+4930000001'], 'the first recipient was handed over, the second not');
  t.same(probe.calls, [
    'open', 'add +4930000001 #1', 'body', 'commit',
    'open', 'add +4930000002 #2', 'body', 'abort Temporary failure in message processing, please try again later',
  ], 'one delivery per recipient, each numbered by its place in the message; the failed one aborted');
  const attempts = ofType(harness.events, 'attempt');
  t.match(attempts, [
    { messageId: id, attempt: 1, host: 'probe gateway', ip: null, recipients: ['+4930000001@probe.example.test'], results: [{ status: 'delivered' }] },
    { messageId: id, attempt: 1, host: 'probe gateway', recipients: ['+4930000002@probe.example.test'], results: [{ status: 'deferred' }], bytes: 0 },
  ], 'every hand-over is an attempt in the queue events (and so in the audit trail)');
  t.match(ofType(harness.events, 'delivered'), [{ recipient: '+4930000001@probe.example.test', host: 'probe gateway', reply: { code: 250, enhanced: '2.0.0' } }]);
  t.match((await harness.store.queue.get(id))?.recipients, [{ status: 'delivered' }, { status: 'deferred' }], 'the delivered status is on disk');

  await harness.advance(5 * 60_000);
  await harness.waitFor((event) => event.type === 'removed', 'the entry to leave the queue');
  t.same(probe.taken.map((item) => item.number), ['+4930000001', '+4930000002'], 'the retry handed over the deferred recipient only');
  t.same(probe.taken.map((item) => item.subject), ['To the phone', 'To the phone']);
  t.equal(await harness.store.queue.get(id), null);

  await harness.advance(24 * 3_600_000);
  t.equal(probe.taken.length, 2, 'nothing is handed over twice');
  t.same(harness.dsns, [], 'no notice: nothing failed and nobody asked for success notices');
});

t.test('a permanent gateway refusal bounces to the sender with a DSN; a 4xx refusal defers', async (t) => {
  const { probe, hub } = await probeGateway(t, (number) => {
    if (number === '+10000000') return new GatewayRefusal(550, '5.1.1', 'No such number');
    if (number === '+20000000') return new GatewayRefusal(451, '4.4.1', 'SMSC not reachable');
    return 'take';
  });
  const harness = await startQueue(t, { gateways: hub });
  const id = await enqueueForGateway(harness, ['+10000000', '+20000000', '+4930123456']);

  // Deferrals are told last in a round, after the notice and the entry's write.
  await harness.waitFor((event) => event.type === 'deferred', 'the end of the first round');
  t.match(ofType(harness.events, 'dsn-sent'), [{ messageId: id, kind: 'failure', recipients: ['+10000000@probe.example.test'], to: 'alice@example.test' }]);
  t.match(ofType(harness.events, 'failed'), [{ messageId: id, recipient: '+10000000@probe.example.test', reason: 'permanent', reply: { code: 550, enhanced: '5.1.1', text: 'No such number' } }]);
  t.match(ofType(harness.events, 'deferred'), [{ recipient: '+20000000@probe.example.test', reply: { code: 451, enhanced: '4.4.1', text: 'SMSC not reachable' } }]);
  t.same(probe.taken.map((item) => item.number), ['+4930123456']);
  t.ok(probe.calls.includes('abort No such number'), 'the refused delivery was aborted with the refusal');

  t.equal(harness.dsns.length, 1);
  const [dsn] = harness.dsns;
  t.same(dsn.to, ['alice@example.test'], 'to the sender');
  const { body } = splitMessage(dsn.raw);
  t.match(body, /Final-Recipient: rfc822; \+10000000@probe\.example\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\n/);
  t.match(body, /Diagnostic-Code: smtp; 550 5\.1\.1 No such number/);
  t.notMatch(body, /Remote-MTA/, 'a gateway is not named as a remote MTA');
  t.notMatch(body, /\+20000000/, 'the deferred recipient is not in the failure notice');
  t.notMatch(body, /\+4930123456/, 'nor the delivered one');
  t.match(await harness.store.queue.get(id), { recipients: [{ status: 'failed', reported: true }, { status: 'deferred' }, { status: 'delivered' }] });
});

t.test('recipients of a gateway that does not run wait in the queue; nothing is bounced', async (t) => {
  const { probe, hub } = await probeGateway(t);
  const harness = await startQueue(t, { gateways: hub });
  const id = await enqueueForGateway(harness, ['+4930000009'], { gateway: 'pager' });
  const deferred = await harness.waitFor((event) => event.type === 'deferred', 'the deferral');
  t.match(deferred, { messageId: id, reply: { code: 451, enhanced: '4.3.5', text: 'No gateway named pager runs on this server' } });
  t.same(probe.calls, [], 'no other gateway was asked');
  t.same(harness.dsns, []);
  t.ok(await harness.store.queue.get(id), 'still queued');
});
