/**
 * Running the server: load config → build the app → listen; SIGTERM/SIGINT → graceful close
 * (stop accepting, let in-flight transactions finish within shutdownTimeoutSeconds, close the
 * store). A second signal exits at once.
 */
import { startApp, type App } from './app.js';
import type { Config } from './config/schema.js';
import { createLogger } from './log.js';

export interface RunOptions {
  /** Human-readable start-up lines go here (the JSON log goes to stdout). */
  announce: NodeJS.WritableStream;
}

export async function runServer(config: Config, options: RunOptions): Promise<App> {
  const log = createLogger({ level: config.log.level });
  const app = await startApp(config, log);
  const out = options.announce;
  out.write(`Bridgehead is running. Data: ${config.dataDir}\n`);
  if (app.tls.source !== 'configured') {
    out.write(`TLS: self-signed certificate ${app.tls.certPath}${app.tls.source === 'generated-now' ? ' (generated now)' : ''}\n`);
  }
  for (const listener of app.listeners) {
    out.write(`  ${listener.name.padEnd(18)} ${listener.protocol.padEnd(14)} ${listener.host}:${listener.port}\n`);
  }
  for (const line of app.gateways.summary()) out.write(`${line}\n`);
  log.info({ evt: 'server.started', listeners: app.listeners, dataDir: config.dataDir }, 'server started');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ evt: 'server.forced-exit', signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    log.info({ evt: 'server.stopping', signal }, 'stopping');
    app.close().then(
      () => {
        log.info({ evt: 'server.stopped' }, 'stopped');
        process.exit(0);
      },
      (error: Error) => {
        log.error({ evt: 'server.stop-failed', err: error.message }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return app;
}
