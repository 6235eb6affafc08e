/**
 * The bridgehead command line: help at every level, usage errors, and the administrative
 * commands against a stopped server (the store opened directly) and a running one (the control
 * socket), which must behave the same.
 */
import t, { type Test } from 'tap';
import { cli, shortTempDir, startTestServer, writeTestConfig } from '../support/app.js';

t.test('help explains every command', async (t) => {
  const top = await cli(['--help']);
  t.equal(top.code, 0);
  for (const name of ['serve', 'init', 'domain', 'user', 'alias']) t.match(top.stdout, new RegExp(`\\n  ${name} +\\S`), `lists ${name}`);
  for (const name of ['serve', 'init', 'domain', 'user', 'alias']) {
    const result = await cli([name, '--help']);
    t.equal(result.code, 0, `${name} --help`);
    t.match(result.stdout, new RegExp(`^Usage: bridgehead ${name}`));
  }
  t.match(await cli(['help', 'user']), { code: 0, stdout: /--password-stdin/ });
  t.match(await cli([]), { code: 0, stdout: /^Usage: bridgehead <command>/ });
});

t.test('usage errors exit 2 with the command help', async (t) => {
  t.match(await cli(['frobnicate']), { code: 2, stderr: /unknown command 'frobnicate'/ });
  t.match(await cli(['domain']), { code: 2, stderr: /domain needs an action/ });
  t.match(await cli(['domain', 'explode', 'x']), { code: 2, stderr: /unknown action: domain explode/ });
  t.match(await cli(['domain', 'add', '--nope']), { code: 2, stderr: /Unknown option '--nope'/ });
  t.match(await cli(['user', 'add', 'a@b.test', 'hunter22']), { code: 2, stderr: /passwords are never taken from arguments/ });
  t.match(await cli(['alias', 'add', 'a@b.test']), { code: 2, stderr: /at least one target/ });
});

t.test('a bad config stops the command with the key path', async (t) => {
  const dir = t.testdir({ 'config.json': JSON.stringify({ smtp: { submission: { port: 'abc' } } }) });
  const result = await cli(['domain', 'list', '--config', `${dir}/config.json`]);
  t.equal(result.code, 1);
  t.match(result.stderr, 'smtp.submission.port: expected integer 1..65535, got "abc"');
  const env = await cli(['domain', 'list'], { env: { BRIDGEHEAD_CONFIG: `${dir}/config.json` } });
  t.match(env, { code: 1, stderr: /smtp\.submission\.port/ }, 'BRIDGEHEAD_CONFIG is read');
});

async function administer(t: Test, args: string[]) {
  t.match(await cli(['domain', 'add', 'Example.TEST', ...args]), { code: 0, stdout: 'added domain example.test\n' });
  t.match(await cli(['domain', 'add', 'example.test', ...args]), { code: 1, stderr: /exist/ });
  t.match(await cli(['domain', 'list', ...args]), { code: 0, stdout: 'example.test\n' });
  t.match(await cli(['user', 'add', 'alice@example.test', '--password-stdin', ...args], { stdin: 'secret-one\n' }), { code: 0 });
  t.match(await cli(['user', 'add', 'bob@example.test', '--password-stdin', ...args], { stdin: 'secret-two\n' }), { code: 0 });
  t.match(await cli(['user', 'add', 'carol@elsewhere.test', '--password-stdin', ...args], { stdin: 'secret-3333\n' }), {
    code: 1,
    stderr: /not a local domain/,
  });
  t.match(await cli(['user', 'add', 'dave@example.test', ...args]), { code: 1, stderr: /--password-stdin/ }, 'no terminal: says how');
  t.match(await cli(['user', 'list', ...args]), { code: 0, stdout: 'alice@example.test\nbob@example.test\n' });
  t.match(await cli(['user', 'passwd', 'alice@example.test', '--password-stdin', ...args], { stdin: 'secret-new\n' }), { code: 0 });
  t.match(await cli(['alias', 'add', 'team@example.test', 'alice@example.test', 'bob@example.test', ...args]), { code: 0 });
  t.match(await cli(['alias', 'add', '*@example.test', 'alice@example.test', ...args]), { code: 0 });
  t.match(await cli(['alias', 'list', ...args]), {
    code: 0,
    stdout: /\*@example\.test → alice@example\.test\n[^]*team@example\.test → alice@example\.test, bob@example\.test\n/,
  });
  t.match(await cli(['alias', 'remove', 'team@example.test', 'bob@example.test', ...args]), { code: 0 });
  t.match(await cli(['alias', 'list', ...args]), { code: 0, stdout: /team@example\.test → alice@example\.test\n/ });
  t.match(await cli(['domain', 'remove', 'example.test', ...args]), { code: 1, stderr: /user/ }, 'refused while it has users');
  t.match(await cli(['user', 'remove', 'bob@example.test', ...args]), { code: 0 });
  t.match(await cli(['user', 'remove', 'bob@example.test', ...args]), { code: 1, stderr: /no such user/ });
  t.match(await cli(['user', 'list', 'example.test', ...args]), { code: 0, stdout: 'alice@example.test\n' });
}

t.test('administration while the server is stopped', async (t) => {
  const { configPath } = writeTestConfig(shortTempDir(t));
  await administer(t, ['--config', configPath]);
});

t.test('administration while the server runs: the running server sees it at once', async (t) => {
  const server = await startTestServer(t);
  await administer(t, ['--config', server.configPath]);
  t.ok(await server.app.store.getAccount('alice@example.test'), 'the running store has the account');
  t.ok(await server.app.store.hasDomain('example.test'));
});
