/**
 * Shared helpers for the protocol tests: run input through a CommandParser and turn events into
 * plain data that t.same can compare (Buffers become latin1 text, so 8-bit octets stay visible).
 */
import { CommandParser } from '../../../src/imap/protocol/parser.js';
import type { ParserEvent, ParserLimits, Token } from '../../../src/imap/protocol/types.js';

export const LIMITS: ParserLimits = {
  maxLineLength: 8192,
  maxLiteralSize: 1024 * 1024,
  maxCommandSize: 2 * 1024 * 1024,
  maxDepth: 8,
};

export type PlainToken =
  | string
  | { atom: string; section?: PlainToken[]; partial?: [number, number | undefined] }
  | { str: string; literal?: true; binary?: true }
  | PlainToken[];

/** Atoms become their text, strings {str}, lists arrays; atoms with a section stay objects. */
export function plainToken(token: Token): PlainToken {
  if (token.type === 'atom') {
    if (token.section === undefined && token.partial === undefined) return token.value;
    const out: { atom: string; section?: PlainToken[]; partial?: [number, number | undefined] } = { atom: token.value };
    if (token.section !== undefined) out.section = token.section.map(plainToken);
    if (token.partial !== undefined) out.partial = token.partial;
    return out;
  }
  if (token.type === 'string') {
    const out: { str: string; literal?: true; binary?: true } = { str: token.value.toString('latin1') };
    if (token.literal) out.literal = true;
    if (token.binary) out.binary = true;
    return out;
  }
  return token.items.map(plainToken);
}

export type PlainEvent =
  | { command: string; tag: string; args: PlainToken[] }
  | 'continue'
  | { line: string }
  | { error: string; tag: string | null; code: string | null; fatal: boolean };

export function plainEvent(event: ParserEvent): PlainEvent {
  switch (event.kind) {
    case 'command':
      return { command: event.command.name, tag: event.command.tag, args: event.command.args.map(plainToken) };
    case 'continue':
      return 'continue';
    case 'line':
      return { line: event.line.toString('latin1') };
    case 'error':
      return { error: event.text, tag: event.tag, code: event.code, fatal: event.fatal };
  }
}

/** All events until next() returns null; guards against a parser that never stops. */
export function drain(parser: CommandParser, maxEvents = 1_000_000): ParserEvent[] {
  const events: ParserEvent[] = [];
  for (let event = parser.next(); event !== null; event = parser.next()) {
    events.push(event);
    if (events.length > maxEvents) throw new Error('parser does not stop producing events');
  }
  return events;
}

/** Pushes each chunk and drains after it, the way a connection does. */
export function run(chunks: Array<string | Buffer>, limits: ParserLimits = LIMITS): PlainEvent[] {
  const parser = new CommandParser(limits);
  const events: PlainEvent[] = [];
  for (const chunk of chunks) {
    parser.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    events.push(...drain(parser).map(plainEvent));
  }
  return events;
}

/** A small seeded PRNG (mulberry32), so that random tests replay exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
