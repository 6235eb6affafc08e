/**
 * Which store calls one inbound message costs, and how long each blocks the main thread (the
 * synchronous part of the call: encoding, and LevelDB's own locks when it takes a snapshot).
 *
 *   node --import tsx bench/smtp/probe.mts [--messages 2000]
 */
import { AbstractLevel } from 'abstract-level';
import { makeMessage, runLoad } from './load.ts';
import { arg, startBenchServer } from './setup.ts';

const messages = arg('messages', 2000);
const calls = new Map<string, { count: number; ms: number }>();
for (const method of ['get', 'getMany', 'getSync', 'batch', 'iterator', 'keys', 'values', 'put', 'del']) {
  const original = (AbstractLevel.prototype as any)[method];
  (AbstractLevel.prototype as any)[method] = function (this: any, ...args: any[]) {
    const key = `${method} ${this.prefix ?? 'root'}`;
    const started = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const entry = calls.get(key) ?? { count: 0, ms: 0 };
      entry.count++;
      entry.ms += performance.now() - started;
      calls.set(key, entry);
    }
  };
}
const bench = await startBenchServer();
await bench.app.users.addDomain('example.test');
await bench.app.users.addUser('rcpt@example.test', 'bench password');
calls.clear();
await runLoad({ port: bench.port('smtp.mx'), sessions: 20, messages, from: 'a@client.test', to: 'rcpt@example.test', message: makeMessage(10240) });
console.log(`store calls per message (${messages} messages), and main-thread µs per call:`);
for (const [key, { count, ms }] of [...calls].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${(count / messages).toFixed(2).padStart(6)}  ${((ms * 1000) / count).toFixed(0).padStart(6)} µs  ${key}`);
}
await bench.cleanup();
