/**
 * Loading plugins: `plugins.enabled` in config.json names each one, in hook order. A name is
 * looked up as a folder <plugins.directory>/<name>/ (site-local plugins), then as a built-in
 * plugin (plugins/<name>/, compiled with the server), then as an npm package.
 *
 * Invariants:
 * - Start-up stops on the first plugin that cannot be imported or does not export a valid plugin
 *   object, with the plugin's name and the cause (PluginLoadError); and on any config problem,
 *   with every problem's key path (ConfigError), including a section for a plugin that is not
 *   enabled (most likely a typo, which must not silently leave a plugin unconfigured).
 * - A plugin is imported once; its config section is validated by its own schema
 *   (src/plugins/schema.ts) and frozen, so no hook can change what another call sees.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../config/load.js';
import type { PluginsConfig } from '../config/schema.js';
import { HOOK_NAMES, type GatewayDefinition, type PluginDefinition } from './api.js';
import { validateSection } from './schema.js';
import { GATEWAY_NAME } from './verdicts.js';

export class PluginLoadError extends Error {
  readonly plugin: string;
  constructor(plugin: string, problem: string) {
    super(`plugin "${plugin}" failed to load: ${problem}`);
    this.name = 'PluginLoadError';
    this.plugin = plugin;
  }
}

export interface LoadedPlugin {
  /** The name as listed in plugins.enabled (config section key, log field). */
  name: string;
  /** built-in: plugins/<name>/; directory: plugins.directory; npm: a package. */
  source: 'built-in' | 'directory' | 'npm';
  definition: PluginDefinition<unknown>;
  /** The validated, frozen config section. */
  config: unknown;
}

/** Keys of `plugins` in config.json that are settings, not plugin sections. */
const SETTINGS = new Set(['enabled', 'hookTimeoutMs', 'directory']);

/**
 * Where built-in plugins live: ../../plugins from this file, which is both the source layout
 * (src/plugins/loader.ts → plugins/) and the compiled one (dist/src/plugins → dist/plugins).
 */
export const BUILTIN_PLUGIN_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

export interface LoadOptions {
  /** Folder of built-in plugins; tests point it at fixtures. */
  builtinDir?: string;
}

export async function loadPlugins(config: PluginsConfig, options: LoadOptions = {}): Promise<LoadedPlugin[]> {
  const problems: string[] = [];
  const enabled = new Set<string>();
  for (const name of config.enabled) {
    if (enabled.has(name)) problems.push(`plugins.enabled: "${name}" is listed twice`);
    if (SETTINGS.has(name)) problems.push(`plugins.enabled: "${name}" is a reserved name`);
    enabled.add(name);
  }
  for (const key of Object.keys(config)) {
    if (SETTINGS.has(key) || key.startsWith('$')) continue;
    if (!enabled.has(key)) problems.push(`plugins.${key}: configuration for a plugin that is not in plugins.enabled (enable it, or remove the section)`);
  }
  if (problems.length > 0) throw new ConfigError('plugins', problems);

  const loaded: LoadedPlugin[] = [];
  const gatewayOwners = new Map<string, string>();
  for (const name of enabled) {
    const { definition, source } = await importPlugin(name, [config.directory, options.builtinDir ?? BUILTIN_PLUGIN_DIR]);
    checkShape(name, definition, source);
    for (const gateway of definition.gateways ?? []) {
      const owner = gatewayOwners.get(gateway.name);
      if (owner) throw new PluginLoadError(name, `gateway "${gateway.name}" is already provided by plugin "${owner}"`);
      gatewayOwners.set(gateway.name, name);
    }
    const checked = validateSection(definition.configSchema, config[name], `plugins.${name}`);
    if (!checked.ok) throw new ConfigError(`the section of plugin "${name}"`, checked.problems);
    loaded.push({ name, source, definition, config: deepFreeze(checked.value) });
  }
  return loaded;
}

async function importPlugin(name: string, folders: Array<string | null>): Promise<{ definition: PluginDefinition<unknown>; source: LoadedPlugin['source'] }> {
  // Compiled plugins are .js; under tsx (tests, development) the source .ts is imported.
  const [siteDir, builtinDir] = folders;
  const find = (dir: string | null) =>
    dir === null ? undefined : ['index.js', 'index.ts'].map((file) => join(dir, name, file)).find((path) => existsSync(path));
  const siteLocal = find(siteDir);
  const builtin = siteLocal ? undefined : find(builtinDir);
  const file = siteLocal ?? builtin;
  const source: LoadedPlugin['source'] = siteLocal ? 'directory' : builtin ? 'built-in' : 'npm';
  let module: Record<string, unknown>;
  try {
    module = await import(file ? pathToFileURL(file).href : name);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (!file && err?.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(`'${name}'`)) {
      const where = siteDir ? `${siteDir}/${name}/, ` : '';
      throw new PluginLoadError(name, `not found: no folder ${where}plugins/${name}/ with an index, and no npm package "${name}" installed`);
    }
    throw new PluginLoadError(name, err instanceof Error ? err.message : String(error));
  }
  const definition = (module.default ?? module.plugin) as PluginDefinition<unknown> | undefined;
  if (!definition || typeof definition !== 'object') {
    throw new PluginLoadError(name, 'the module exports no plugin object (export default definePlugin({...}))');
  }
  return { definition, source };
}

function checkShape(name: string, definition: PluginDefinition<unknown>, source: LoadedPlugin['source']): void {
  const fail = (problem: string) => { throw new PluginLoadError(name, problem); };
  if (typeof definition.name !== 'string' || definition.name === '') fail('the plugin object has no name');
  if (source !== 'npm' && definition.name !== name) fail(`the plugin object is named "${definition.name}", its folder "${name}"`);
  if (!definition.configSchema || typeof definition.configSchema.check !== 'function') fail('configSchema is missing or not built with schema.* from the plugin API');
  if (!definition.hooks || typeof definition.hooks !== 'object') fail('hooks is missing (use {} for none)');
  for (const [hook, fn] of Object.entries(definition.hooks)) {
    if (!(HOOK_NAMES as readonly string[]).includes(hook)) fail(`hooks.${hook}: unknown hook; the catalogue is ${HOOK_NAMES.join(', ')}`);
    if (typeof fn !== 'function') fail(`hooks.${hook}: not a function`);
  }
  if (definition.gateways !== undefined && !Array.isArray(definition.gateways)) fail('gateways must be a list');
  for (const gateway of (definition.gateways ?? []) as Array<GatewayDefinition<unknown>>) {
    if (!gateway || typeof gateway.name !== 'string' || !GATEWAY_NAME.test(gateway.name)) {
      fail(`gateway name ${JSON.stringify(gateway?.name)} must be lower-case letters, digits and "-"`);
    }
    if (typeof gateway.open !== 'function') fail(`gateway "${gateway.name}" has no open() for outbound delivery`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
