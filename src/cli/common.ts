/**
 * What every sub-command shares: option parsing with a clean usage error, config loading, and
 * one way to print results and fail.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface SubCommand {
  name: string;
  summary: string;
  help: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

export const configOption = { config: { type: 'string', short: 'c' } } as const;
export const helpOption = { help: { type: 'boolean', short: 'h' } } as const;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function configFrom(values: { config?: string | boolean }, io: CommandIo): Config {
  const explicit = typeof values.config === 'string' ? values.config : undefined;
  return loadConfig(resolveConfigPath(explicit, io.env));
}

export function print(io: CommandIo, text: string): void {
  io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
