/**
 * Where things live in the data folder. One place, read by the server (app.ts) and by the
 * command line, which must find the same store and control socket.
 */
import { join } from 'node:path';
import type { Config } from './schema.js';

/** The LevelDB store. */
export function storePath(config: Config): string {
  return join(config.dataDir, 'store');
}

/** The control socket through which the command line reaches a running server. */
export function controlSocketPath(config: Config): string {
  return join(config.dataDir, 'control.sock');
}
