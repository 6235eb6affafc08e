/**
 * A minimal Marionette client: the remote-control protocol built into Gecko applications
 * (Thunderbird included), used here to run privileged JavaScript inside the running Thunderbird
 * (store a password in its login manager, read folder state, move a message, quit).
 *
 * Wire format (remote/marionette/packets.sys.mjs): every packet is `<byte length>:<JSON>`. The
 * server speaks first with `{"applicationType":"gecko","marionetteProtocol":3}`; a command is
 * `[0, id, name, parameters]` and its reply `[1, id, error, result]`.
 *
 * Chrome-context scripts need Thunderbird started with `--marionette --remote-allow-system-access`.
 * A script's return value (a Promise is awaited) comes back as `result.value`.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class Marionette {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private hello: Pending | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('marionette connection closed'));
      this.pending.clear();
    });
    socket.on('error', () => {});
  }

  /** Connects, reads the greeting, opens a session and switches to the chrome context. */
  static async open(port: number): Promise<Marionette> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    const client = new Marionette(socket);
    await new Promise((resolve, reject) => (client.hello = { resolve, reject }));
    await client.command('WebDriver:NewSession', { capabilities: {} });
    await client.command('Marionette:SetContext', { value: 'chrome' });
    await client.command('WebDriver:SetTimeouts', { script: 120_000 });
    return client;
  }

  private drain(): void {
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon === -1) return;
      const length = Number(this.buffer.toString('latin1', 0, colon));
      if (this.buffer.length < colon + 1 + length) return;
      const packet: unknown = JSON.parse(this.buffer.toString('utf8', colon + 1, colon + 1 + length));
      this.buffer = this.buffer.subarray(colon + 1 + length);
      if (!Array.isArray(packet)) {
        this.hello?.resolve(packet);
        this.hello = null;
        continue;
      }
      const [, id, error, result] = packet as [number, number, { error: string; message: string } | null, unknown];
      const waiter = this.pending.get(id);
      this.pending.delete(id);
      if (!waiter) continue;
      if (error) waiter.reject(new Error(`${error.error}: ${error.message}`));
      else waiter.resolve(result);
    }
  }

  command(name: string, parameters: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    const body = Buffer.from(JSON.stringify([0, id, name, parameters]));
    this.socket.write(`${body.length}:`);
    this.socket.write(body);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /**
   * Runs `script` (an async function body; `arguments[i]` are `args`) in the chrome context of
   * the current window and returns what it returns.
   */
  async run<T>(script: string, args: unknown[] = []): Promise<T> {
    const body = `return (async () => {\n${script}\n})();`;
    const result = (await this.command('WebDriver:ExecuteScript', { script: body, args })) as { value: T };
    return result.value;
  }

  /** Asks Thunderbird to quit; the connection closes with it. */
  async quit(): Promise<void> {
    await this.command('Marionette:Quit', { flags: ['eAttemptQuit'] }).catch(() => {});
    this.socket.destroy();
  }

  close(): void {
    this.socket.destroy();
  }
}
