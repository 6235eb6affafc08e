/**
 * The composition root: the one place that builds the modules and wires them together.
 * Start order: data folder → certificate → store → authentication/pipeline → listeners →
 * control socket. Close order is the reverse, so nothing writes to a closed store.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Audit } from './audit/index.js';
import { controlSocketPath, storePath } from './config/paths.js';
import type { Config } from './config/schema.js';
import { ControlServer } from './control/server.js';
import { ImapServer } from './imap/server.js';
import type { Logger } from './log.js';
import { createResolver, type Resolver } from './dns/resolver.js';
import { dkimSignerFromConfig, inboundVerifierFromConfig, type DkimSigner } from './mailauth/index.js';
import { Authenticator } from './pipeline/auth.js';
import { Pipeline } from './pipeline/index.js';
import { Quotas } from './pipeline/quota.js';
import { QueueAdmin } from './queue/admin.js';
import type { Clock } from './queue/clock.js';
import { OutboundQueue } from './queue/queue.js';
import { queueResolver } from './queue/route.js';
import { auditSink } from './plugins/gateways.js';
import { PluginHost } from './plugins/host.js';
import { UserManager } from './pipeline/users.js';
import { createSmtpListener, type SmtpListener } from './smtp/server.js';
import { startGatewayServices, type GatewayServices } from './gateways/index.js';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';
import { loadOrCreateCertificate, type TlsMaterial } from './tls/certificate.js';

export interface BoundListener {
  name: string;
  protocol: string;
  host: string;
  port: number;
}

export interface App {
  config: Config;
  store: Store;
  users: UserManager;
  pipeline: Pipeline;
  tls: TlsMaterial;
  listeners: BoundListener[];
  /** The one DNS resolver (config.dns): mail authentication and outbound MX lookups. */
  resolver: Resolver;
  /** Outbound DKIM signing with <dataDir>/dkim keys, for the queue's delivery. */
  dkimSigner: DkimSigner;
  /** Audit trail and traffic counters; gateways report their acknowledgements here. */
  audit: Audit;
  /** The outbound queue: remote recipients, relay domains, DSNs (`queue.events` for listeners). */
  queue: OutboundQueue;
  /** SMS, fax and voice gateways, notifications, the gateway protocol listener (src/gateways). */
  gateways: GatewayServices;
  /** Stops accepting, lets in-flight work finish within the shutdown timeout, closes the store. */
  close(): Promise<void>;
}

interface Closable {
  name: string;
  close(): Promise<void>;
}

/** What tests inject; production passes nothing. */
export interface AppOptions {
  /** The outbound queue's clock (retry timing tests). */
  queueClock?: Clock;
  /** Port of MX hosts for outbound delivery; 25 unless a test points it at a loopback peer. */
  mxPort?: number;
}

export async function startApp(config: Config, log: Logger, options: AppOptions = {}): Promise<App> {
  // Plugins load (and their config sections are checked) before anything opens: a bad one stops start-up.
  const plugins = await PluginHost.load(config.plugins, { log });
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const tls = await loadOrCreateCertificate({
    certPath: config.tls.cert,
    keyPath: config.tls.key,
    dataDir: config.dataDir,
    hostname: config.hostname,
  });
  const store = await openStore({ path: storePath(config), log: log.child({ component: 'store' }) });
  const closables: Closable[] = [];
  const listeners: BoundListener[] = [];
  try {
    const auth = new Authenticator(store, {
      failureDelayMs: config.auth.failureDelayMs,
      maxFailures: config.auth.maxFailures,
      windowMs: config.auth.windowSeconds * 1000,
      cacheTtlMs: config.auth.cacheTtlSeconds * 1000,
      plaintextOnLoopback: config.auth.plaintextOnLoopback,
    });
    const audit = new Audit({
      store,
      log,
      auditRetentionDays: config.audit.retentionDays,
      statsRetentionDays: config.stats.retentionDays,
    });
    await audit.start();
    // Counters added after this close are written by store.close().
    closables.push({ name: 'audit', close: () => audit.close() });
    const resolver = createResolver(config.dns);
    const dkimSigner = dkimSignerFromConfig(config, log);
    const queue = new OutboundQueue({
      store: store.queue,
      log,
      hostname: config.hostname,
      config: config.queue,
      routes: config.routes,
      resolver: queueResolver(resolver),
      signer: dkimSigner,
      clock: options.queueClock,
      mxPort: options.mxPort,
      // Gateway recipients (SMS, fax, voice) are queued too and handed to the plugins' gateways.
      gateways: plugins.gateways,
    });
    // Closed with the listeners, before the store: rounds in flight finish or are cut at the deadline.
    closables.push({ name: 'queue', close: () => queue.close() });
    const quotas = new Quotas(store, { defaultBytes: config.quota.defaultBytes === 0 ? null : config.quota.defaultBytes });
    const pipeline = new Pipeline({
      quotas,
      queue: queue.target,
      relayDomains: config.relayDomains,
      store,
      log,
      hostname: config.hostname,
      maxMessageSize: config.smtp.maxMessageSize,
      maxRecipients: config.smtp.maxRecipients,
      mailauth: inboundVerifierFromConfig(config, resolver, log),
      audit,
      plugins,
    });
    // The plugins' gateways, notification rules and the gateway protocol listener (src/gateways).
    const gateways = await startGatewayServices({
      config: config.gateways, hostname: config.hostname, store, pipeline, plugins, audit: auditSink(audit), log,
    });
    closables.push({ name: 'gateways', close: () => gateways.close() });
    if (gateways.listener) listeners.push({ name: 'gateways', protocol: 'http+json', ...gateways.listener });
    // The queue's outcomes → plugins' delivered, deferred and bounced hooks.
    queue.events.on('queue', (event) => plugins.queueEvent(event));
    // Every queue step → the audit trail and the traffic counters.
    audit.subscribe(queue.events);
    const users = new UserManager(store);
    const adminServices = { users, store, queue: new QueueAdmin(store.queue, queue) };
    queue.setDsnSubmitter(pipeline.submitDsn);
    queue.start();

    const smtpRoles = [
      ['mx', config.smtp.mx, 'smtp'],
      ['submission', config.smtp.submission, 'smtp+starttls'],
      ['submissions', config.smtp.submissions, 'smtps'],
    ] as const;
    for (const [role, listener, protocol] of smtpRoles) {
      if (!listener.enabled) continue;
      const smtp: SmtpListener = createSmtpListener({
        role,
        host: listener.host,
        port: listener.port,
        hostname: config.hostname,
        tls: { key: tls.key, cert: tls.cert },
        pipeline,
        auth,
        log,
        maxMessageSize: config.smtp.maxMessageSize,
        maxConnections: config.smtp.maxConnections,
        idleTimeoutMs: config.smtp.idleTimeoutSeconds * 1000,
        stats: audit,
      });
      const port = await smtp.listen();
      closables.push({ name: `smtp ${role}`, close: () => smtp.close() });
      listeners.push({ name: `smtp.${role}`, protocol, host: listener.host, port });
    }

    const imapRoles = [
      ['imap', config.imap.imap, false, 'imap+starttls'],
      ['imaps', config.imap.imaps, true, 'imaps'],
    ] as const;
    for (const [name, listener, implicitTls, protocol] of imapRoles) {
      if (!listener.enabled) continue;
      const imap = new ImapServer({
        host: listener.host,
        port: listener.port,
        implicitTls,
        tls: { key: tls.key, cert: tls.cert },
        store,
        auth,
        quotas,
        log: log.child({ listener: name }),
        hostname: config.hostname,
        stats: audit,
        limits: {
          maxConnections: config.imap.maxConnections,
          idleTimeoutMs: config.imap.idleTimeoutSeconds * 1000,
          maxLineLength: config.imap.maxLineLength,
          maxLiteralSize: config.imap.maxLiteralSize,
          maxMessageSize: config.smtp.maxMessageSize,
          maxOutputBuffer: config.imap.maxOutputBuffer,
        },
      });
      const port = await imap.listen();
      closables.push({ name: `imap ${name}`, close: () => imap.close() });
      listeners.push({ name: `imap.${name}`, protocol, host: listener.host, port });
    }

    const control = new ControlServer({ path: controlSocketPath(config), services: adminServices, log: log.child({ component: 'control' }) });
    await control.listen();
    closables.push({ name: 'control socket', close: () => control.close() });

    // In the background: the largest mailboxes' listings and search fields, so that their first
    // SELECT and SEARCH are fast.
    const warmStarted = performance.now();
    store.warmCaches().then(
      (warmed) => log.info({ evt: 'store.warm', ...warmed, ms: Math.round(performance.now() - warmStarted) }, 'mailbox listings and search fields loaded'),
      (error: unknown) => log.warn({ evt: 'store.warm-failed', err: error }, 'could not preload mailbox listings'),
    );

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= closeAll(closables, store, config.shutdownTimeoutSeconds * 1000, log);
      return closing;
    };
    return { config, store, users, pipeline, tls, listeners, resolver, dkimSigner, audit, queue, gateways, close };
  } catch (error) {
    await closeAll(closables, store, config.shutdownTimeoutSeconds * 1000, log);
    throw error;
  }
}

async function closeAll(closables: Closable[], store: Store, timeoutMs: number, log: Logger): Promise<void> {
  const deadline = new Promise<'timeout'>((resolve) => setTimeout(resolve, timeoutMs, 'timeout').unref());
  const results = await Promise.all(
    closables.map(async (item) => {
      const outcome = await Promise.race([item.close().then(() => 'closed' as const), deadline]).catch(
        (error: Error) => {
          log.error({ evt: 'shutdown.error', part: item.name, err: error.message }, 'error while closing');
          return 'error' as const;
        },
      );
      return { name: item.name, outcome };
    }),
  );
  for (const { name, outcome } of results) {
    if (outcome === 'timeout') log.warn({ evt: 'shutdown.timeout', part: name }, 'did not finish in time; closing anyway');
  }
  await store.close();
}

export function dataPath(config: Config, ...parts: string[]): string {
  return join(config.dataDir, ...parts);
}
