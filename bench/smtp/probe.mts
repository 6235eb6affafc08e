import { AbstractLevel } from 'abstract-level';
import { makeMessage, runLoad } from './load.ts';
import { startBenchServer } from './setup.ts';
const counts = new Map<string, number>();
for (const method of ['get', 'getMany', 'batch', 'iterator', 'keys', 'values', 'put', 'del']) {
  const original = (AbstractLevel.prototype as any)[method];
  (AbstractLevel.prototype as any)[method] = function (this: any, ...args: any[]) {
    const key = `${method} ${this.prefix ?? 'root'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return original.apply(this, args);
  };
}
const bench = await startBenchServer();
await bench.app.users.addDomain('example.test');
await bench.app.users.addUser('rcpt@example.test', 'bench password');
counts.clear();
await runLoad({ port: bench.port('smtp.mx'), sessions: 20, messages: 1000, from: 'a@client.test', to: 'rcpt@example.test', message: makeMessage(10240) });
console.log([...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${(v / 1000).toFixed(2)} ${k}`).join('\n'));
await bench.cleanup();
