/**
 * Bounded fuzzing of the command parser with a seeded PRNG (replays exactly): random and mutated
 * commands, pushed whole and in random chunks. Checks that it never throws, always stops, keeps
 * its buffer within the limits, gives the same events whatever the chunking, and stays silent
 * after a fatal error.
 */
import t from 'tap';
import { CommandParser } from '../../../src/imap/protocol/parser.js';
import type { ParserEvent, ParserLimits } from '../../../src/imap/protocol/types.js';
import { plainEvent, prng } from './helpers.js';

const LIMITS: ParserLimits = { maxLineLength: 64, maxLiteralSize: 256, maxCommandSize: 1024, maxDepth: 4 };
const ITERATIONS = 20_000;

const CORPUS = [
  'a1 SELECT INBOX\r\n',
  'a2 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)\r\n',
  'a3 LIST "" *\r\n',
  'a4 APPEND "Sent" (\\Seen) "05-Mar-2026 10:00:00 +0100" {5+}\r\nhello\r\n',
  'a5 LOGIN {4}\r\nuser "p\\"w"\r\n',
  'a6 SEARCH CHARSET UTF-8 TEXT {3+}\r\nxyz\r\n',
  'a7 APPEND INBOX UTF8 (~{3+}\r\na\x00c)\r\n',
  'a8 FETCH 1 (BINARY[1] BODY[1.2.MIME] BODY[]<5>)\r\n',
  'a9 STORE 1:3 +FLAGS (\\Seen \\*)\r\n',
  'b1 SELECT INBOX (QRESYNC (1 2 41,43:211))\r\n',
  'b2 NOOP\r\n',
  'b3 ID ("name" "x" "version" NIL)\r\n',
];
const SPECIALS = Buffer.from('(){}[]<>"\\~+-*%: \r\n0123456789.');

function randomInput(random: () => number): Buffer {
  const pick = (n: number) => Math.floor(random() * n);
  const kind = pick(4);
  if (kind === 0) {
    // Random octets, biased towards the ones the grammar cares about.
    const out = Buffer.alloc(pick(200));
    for (let i = 0; i < out.length; i++) out[i] = random() < 0.6 ? SPECIALS[pick(SPECIALS.length)] : pick(256);
    return out;
  }
  const parts: Buffer[] = [];
  for (let n = 1 + pick(4); n > 0; n--) parts.push(Buffer.from(CORPUS[pick(CORPUS.length)], 'latin1'));
  const bytes = [...Buffer.concat(parts)];
  for (let m = kind === 1 ? 0 : 1 + pick(6); m > 0; m--) {
    const at = pick(bytes.length + 1);
    switch (pick(6)) {
      case 0:
        bytes[at] = pick(256);
        break;
      case 1:
        bytes.splice(at, 0, SPECIALS[pick(SPECIALS.length)]);
        break;
      case 2:
        bytes.splice(at, 1 + pick(8));
        break;
      case 3:
        bytes.splice(at, 0, ...bytes.slice(at, at + pick(80)));
        break;
      case 4:
        // A literal announcement, sometimes huge, sometimes non-synchronizing.
        bytes.splice(at, 0, ...Buffer.from(`{${random() < 0.3 ? 1e12 : pick(400)}${['', '+', '-'][pick(3)]}}\r\n`));
        break;
      default:
        bytes.splice(at, 0, ...Buffer.alloc(pick(150), 0x28));
    }
  }
  return Buffer.from(bytes);
}

interface Outcome {
  events: string[];
  maxBuffered: number;
}

function feed(input: Buffer, chunkSizes: () => number): Outcome {
  const parser = new CommandParser(LIMITS);
  const events: ParserEvent[] = [];
  let maxBuffered = 0;
  let fatal = false;
  for (let i = 0; i < input.length; ) {
    const size = Math.max(1, chunkSizes());
    parser.push(input.subarray(i, i + size));
    i += size;
    for (let event = parser.next(); event !== null; event = parser.next()) {
      if (fatal) throw new Error('event after a fatal error');
      if (event.kind === 'error' && event.fatal) fatal = true;
      if (event.kind === 'command' && (!event.command.tag || !event.command.name)) throw new Error('command without tag or name');
      events.push(event);
      if (events.length > 2 * input.length + 10) throw new Error('parser does not stop');
    }
    maxBuffered = Math.max(maxBuffered, parser.buffered);
  }
  return { events: events.map((e) => JSON.stringify(plainEvent(e))), maxBuffered };
}

t.test(`${ITERATIONS} random and mutated inputs`, async (t) => {
  const random = prng(0x1ead);
  const bound = Math.max(LIMITS.maxLineLength + 2, LIMITS.maxLiteralSize);
  const kinds = new Map<string, number>();
  let problems = 0;
  for (let i = 0; i < ITERATIONS && problems < 5; i++) {
    const input = randomInput(random);
    try {
      const whole = feed(input, () => input.length);
      const chunked = feed(input, () => 1 + Math.floor(random() * 16));
      if (whole.maxBuffered > bound + input.length || chunked.maxBuffered > bound) {
        problems++;
        t.fail(`buffered ${chunked.maxBuffered} over ${bound} for ${JSON.stringify(input.toString('latin1'))}`);
      }
      if (JSON.stringify(whole.events) !== JSON.stringify(chunked.events)) {
        problems++;
        t.same(chunked.events, whole.events, `chunking changed the events for ${JSON.stringify(input.toString('latin1'))}`);
      }
      for (const e of whole.events) {
        const kind = e.startsWith('{"command"') ? 'command' : e.startsWith('{"error"') ? (e.includes('"fatal":true') ? 'fatal' : 'error') : 'continue';
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
    } catch (error) {
      problems++;
      t.fail(`threw ${String(error)} on ${JSON.stringify(input.toString('latin1'))}`);
    }
  }
  t.equal(problems, 0, 'no throw, bounded buffer, chunking-independent events');
  // The generator must reach every outcome, or the test proves less than it claims.
  for (const kind of ['command', 'error', 'fatal', 'continue']) t.ok((kinds.get(kind) ?? 0) > 100, `${kind}: ${kinds.get(kind)}`);
});
