/**
 * The fax gateway: mail to "+<number>@<fax domain>" is rendered (render.ts: cover page with the
 * text, then PDF and image attachments) to a TIFF class F file, G3 at 204×196 dpi, and handed to
 * HylaFAX (`sendfax`) or to a spool directory another fax system reads. Job status from the spool
 * becomes `gatewayAck` entries; received faxes (TIFF or PDF) in the inbound spool become mails
 * with the fax as a PDF attachment, to the user who owns the fax number.
 *
 * Spool formats (documented in README.md):
 * - outbound: <outDir>/<job>.tif and <job>.json { job, messageId, number, sender, createdAt };
 * - status:   <statusDir>/<job>.json, the job's JSON plus { status: "delivered"|"failed", detail };
 * - inbound:  <inDir>/<name>.tif|.pdf and <name>.json { from, to, receivedAt? }.
 *
 * Invariants: Ghostscript is required (without it the gateway is disabled at start-up, with the
 * reason); the fax is rendered and handed over during the body step, so the sender's 250 means
 * the fax system has the job; an inbound fax is removed from the spool only after it is stored.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, schema, type GatewayContext, type GatewayDelivery, type GatewayRecipient, type GatewayStatus, type Infer } from '../../src/plugins/api.js';
import { gatewayRoutingHooks, E164 } from '../sms/gateway-routing.js';
import { findExecutable, missingTools } from '../sms/tools.js';
import { renderFax } from './render.js';
import { pollDirectory, writeJob, type Poller } from './spool.js';

const path = (description: string) => schema.optional(schema.string({ pattern: /^\//, patternText: 'an absolute path', description }));

const configSchema = schema.object({
  domains: schema.array(schema.string({ pattern: /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, patternText: 'a lower-case domain name' }), {
    minItems: 1, description: 'Gateway domains: mail to +<number>@<domain> is faxed. The first one is the From domain of received faxes.',
  }),
  allowedSenders: schema.array(schema.email({ allowDomain: true }), { default: [], description: 'Senders allowed without authenticating (addresses or @domain).' }),
  transport: schema.enum(['spool', 'hylafax'] as const, { default: 'spool', description: 'spool: files in spool.outDir; hylafax: HylaFAX sendfax.' }),
  ghostscript: schema.string({ default: 'gs', description: 'Ghostscript program (Debian package ghostscript).' }),
  tiff2pdf: schema.string({ default: 'tiff2pdf', description: 'libtiff\'s tiff2pdf, for received TIFF faxes (Debian package libtiff-tools).' }),
  sendfax: schema.string({ default: 'sendfax', description: 'HylaFAX sendfax (Debian package hylafax-client).' }),
  hylafaxHost: schema.optional(schema.string({ description: 'HylaFAX server for sendfax -h; default the local one.' })),
  renderTimeoutSeconds: schema.integer({ min: 5, max: 3600, default: 120, description: 'Time allowed for rendering one fax.' }),
  spool: schema.object({
    outDir: path('Outbound jobs go here (transport spool).'),
    statusDir: path('Job results are read from here.'),
    inDir: path('Received faxes are read from here.'),
    pollMs: schema.integer({ min: 100, max: 3_600_000, default: 5000, description: 'How often statusDir and inDir are read.' }),
  }),
});

export type FaxConfig = Infer<typeof configSchema>;

interface JobDescription {
  job: string;
  messageId: string;
  number: string;
  sender: string;
  createdAt: string;
  status?: string;
  detail?: string;
}

class FaxGateway {
  private ctx: GatewayContext<FaxConfig> | null = null;
  private pollers: Poller[] = [];
  private tiff2pdf: string | null = null;

  async start(ctx: GatewayContext<FaxConfig>): Promise<GatewayStatus> {
    this.ctx = ctx;
    const { config, log } = ctx;
    const tools = [{ program: config.ghostscript, debianPackage: 'ghostscript' }];
    if (config.transport === 'hylafax') tools.push({ program: config.sendfax, debianPackage: 'hylafax-client' });
    const missing = await missingTools(tools);
    if (missing.length > 0) return { available: false, reason: `missing ${missing.join(', ')}` };
    if (config.transport === 'spool' && !config.spool.outDir) return { available: false, reason: 'plugins.fax.spool.outDir is not set' };
    const { spool } = config;
    if (spool.statusDir) {
      const dir = spool.statusDir;
      await mkdir(dir, { recursive: true });
      this.pollers.push(pollDirectory(dir, /^[^.].*\.json$/, spool.pollMs, (name) => this.onStatus(dir, name), (name, error) =>
        log.error({ evt: 'fax.status-failed', file: name, err: error.message }, 'fax status file not processed')));
    }
    if (spool.inDir) {
      const dir = spool.inDir;
      this.tiff2pdf = await findExecutable(config.tiff2pdf);
      if (!this.tiff2pdf) log.warn({ evt: 'fax.tiff2pdf-missing' }, `${config.tiff2pdf} not found (Debian package libtiff-tools): received TIFF faxes are attached as TIFF`);
      await mkdir(dir, { recursive: true });
      this.pollers.push(pollDirectory(dir, /^[^.].*\.json$/, spool.pollMs, (name) => this.onReceived(dir, name), (name, error) =>
        log.error({ evt: 'fax.inbound-failed', file: name, err: error.message }, 'received fax not processed; retrying')));
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
        const rendered = await renderFax(
          {
            from: info.envelope.from || 'unknown sender',
            to: recipients.map((recipient) => recipient.number).join(', '),
            subject: parsed.subject ?? '',
            date: parsed.date ?? new Date(),
            text: parsed.text ?? '',
            attachments: parsed.attachments.map((attachment) => ({
              filename: attachment.filename ?? 'attachment',
              contentType: attachment.contentType,
              content: attachment.content,
            })),
          },
          { gs: ctx.config.ghostscript, timeoutMs: ctx.config.renderTimeoutSeconds * 1000 },
        );
        for (const [index, recipient] of recipients.entries()) {
          const job = `${info.messageId}-${index + 1}`;
          const reference = await this.handOver(job, rendered.tiff, { messageId: info.messageId, number: recipient.number, sender: info.envelope.from });
          ctx.log.info({ evt: 'fax.submitted', msgid: info.messageId, to: recipient.number, job: reference, skipped: rendered.skipped.length }, 'fax handed over');
          await ctx.audit({
            messageId: info.messageId, gateway: 'fax', recipient: recipient.number, status: 'submitted', reference,
            detail: rendered.skipped.length > 0 ? `not rendered: ${rendered.skipped.join(', ')}`.slice(0, 200) : undefined,
          });
        }
      },
      commit: async () => undefined,
      abort: async () => undefined,
    };
  }

  /** Gives the TIFF to the fax system; returns its job reference. */
  private async handOver(job: string, tiff: Buffer, meta: { messageId: string; number: string; sender: string }): Promise<string> {
    const { config } = this.context();
    if (config.transport === 'spool') {
      const description: JobDescription = { job, ...meta, createdAt: new Date().toISOString() };
      await writeJob(config.spool.outDir as string, [{ name: `${job}.tif`, content: tiff }], { name: `${job}.json`, value: description });
      return job;
    }
    const dir = join(tmpdir(), 'bridgehead-sendfax');
    const file = join(dir, `${job}.tif`);
    await writeJob(dir, [{ name: `${job}.tif`, content: tiff }], { name: `${job}.json`, value: meta });
    try {
      const args = ['-n', '-d', meta.number, ...(config.hylafaxHost ? ['-h', config.hylafaxHost] : []), file];
      const output = await new Promise<string>((resolve, reject) =>
        execFile(config.sendfax, args, { timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(new Error(String(stderr).trim() || error.message)) : resolve(String(stdout)))));
      // sendfax(1): "request id is 123 (group id 123) for host localhost (1 file)"
      return output.match(/request id is (\d+)/)?.[1] ?? job;
    } finally {
      await rm(file, { force: true });
      await rm(join(dir, `${job}.json`), { force: true });
    }
  }

  private async onStatus(dir: string, name: string): Promise<void> {
    const file = join(dir, name);
    const status = JSON.parse(await readFile(file, 'utf8')) as JobDescription;
    if (typeof status.messageId === 'string' && typeof status.number === 'string' && (status.status === 'delivered' || status.status === 'failed')) {
      await this.context().audit({ messageId: status.messageId, gateway: 'fax', recipient: status.number, status: status.status, reference: status.job, detail: status.detail?.slice(0, 200) });
    } else {
      this.context().log.warn({ evt: 'fax.status-invalid', file: name }, 'fax status file without messageId, number and status delivered|failed');
    }
    await rm(file, { force: true });
  }

  /** A received fax → a mail with the fax as PDF to the owner of the number it was sent to. */
  private async onReceived(dir: string, name: string): Promise<void> {
    const ctx = this.context();
    const base = name.slice(0, -'.json'.length);
    const description = JSON.parse(await readFile(join(dir, name), 'utf8')) as { from?: string; to?: string; receivedAt?: string };
    const document = await this.findDocument(dir, base);
    if (!document || typeof description.to !== 'string' || !E164.test(description.to)) {
      await this.reject(dir, base, document?.file ?? null, 'no document or no valid "to" number');
      return;
    }
    const content = await readFile(join(dir, document.file));
    const pdf = document.kind === 'pdf' ? content : this.tiff2pdf ? await tiffToPdf(this.tiff2pdf, join(dir, document.file)) : null;
    const caller = typeof description.from === 'string' && description.from ? description.from : 'unknown';
    const receivedAt = description.receivedAt ? new Date(description.receivedAt) : new Date();
    const result = await ctx.deliverInbound({
      from: E164.test(caller) ? `${caller}@${ctx.config.domains[0]}` : `fax@${ctx.config.domains[0]}`,
      to: description.to,
      subject: `Fax from ${caller}`,
      text: `A fax from ${caller} to ${description.to}, received ${receivedAt.toUTCString()}, is attached.`,
      date: receivedAt,
      attachments: [pdf
        ? { filename: `fax-${base}.pdf`, contentType: 'application/pdf', content: pdf }
        : { filename: `fax-${base}.tif`, contentType: 'image/tiff', content }],
      headers: { 'X-Bridgehead-Gateway': 'fax', 'X-Bridgehead-Caller': caller },
    });
    if (result.ok) {
      await ctx.audit({ messageId: result.messageId, gateway: 'fax', recipient: caller, status: 'received' });
      await rm(join(dir, document.file), { force: true });
      await rm(join(dir, name), { force: true });
      ctx.log.info({ evt: 'fax.received', msgid: result.messageId, from: caller }, 'received fax delivered');
      return;
    }
    if (result.temporary) throw new Error(result.reply);
    await this.reject(dir, base, document.file, result.reply);
  }

  private async findDocument(dir: string, base: string): Promise<{ file: string; kind: 'pdf' | 'tiff' } | null> {
    for (const [extension, kind] of [['.pdf', 'pdf'], ['.tif', 'tiff'], ['.tiff', 'tiff']] as const) {
      try {
        await access(join(dir, `${base}${extension}`));
        return { file: `${base}${extension}`, kind };
      } catch {
        // try the next extension
      }
    }
    return null;
  }

  /** Moves a fax nobody can receive to <inDir>/rejected, so it is kept but not retried. */
  private async reject(dir: string, base: string, file: string | null, reason: string): Promise<void> {
    const rejected = join(dir, 'rejected');
    await mkdir(rejected, { recursive: true });
    for (const name of [file, `${base}.json`]) if (name) await rename(join(dir, name), join(rejected, name)).catch(() => undefined);
    this.context().log.warn({ evt: 'fax.rejected', file: base, reason }, 'received fax has no recipient here; moved to rejected/');
  }

  private context(): GatewayContext<FaxConfig> {
    if (!this.ctx) throw new Error('the fax gateway is not started');
    return this.ctx;
  }
}

function tiffToPdf(program: string, file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(program, [file], { encoding: 'buffer', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${program} failed: ${stderr.toString().trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

let gateway = new FaxGateway();

export default definePlugin({
  name: 'fax',
  configSchema,
  hooks: gatewayRoutingHooks<FaxConfig>('fax', 'faxes'),
  gateways: [
    {
      name: 'fax',
      start: (ctx) => {
        gateway = new FaxGateway();
        return gateway.start(ctx);
      },
      open: async (info) => gateway.open(info),
      stop: () => gateway.stop(),
    },
  ],
});
