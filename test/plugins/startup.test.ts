/**
 * Start-up with plugins: a bad config section, a plugin that fails to load, one that does not
 * exist, one with a misspelt hook, and a section for a plugin that is not enabled all stop the
 * server with the plugin's name and the problem, before any listener or the store is opened.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { startApp } from '../../src/app.js';
import { ConfigError } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { BUILTIN_PLUGIN_DIR, PluginLoadError } from '../../src/plugins/loader.js';
import { cli, shortTempDir, writeTestConfig } from '../support/app.js';
import { FIXTURES } from './support.js';

/** Every listener off: if start-up wrongly succeeded, nothing would hold a port. */
const NO_LISTENERS = {
  smtp: { mx: { enabled: false }, submission: { enabled: false }, submissions: { enabled: false } },
  imap: { imap: { enabled: false }, imaps: { enabled: false } },
};

async function startWith(t: Test, plugins: Record<string, unknown>) {
  const dir = shortTempDir(t);
  const { config, configPath } = writeTestConfig(dir, { ...NO_LISTENERS, plugins: { directory: FIXTURES, ...plugins } });
  const started = startApp(config, silentLogger());
  started.then((app) => t.teardown(() => app.close()), () => undefined);
  return { started, config, configPath };
}

t.test('a bad config section names the plugin, the key path and the problem', async (t) => {
  const { started, config } = await startWith(t, { enabled: ['partners'], partners: { restricted: ['kid@example.test'], partners: [5, 'ok@example.test', 'not an address'], colour: 'blue' } });
  const error = await started.then(() => null, (caught: unknown) => caught);
  t.type(error, ConfigError);
  t.same((error as ConfigError).problems, [
    'plugins.partners.colour: unknown key',
    'plugins.partners.partners[0]: expected an email address or @domain, got 5',
    'plugins.partners.partners[2]: expected an email address or @domain, got "not an address"',
  ]);
  t.match((error as Error).message, /^invalid configuration in the section of plugin "partners":/);
  t.notOk(existsSync(join(config.dataDir, 'store')), 'the store was never opened');
});

t.test('`bridgehead serve` prints the refusal and exits with 1', async (t) => {
  const { configPath } = await startWith(t, { enabled: ['partners'], partners: { partners: [5] } });
  const result = await cli(['serve', '--config', configPath]);
  t.equal(result.code, 1);
  t.equal(result.stderr, 'bridgehead: invalid configuration in the section of plugin "partners":\n  plugins.partners.partners[0]: expected an email address or @domain, got 5\n');
});

t.test('a plugin that fails to load stops start-up with its name and the error', async (t) => {
  const { started } = await startWith(t, { enabled: ['scripted-a', 'broken-load'] });
  await t.rejects(started, new PluginLoadError('broken-load', 'cannot open libexample.so: no such file'));
  await t.rejects(started, { message: 'plugin "broken-load" failed to load: cannot open libexample.so: no such file' });
});

t.test('a plugin that is nowhere to be found', async (t) => {
  const { started } = await startWith(t, { enabled: ['no-such-plugin-here'] });
  await t.rejects(started, { name: 'PluginLoadError', message: /^plugin "no-such-plugin-here" failed to load: not found: no folder .*fixtures\/no-such-plugin-here\/, plugins\/no-such-plugin-here\/ with an index, and no npm package "no-such-plugin-here" installed$/ });
});

t.test('a module that is not a plugin, and a misspelt hook', async (t) => {
  await t.rejects((await startWith(t, { enabled: ['not-a-plugin'] })).started, {
    message: 'plugin "not-a-plugin" failed to load: the module exports no plugin object (export default definePlugin({...}))',
  });
  await t.rejects((await startWith(t, { enabled: ['typo-hook'] })).started, {
    message: /^plugin "typo-hook" failed to load: hooks\.rcptto: unknown hook; the catalogue is connect, helo, auth, mailFrom, rcptTo, data, route, stored, delivered, deferred, bounced, gatewayAck$/,
  });
});

t.test('a section for a plugin that is not enabled, and a plugin listed twice', async (t) => {
  const { started } = await startWith(t, { enabled: ['scripted-a', 'scripted-a'], partner: { partners: [] } });
  const error = await started.then(() => null, (caught: unknown) => caught);
  t.type(error, ConfigError);
  t.same((error as ConfigError).problems, [
    'plugins.enabled: "scripted-a" is listed twice',
    'plugins.partner: configuration for a plugin that is not in plugins.enabled (enable it, or remove the section)',
  ]);
});

t.test('config.json: plugins.enabled must hold plugin names', async (t) => {
  const dir = shortTempDir(t);
  t.throws(() => writeTestConfig(dir, { plugins: { enabled: ['../evil'] } }), {
    name: 'ConfigError',
    problems: ['plugins.enabled[0]: expected a plugin folder or npm package name, got "../evil"'],
  });
});

t.test('the build compiles built-in plugins beside src, where the loader looks for them', async (t) => {
  const build = JSON.parse(readFileSync(new URL('../../tsconfig.build.json', import.meta.url), 'utf8'));
  t.equal(build.compilerOptions.rootDir, '.', 'dist/src/... and dist/plugins/... keep the source layout');
  t.ok(build.include.includes('plugins/**/*.ts'), 'built-in plugins are compiled by npm run build');
  t.match(readFileSync(new URL('../../bin/bridgehead.js', import.meta.url), 'utf8'), /import '\.\.\/dist\/src\/cli\/bin\.js';/);
  t.equal(BUILTIN_PLUGIN_DIR, fileURLToPath(new URL('../../plugins/', import.meta.url)));
});
