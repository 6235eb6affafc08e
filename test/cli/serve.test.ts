/**
 * `bridgehead serve` as a real process: it prints what listens where, generates the certificate
 * once, answers on its ports, stops cleanly on SIGTERM, and a second start reuses the data.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { shortTempDir } from '../support/app.js';

const root = new URL('../../', import.meta.url).pathname;

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function startServer(configPath: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/bin.ts'), 'serve', '--config', configPath], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BRIDGEHEAD_LOG_LEVEL: 'info' },
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => (stderr.includes('imap.imaps') ? resolve() : undefined);
    child.stderr.on('data', check);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, ready, output: () => ({ stderr, stdout }) };
}

function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setEncoding('utf8');
    socket.once('data', (line: string) => {
      socket.destroy();
      resolve(line);
    });
    socket.once('error', reject);
  });
}

t.test('serve: listens, announces, stops on SIGTERM, restarts on the same data', async (t) => {
  const dir = shortTempDir(t);
  const [mx, submission, submissions, imap, imaps] = await freePorts(5);
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      hostname: 'mail.example.test',
      smtp: { mx: { port: mx }, submission: { port: submission }, submissions: { port: submissions } },
      imap: { imap: { port: imap }, imaps: { port: imaps } },
    }),
  );

  const first = startServer(configPath);
  t.teardown(() => first.child.kill('SIGKILL'));
  await first.ready;
  const announced = first.output().stderr;
  t.match(announced, /self-signed certificate .*cert\.pem \(generated now\)/);
  for (const [name, port] of [['smtp.mx', mx], ['smtp.submission', submission], ['smtp.submissions', submissions], ['imap.imap', imap], ['imap.imaps', imaps]] as const) {
    t.match(announced, new RegExp(`${name.replace('.', '\\.')} .*127\\.0\\.0\\.1:${port}\\n`), `announces ${name}`);
  }
  t.match(await greeting(mx), /^220 mail\.example\.test /, 'SMTP MX greets');
  t.match(await greeting(imap), /^\* OK \[CAPABILITY IMAP4rev1 .*STARTTLS.*\]/, 'IMAP greets with STARTTLS offered');
  const certificate = readFileSync(join(dir, 'data/tls/cert.pem'), 'utf8');

  first.child.kill('SIGTERM');
  const [code] = await once(first.child, 'exit');
  t.equal(code, 0, 'exits 0 after SIGTERM');
  t.match(first.output().stdout, /"evt":"server.stopped"/, 'logs the clean stop');

  const second = startServer(configPath);
  t.teardown(() => second.child.kill('SIGKILL'));
  await second.ready;
  t.notMatch(second.output().stderr, /generated now/, 'the certificate is reused');
  t.equal(readFileSync(join(dir, 'data/tls/cert.pem'), 'utf8'), certificate);
  second.child.kill('SIGTERM');
  t.equal((await once(second.child, 'exit'))[0], 0);
});

t.test('serve refuses a bad config with the key path', async (t) => {
  const dir = t.testdir({ 'config.json': JSON.stringify({ imap: { imaps: { port: 70000 } } }) });
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/bin.ts'), 'serve', '--config', join(dir, 'config.json')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(stderr, 'imap.imaps.port: expected integer 1..65535, got 70000');
});

t.test('init writes a config with every key and a certificate', async (t) => {
  const dir = t.testdir();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/bin.ts'), 'init', '--config', join(dir, 'c.json'), '--hostname', 'mx.example.test'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  t.equal((await once(child, 'exit'))[0], 0);
  t.match(stdout, /wrote .*c\.json/);
  const written = JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8'));
  t.equal(written.hostname, 'mx.example.test');
  t.equal(written.smtp.submissions.port, 2465);
  t.ok(readFileSync(join(dir, 'data/tls/cert.pem'), 'utf8').startsWith('-----BEGIN CERTIFICATE-----'));
});
