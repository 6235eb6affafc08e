/**
 * Memory with a large waiting queue: queues N messages (default 100,000) for a destination
 * that is down (a closed loopback port), with the scheduler running, so every entry is tried,
 * deferred and rescheduled; then reports heap and RSS after a GC, the bytes waiting on disk,
 * and the same after a restart of the queue over the full store.
 *
 *   node --expose-gc --import tsx bench/smtp/queue-memory.ts [--messages 100000] [--size 4096]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { newMessageId } from '../../src/pipeline/message-id.js';
import { OutboundQueue } from '../../src/queue/queue.js';
import { openStore, type LevelStore } from '../../src/store/index.js';
import { makeMessage } from './load.js';
import { arg } from './setup.js';

const messages = arg('messages', 100_000);
const size = arg('size', 4096);
const concurrency = 64;
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

function memory(label: string): void {
  gc?.();
  const usage = process.memoryUsage();
  console.log(`  ${label.padEnd(44)} heap used ${mb(usage.heapUsed).padStart(7)}  rss ${mb(usage.rss).padStart(7)}  external+buffers ${mb(usage.external + usage.arrayBuffers).padStart(7)}`);
}

const server = net.createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const downPort = (server.address() as net.AddressInfo).port;
await new Promise<void>((resolve) => server.close(() => resolve()));

const dir = mkdtempSync(join(tmpdir(), 'bh-qmem-'));
const config = { retryInitialSeconds: 300, retryMaxSeconds: 14_400, giveUpSeconds: 432_000, delayNoticeSeconds: 14_400, maxConnections: 100, maxConnectionsPerDestination: 10, connectTimeoutSeconds: 5, idleConnectionSeconds: 10 };
const routes = { 'down.test': { host: '127.0.0.1', port: downPort, tls: 'none' as const, user: '', password: '', verifyCertificate: false } };
const build = (store: LevelStore) =>
  new OutboundQueue({ store: store.queue, log: silentLogger(), hostname: 'bench.example.test', config, routes, submitDsn: async () => newMessageId() });

console.log(`queue memory: ${messages} messages of ${size} octets to a destination that is down, node ${process.version}`);
memory('at start');
let store = await openStore({ path: dir });
let queue = build(store);
queue.start();
const message = makeMessage(size);
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < messages) {
      next++;
      const delivery = queue.target.start({ id: newMessageId(), from: 'sender@example.test', source: 'submission', user: null, dsn: { ret: null, envid: null }, receivedAt: Date.now() });
      await delivery.addRecipient({ address: `rcpt${next}@down.test`, dsn: { notify: null, orcpt: null } });
      await delivery.body(message);
      await delivery.commit();
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
console.log(`  queued ${messages} in ${seconds.toFixed(1)} s (${(messages / seconds).toFixed(0)} msgs/s, each one synced write)`);
await queue.idle();
memory(`${messages} waiting, all tried once and deferred`);
console.log(`  message bytes waiting on disk: ${mb(messages * message.length)}; entries counted by a scan: ${await store.queue.count()}`);
await queue.close();
await store.close();

store = await openStore({ path: dir });
queue = build(store);
queue.start();
await new Promise((resolve) => setTimeout(resolve, 1000));
memory('after a restart over the full queue');
await queue.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
