/**
 * Relay: messages per second from authenticated submission (STARTTLS + AUTH PLAIN, 20 sessions)
 * through the durable outbound queue to a loopback sink (smtp-server that discards), counted
 * from the first submission until the sink has received the last message.
 *
 *   npx tsx bench/smtp/relay.ts [--messages 5000] [--sessions 20] [--size 10240]
 */
import { SMTPServer } from 'smtp-server';
import { makeMessage, runLoad } from './load.js';
import { arg, startBenchServer } from './setup.js';

const messages = arg('messages', 5000);
const sessions = arg('sessions', 20);
const size = arg('size', 10_240);
const message = makeMessage(size);

let received = 0;
const sink = new SMTPServer({
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.resume();
    stream.on('end', () => {
      received++;
      callback(null, 'discarded');
    });
  },
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
const address = sink.server.address();
const sinkPort = typeof address === 'object' && address ? address.port : 0;

const bench = await startBenchServer({
  routes: { 'remote.test': { host: '127.0.0.1', port: sinkPort, tls: 'none' } },
  queue: { maxConnectionsPerDestination: 20, maxConnections: 100 },
});
await bench.app.users.addDomain('example.test');
await bench.app.users.addUser('sender@example.test', 'bench password');
const submission = bench.port('smtp.submission');
const load = { port: submission, sessions, from: 'sender@example.test', to: 'rcpt@remote.test', message, auth: { user: 'sender@example.test', pass: 'bench password' } };

async function drained(target: number): Promise<void> {
  while (received < target) await new Promise((resolve) => setTimeout(resolve, 5));
}

await runLoad({ ...load, messages: Math.min(500, messages) });
await drained(Math.min(500, messages));
received = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();
const accepted = await runLoad({ ...load, messages });
const acceptedAt = performance.now();
await drained(messages);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const os = await import('node:os');
console.log(`relay: ${sessions} submission sessions (STARTTLS, AUTH), ${message.length}-octet messages, queue → loopback sink, node ${process.version}, ${os.cpus().length} cpus`);
console.log(`  submission accepted     ${accepted.perSecond.toFixed(0).padStart(6)} msgs/s  (${messages} in ${((acceptedAt - started) / 1000).toFixed(2)} s, ${accepted.failures} failed)`);
console.log(`  delivered to the sink   ${(messages / seconds).toFixed(0).padStart(6)} msgs/s  (${messages} in ${seconds.toFixed(2)} s, submission to last delivery)`);
console.log(`  ${((cpu.user + cpu.system) / 1000 / messages).toFixed(3)} ms CPU per message (client, server, queue and sink in one process); load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`);
await bench.cleanup();
await new Promise<void>((resolve) => sink.close(() => resolve()));
