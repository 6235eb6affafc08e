/**
 * Bridgehead as its own process for the SMTP benchmarks, with exactly the configuration
 * inbound.ts uses in-process (setup.ts: fresh data folder, mailauth off, silent logs unless
 * --log), so the load client and the server no longer share one thread: the same footing as a
 * Postfix measured with `inbound.ts --target`. Prints `port <n> pid <pid>` of the MX listener
 * on its first line, then runs until SIGTERM or SIGINT, and removes its data folder.
 *
 *   node --import tsx bench/smtp/serve.ts [--log info]
 *   node --import tsx bench/smtp/inbound.ts --only target --target 127.0.0.1:<n> --target-pid <pid>
 */
import { startBenchServer } from './setup.js';

const bench = await startBenchServer();
await bench.app.users.addDomain('example.test');
await bench.app.users.addUser('rcpt@example.test', 'bench password');
console.log(`port ${bench.port('smtp.mx')} pid ${process.pid}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await bench.cleanup();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
