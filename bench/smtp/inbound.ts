/**
 * Inbound acceptance: messages per second for 10 KB messages over 20 concurrent SMTP sessions
 * into Bridgehead's MX, each `250` sent only after the synced write, beside the same load
 * against a trivial sink (smtp-server that discards) in the same process on the same machine,
 * and, with --target, against another SMTP server on loopback (Postfix: bench/smtp/postfix.md).
 *
 *   node --import tsx bench/smtp/inbound.ts [--messages 10000] [--sessions 20] [--size 10240]
 *     [--log info] [--profile out.cpuprofile]
 *     [--target 127.0.0.1:2626 [--target-name Postfix] [--target-pid PID] [--target-maildir DIR]]
 *     [--only sink,bridgehead,target]
 *
 * --log info runs Bridgehead with its production log level, lines written to /dev/null.
 * --profile writes a V8 CPU profile of the measured Bridgehead run only (not of start-up or of
 * the sink run), for chrome://inspect or any .cpuprofile viewer.
 * --target host:port runs the same load (same warm-up, count, sessions, recipient
 * rcpt@example.test) against a server outside this process; loopback addresses only.
 * --target-pid PID adds the CPU time of that process and everything below it (Postfix's master)
 * per message; --target-maildir DIR waits until the Maildir folder DIR (its new/) holds one
 * file more per accepted message than before the measured run, and reports the rate until the
 * last one was delivered: Postfix's 250 means queued, delivery follows in the background.
 * --only picks which of the three runs happen (default: all that are configured).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SMTPServer } from 'smtp-server';
import { countFiles, parseTarget, processTreeCpuSeconds, waitForFiles } from './external.js';
import { makeMessage, runLoad, type LoadResult } from './load.js';
import { arg, logLevelArg, startBenchServer, stringArg } from './setup.js';

const messages = arg('messages', 10_000);
const sessions = arg('sessions', 20);
const size = arg('size', 10_240);
const message = makeMessage(size);
const profileIndex = process.argv.indexOf('--profile');
const profilePath = profileIndex >= 0 ? process.argv[profileIndex + 1] : null;
const targetArg = stringArg('target');
const target = targetArg ? parseTarget(targetArg) : null;
const targetName = stringArg('target-name') ?? 'target';
const targetPid = stringArg('target-pid');
const targetMaildir = stringArg('target-maildir');
const runs = new Set((stringArg('only') ?? `sink,bridgehead${target ? ',target' : ''}`).split(','));
for (const run of runs) if (!['sink', 'bridgehead', 'target'].includes(run)) throw new Error(`--only: unknown run ${run}`);
if (runs.has('target') && !target) throw new Error('--only target needs --target host:port');
const envelope = { sessions, from: 'a@client.test', to: 'rcpt@example.test', message };
const warmUp = Math.min(1000, messages);

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

let sinkResult: LoadResult | null = null;
if (runs.has('sink')) {
  const trivial = await sink();
  await runLoad({ ...envelope, port: trivial.port, messages: warmUp });
  sinkResult = await runLoad({ ...envelope, port: trivial.port, messages });
  await trivial.close();
}

let result: LoadResult | null = null;
let syncs = 0;
if (runs.has('bridgehead')) {
  const bench = await startBenchServer();
  await bench.app.users.addDomain('example.test');
  await bench.app.users.addUser('rcpt@example.test', 'bench password');
  const mx = bench.port('smtp.mx');
  await runLoad({ ...envelope, port: mx, messages: warmUp });
  const stats = (bench.app.store as unknown as { stats: { syncs: number; operations: number } }).stats;
  const before = { ...stats };
  const profiler = profilePath ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  result = await runLoad({ ...envelope, port: mx, messages });
  if (profiler && profilePath) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(profilePath, JSON.stringify(profile));
    profiler.disconnect();
  }
  syncs = stats.syncs - before.syncs;
  await bench.cleanup();
}

let targetResult: LoadResult | null = null;
let targetCpuSeconds: number | null = null;
let deliveredAt: number | null = null;
if (runs.has('target') && target) {
  const maildirNew = targetMaildir ? `${targetMaildir.replace(/\/+$/, '')}/new` : null;
  const filesAtStart = maildirNew ? await countFiles(maildirNew) : 0;
  const warm = await runLoad({ ...envelope, ...target, messages: warmUp });
  // The warm-up's deliveries must be done before the measured run, or they would count in it.
  const filesBefore = filesAtStart + warmUp - warm.failures;
  if (maildirNew && (await waitForFiles(maildirNew, filesBefore, { intervalMs: 50, timeoutMs: 120_000 })) === null) throw new Error(`warm-up messages did not all reach ${maildirNew}`);
  const cpuBefore = targetPid ? await processTreeCpuSeconds(Number(targetPid)) : 0;
  targetResult = await runLoad({ ...envelope, ...target, messages });
  if (maildirNew) deliveredAt = await waitForFiles(maildirNew, filesBefore + messages - targetResult.failures, { intervalMs: 50, timeoutMs: 300_000 });
  if (targetPid) targetCpuSeconds = (await processTreeCpuSeconds(Number(targetPid))) - cpuBefore;
}

const os = await import('node:os');
const line = (name: string, r: LoadResult, cpu: string) =>
  `${name.padEnd(46)} ${r.perSecond.toFixed(0).padStart(6)} msgs/s  (${messages} msgs in ${r.seconds.toFixed(2)} s, ${r.failures} failed, ${cpu})`;
const inProcessLogLevel = result ? `, in-process Bridgehead log level ${logLevelArg() ?? 'silent'}` : '';
console.log(`inbound: ${sessions} sessions, ${message.length}-octet messages, node ${process.version}, ${os.cpus().length} cpus${inProcessLogLevel}`);
if (sinkResult) console.log(line('trivial sink (smtp-server, discard)', sinkResult, `${sinkResult.cpuMsPerMessage.toFixed(3)} ms CPU/msg incl. client`));
if (result) console.log(line('Bridgehead MX (synced before 250)', result, `${result.cpuMsPerMessage.toFixed(3)} ms CPU/msg incl. client`));
if (targetResult && target) {
  const serverCpuScope = targetMaildir ? 'incl. delivery' : 'until the last 250';
  const serverCpu = targetCpuSeconds === null ? '' : `, server ${((targetCpuSeconds * 1000) / messages).toFixed(3)} ms ${serverCpuScope}`;
  console.log(line(`${targetName} at ${targetArg} (250 as it answers)`, targetResult, `CPU/msg: client ${targetResult.cpuMsPerMessage.toFixed(3)} ms${serverCpu}`));
  if (targetMaildir) {
    const delivered = messages - targetResult.failures;
    if (deliveredAt === null) console.log(`  ${targetName}: not all ${delivered} messages reached ${targetMaildir}/new within 300 s`);
    else {
      const seconds = (deliveredAt - targetResult.startedAt) / 1000;
      console.log(`  ${targetName} delivered into the Maildir ${(delivered / seconds).toFixed(0).padStart(6)} msgs/s  (${delivered} files in ${seconds.toFixed(2)} s from the first message, polled every 50 ms)`);
    }
  }
}
console.log(`  load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`);
if (result) console.log(`  fsyncs: ${syncs} for ${messages} messages (${(messages / Math.max(1, syncs)).toFixed(1)} messages per fsync)`);
