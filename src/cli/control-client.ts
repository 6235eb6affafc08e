/**
 * How the command line reaches the data: through the running server's control socket when one
 * answers, else by opening the store itself (the server is stopped). Both run the same
 * operations table (control/operations.ts).
 */
import { connect } from 'node:net';
import type { Config } from '../config/schema.js';
import { runAdminOperation, type AdminRequest } from '../control/operations.js';
import { QueueAdmin } from '../queue/admin.js';
import { silentLogger } from '../log.js';
import { UserManager } from '../pipeline/users.js';
import { openStore } from '../store/index.js';

import { controlSocketPath, storePath } from '../config/paths.js';

export class ControlUnavailable extends Error {}

/** Sends one request over the control socket; rejects with ControlUnavailable when no server listens. */
export function sendControlRequest(path: string, request: AdminRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    let connected = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ id: 1, ...request })}\n`);
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      socket.end();
      const reply = JSON.parse(buffer.slice(0, newline)) as { ok: boolean; result?: unknown; error?: string };
      if (reply.ok) resolve(reply.result);
      else reject(new Error(reply.error ?? 'request failed'));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')) {
        reject(new ControlUnavailable('no running server'));
      } else {
        reject(error);
      }
    });
    socket.on('close', () => reject(new Error('the server closed the control connection')));
  });
}

/** Runs an administrative operation wherever the data is. */
export async function runAdmin(config: Config, request: AdminRequest): Promise<unknown> {
  try {
    return await sendControlRequest(controlSocketPath(config), request);
  } catch (error) {
    if (!(error instanceof ControlUnavailable)) throw error;
  }
  let store;
  try {
    store = await openStore({ path: storePath(config), log: silentLogger() });
  } catch (error) {
    throw new Error(
      `cannot open the store in ${storePath(config)} (${(error as Error).message}); ` +
        'if a server is running, its control socket did not answer',
    );
  }
  try {
    const users = new UserManager(store);
    return await runAdminOperation({ users, store, queue: new QueueAdmin(store.queue, null) }, request);
  } finally {
    await store.close();
  }
}
