/**
 * The gateway protocol listener over real HTTP: good, bad, expired and replayed signatures; a
 * signed inbound SMS reaching the owner's INBOX; an ack landing in the audit path; every answer
 * to a verified request signed and verifiable by the gateway.
 */
import t, { type Test } from 'tap';
import { GatewayListener } from '../../src/gateways/listener.js';
import { deliverFromPeer, numberAwarePipeline } from '../../src/gateways/inbound.js';
import { sign, signDocument, Verifier, type SignedDocument } from '../../src/gateways/protocol.js';
import { silentLogger } from '../../src/log.js';
import { Pipeline } from '../../src/pipeline/index.js';
import { inbox, openTestStore, populate } from '../pipeline/fixture.js';
import { simpleParser } from 'mailparser';

const KEY = 'k'.repeat(20) + '-sms-gateway-secret';
const keys = new Map([['sms-remote', Buffer.from(KEY)]]);

async function setup(t: Test) {
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const store = await openTestStore(t);
  const users = await populate(store, { domains: ['example.org'], users: [['alice@example.org', 'correct horse']] });
  await users.profiles.set('alice@example.org', { phone: '+4915100000001' });
  const pipeline = new Pipeline({ store, log: silentLogger(), hostname: 'mail.example.org', maxMessageSize: 1_000_000, maxRecipients: 10 });
  const acks: unknown[] = [];
  const gatewayPipeline = numberAwarePipeline(pipeline, store);
  const listener = new GatewayListener({
    config: {
      listener: { enabled: true, host: '127.0.0.1', port: 0 },
      maxSkewSeconds: 300,
      maxRequestBytes: 100_000,
      peers: { 'sms-remote': { key: KEY, medium: 'sms', domain: 'sms.example.org' } },
    },
    handlers: {
      deliverInbound: (via, message) => deliverFromPeer(gatewayPipeline, via, message, { hostname: 'mail.example.org' }),
      ack: async (ack) => void acks.push(ack),
    },
    log: silentLogger(),
    now: () => clock,
  });
  const port = await listener.listen();
  t.teardown(() => listener.close());
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { store, acks, post, now: () => clock, advance: (ms: number) => (clock += ms) };
}

const inboundDocument = (now: number, text = 'On my way') =>
  signDocument({ type: 'inbound', gateway: 'sms-remote', messageId: 'remote-1', medium: 'sms', sender: '+4917612345678', recipient: '+4915100000001' }, { text }, Buffer.from(KEY), now);

/** Checks a response the way a gateway would: signature, type, message. */
function verifiedResponse(t: Test, body: Record<string, unknown>, now: number, messageId: string): Record<string, unknown> {
  const verifier = new Verifier({ keys, maxSkewMs: 300_000, now: () => now });
  const document = body as unknown as SignedDocument;
  t.same(verifier.verify(document), { ok: true }, 'the answer is signed with the gateway\'s key');
  t.equal(document.meta.type, 'response');
  t.equal(document.meta.messageId, messageId);
  return JSON.parse(document.payload) as Record<string, unknown>;
}

t.test('a signed inbound SMS reaches the owner of the number; the answer is signed', async (t) => {
  const { store, post, now } = await setup(t);
  const { status, body } = await post('/v1/inbound', inboundDocument(now()));
  t.equal(status, 200);
  const payload = verifiedResponse(t, body, now(), 'remote-1');
  t.equal(payload.status, 'accepted');
  t.match(payload.messageId, /^[0-9A-Za-z]+$/, 'the server\'s message id');
  const [stored] = await inbox(store, 'alice@example.org');
  const mail = await simpleParser(stored.raw);
  t.equal(mail.from?.value[0].address, '+4917612345678@sms.example.org');
  t.equal(mail.text?.trim(), 'On my way');
  t.equal(mail.headers.get('x-bridgehead-gateway'), 'sms-remote');
});

t.test('bad, expired, replayed and unknown-gateway requests get 401 and change nothing', async (t) => {
  const { store, post, now, advance } = await setup(t);
  const good = inboundDocument(now());

  const tampered = structuredClone(good);
  tampered.meta.recipient = '+4915100000009';
  t.same(await post('/v1/inbound', tampered), { status: 401, body: { error: 'bad-signature' } }, 'changed meta');

  const otherPayload = { ...structuredClone(good), payload: JSON.stringify({ text: 'Send money' }) };
  t.same(await post('/v1/inbound', otherPayload), { status: 401, body: { error: 'bad-digest' } }, 'changed payload');

  const wrongKey = structuredClone(good);
  wrongKey.signature = sign(wrongKey.meta, Buffer.from('x'.repeat(40)));
  t.same(await post('/v1/inbound', wrongKey), { status: 401, body: { error: 'bad-signature' } }, 'signed with another key');

  const stranger = signDocument({ ...good.meta, gateway: 'intruder' }, { text: 'hi' }, Buffer.from(KEY), now());
  t.same(await post('/v1/inbound', stranger), { status: 401, body: { error: 'unknown-gateway' } });

  const old = inboundDocument(now() - 301_000);
  t.same(await post('/v1/inbound', old), { status: 401, body: { error: 'expired' } }, 'older than the window');
  const future = inboundDocument(now() + 301_000);
  t.same(await post('/v1/inbound', future), { status: 401, body: { error: 'expired' } }, 'too far in the future');

  t.same(await inbox(store, 'alice@example.org'), [], 'nothing was delivered');

  t.equal((await post('/v1/inbound', good)).status, 200, 'the genuine request is accepted once');
  advance(1000);
  t.same(await post('/v1/inbound', good), { status: 401, body: { error: 'replayed' } }, 'the same request again is a replay');
  t.equal((await inbox(store, 'alice@example.org')).length, 1, 'delivered exactly once');

  t.equal((await post('/v1/inbound', '{not json')).status, 400);
  t.equal((await post('/v1/inbound', { meta: {}, payload: '{}', signature: 'x' })).status, 400);
});

t.test('acks land in the audit path; a bad status is refused with a signed rejection', async (t) => {
  const { acks, post, now } = await setup(t);
  const ack = signDocument({ type: 'ack', gateway: 'sms-remote', messageId: 'SERVERID1', medium: 'sms', sender: 'alice@example.org', recipient: '+4917612345678' }, { status: 'delivered', reference: 'smsc-77' }, Buffer.from(KEY), now());
  const { status, body } = await post('/v1/ack', ack);
  t.equal(status, 200);
  t.equal(verifiedResponse(t, body, now(), 'SERVERID1').status, 'accepted');
  t.match(acks, [{ messageId: 'SERVERID1', gateway: 'sms-remote', recipient: '+4917612345678', status: 'delivered', reference: 'smsc-77' }]);

  const bad = signDocument({ ...ack.meta }, { status: 'lost' }, Buffer.from(KEY), now());
  const refused = await post('/v1/ack', bad);
  t.equal(refused.status, 422);
  t.equal(verifiedResponse(t, refused.body, now(), 'SERVERID1').status, 'rejected');
  t.equal(acks.length, 1);

  const wrongEndpoint = await post('/v1/inbound', signDocument({ ...ack.meta }, { status: 'read' }, Buffer.from(KEY), now()));
  t.equal(wrongEndpoint.status, 422, 'an ack sent to /v1/inbound is refused');
});

t.test('an inbound message for a number nobody has is a signed permanent rejection', async (t) => {
  const { post, now } = await setup(t);
  const document = signDocument({ type: 'inbound', gateway: 'sms-remote', messageId: 'remote-2', medium: 'sms', sender: '+4917612345678', recipient: '+4915199999999' }, { text: 'hi' }, Buffer.from(KEY), now());
  const { status, body } = await post('/v1/inbound', document);
  t.equal(status, 422);
  const payload = verifiedResponse(t, body, now(), 'remote-2');
  t.equal(payload.status, 'rejected');
  t.match(payload.error, /^550 5\.1\.1/);
});
