/**
 * The voice gateway with the real espeak-ng: the spoken mail is an 8 kHz mono 16-bit WAV next to
 * an Asterisk call file; Asterisk's archived call file → an ack; voicemail → a mail with the
 * recording; the HTTP transport speaks the signed gateway protocol to a gateway that checks it
 * with the server's own verifier.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { checkShape, signDocument, Verifier } from '../../src/gateways/protocol.js';
import { eventually, inboxMessages, loadBuiltin, sendThrough, startHarness, users } from './harness.js';

const mail = Buffer.from('From: alice@example.org\r\nTo: +4917612345678@voice.example.org\r\nSubject: Dinner\r\n\r\nThe table is booked for eight.\r\n');

/** The fmt chunk of a canonical WAV (RIFF, WAVE, "fmt " first). */
function wavFormat(wav: Buffer) {
  return {
    riff: wav.toString('latin1', 0, 4),
    wave: wav.toString('latin1', 8, 12),
    chunk: wav.toString('latin1', 12, 16),
    audioFormat: wav.readUInt16LE(20),
    channels: wav.readUInt16LE(22),
    sampleRate: wav.readUInt32LE(24),
    byteRate: wav.readUInt32LE(28),
    blockAlign: wav.readUInt16LE(32),
    bitsPerSample: wav.readUInt16LE(34),
    dataChunk: wav.toString('latin1', 36, 40),
    dataBytes: wav.readUInt32LE(40),
  };
}

async function setupAsterisk(t: Test) {
  const dir = t.testdir();
  const asterisk = { outgoingDir: join(dir, 'outgoing'), soundDir: join(dir, 'sounds'), doneDir: join(dir, 'outgoing_done'), channel: 'PJSIP/{digits}@carrier' };
  const inbound = { inDir: join(dir, 'voicemail'), pollMs: 100 };
  const plugin = await loadBuiltin('voice', { domains: ['voice.example.org'], asterisk, inbound });
  return { asterisk, inbound, harness: await startHarness(t, plugin) };
}

t.test('a mail is spoken into an 8 kHz mono 16-bit WAV and an Asterisk call file', async (t) => {
  const { asterisk, harness } = await setupAsterisk(t);
  await sendThrough(harness, 'voice', { id: 'VOICE1', from: users.alice.address, user: users.alice.address, numbers: ['+4917612345678'], raw: mail });
  const job = 'bh-VOICE1-1';
  const wav = readFileSync(join(asterisk.soundDir, `${job}.wav`));
  const format = wavFormat(wav);
  t.match(format, { riff: 'RIFF', wave: 'WAVE', chunk: 'fmt ', audioFormat: 1, channels: 1, sampleRate: 8000, byteRate: 16000, blockAlign: 2, bitsPerSample: 16, dataChunk: 'data' });
  t.equal(format.dataBytes, wav.length - 44, 'data chunk size matches the file');
  t.ok(format.dataBytes > 16000, 'more than a second of speech');
  let peak = 0;
  for (let offset = 44; offset < wav.length; offset += 2) peak = Math.max(peak, Math.abs(wav.readInt16LE(offset)));
  t.ok(peak > 3000, 'not silence');

  const call = readFileSync(join(asterisk.outgoingDir, `${job}.call`), 'utf8');
  t.match(call, /^Channel: PJSIP\/4917612345678@carrier$/m);
  t.match(call, new RegExp(`^Data: ${join(asterisk.soundDir, job).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), 'plays the recording (no extension, as Playback wants)');
  t.match(call, /^Archive: yes$/m);
  t.same(readdirSync(asterisk.soundDir).filter((name) => name.startsWith('.')), [], 'no staged files left');
  t.match(harness.acks, [{ messageId: 'VOICE1', gateway: 'voice', status: 'submitted', reference: job }]);

  writeFileSync(join(asterisk.doneDir, `${job}.call`), `${call}Status: Completed\n`);
  await harness.waitForAcks(2);
  t.match(harness.acks[1], { messageId: 'VOICE1', recipient: '+4917612345678', status: 'delivered', detail: 'Completed' });
  await eventually(async () => (existsSync(join(asterisk.doneDir, `${job}.call`)) ? undefined : true), 'the archived call file to be consumed');
});

t.test('voicemail for a user\'s number arrives with the recording attached', async (t) => {
  const { inbound, harness } = await setupAsterisk(t);
  const recording = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(40)]);
  mkdirSync(inbound.inDir, { recursive: true });
  writeFileSync(join(inbound.inDir, 'vm1.wav'), recording);
  writeFileSync(join(inbound.inDir, 'vm1.json'), JSON.stringify({ from: '+4917612345678', to: users.bob.phone, durationSeconds: 12 }));
  const [message] = await eventually(async () => {
    const list = await inboxMessages(harness.store, users.bob.address);
    return list.length === 1 ? list : undefined;
  }, 'voicemail in bob\'s INBOX');
  t.equal(message.from?.value[0].address, '+4917612345678@voice.example.org');
  t.equal(message.subject, 'Voicemail from +4917612345678');
  t.equal(message.attachments[0].contentType, 'audio/wav');
  t.same(message.attachments[0].content, recording);
  t.notOk(existsSync(join(inbound.inDir, 'vm1.wav')), 'taken out of the spool');
});

t.test('the HTTP transport sends a signed deliver document and checks the signed answer', async (t) => {
  const key = 'voice-gateway-key-0123456789abcdef';
  const verifier = new Verifier({ keys: new Map([['bridgehead', Buffer.from(key)]]), maxSkewMs: 300_000 });
  const received: Array<{ verified: unknown; meta: unknown; payload: { text: string; audio: { contentType: string; data: string } } }> = [];
  let forge = false;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const shape = checkShape(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    if (!shape.ok) return response.writeHead(400).end();
    const { document } = shape;
    received.push({ verified: verifier.verify(document), meta: document.meta, payload: JSON.parse(document.payload) });
    const answer = signDocument({ ...document.meta, type: 'response' }, { status: 'accepted', reference: 'call-42' }, Buffer.from(forge ? 'z'.repeat(40) : key));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/deliver`;
  const plugin = await loadBuiltin('voice', { domains: ['voice.example.org'], transport: 'http', http: { url, gateway: 'bridgehead', key } });
  const harness = await startHarness(t, plugin);

  await sendThrough(harness, 'voice', { id: 'VOICE2', from: users.alice.address, user: users.alice.address, numbers: ['+4917612345678'], raw: mail });
  t.equal(received.length, 1);
  t.same(received[0].verified, { ok: true }, 'the server\'s verifier accepts the plugin\'s signature');
  t.match(received[0].meta, { type: 'deliver', gateway: 'bridgehead', messageId: 'VOICE2', medium: 'voice', sender: users.alice.address, recipient: '+4917612345678' });
  t.match(received[0].payload.text, /Dinner/);
  t.equal(wavFormat(Buffer.from(received[0].payload.audio.data, 'base64')).sampleRate, 8000);
  t.match(harness.acks, [{ messageId: 'VOICE2', status: 'submitted', reference: 'call-42' }]);

  forge = true;
  await t.rejects(
    sendThrough(harness, 'voice', { id: 'VOICE3', from: users.alice.address, user: users.alice.address, numbers: ['+4917612345678'], raw: mail }),
    /Temporary failure/,
    'an answer not signed with the key is not taken for a hand-over: the sender is told to retry',
  );
  t.equal(harness.acks.length, 1, 'no submitted ack for it');
});

t.test('without espeak-ng the voice gateway is disabled with the reason', async (t) => {
  const plugin = await loadBuiltin('voice', { domains: ['voice.example.org'], espeak: '/nonexistent/espeak-ng', asterisk: { outgoingDir: '/tmp/x', soundDir: '/tmp/y' } });
  const harness = await startHarness(t, plugin);
  t.match(harness.states(), [{ name: 'voice', available: false, reason: /espeak-ng \(Debian package espeak-ng\)/ }]);
});
