/**
 * The local control socket (<dataDir>/control.sock, owner-only permissions) through which the
 * `bridgehead` command line changes a running server: LevelDB admits one process, so while the
 * server runs the command line asks it instead of opening the store.
 *
 * Protocol: one JSON object per line each way. Request `{ "id": n, "op": "user.add", "args": {...} }`,
 * reply `{ "id": n, "ok": true, "result": ... }` or `{ "id": n, "ok": false, "error": "text" }`.
 * Passwords cross this socket only between processes of the same user; they are never logged.
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { runAdminOperation, type AdminServices } from './operations.js';

const MAX_REQUEST_BYTES = 64 * 1024;
/** sun_path holds 108 bytes on Linux (104 on BSDs), including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

export interface ControlServerOptions {
  path: string;
  services: AdminServices;
  log: Logger;
}

export class ControlServer {
  private readonly options: ControlServerOptions;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(options: ControlServerOptions) {
    this.options = options;
    this.server = createServer((socket) => this.handle(socket));
  }

  async listen(): Promise<void> {
    if (Buffer.byteLength(this.options.path) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(
        `the control socket path ${this.options.path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, ` +
          'the limit of Unix sockets: choose a shorter dataDir',
      );
    }
    // A stale socket from a crashed server would make listen fail; the store lock already
    // guarantees no other server uses this data folder.
    await rm(this.options.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    await chmod(this.options.path, 0o600);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.options.path, { force: true });
  }

  private handle(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    let queue = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES && !buffer.includes('\n')) {
        socket.end(`${JSON.stringify({ id: null, ok: false, error: 'request too large' })}\n`);
        return;
      }
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        queue = queue.then(() => this.answer(socket, line));
      }
    });
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    let request: { id?: unknown; op?: unknown; args?: unknown };
    try {
      request = JSON.parse(line) as typeof request;
    } catch {
      // JSON.parse's message quotes the input, which may hold a password: never log or echo it.
      this.options.log.info({ evt: 'control.op', op: '(unparsable)', ok: false }, 'control request is not JSON');
      socket.write(`${JSON.stringify({ id: null, ok: false, error: 'the request is not valid JSON' })}\n`);
      return;
    }
    const id = request.id ?? null;
    const op = typeof request.op === 'string' ? request.op : '(missing)';
    try {
      const args = (typeof request.args === 'object' && request.args !== null ? request.args : {}) as Record<string, unknown>;
      const result = await runAdminOperation(this.options.services, { op, args });
      this.options.log.info({ evt: 'control.op', op, ok: true }, 'control operation');
      socket.write(`${JSON.stringify({ id, ok: true, result: result ?? null })}\n`);
    } catch (error) {
      const message = (error as Error).message;
      this.options.log.info({ evt: 'control.op', op, ok: false, error: message }, 'control operation failed');
      socket.write(`${JSON.stringify({ id, ok: false, error: message })}\n`);
    }
  }
}
