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
 * reason); calls are placed in the body step, which the server's outbound queue drives once per
 * recipient after the message is durable (job `bh-<message id>-<ordinal>`, the same on every
 * attempt); the sound file is complete before the call file appears; spoken text is cut to
 * `maxLength` characters; voicemail leaves the spool only after it is stored (the kit's inbound
 * spool). State belongs to the gateway instance of one server.
 */
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  condensedMessageText, definePlugin, gatewayRoutingHooks, gatewaySchema, perServerGateway, schema, submittingDelivery, toolsStatus, watchInboundSpool, watchSpool, writeFileAtomically,
  type GatewayContext, type GatewayDelivery, type GatewayOpenInfo, type GatewayStatus, type Infer, type SpooledArrival,
} from '../../src/plugins/api.js';
import { speak } from './audio.js';
import { postDeliver } from './signed-http.js';

const configSchema = schema.object({
  domains: gatewaySchema.domains('Gateway domains: mail to +<number>@<domain> is read out in a call. The first one is the From domain of voicemail.'),
  allowedSenders: gatewaySchema.allowedSenders(),
  espeak: schema.string({ default: 'espeak-ng', description: 'espeak-ng program (Debian package espeak-ng).' }),
  voice: schema.string({ default: 'en-us', pattern: /^[a-z0-9+_-]{1,40}$/i, patternText: 'an espeak-ng voice name', description: 'espeak-ng voice, e.g. en-us, de, fr.' }),
  wordsPerMinute: schema.integer({ min: 80, max: 450, default: 150, description: 'Speaking speed.' }),
  maxLength: schema.integer({ min: 1, max: 20_000, default: 1000, description: 'Characters of sender, subject and text that are spoken.' }),
  transport: schema.enum(['asterisk', 'http'] as const, { default: 'asterisk', description: 'asterisk: call files; http: a gateway speaking the signed gateway protocol.' }),
  asterisk: schema.object({
    outgoingDir: gatewaySchema.absolutePath('Asterisk\'s outgoing spool, e.g. /var/spool/asterisk/outgoing.'),
    soundDir: gatewaySchema.absolutePath('Where recordings are written; Asterisk must read them, on the same file system as outgoingDir.'),
    doneDir: gatewaySchema.absolutePath('Asterisk\'s outgoing_done, read for call outcomes (call files carry Archive: yes).'),
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
    inDir: gatewaySchema.absolutePath('Voicemail is read from here: <name>.wav with <name>.json { from, to, receivedAt? }.'),
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
  private readonly ctx: GatewayContext<VoiceConfig>;

  constructor(ctx: GatewayContext<VoiceConfig>) {
    this.ctx = ctx;
  }

  async start(): Promise<GatewayStatus> {
    const { config } = this.ctx;
    const status = await toolsStatus([{ program: config.espeak, debianPackage: 'espeak-ng' }]);
    if (!status.available) return status;
    if (config.transport === 'asterisk' && (!config.asterisk.outgoingDir || !config.asterisk.soundDir)) {
      return { available: false, reason: 'plugins.voice.asterisk.outgoingDir and soundDir must be set' };
    }
    if (config.transport === 'http' && (!config.http.url || !config.http.key)) {
      return { available: false, reason: 'plugins.voice.http.url and key must be set' };
    }
    const { doneDir } = config.asterisk;
    if (config.transport === 'asterisk' && doneDir) {
      await watchSpool(this.ctx, {
        dir: doneDir,
        pattern: /^bh-.*\.call$/,
        pollMs: config.inbound.pollMs,
        handle: (name) => this.onCallDone(doneDir, name),
        failure: { event: 'status-failed', message: 'call outcome not processed' },
      });
    }
    if (config.inbound.inDir) {
      await watchInboundSpool(this.ctx, {
        dir: config.inbound.inDir,
        pollMs: config.inbound.pollMs,
        extensions: ['.wav'],
        anonymousSender: 'voicemail',
        noun: 'voicemail',
        compose: async (arrival) => voicemailMail(arrival),
      });
    }
    return { available: true };
  }

  open(info: GatewayOpenInfo): GatewayDelivery {
    const { config } = this.ctx;
    return submittingDelivery(this.ctx, info, {
      prepare: async (message) => {
        const text = await condensedMessageText(message, {
          from: info.envelope.from ? `Message from ${info.envelope.from}` : null,
          maxLength: config.maxLength,
          nothing: 'Nothing to say',
        });
        const wav = await speak(text, { espeak: config.espeak, voice: config.voice, speed: config.wordsPerMinute, timeoutMs: 60_000 });
        return { text, wav };
      },
      handOver: async (recipient, index, { text, wav }) => {
        const job = `bh-${info.messageId}-${index + 1}`;
        return { reference: await this.handOver(job, wav, text, { messageId: info.messageId, number: recipient.number, sender: info.envelope.from }) };
      },
    });
  }

  private async handOver(job: string, wav: Buffer, text: string, meta: { messageId: string; number: string; sender: string }): Promise<string> {
    const { config } = this.ctx;
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
    await writeFileAtomically(soundDir, `${job}.wav`, wav);
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
    await this.ctx.audit({ messageId, gateway: 'voice', recipient: number, status: status === 'Completed' ? 'delivered' : 'failed', reference: basename(name, '.call'), detail: status });
    await rm(file, { force: true });
    await rm(join(this.ctx.config.asterisk.soundDir as string, `${basename(name, '.call')}.wav`), { force: true });
  }
}

/** Voicemail (audio + caller id) → a mail with the recording attached. */
function voicemailMail({ base, caller, description, receivedAt, document }: SpooledArrival) {
  const duration = description.durationSeconds ? ` (${description.durationSeconds} s)` : '';
  return {
    subject: `Voicemail from ${caller}`,
    text: `${caller} left a message${duration} on ${receivedAt.toUTCString()}. The recording is attached.`,
    attachments: [{ filename: `voicemail-${base}.wav`, contentType: 'audio/wav', content: document.content }],
  };
}

export default definePlugin({
  name: 'voice',
  configSchema,
  hooks: gatewayRoutingHooks<VoiceConfig>('voice', 'voice calls'),
  gateways: [perServerGateway<VoiceConfig>('voice', (ctx) => new VoiceGateway(ctx))],
});
