/**
 * The plugin host without a server: failures are logged with the plugin's name and hook,
 * late answers of timed-out hooks are ignored, bad verdicts are failures, notification hooks
 * are told about queue events and cannot break anything.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { definePlugin, schema, verdict, type Hooks, type Verdict } from '../../src/plugins/api.js';
import { PluginHost } from '../../src/plugins/host.js';
import type { LoadedPlugin } from '../../src/plugins/loader.js';
import { PluginVerdictError } from '../../src/plugins/verdicts.js';
import { SmtpError } from '../../src/errors.js';

const SESSION = { id: 'c1', role: 'mx' as const, remoteAddress: '192.0.2.1', heloName: 'client.example', user: null, secure: false };

function hostWith(hooks: Array<[string, Hooks<unknown>]>, hookTimeoutMs = 50) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  });
  const plugins: LoadedPlugin[] = hooks.map(([name, pluginHooks]) => ({
    name,
    source: 'directory',
    definition: definePlugin({ name, configSchema: schema.object({}), hooks: pluginHooks }) as LoadedPlugin['definition'],
    config: {},
  }));
  return { host: new PluginHost(plugins, { log, hookTimeoutMs }), lines };
}

t.test('a hanging hook: tempfail after the timeout, logged with the plugin, late answer ignored', async (t) => {
  let release: (value: Verdict) => void = () => undefined;
  const { host, lines } = hostWith([['slowpoke', { mailFrom: () => new Promise<Verdict>((resolve) => (release = resolve)) }]]);
  const decision = await host.mailFrom(SESSION, 'a@remote.example');
  t.same(decision, { verdict: { kind: 'tempfail', text: 'Temporary failure in message processing, please try again later' }, plugin: null });
  release(verdict.reject(550, '5.7.1', 'too late'));
  await new Promise((resolve) => setImmediate(resolve));
  t.match(lines.filter((line) => line.evt === 'plugin.hook-failed'), [{ plugin: 'slowpoke', hook: 'mailFrom', reason: 'timeout', level: 50 }]);
});

t.test('a throwing hook and a rejected promise are failures, logged with the error', async (t) => {
  const { host, lines } = hostWith([
    ['thrower', { rcptTo: () => { throw new TypeError('undefined is not a function'); } }],
    ['rejecter', { helo: () => Promise.reject(new Error('database down')) }],
  ]);
  t.equal((await host.rcptTo(SESSION, 'a@remote.example', 'b@example.test')).verdict.kind, 'tempfail');
  t.equal((await host.helo(SESSION, 'client.example')).verdict.kind, 'tempfail');
  t.match(lines.filter((line) => line.evt === 'plugin.hook-failed'), [
    { plugin: 'thrower', hook: 'rcptTo', reason: 'threw', err: { type: 'TypeError', message: 'undefined is not a function' } },
    { plugin: 'rejecter', hook: 'helo', reason: 'threw', err: { message: 'database down' } },
  ]);
});

t.test('answers that are not verdicts are failures', async (t) => {
  for (const answer of [42, 'reject', { kind: 'maybe' }, { kind: 'reject', code: 250, enhanced: '2.0.0', text: 'ok' }, { kind: 'tempfail', text: 'line\r\nbreak' }]) {
    const { host, lines } = hostWith([['odd', { connect: () => answer as never }]]);
    t.equal((await host.connect(SESSION)).verdict.kind, 'tempfail', JSON.stringify(answer));
    t.match(lines, [{ evt: 'plugin.hook-failed', plugin: 'odd', reason: 'bad-result' }]);
  }
  const { host } = hostWith([['quiet', { connect: () => undefined }], ['explicit', { connect: () => verdict.continue() }]]);
  t.same(await host.connect(SESSION), { verdict: { kind: 'continue' }, plugin: null }, 'undefined and continue both go on');
});

t.test('verdict builders refuse nonsense, and a refusal is an SmtpError with the reply', async (t) => {
  t.throws(() => verdict.reject(250, '2.0.0', 'fine'), TypeError);
  t.throws(() => verdict.reject(550, '4.7.1', 'mixed'), TypeError);
  t.throws(() => verdict.tempfail('two\nlines'), TypeError);
  const rejected = new PluginVerdictError({ kind: 'reject', code: 554, enhanced: '5.7.1', text: 'Spam' }, 'spam');
  t.ok(rejected instanceof SmtpError);
  t.equal(rejected.reply, '554 5.7.1 Spam');
  t.equal(new PluginVerdictError({ kind: 'tempfail', text: 'later' }, 'x').reply, '451 4.3.0 later');
  t.equal(new PluginVerdictError({ kind: 'disconnect', text: 'bye' }, 'x').reply, '421 4.7.0 bye');
});

t.test('queue events reach delivered, deferred and bounced; a failing notification changes nothing', async (t) => {
  const seen: unknown[] = [];
  const { host, lines } = hostWith([
    ['broken', { delivered: () => { throw new Error('oops'); }, bounced: () => { throw new Error('oops'); } }],
    ['watcher', {
      delivered: (ctx) => void seen.push(['delivered', ctx.messageId, ctx.recipient, ctx.response]),
      deferred: (ctx) => void seen.push(['deferred', ctx.recipient, ctx.attempts, ctx.nextAttemptAt.toISOString(), ctx.response]),
      bounced: (ctx) => void seen.push(['bounced', ctx.recipient, ctx.reason, ctx.response]),
    }],
  ]);
  const reply = (code: number | null, enhanced: string | null, text: string) => ({ code, enhanced, text });
  host.queueEvent({ type: 'delivered', at: 0, messageId: 'M1', recipient: 'a@remote.example', host: 'mx.remote.example', ip: null, reply: reply(250, '2.0.0', 'OK'), size: 10 });
  host.queueEvent({ type: 'deferred', at: 0, messageId: 'M1', recipient: 'b@remote.example', reply: reply(null, null, 'connection refused'), attempts: 2, nextAttemptAt: Date.UTC(2026, 0, 1) });
  host.queueEvent({ type: 'failed', at: 0, messageId: 'M1', recipient: 'c@remote.example', reply: reply(550, '5.1.1', 'no such user'), reason: 'permanent' });
  host.queueEvent({ type: 'failed', at: 0, messageId: 'M1', recipient: 'd@remote.example', reply: reply(null, null, 'deleted'), reason: 'deleted' });
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.same(seen, [
    ['delivered', 'M1', 'a@remote.example', '250 2.0.0 OK'],
    ['deferred', 'b@remote.example', 2, '2026-01-01T00:00:00.000Z', 'connection refused'],
    ['bounced', 'c@remote.example', 'permanent', '550 5.1.1 no such user'],
  ], 'an admin\'s deletion is not a bounce');
  t.equal(lines.filter((line) => line.evt === 'plugin.hook-failed' && line.plugin === 'broken').length, 2);
});
