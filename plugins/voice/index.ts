/**
 * The voice gateway: mail to "+<number>@<voice domain>" is spoken by espeak-ng into an 8 kHz mono
 * 16-bit WAV (audio.ts) and handed to a telephony system: an Asterisk call file in its outgoing
 * spool (the call plays the recording), or an out-of-process gateway over the signed gateway
 * protocol (signed-http.ts). Asterisk's archived call files give the outcome (`gatewayAck`);
 * voicemail left for a user's number (audio + caller id in the inbound spool) becomes a mail with
 * the recording attached.
 *
 * Asterisk call files (doc: "Asterisk call files", pbx_spool): written elsewhere and renamed
 * into `outgoingDir` so Asterisk never reads half a file; `Archive: yes` makes Asterisk move the
 * finished file to outgoing_done with a `Status: Completed|Failed|Expired` line, read from
 * `doneDir`.
 *
 * Invariants: espeak-ng is required (without it the gateway is disabled at start-up, with the
 * reason); the sound file is complete before the call file appears; spoken text is cut to
 * `maxLength` characters.
 */
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { definePlugin, GatewayRefusal, schema, type GatewayContext, type GatewayDelivery, type GatewayRecipient, type GatewayStatus, type Infer } from '../../src/plugins/api.js';
import { pollDirectory, type Poller } from '../fax/spool.js';
import { E164, gatewayRoutingHooks } from '../sms/gateway-routing.js';
import { smsText } from '../sms/text.js';
import { missingTools } from '../sms/tools.js';
import { speak } from './audio.js';
import { postDeliver } from './signed-http.js';

const path = (description: string) => schema.optional(schema.string({ pattern: /^\//, patternText: 'an absolute path', description }));

const configSchema = schema.object({
  domains: schema.array(schema.string({ pattern: /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, patternText: 'a lower-case domain name' }), {
    minItems: 1, description: 'Gateway domains: mail to +<number>@<domain> is read out in a call. The first one is the From domain of voicemail.',
  }),
  allowedSenders: schema.array(schema.email({ allowDomain: true }), { default: [], description: 'Senders allowed without authenticating (addresses or @domain).' }),
  espeak: schema.string({ default: 'espeak-ng', description: 'espeak-ng program (Debian package espeak-ng).' }),
  voice: schema.string({ default: 'en-us', pattern: /^[a-z0-9+_-]{1,40}$/i, patternText: 'an espeak-ng voice name', description: 'espeak-ng voice, e.g. en-us, de, fr.' }),
  wordsPerMinute: schema.integer({ min: 80, max: 450, default: 150, description: 'Speaking speed.' }),
  maxLength: schema.integer({ min: 1, max: 20_000, default: 1000, description: 'Characters of sender, subject and text that are spoken.' }),
  transport: schema.enum(['asterisk', 'http'] as const, { default: 'asterisk', description: 'asterisk: call files; http: a gateway speaking the signed gateway protocol.' }),
  asterisk: schema.object({
    outgoingDir: path('Asterisk\'s outgoing spool, e.g. /var/spool/asterisk/outgoing.'),
    soundDir: path('Where recordings are written; Asterisk must read them, on the same file system as outgoingDir.'),
    doneDir: path('Asterisk\'s outgoing_done, read for call outcomes (call files carry Archive: yes).'),
    channel: schema.string({ default: 'PJSIP/{number}@trunk', description: 'Dial string; {number} is the E.164 number, {digits} the number without "+".' }),
    callerId: schema.string({ default: '"Bridgehead" <>', description: 'CallerID of the call.' }),
    maxRetries: schema.integer({ min: 0, max: 20, default: 2, description: 'Redials when busy or unanswered.' }),
    retryTimeSeconds: schema.integer({ min: 10, max: 86_400, default: 300, description: 'Seconds between redials.' }),
    waitTimeSeconds: schema.integer({ min: 5, max: 300, default: 45, description: 'Seconds to ring.' }),
  }),
  http: schema.object({
    url: schema.optional(schema.string({ pattern: /^https?:\/\//, patternText: 'an http(s) URL', description: 'The gateway\'s deliver endpoint.' })),
    gateway: schema.string({ default: 'voice', description: 'Our name towards that gateway (selects the key on its side).' }),
    key: schema.optional(schema.string({ pattern: /^.{32,}$/, patternText: 'at least 32 characters', description: 'Shared HMAC key (never logged).' })),
    timeoutSeconds: schema.integer({ min: 1, max: 600, default: 60, description: 'Time allowed for the request.' }),
    maxSkewSeconds: schema.integer({ min: 5, max: 3600, default: 300, description: 'Accepted clock difference in signed responses.' }),
  }),
  inbound: schema.object({
    inDir: path('Voicemail is read from here: <name>.wav with <name>.json { from, to, receivedAt? }.'),
    pollMs: schema.integer({ min: 100, max: 3_600_000, default: 5000, description: 'How often inDir (and asterisk.doneDir) are read.' }),
  }),
});

export type VoiceConfig = Infer<typeof configSchema>;

/** Asterisk call file text (one "Key: value" per line). */
export function callFile(input: { channel: string; callerId: string; maxRetries: number; retryTimeSeconds: number; waitTimeSeconds: number; sound: string; job: string; messageId: string; number: string }): string {
  return [
    `Channel: ${input.channel}`,
    `CallerID: ${input.callerId}`,
    `MaxRetries: ${input.maxRetries}`,
    `RetryTime: ${input.retryTimeSeconds}`,
    `WaitTime: ${input.waitTimeSeconds}`,
    'Application: Playback',
    `Data: ${input.sound}`,
    'Archive: yes',
    `SetVar: BRIDGEHEAD_JOB=${input.job}`,
    `SetVar: BRIDGEHEAD_MESSAGE=${input.messageId}`,
    `SetVar: BRIDGEHEAD_NUMBER=${input.number}`,
    '',
  ].join('\n');
}

/** The value of "Key: value" lines of an archived call file. */
function callFileValues(text: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z]+):\s*(.*)$/.exec(line);
    if (match) values.set(match[1], [...(values.get(match[1]) ?? []), match[2].trim()]);
  }
  return values;
}

class VoiceGateway {
  private ctx: GatewayContext<VoiceConfig> | null = null;
  private pollers: Poller[] = [];

  async start(ctx: GatewayContext<VoiceConfig>): Promise<GatewayStatus> {
    this.ctx = ctx;
    const { config, log } = ctx;
    const missing = await missingTools([{ program: config.espeak, debianPackage: 'espeak-ng' }]);
    if (missing.length > 0) return { available: false, reason: `missing ${missing.join(', ')}` };
    if (config.transport === 'asterisk' && (!config.asterisk.outgoingDir || !config.asterisk.soundDir)) {
      return { available: false, reason: 'plugins.voice.asterisk.outgoingDir and soundDir must be set' };
    }
    if (config.transport === 'http' && (!config.http.url || !config.http.key)) {
      return { available: false, reason: 'plugins.voice.http.url and key must be set' };
    }
    const { doneDir } = config.asterisk;
    if (config.transport === 'asterisk' && doneDir) {
      await mkdir(doneDir, { recursive: true });
      this.pollers.push(pollDirectory(doneDir, /^bh-.*\.call$/, config.inbound.pollMs, (name) => this.onCallDone(doneDir, name), (name, error) =>
        log.error({ evt: 'voice.status-failed', file: name, err: error.message }, 'call outcome not processed')));
    }
    const { inDir } = config.inbound;
    if (inDir) {
      await mkdir(inDir, { recursive: true });
      this.pollers.push(pollDirectory(inDir, /^[^.].*\.json$/, config.inbound.pollMs, (name) => this.onVoicemail(inDir, name), (name, error) =>
        log.error({ evt: 'voice.inbound-failed', file: name, err: error.message }, 'voicemail not processed; retrying')));
    }
    return { available: true };
  }

  async stop(): Promise<void> {
    for (const poller of this.pollers.splice(0)) poller.close();
  }

  open(info: { messageId: string; envelope: { from: string } }): GatewayDelivery {
    const ctx = this.context();
    const recipients: GatewayRecipient[] = [];
    return {
      addRecipient: async (recipient) => {
        recipients.push(recipient);
      },
      body: async (message) => {
        const parsed = await message.parsed();
        const text = smsText({ from: info.envelope.from ? `Message from ${info.envelope.from}` : null, subject: parsed.subject ?? '', text: parsed.text ?? '', maxLength: ctx.config.maxLength });
        if (text === '') throw new GatewayRefusal(550, '5.6.0', 'Nothing to say: the message has no subject and no plain text');
        const wav = await speak(text, { espeak: ctx.config.espeak, voice: ctx.config.voice, speed: ctx.config.wordsPerMinute, timeoutMs: 60_000 });
        for (const [index, recipient] of recipients.entries()) {
          const job = `bh-${info.messageId}-${index + 1}`;
          const reference = await this.handOver(job, wav, text, { messageId: info.messageId, number: recipient.number, sender: info.envelope.from });
          ctx.log.info({ evt: 'voice.submitted', msgid: info.messageId, to: recipient.number, job: reference }, 'call handed over');
          await ctx.audit({ messageId: info.messageId, gateway: 'voice', recipient: recipient.number, status: 'submitted', reference });
        }
      },
      commit: async () => undefined,
      abort: async () => undefined,
    };
  }

  private async handOver(job: string, wav: Buffer, text: string, meta: { messageId: string; number: string; sender: string }): Promise<string> {
    const { config } = this.context();
    if (config.transport === 'http') {
      const result = await postDeliver(
        { url: config.http.url as string, gateway: config.http.gateway, key: config.http.key as string, timeoutMs: config.http.timeoutSeconds * 1000, maxSkewMs: config.http.maxSkewSeconds * 1000 },
        { messageId: meta.messageId, medium: 'voice', sender: meta.sender, recipient: meta.number, payload: { text, audio: { contentType: 'audio/wav', data: wav.toString('base64') } } },
      );
      return typeof result.reference === 'string' ? result.reference : job;
    }
    const { asterisk } = config;
    const soundDir = asterisk.soundDir as string;
    const outgoingDir = asterisk.outgoingDir as string;
    const sound = join(soundDir, job);
    const content = callFile({ ...asterisk, sound, job, messageId: meta.messageId, number: meta.number, channel: asterisk.channel.replaceAll('{number}', meta.number).replaceAll('{digits}', meta.number.slice(1)) });
    // The recording first, then the call file, staged beside it and moved into the spool in one rename.
    await mkdir(soundDir, { recursive: true });
    await writeFile(join(soundDir, `.${job}.wav`), wav, { mode: 0o640 });
    await rename(join(soundDir, `.${job}.wav`), `${sound}.wav`);
    const staged = join(soundDir, `.${job}.call`);
    await writeFile(staged, content, { mode: 0o640 });
    await mkdir(outgoingDir, { recursive: true });
    try {
      await rename(staged, join(outgoingDir, `${job}.call`));
    } catch (error) {
      // Different file systems: copy, then remove; Asterisk may see the copy early, so the doc asks for one file system.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyFile(staged, join(outgoingDir, `${job}.call`));
      await rm(staged, { force: true });
    }
    return job;
  }

  /** An archived call file → delivered (answered) or failed. */
  private async onCallDone(dir: string, name: string): Promise<void> {
    const file = join(dir, name);
    const values = callFileValues(await readFile(file, 'utf8'));
    const variables = new Map((values.get('SetVar') ?? []).map((entry) => entry.split('=', 2) as [string, string]));
    const messageId = variables.get('BRIDGEHEAD_MESSAGE');
    const number = variables.get('BRIDGEHEAD_NUMBER');
    const status = values.get('Status')?.[0];
    if (!messageId || !number || !status) return;
    await this.context().audit({ messageId, gateway: 'voice', recipient: number, status: status === 'Completed' ? 'delivered' : 'failed', reference: basename(name, '.call'), detail: status });
    await rm(file, { force: true });
    await rm(join(this.context().config.asterisk.soundDir as string, `${basename(name, '.call')}.wav`), { force: true });
  }

  /** Voicemail (audio + caller id) → a mail with the recording to the owner of the called number. */
  private async onVoicemail(dir: string, name: string): Promise<void> {
    const ctx = this.context();
    const base = name.slice(0, -'.json'.length);
    const description = JSON.parse(await readFile(join(dir, name), 'utf8')) as { from?: string; to?: string; receivedAt?: string; durationSeconds?: number };
    const audio = await readFile(join(dir, `${base}.wav`)).catch(() => null);
    const caller = typeof description.from === 'string' && description.from ? description.from : 'unknown';
    const receivedAt = description.receivedAt ? new Date(description.receivedAt) : new Date();
    const result = audio && typeof description.to === 'string' && E164.test(description.to)
      ? await ctx.deliverInbound({
          from: E164.test(caller) ? `${caller}@${ctx.config.domains[0]}` : `voicemail@${ctx.config.domains[0]}`,
          to: description.to,
          subject: `Voicemail from ${caller}`,
          text: `${caller} left a message${description.durationSeconds ? ` (${description.durationSeconds} s)` : ''} on ${receivedAt.toUTCString()}. The recording is attached.`,
          date: receivedAt,
          attachments: [{ filename: `voicemail-${base}.wav`, contentType: 'audio/wav', content: audio }],
          headers: { 'X-Bridgehead-Gateway': 'voice', 'X-Bridgehead-Caller': caller },
        })
      : { ok: false as const, temporary: false, reply: 'no recording or no valid "to" number' };
    if (result.ok) {
      await ctx.audit({ messageId: result.messageId, gateway: 'voice', recipient: caller, status: 'received' });
      await rm(join(dir, `${base}.wav`), { force: true });
      await rm(join(dir, name), { force: true });
      return;
    }
    if (result.temporary) throw new Error(result.reply);
    const rejected = join(dir, 'rejected');
    await mkdir(rejected, { recursive: true });
    for (const file of [`${base}.wav`, name]) await rename(join(dir, file), join(rejected, file)).catch(() => undefined);
    ctx.log.warn({ evt: 'voice.rejected', file: base, reason: result.reply }, 'voicemail has no recipient here; moved to rejected/');
  }

  private context(): GatewayContext<VoiceConfig> {
    if (!this.ctx) throw new Error('the voice gateway is not started');
    return this.ctx;
  }
}

let gateway = new VoiceGateway();

export default definePlugin({
  name: 'voice',
  configSchema,
  hooks: gatewayRoutingHooks<VoiceConfig>('voice', 'voice calls'),
  gateways: [
    {
      name: 'voice',
      start: (ctx) => {
        gateway = new VoiceGateway();
        return gateway.start(ctx);
      },
      open: async (info) => gateway.open(info),
      stop: () => gateway.stop(),
    },
  ],
});
