/**
 * Gateways keep their state per server: two servers in one process, each with the fax gateway and
 * its own spool, hand each message to their own spool; and the context a server gives a gateway's
 * start is the one its open and stop get (perServerGateway builds on that).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { silentLogger } from '../../src/log.js';
import { definePlugin, perServerGateway, schema, type GatewayContext, type GatewayDelivery } from '../../src/plugins/api.js';
import { PluginHost, PluginMessage } from '../../src/plugins/host.js';
import type { LoadedPlugin } from '../../src/plugins/loader.js';
import { loadBuiltin, sendThrough, startHarness, users } from './harness.js';

const faxMail = Buffer.from('From: alice@example.org\r\nTo: +4930555000111@fax.example.org\r\nSubject: Hello\r\n\r\nOne page.\r\n');

t.test('two servers in one process each hand faxes to their own spool', async (t) => {
  const dir = t.testdir();
  const start = async (name: string) => {
    const outDir = join(dir, name);
    const plugin = await loadBuiltin('fax', { domains: ['fax.example.org'], spool: { outDir } });
    return { outDir, harness: await startHarness(t, plugin) };
  };
  const first = await start('first');
  const second = await start('second');
  await sendThrough(first.harness, 'fax', { id: 'ONE', from: users.alice.address, user: users.alice.address, numbers: ['+4930555000111'], raw: faxMail });
  t.ok(existsSync(join(first.outDir, 'ONE-1.json')), 'the first server\'s fax is in its spool');
  t.notOk(existsSync(join(second.outDir, 'ONE-1.json')), 'not in the spool of the server started last');
  t.match(first.harness.acks, [{ messageId: 'ONE', status: 'submitted' }]);
  t.same(second.harness.acks, [], 'nor acknowledged by the other server');
});

t.test('start, open and stop of one server get the same context; perServerGateway keeps one instance per server', async (t) => {
  const made: Array<{ ctx: GatewayContext<unknown>; opened: number; stopped: boolean }> = [];
  const seen: Array<{ step: 'start' | 'open' | 'stop'; ctx: GatewayContext<unknown> }> = [];
  const delivery: GatewayDelivery = { addRecipient: async () => undefined, body: async () => undefined, commit: async () => undefined, abort: async () => undefined };
  const definition = definePlugin({
    name: 'probe',
    configSchema: schema.object({}),
    hooks: {},
    gateways: [
      perServerGateway('probe', (ctx) => {
        const instance = { ctx, opened: 0, stopped: false };
        made.push(instance);
        return {
          open: () => {
            instance.opened += 1;
            return delivery;
          },
          stop: () => {
            instance.stopped = true;
          },
        };
      }),
      {
        name: 'plain',
        start: (ctx) => void seen.push({ step: 'start', ctx }),
        open: async (_info, ctx) => {
          seen.push({ step: 'open', ctx });
          return delivery;
        },
        stop: (ctx) => void seen.push({ step: 'stop', ctx }),
      },
    ],
  });
  const plugin: LoadedPlugin = { name: 'probe', source: 'built-in', definition, config: {} };
  const unused = async () => {
    throw new Error('no inbound messages in this test');
  };
  const hosts = [new PluginHost([plugin], { log: silentLogger() }), new PluginHost([plugin], { log: silentLogger() })];
  for (const host of hosts) {
    await host.gateways.start({ pipeline: { checkSender: unused, checkRecipient: unused, deliver: unused }, hostname: 'mail.example.org' });
    t.teardown(() => host.gateways.stop());
  }
  const send = async (host: PluginHost, gateway: string, id: string) => {
    const prepared = await host.gateways.prepare({
      session: { id: 'c1', role: 'submission', remoteAddress: '127.0.0.1', heloName: 'client', user: users.alice.address, secure: true },
      envelope: { from: users.alice.address, to: [`+4930555000111@${gateway}.example.org`] },
      message: new PluginMessage(id, faxMail),
      raw: faxMail,
      targets: [{ gateway, recipient: `+4930555000111@${gateway}.example.org`, number: '+4930555000111' }],
    });
    await prepared.commit();
  };
  await send(hosts[0], 'probe', 'P1');
  await send(hosts[1], 'probe', 'P2');
  await send(hosts[1], 'plain', 'P3');
  t.equal(made.length, 2, 'one instance per server');
  t.not(made[0].ctx, made[1].ctx, 'each with its own context');
  t.same(made.map((instance) => instance.opened), [1, 1], 'each server\'s open went to its own instance');

  await hosts[0].gateways.stop();
  t.same(made.map((instance) => instance.stopped), [true, false], 'stopping one server stops only its instance');

  const starts = seen.filter((entry) => entry.step === 'start').map((entry) => entry.ctx);
  t.equal(starts.length, 2);
  t.not(starts[0], starts[1]);
  const opens = seen.filter((entry) => entry.step === 'open').map((entry) => entry.ctx);
  t.equal(opens.length, 1);
  t.equal(opens[0], starts[1], 'open got the context start got on the same server');
  const stops = seen.filter((entry) => entry.step === 'stop').map((entry) => entry.ctx);
  t.equal(stops.length, 1);
  t.equal(stops[0], starts[0], 'stop got that server\'s own context');
});
