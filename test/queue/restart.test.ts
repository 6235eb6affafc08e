/**
 * The queue survives restarts and kill -9: nothing lost, delivered after restart, exactly once
 * in the normal case (DESIGN.md "assured delivery").
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import t from 'tap';
import { ManualClock } from '../../src/queue/clock.js';
import { closedPort, route, startPeer, startQueue, type Peer } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/queue-child.ts', import.meta.url));

/** Runs the child queue; resolves with its output once `until` matches it, then kills it -9. */
function runChild(t: Test, path: string, port: number, options: { env?: Record<string, string>; killWhen: (output: string) => boolean }): Promise<{ output: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(port)], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.teardown(() => child.kill('SIGKILL'));
    let output = '';
    const check = () => {
      if (options.killWhen(output)) child.kill('SIGKILL');
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      check();
    });
    const timer = setInterval(check, 10);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(timer);
      resolve({ output, signal });
    });
  });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('a graceful restart keeps the queue: the entry is delivered by the next process', async (t) => {
  const path = t.testdir();
  const port = await closedPort();
  const first = await startQueue(t, { path, routes: { 'remote.test': route(port) } });
  const id = await first.enqueue({ to: ['bob@remote.test'] });
  await first.waitFor((event) => event.type === 'deferred', 'deferral');
  await first.close();

  const peer = await startPeer(t, {}, port);
  const second = await startQueue(t, { path, routes: { 'remote.test': route(port) } });
  t.ok(await second.store.queue.get(id), 'still queued after the restart');
  await second.advance(5 * 60_000);
  await second.waitFor((event) => event.type === 'removed', 'removal');
  t.equal(peer.accepted().length, 1);
});

t.test('kill -9 while the remote holds the final reply: delivered once after restart', async (t) => {
  const path = t.testdir();
  let hang = true;
  const peer: Peer = await startPeer(t, { data: () => (hang ? 'silent' : '250 2.0.0 queued') });
  const { output, signal } = await runChild(t, path, peer.port, { killWhen: () => (peer.transactions[0]?.data ?? null) !== null });
  t.equal(signal, 'SIGKILL');
  t.match(output, /^id \w+$/m, 'the child had queued the message');
  t.equal(peer.accepted().length, 0, 'the remote never answered the first copy');
  hang = false;

  // The child ran on the real clock.
  const restarted = await startQueue(t, { path, routes: { 'remote.test': route(peer.port) }, clock: new ManualClock(Date.now()) });
  await restarted.waitFor((event) => event.type === 'removed', 'removal after restart', 10_000);
  t.equal(peer.accepted().length, 1, 'exactly one accepted delivery');
});

t.test('kill -9 right after the delivered status is written: not sent again after restart', async (t) => {
  const path = t.testdir();
  const peer = await startPeer(t);
  const { output, signal } = await runChild(t, path, peer.port, { env: { KILL_ON_DELIVERED: '1' }, killWhen: () => false });
  t.equal(signal, 'SIGKILL');
  t.match(output, /delivered/);
  t.equal(peer.accepted().length, 1);

  // The child ran on the real clock.
  // The child died after the write that settled the entry; the next process finds nothing to send.
  const restarted = await startQueue(t, { path, routes: { 'remote.test': route(peer.port) }, clock: new ManualClock(Date.now()) });
  await new Promise((resolve) => setTimeout(resolve, 200));
  await restarted.queue.idle();
  t.same(restarted.events, [], 'nothing left to do');
  t.equal(peer.transactions.length, 1, 'no second transaction');
  t.same(await restarted.store.queue.list({ limit: 10 }), []);
});
