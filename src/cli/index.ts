/**
 * The `bridgehead` command: dispatch to one file per sub-command, with help at every level.
 * Exit codes: 0 success, 1 failure (message on stderr), 2 usage error.
 */
import { ConfigError } from '../config/load.js';
import { aliasCommand } from './alias.js';
import { auditCommand } from './audit.js';
import { UsageError, type CommandIo, type SubCommand } from './common.js';
import { domainCommand } from './domain.js';
import { initCommand } from './init.js';
import { queueCommand } from './queue.js';
import { serveCommand } from './serve.js';
import { statsCommand } from './stats.js';
import { userCommand } from './user.js';

const commands: SubCommand[] = [serveCommand, initCommand, domainCommand, userCommand, aliasCommand, queueCommand, auditCommand, statsCommand];

function topHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return `Usage: bridgehead <command> [options]

Bridgehead is a self-contained mail server: SMTP, IMAP and the mail store in one process.

Commands:
${commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Run 'bridgehead <command> --help' for the options of a command.
Every command takes --config FILE (default: $BRIDGEHEAD_CONFIG, else ./config.json, else built-in defaults).`;
}

/** Runs the command line; returns the exit code, or -1 when a server keeps running. */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((command) => command.name === rest[0]) : undefined;
    io.stdout.write(`${topic ? topic.help : topHelp()}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr.write(`bridgehead: unknown command '${name}'\n\n${topHelp()}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`bridgehead ${command.name}: ${error.message}\n\n${command.help}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`bridgehead: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`bridgehead ${command.name}: ${(error as Error).message}\n`);
    return 1;
  }
}
