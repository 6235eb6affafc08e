/**
 * Test harness for the gateways: a real store with users and numbers, the real pipeline (made
 * number-aware as the server makes it), a built-in gateway plugin loaded and validated like the
 * server does and started by the plugin host's GatewayHub, and a recorder of the
 * acknowledgements it reports.
 */
import { simpleParser } from 'mailparser';
import type { Test } from 'tap';
import { numberAwarePipeline } from '../../src/gateways/inbound.js';
import { silentLogger } from '../../src/log.js';
import { Pipeline } from '../../src/pipeline/index.js';
import type { GatewayAck, PluginDefinition } from '../../src/plugins/api.js';
import type { GatewayHub, GatewayState } from '../../src/plugins/gateways.js';
import { PluginHost, PluginMessage } from '../../src/plugins/host.js';
import type { LoadedPlugin } from '../../src/plugins/loader.js';
import { validateSection } from '../../src/plugins/schema.js';
import type { Store } from '../../src/store/types.js';
import { inbox, openTestStore, populate } from '../pipeline/fixture.js';

export interface Harness {
  store: Store;
  hub: GatewayHub;
  states(): GatewayState[];
  acks: Array<GatewayAck & { at: Date }>;
  /** Resolves when `count` acknowledgements have been recorded. */
  waitForAcks(count: number): Promise<void>;
}

export const users = {
  alice: { address: 'alice@example.org', phone: '+4915100000001', fax: '+4930100000001' },
  bob: { address: 'bob@example.org', phone: '+4915100000002', fax: null },
} as const;

/** Loads plugins/<name>/index.ts with a config section, as the loader does. */
export async function loadBuiltin(name: string, section: unknown): Promise<LoadedPlugin> {
  const module = (await import(`../../plugins/${name}/index.ts`)) as { default: PluginDefinition<unknown> };
  const checked = validateSection(module.default.configSchema, section, `plugins.${name}`);
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  return { name, source: 'built-in', definition: module.default, config: checked.value };
}

export async function startHarness(t: Test, plugin: LoadedPlugin): Promise<Harness> {
  const store = await openTestStore(t);
  const manager = await populate(store, {
    domains: ['example.org'],
    users: [[users.alice.address, 'correct horse'], [users.bob.address, 'correct horse']],
  });
  await manager.profiles.set(users.alice.address, { phone: users.alice.phone, fax: users.alice.fax });
  await manager.profiles.set(users.bob.address, { phone: users.bob.phone });
  const pipeline = new Pipeline({ store, log: silentLogger(), hostname: 'mail.example.org', maxMessageSize: 10_000_000, maxRecipients: 10 });
  const acks: Harness['acks'] = [];
  const waiters: Array<() => void> = [];
  const host = new PluginHost([plugin], { log: silentLogger(), hookTimeoutMs: 30_000 });
  await host.gateways.start({
    pipeline: numberAwarePipeline(pipeline, store),
    hostname: 'mail.example.org',
    audit: (ack) => {
      acks.push(ack);
      for (const wake of waiters.splice(0)) wake();
    },
  });
  t.teardown(() => host.gateways.stop());
  const waitForAcks = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (acks.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} acks, got ${acks.length}: ${JSON.stringify(acks)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return { store, hub: host.gateways, states: () => host.gateways.states(), acks, waitForAcks };
}

/** Sends one message through a gateway the way the pipeline does: prepare (open, add, body), then commit. */
export async function sendThrough(
  harness: Harness,
  gateway: string,
  input: { id: string; from: string; user: string | null; numbers: string[]; raw: Buffer },
): Promise<void> {
  const envelope = { from: input.from, to: input.numbers.map((number) => `${number}@${gateway}.example.org`) };
  const prepared = await harness.hub.prepare({
    session: { id: 'c1', role: 'submission', remoteAddress: '127.0.0.1', heloName: 'client', user: input.user, secure: true },
    envelope,
    message: new PluginMessage(input.id, input.raw),
    raw: input.raw,
    targets: input.numbers.map((number, index) => ({ gateway, recipient: envelope.to[index], number })),
  });
  await prepared.commit();
}

/** The messages in an account's INBOX, parsed. */
export async function inboxMessages(store: Store, account: string) {
  return Promise.all((await inbox(store, account)).map((message) => simpleParser(message.raw)));
}

/** Polls `check` until it returns a value (not undefined) or fails after 10 s. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
