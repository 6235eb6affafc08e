/**
 * Test helper: tokenises a client command line with the real IMAP command parser, so FETCH and
 * SEARCH arguments in tests are exactly what the server would hand the commands.
 */
import { CommandParser } from '../../../src/imap/protocol/parser.js';
import type { Token } from '../../../src/imap/protocol/types.js';

const LIMITS = { maxLineLength: 65536, maxLiteralSize: 1 << 20, maxCommandSize: 1 << 21, maxDepth: 16 };

/** Arguments of one command, given as wire text (CRLF and literal+ allowed); throws on a parse error. */
export function commandArgs(wire: string | Buffer): Token[] {
  const parser = new CommandParser(LIMITS);
  const bytes = typeof wire === 'string' ? Buffer.from(wire.endsWith('\r\n') ? wire : `${wire}\r\n`, 'utf8') : wire;
  parser.push(bytes);
  for (let event = parser.next(); event !== null; event = parser.next()) {
    if (event.kind === 'command') return event.command.args;
    if (event.kind === 'error') throw new Error(`parser: ${event.text}`);
  }
  throw new Error('parser: incomplete command');
}

/** The tokens after the sequence set of `A1 FETCH <set> <rest>`. */
export function fetchArgs(rest: string): Token[] {
  return commandArgs(`A1 FETCH 1 ${rest}`).slice(1);
}

/** The tokens of `A1 SEARCH <rest>`. */
export function searchArgs(rest: string | Buffer): Token[] {
  if (typeof rest === 'string') return commandArgs(`A1 SEARCH ${rest}`);
  return commandArgs(Buffer.concat([Buffer.from('A1 SEARCH '), rest, Buffer.from('\r\n')]));
}
