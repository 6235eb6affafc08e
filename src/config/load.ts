/**
 * Loading and validating config.json against config/schema.ts. A bad value stops start-up with
 * the key's path and what is wrong, e.g. `smtp.submission.port: expected integer 1..65535, got "abc"`.
 * Unknown keys are errors too: a typo must not silently fall back to a default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { configSchema, type Config, type SchemaNode } from './schema.js';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid configuration in ${source}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function validateNode(node: SchemaNode, value: unknown, path: string, problems: string[], baseDir: string): unknown {
  const at = path || '(top level)';
  switch (node.kind) {
    case 'object': {
      if (value === undefined) value = {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${at}: expected an object, got ${describe(value)}`);
        return undefined;
      }
      const input = value as Record<string, unknown>;
      const output: Record<string, unknown> = {};
      for (const key of Object.keys(input)) {
        if (key in node.fields || key.startsWith('$')) continue;
        if (node.sections) output[key] = input[key];
        else problems.push(`${path ? `${path}.` : ''}${key}: unknown key`);
      }
      for (const [key, child] of Object.entries(node.fields)) {
        output[key] = validateNode(child, input[key], path ? `${path}.${key}` : key, problems, baseDir);
      }
      return output;
    }
    case 'integer':
      if (value === undefined) return node.default;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < node.min || value > node.max) {
        problems.push(`${at}: expected integer ${node.min}..${node.max}, got ${describe(value)}`);
      }
      return value;
    case 'boolean':
      if (value === undefined) return node.default;
      if (typeof value !== 'boolean') problems.push(`${at}: expected true or false, got ${describe(value)}`);
      return value;
    case 'string':
      if (value === undefined) return node.default;
      if (typeof value !== 'string' || value.length === 0 || (node.pattern && !node.pattern.test(value))) {
        problems.push(`${at}: expected ${node.patternText ?? 'a non-empty string'}, got ${describe(value)}`);
      }
      return value;
    case 'enum':
      if (value === undefined) return node.default;
      if (typeof value !== 'string' || !node.values.includes(value)) {
        problems.push(`${at}: expected one of ${node.values.join(', ')}, got ${describe(value)}`);
      }
      return value;
    case 'path':
      if (value === undefined) value = node.default;
      if (value === null) return null;
      if (typeof value !== 'string' || value.length === 0) {
        problems.push(`${at}: expected a file path or null, got ${describe(value)}`);
        return value;
      }
      return resolve(baseDir, value);
    case 'list': {
      if (value === undefined) return [...node.default];
      if (!Array.isArray(value)) {
        problems.push(`${at}: expected a list, got ${describe(value)}`);
        return [];
      }
      value.forEach((item, index) => {
        if (typeof item !== 'string' || item.length === 0 || (node.pattern && !node.pattern.test(item))) {
          problems.push(`${at}[${index}]: expected ${node.patternText ?? 'a non-empty string'}, got ${describe(item)}`);
        }
      });
      return value;
    }
    case 'map': {
      if (value === undefined) return {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${at}: expected an object, got ${describe(value)}`);
        return {};
      }
      const output: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        if (key.startsWith('$')) continue;
        const childPath = path ? `${path}.${key}` : key;
        if (!node.keyPattern.test(key)) problems.push(`${childPath}: expected a key that is ${node.keyPatternText}`);
        output[key] = validateNode(node.value, child, childPath, problems, baseDir);
      }
      return output;
    }
  }
}

/** Validates a parsed config object; relative paths are resolved against baseDir. */
export function validateConfig(input: unknown, options: { source: string; baseDir: string }): Config {
  const problems: string[] = [];
  const config = validateNode(configSchema, input, '', problems, options.baseDir) as Config;
  if (problems.length === 0) {
    const listeners = [
      ['smtp.mx', config.smtp.mx], ['smtp.submission', config.smtp.submission], ['smtp.submissions', config.smtp.submissions],
      ['imap.imap', config.imap.imap], ['imap.imaps', config.imap.imaps],
    ] as const;
    const seen = new Map<string, string>();
    for (const [name, listener] of listeners) {
      if (!listener.enabled) continue;
      const key = `${listener.host}:${listener.port}`;
      const other = seen.get(key);
      if (other) problems.push(`${name}.port: ${listener.port} on ${listener.host} is already used by ${other}`);
      seen.set(key, name);
    }
    if ((config.tls.cert === null) !== (config.tls.key === null)) {
      problems.push('tls: set both cert and key, or neither (for a generated self-signed certificate)');
    }
  }
  if (problems.length > 0) throw new ConfigError(options.source, problems);
  return config;
}

/**
 * Where the config comes from: --config, else BRIDGEHEAD_CONFIG, else ./config.json when it
 * exists, else the embedded defaults (data in ./data).
 */
export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (explicit) return resolve(explicit);
  if (env.BRIDGEHEAD_CONFIG) return resolve(env.BRIDGEHEAD_CONFIG);
  const local = resolve('config.json');
  return existsSync(local) ? local : null;
}

export function loadConfig(path: string | null): Config {
  if (path === null) return validateConfig({}, { source: 'built-in defaults', baseDir: process.cwd() });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return validateConfig(parsed, { source: path, baseDir: dirname(path) });
}

/** A config object holding every key with its default, for `bridgehead init`. */
export function defaultConfigObject(): Record<string, unknown> {
  const build = (node: SchemaNode): unknown =>
    node.kind === 'object'
      ? Object.fromEntries(Object.entries(node.fields).map(([key, child]) => [key, build(child)]))
      : node.default;
  return build(configSchema) as Record<string, unknown>;
}

/** Rows of (key path, default, description) for documentation. */
export function describeConfig(): Array<{ key: string; default: unknown; description: string }> {
  const rows: Array<{ key: string; default: unknown; description: string }> = [];
  const walk = (node: SchemaNode, path: string) => {
    if (node.kind === 'object') {
      for (const [key, child] of Object.entries(node.fields)) walk(child, path ? `${path}.${key}` : key);
    } else {
      rows.push({ key: path, default: node.default, description: node.description });
    }
  };
  walk(configSchema, '');
  return rows;
}
