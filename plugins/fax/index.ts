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
 * reason); the fax is rendered and handed over during the body step, which the server's outbound
 * queue drives once per recipient after the message is durable (a failure is retried by the
 * queue, a GatewayRefusal bounces); job names are `<message id>-<ordinal>`, the same on every
 * attempt; an inbound fax is removed from the spool only after it is stored (the kit's inbound
 * spool). State belongs to the gateway instance of one server.
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  definePlugin, findExecutable, gatewayRoutingHooks, gatewaySchema, perServerGateway, schema, submittingDelivery, toolsStatus, watchInboundSpool, watchSpool, writeJob,
  type GatewayContext, type GatewayDelivery, type GatewayOpenInfo, type GatewayStatus, type Infer, type RequiredTool, type SpooledArrival,
} from '../../src/plugins/api.js';
import { renderFax } from './render.js';

const configSchema = schema.object({
  domains: gatewaySchema.domains('Gateway domains: mail to +<number>@<domain> is faxed. The first one is the From domain of received faxes.'),
  allowedSenders: gatewaySchema.allowedSenders(),
  transport: schema.enum(['spool', 'hylafax'] as const, { default: 'spool', description: 'spool: files in spool.outDir; hylafax: HylaFAX sendfax.' }),
  ghostscript: schema.string({ default: 'gs', description: 'Ghostscript program (Debian package ghostscript).' }),
  tiff2pdf: schema.string({ default: 'tiff2pdf', description: 'libtiff\'s tiff2pdf, for received TIFF faxes (Debian package libtiff-tools).' }),
  sendfax: schema.string({ default: 'sendfax', description: 'HylaFAX sendfax (Debian package hylafax-client).' }),
  hylafaxHost: schema.optional(schema.string({ description: 'HylaFAX server for sendfax -h; default the local one.' })),
  renderTimeoutSeconds: schema.integer({ min: 5, max: 3600, default: 120, description: 'Time allowed for rendering one fax.' }),
  spool: schema.object({
    outDir: gatewaySchema.absolutePath('Outbound jobs go here (transport spool).'),
    statusDir: gatewaySchema.absolutePath('Job results are read from here.'),
    inDir: gatewaySchema.absolutePath('Received faxes are read from here.'),
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
  private readonly ctx: GatewayContext<FaxConfig>;
  private tiff2pdf: string | null = null;

  constructor(ctx: GatewayContext<FaxConfig>) {
    this.ctx = ctx;
  }

  async start(): Promise<GatewayStatus> {
    const { config, log } = this.ctx;
    const tools: RequiredTool[] = [{ program: config.ghostscript, debianPackage: 'ghostscript' }];
    if (config.transport === 'hylafax') tools.push({ program: config.sendfax, debianPackage: 'hylafax-client' });
    const status = await toolsStatus(tools);
    if (!status.available) return status;
    if (config.transport === 'spool' && !config.spool.outDir) return { available: false, reason: 'plugins.fax.spool.outDir is not set' };
    const { spool } = config;
    if (spool.statusDir) {
      const dir = spool.statusDir;
      await watchSpool(this.ctx, {
        dir,
        pattern: /^[^.].*\.json$/,
        pollMs: spool.pollMs,
        handle: (name) => this.onStatus(dir, name),
        failure: { event: 'status-failed', message: 'fax status file not processed' },
      });
    }
    if (spool.inDir) {
      this.tiff2pdf = await findExecutable(config.tiff2pdf);
      if (!this.tiff2pdf) log.warn({ evt: 'fax.tiff2pdf-missing' }, `${config.tiff2pdf} not found (Debian package libtiff-tools): received TIFF faxes are attached as TIFF`);
      await watchInboundSpool(this.ctx, {
        dir: spool.inDir,
        pollMs: spool.pollMs,
        extensions: ['.pdf', '.tif', '.tiff'],
        anonymousSender: 'fax',
        noun: 'received fax',
        compose: (arrival) => this.receivedMail(arrival),
      });
    }
    return { available: true };
  }

  open(info: GatewayOpenInfo): GatewayDelivery {
    const { config } = this.ctx;
    return submittingDelivery(this.ctx, info, {
      prepare: async (message, recipients) => {
        const parsed = await message.parsed();
        return renderFax(
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
          { gs: config.ghostscript, timeoutMs: config.renderTimeoutSeconds * 1000 },
        );
      },
      handOver: async (recipient, index, rendered) => {
        const job = `${info.messageId}-${index + 1}`;
        const reference = await this.handOver(job, rendered.tiff, { messageId: info.messageId, number: recipient.number, sender: info.envelope.from });
        return {
          reference,
          detail: rendered.skipped.length > 0 ? `not rendered: ${rendered.skipped.join(', ')}`.slice(0, 200) : undefined,
          log: { skipped: rendered.skipped.length },
        };
      },
    });
  }

  /** Gives the TIFF to the fax system; returns its job reference. */
  private async handOver(job: string, tiff: Buffer, meta: { messageId: string; number: string; sender: string }): Promise<string> {
    const { config } = this.ctx;
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
      await this.ctx.audit({ messageId: status.messageId, gateway: 'fax', recipient: status.number, status: status.status, reference: status.job, detail: status.detail?.slice(0, 200) });
    } else {
      this.ctx.log.warn({ evt: 'fax.status-invalid', file: name }, 'fax status file without messageId, number and status delivered|failed');
    }
    await rm(file, { force: true });
  }

  /** A received fax → a mail with the fax as PDF (TIFF when tiff2pdf is missing). */
  private async receivedMail({ base, caller, to, receivedAt, document }: SpooledArrival) {
    const pdf = document.extension === '.pdf' ? document.content : this.tiff2pdf ? await tiffToPdf(this.tiff2pdf, document.path) : null;
    return {
      subject: `Fax from ${caller}`,
      text: `A fax from ${caller} to ${to}, received ${receivedAt.toUTCString()}, is attached.`,
      attachments: [pdf
        ? { filename: `fax-${base}.pdf`, contentType: 'application/pdf', content: pdf }
        : { filename: `fax-${base}.tif`, contentType: 'image/tiff', content: document.content }],
    };
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

export default definePlugin({
  name: 'fax',
  configSchema,
  hooks: gatewayRoutingHooks<FaxConfig>('fax', 'faxes'),
  gateways: [perServerGateway<FaxConfig>('fax', (ctx) => new FaxGateway(ctx))],
});
