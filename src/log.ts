/**
 * Logging: pino JSON lines. Modules take a child logger bound to { cid, proto, user };
 * event names are stable (`evt` field). Never log a password or a message body.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream or level 'silent'. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.BRIDGEHEAD_LOG_LEVEL ?? 'info';
  return options.destination ? pino({ level }, options.destination as pino.DestinationStream) : pino({ level });
}

/** A logger that writes nothing, for tests and for command-line use of the store. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
