/**
 * Inbound acceptance: messages per second for 10 KB messages over 20 concurrent SMTP sessions
 * into Bridgehead's MX, each `250` sent only after the synced write, beside the same load
 * against a trivial sink (smtp-server that discards) in the same process on the same machine.
 *
 *   node --import tsx bench/smtp/inbound.ts [--messages 10000] [--sessions 20] [--size 10240]
 *     [--log info] [--profile out.cpuprofile]
 *
 * --log info runs Bridgehead with its production log level, lines written to /dev/null.
 * --profile writes a V8 CPU profile of the measured Bridgehead run only (not of start-up or of
 * the sink run), for chrome://inspect or any .cpuprofile viewer.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SMTPServer } from 'smtp-server';
import { makeMessage, runLoad } from './load.js';
import { arg, logLevelArg, startBenchServer } from './setup.js';

const messages = arg('messages', 10_000);
const sessions = arg('sessions', 20);
const size = arg('size', 10_240);
const message = makeMessage(size);
const profileIndex = process.argv.indexOf('--profile');
const profilePath = profileIndex >= 0 ? process.argv[profileIndex + 1] : null;

async function sink(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    maxClients: 1000,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback(null, 'discarded'));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const trivial = await sink();
await runLoad({ port: trivial.port, sessions, messages: Math.min(1000, messages), from: 'a@client.test', to: 'rcpt@example.test', message });
const sinkResult = await runLoad({ port: trivial.port, sessions, messages, from: 'a@client.test', to: 'rcpt@example.test', message });
await trivial.close();

const bench = await startBenchServer();
await bench.app.users.addDomain('example.test');
await bench.app.users.addUser('rcpt@example.test', 'bench password');
const mx = bench.port('smtp.mx');
await runLoad({ port: mx, sessions, messages: Math.min(1000, messages), from: 'a@client.test', to: 'rcpt@example.test', message });
const stats = (bench.app.store as unknown as { stats: { syncs: number; operations: number } }).stats;
const before = { ...stats };
const profiler = profilePath ? new Session() : null;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const result = await runLoad({ port: mx, sessions, messages, from: 'a@client.test', to: 'rcpt@example.test', message });
if (profiler && profilePath) {
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(profilePath, JSON.stringify(profile));
  profiler.disconnect();
}
const syncs = stats.syncs - before.syncs;
await bench.cleanup();

const line = (name: string, r: { perSecond: number; seconds: number; failures: number; cpuMsPerMessage: number }) =>
  `${name.padEnd(34)} ${r.perSecond.toFixed(0).padStart(6)} msgs/s  (${messages} msgs in ${r.seconds.toFixed(2)} s, ${r.failures} failed, ${r.cpuMsPerMessage.toFixed(3)} ms CPU/msg incl. client)`;
console.log(`inbound: ${sessions} sessions, ${message.length}-octet messages, node ${process.version}, ${(await import('node:os')).cpus().length} cpus, log level ${logLevelArg() ?? 'silent'}`);
console.log(line('trivial sink (smtp-server, discard)', sinkResult));
console.log(line('Bridgehead MX (synced before 250)', result));
console.log(`  load average ${(await import('node:os')).loadavg().map((n) => n.toFixed(1)).join(' ')}`);
console.log(`  fsyncs: ${syncs} for ${messages} messages (${(messages / Math.max(1, syncs)).toFixed(1)} messages per fsync)`);
