/**
 * Delivery targets in the pipeline (pipeline/target.ts, targets/*): the mailbox store, the queue
 * and, through the queue, the gateways are driven as one acceptance. A store that fails after the
 * queue took a gateway recipient leaves nothing behind, so the client's retry sends the SMS once;
 * the order of bodies (reversible first) and abort-all on a refusal.
 */
import t, { type Test } from 'tap';
import { SmtpError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { Pipeline, type SessionInfo } from '../../src/pipeline/index.js';
import type { MessageTarget, TargetDelivery } from '../../src/pipeline/target.js';
import { deliverToTargets } from '../../src/pipeline/targets/deliver.js';
import { definePlugin, schema, target, verdict, type GatewayRecipient } from '../../src/plugins/api.js';
import { PluginHost } from '../../src/plugins/host.js';
import type { LoadedPlugin } from '../../src/plugins/loader.js';
import type { QueueEvent } from '../../src/queue/events.js';
import { OutboundQueue } from '../../src/queue/queue.js';
import type { Store } from '../../src/store/types.js';
import { QUEUE_DEFAULTS } from '../queue/helpers.js';
import { inbox, openTestStore, populate } from './fixture.js';

const DOMAIN = '@probe.example.org';
const ALICE = 'alice@example.org';

/** A plugin routing +<number>@probe.example.org to its gateway "probe", which records what it takes. */
function probePlugin(taken: Array<{ messageId: string; number: string }>): LoadedPlugin {
  const definition = definePlugin({
    name: 'probe',
    configSchema: schema.object({}),
    hooks: {
      rcptTo: (ctx) => (ctx.to.endsWith(DOMAIN) ? verdict.accept() : verdict.continue()),
      route: (ctx) => (ctx.recipient.endsWith(DOMAIN) ? verdict.route(target.gateway('probe', ctx.recipient.slice(0, -DOMAIN.length))) : undefined),
    },
    gateways: [{
      name: 'probe',
      open() {
        const recipients: GatewayRecipient[] = [];
        return {
          addRecipient: async (recipient) => void recipients.push(recipient),
          body: async (message) => {
            for (const recipient of recipients) taken.push({ messageId: message.id, number: recipient.number });
          },
          commit: async () => undefined,
          abort: async () => undefined,
        };
      },
    }],
  });
  return { name: 'probe', source: 'built-in', definition, config: {} };
}

/** The store, except that its next `failures` deliveries fail as a disk error would. */
function failingDeliveries(store: Store, state: { failures: number }): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'deliver') {
        return async (...args: Parameters<Store['deliver']>) => {
          if (state.failures > 0) {
            state.failures--;
            throw new Error('simulated write failure');
          }
          return target.deliver(...args);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function setup(t: Test) {
  const store = await openTestStore(t);
  await populate(store, { domains: ['example.org'], users: [[ALICE, 'correct horse']] });
  const taken: Array<{ messageId: string; number: string }> = [];
  const host = new PluginHost([probePlugin(taken)], { log: silentLogger() });
  const unused = async () => {
    throw new Error('no inbound messages in this test');
  };
  await host.gateways.start({ pipeline: { checkSender: unused, checkRecipient: unused, deliver: unused }, hostname: 'mail.example.org' });
  t.teardown(() => host.gateways.stop());
  const queue = new OutboundQueue({
    store: store.queue, log: silentLogger(), hostname: 'mail.example.org', config: QUEUE_DEFAULTS, routes: {}, gateways: host.gateways,
    resolver: { resolveMx: noDns, resolve4: noDns, resolve6: noDns },
  });
  const events: QueueEvent[] = [];
  queue.events.on('queue', (event) => events.push(event));
  queue.start();
  t.teardown(() => queue.close());
  const failures = { failures: 0 };
  const pipeline = new Pipeline({
    store: failingDeliveries(store, failures), log: silentLogger(), hostname: 'mail.example.org', maxMessageSize: 1_000_000, maxRecipients: 10,
    plugins: host, queue: queue.target,
  });
  return { store, queue, pipeline, taken, events, failures };
}

async function noDns(): Promise<never> {
  throw Object.assign(new Error('no DNS in tests'), { code: 'ESERVFAIL' });
}

const session: SessionInfo = { id: 'c1', role: 'submission', remoteAddress: '127.0.0.1', heloName: 'client.example.org', user: ALICE, secure: true };
const message = Buffer.from(`From: ${ALICE}\r\nTo: +4930123456${DOMAIN}\r\nSubject: Call me\r\n\r\nPlease.\r\n`);

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('a store failure after the queue took a gateway recipient sends nothing; the retry sends the SMS once', async (t) => {
  const { store, queue, pipeline, taken, events, failures } = await setup(t);
  const envelope = { from: ALICE, to: [`+4930123456${DOMAIN}`, ALICE] };
  failures.failures = 1;
  await t.rejects(pipeline.deliver(session, envelope, message), new SmtpError(451, '4.3.0', 'Temporary local failure, please try again later'), 'the client is told to retry');
  t.equal(await store.queue.count(), 0, 'the queue entry written before the store failed is gone');
  await new Promise((resolve) => setTimeout(resolve, 100));
  await queue.idle();
  t.same(taken, [], 'the gateway never saw the refused message');
  t.same(events, [], 'nothing was queued');
  t.same(await inbox(store, ALICE), [], 'nothing stored');

  const { id } = await pipeline.deliver(session, envelope, message);
  await until(() => events.some((event) => event.type === 'removed'), 'the gateway delivery to finish');
  t.same(taken, [{ messageId: id, number: '+4930123456' }], 'the SMS went out once, for the accepted message');
  t.same(events.filter((event) => event.type !== 'attempt').map((event) => event.type), ['queued', 'delivered', 'removed']);
  t.match(events.find((event) => event.type === 'attempt'), { messageId: id, host: 'probe gateway', results: [{ recipient: `+4930123456${DOMAIN}`, status: 'delivered' }] });
  const [stored] = await inbox(store, ALICE);
  t.match(stored.raw.toString('utf8'), new RegExp(`^Return-Path: <${ALICE}>\\r\\nReceived: from client\\.example\\.org \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mail\\.example\\.org \\(Bridgehead\\) with ESMTPSA id ${id};`), 'final delivery adds Return-Path above our Received');
  await new Promise((resolve) => setTimeout(resolve, 100));
  await queue.idle();
  t.equal(taken.length, 1, 'and never again');
});

/** A target that records its steps in `log`, and fails the step named in `fail`. */
function recorder(name: string, reversible: boolean, log: string[], fail: string | null = null): MessageTarget {
  return {
    name,
    reversible,
    start(): TargetDelivery {
      const step = async (what: string) => {
        log.push(`${name} ${what}`);
        if (fail === what) throw new SmtpError(550, '5.1.1', `${name} refused`);
      };
      return { addRecipient: () => step('add'), body: () => step('body'), commit: () => step('commit'), abort: () => step('abort') };
    },
  };
}

t.test('deliverToTargets: every recipient added first, reversible bodies first, commit all or abort all', async (t) => {
  const recipient = { address: 'x@example.org', dsn: { notify: null, orcpt: null } };
  const drive = async (fail: { target: string; step: string } | null) => {
    const log: string[] = [];
    const targets = [
      { target: recorder('store', false, log, fail?.target === 'store' ? fail.step : null), recipients: [recipient] },
      { target: recorder('queue', true, log, fail?.target === 'queue' ? fail.step : null), recipients: [recipient] },
      { target: recorder('unused', true, log), recipients: [] },
    ];
    const message = { id: 'M', from: '', source: 'internal' as const, user: null, dsn: { ret: null, envid: null }, receivedAt: 0 };
    const error = await deliverToTargets(message, targets, Buffer.from('x'), silentLogger()).catch((caught: unknown) => caught);
    return { log, error };
  };
  t.same((await drive(null)).log, ['queue add', 'store add', 'queue body', 'store body', 'queue commit', 'store commit']);
  const storeFails = await drive({ target: 'store', step: 'body' });
  t.same(storeFails.log, ['queue add', 'store add', 'queue body', 'store body', 'store abort', 'queue abort'], 'the written queue entry is aborted');
  t.match(storeFails.error, { code: 550, message: 'store refused' });
  t.same((await drive({ target: 'store', step: 'add' })).log, ['queue add', 'store add', 'store abort', 'queue abort'], 'a refused recipient stops before any body');
});
