/**
 * The gateway protocol's replay protection across a restart: accepted nonces are kept in the
 * store's gateway state for their window, so a listener started later on the same store still
 * refuses a replay; a nonce that cannot be recorded makes the request a temporary refusal that
 * changes nothing.
 */
import t, { type Test } from 'tap';
import { GatewayListener } from '../../src/gateways/listener.js';
import { signDocument } from '../../src/gateways/protocol.js';
import { silentLogger } from '../../src/log.js';
import type { GatewayStateStore } from '../../src/store/types.js';
import { openTestStore } from '../pipeline/fixture.js';

const KEY = 'k'.repeat(20) + '-sms-gateway-secret';
const START = Date.parse('2026-03-01T12:00:00Z');

/** A listener on `nonces` whose clock reads `clock.now`; acks are collected. */
async function listen(t: Test, nonces: GatewayStateStore, clock: { now: number }) {
  const acks: unknown[] = [];
  const listener = new GatewayListener({
    config: {
      listener: { enabled: true, host: '127.0.0.1', port: 0 },
      maxSkewSeconds: 300,
      maxRequestBytes: 100_000,
      peers: { 'sms-remote': { key: KEY, medium: 'sms', domain: 'sms.example.org' } },
    },
    handlers: {
      deliverInbound: async () => ({ ok: false, temporary: false, reply: '550 5.1.1 not in this test' }),
      ack: async (ack) => void acks.push(ack),
    },
    log: silentLogger(),
    now: () => clock.now,
    nonces,
  });
  const port = await listener.listen();
  t.teardown(() => listener.close());
  const post = async (body: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { acks, post, close: () => listener.close() };
}

const ack = (now: number) =>
  signDocument({ type: 'ack', gateway: 'sms-remote', messageId: 'M1', medium: 'sms', sender: 'mail.example.org', recipient: '+4917612345678' }, { status: 'delivered' }, Buffer.from(KEY), now);

t.test('a replay is refused after a restart; the nonce is forgotten once its window has passed', async (t) => {
  const store = await openTestStore(t);
  const clock = { now: START };
  const document = ack(START);
  const first = await listen(t, store.gatewayState, clock);
  t.equal((await first.post(document)).status, 200);
  t.equal(first.acks.length, 1);
  await first.close();

  clock.now = START + 60_000;
  const second = await listen(t, store.gatewayState, clock);
  t.same((await second.post(document)), { status: 401, body: { error: 'replayed' } }, 'the restarted listener remembers the nonce');
  t.equal(second.acks.length, 0, 'the replay changed nothing');
  t.equal((await second.post(ack(clock.now))).status, 200, 'a fresh request is accepted');

  t.equal(await store.gatewayState.expire(START + 11 * 60_000), 2, 'both nonces expire after twice the window');
  t.same(await store.gatewayState.list('gateway-protocol/sms-remote', START), []);
});

t.test('a nonce that cannot be recorded refuses the request for now; it changes nothing', async (t) => {
  const store = await openTestStore(t);
  const broken: GatewayStateStore = {
    get: (...args) => store.gatewayState.get(...args),
    list: (...args) => store.gatewayState.list(...args),
    delete: (...args) => store.gatewayState.delete(...args),
    expire: (...args) => store.gatewayState.expire(...args),
    put: async () => {
      throw new Error('disk full');
    },
  };
  const listener = await listen(t, broken, { now: START });
  const answer = await listener.post(ack(START));
  t.equal(answer.status, 503);
  t.match(JSON.parse(answer.body.payload as string), { status: 'rejected', temporary: true });
  t.same(listener.acks, []);
});
