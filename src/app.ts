/**
 * The composition root: the one place that builds the modules and wires them together.
 * Start order: data folder → certificate → store → authentication/pipeline → listeners →
 * control socket. Close order is the reverse, so nothing writes to a closed store.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { controlSocketPath, storePath } from './cli/control-client.js';
import type { Config } from './config/schema.js';
import { ControlServer } from './control/server.js';
import { ImapServer } from './imap/server.js';
import type { Logger } from './log.js';
import { Authenticator } from './pipeline/auth.js';
import { Pipeline } from './pipeline/index.js';
import { UserManager } from './pipeline/users.js';
import { createSmtpListener, type SmtpListener } from './smtp/server.js';
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
  /** Stops accepting, lets in-flight work finish within the shutdown timeout, closes the store. */
  close(): Promise<void>;
}

interface Closable {
  name: string;
  close(): Promise<void>;
}

export async function startApp(config: Config, log: Logger): Promise<App> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const tls = await loadOrCreateCertificate({
    certPath: config.tls.cert,
    keyPath: config.tls.key,
    dataDir: config.dataDir,
    hostname: config.hostname,
  });
  const store = await openStore({ path: storePath(config), log: log.child({ mod: 'store' }) });
  const closables: Closable[] = [];
  const listeners: BoundListener[] = [];
  try {
    const auth = new Authenticator(store, {
      failureDelayMs: config.auth.failureDelayMs,
      maxFailures: config.auth.maxFailures,
      windowMs: config.auth.windowSeconds * 1000,
      cacheTtlMs: config.auth.cacheTtlSeconds * 1000,
    });
    const pipeline = new Pipeline({
      store,
      log: log.child({ mod: 'pipeline' }),
      hostname: config.hostname,
      maxMessageSize: config.smtp.maxMessageSize,
      maxRecipients: config.smtp.maxRecipients,
    });
    const users = new UserManager(store);

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
        log: log.child({ proto: 'imap', listener: name }),
        hostname: config.hostname,
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

    const control = new ControlServer({ path: controlSocketPath(config), users, log: log.child({ mod: 'control' }) });
    await control.listen();
    closables.push({ name: 'control socket', close: () => control.close() });

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= closeAll(closables, store, config.shutdownTimeoutSeconds * 1000, log);
      return closing;
    };
    return { config, store, users, pipeline, tls, listeners, close };
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
