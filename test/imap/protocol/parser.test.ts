import t from 'tap';
import { CommandParser } from '../../../src/imap/protocol/parser.js';
import type { ParserLimits } from '../../../src/imap/protocol/types.js';
import { drain, LIMITS, plainEvent, run, type PlainEvent, type PlainToken } from './helpers.js';

const cmd = (tag: string, command: string, ...args: PlainToken[]): PlainEvent => ({ command, tag, args });
const str = (s: string): PlainToken => ({ str: s });
const lit = (s: string): PlainToken => ({ str: s, literal: true });
const lit8 = (s: string): PlainToken => ({ str: s, literal: true, binary: true });
const err = (tag: string | null, error: string, code: string | null = null, fatal = false): PlainEvent => ({
  error,
  tag,
  code,
  fatal,
});
const NOOP_B = cmd('b', 'NOOP');

t.test('single commands (RFC 9051 §9 grammar and client transcripts from CLIENTS.md)', async (t) => {
  const table: Array<[string, PlainEvent]> = [
    ['a1 SELECT INBOX\r\n', cmd('a1', 'SELECT', 'INBOX')],
    ['77 select "INBOX"\r\n', cmd('77', 'SELECT', str('INBOX'))],
    ['a2 NOOP\r\n', cmd('a2', 'NOOP')],
    ['a2 noop \r\n', cmd('a2', 'NOOP')],
    ['a3 LIST "" *\r\n', cmd('a3', 'LIST', str(''), '*')],
    ['a3 LIST "" %/sub*]\r\n', cmd('a3', 'LIST', str(''), '%/sub*]')],
    ['a4 LIST "~peter/" "&U,BTFw-/*"\r\n', cmd('a4', 'LIST', str('~peter/'), str('&U,BTFw-/*'))],
    ['a4 SELECT ~peter/mail/&U,BTFw-\r\n', cmd('a4', 'SELECT', '~peter/mail/&U,BTFw-')],
    ['a5 SELECT [Gmail]/Sent\r\n', cmd('a5', 'SELECT', '[Gmail]/Sent')],
    [
      '99 list (subscribed) "" "*" return (special-use)\r\n',
      cmd('99', 'LIST', ['subscribed'], str(''), str('*'), 'return', ['special-use']),
    ],
    [
      'a6 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)\r\n',
      cmd('a6', 'UID FETCH', '1:*', [
        'FLAGS',
        { atom: 'BODY.PEEK', section: ['HEADER.FIELDS', ['From', 'To']], partial: [0, 100] },
      ]),
    ],
    [
      'a7 FETCH 1 (BINARY[1] BODY[1.2.MIME] BODY[] BODY.PEEK[TEXT]<0.2048> BINARY.SIZE[2] body[]<5>)\r\n',
      cmd('a7', 'FETCH', '1', [
        { atom: 'BINARY', section: ['1'] },
        { atom: 'BODY', section: ['1.2.MIME'] },
        { atom: 'BODY', section: [] },
        { atom: 'BODY.PEEK', section: ['TEXT'], partial: [0, 2048] },
        { atom: 'BINARY.SIZE', section: ['2'] },
        { atom: 'body', section: [], partial: [5, undefined] },
      ]),
    ],
    ['a8 FETCH 2:4 BODY.PEEK[HEADER.FIELDS.NOT (X-A)]\r\n', cmd('a8', 'FETCH', '2:4', { atom: 'BODY.PEEK', section: ['HEADER.FIELDS.NOT', ['X-A']] })],
    ['a9 FETCH 1 BODY\r\n', cmd('a9', 'FETCH', '1', 'BODY')],
    ['84 uid store 241 +Flags (\\Seen)\r\n', cmd('84', 'UID STORE', '241', '+Flags', ['\\Seen'])],
    ['b1 STORE 1:3 +FLAGS.SILENT (\\Deleted \\* $Forwarded)\r\n', cmd('b1', 'STORE', '1:3', '+FLAGS.SILENT', ['\\Deleted', '\\*', '$Forwarded'])],
    ['b2 LOGIN "user" "pa\\"ss\\\\word"\r\n', cmd('b2', 'LOGIN', str('user'), str('pa"ss\\word'))],
    ['b3 ID NIL\r\n', cmd('b3', 'ID', 'NIL')],
    ['b3 ID ()\r\n', cmd('b3', 'ID', [])],
    ['98 ID ("name" "Thunderbird" "version" "153.7.0")\r\n', cmd('98', 'ID', [str('name'), str('Thunderbird'), str('version'), str('153.7.0')])],
    ['b4 SEARCH UNDELETED HEADER Message-ID <abc@example.com>\r\n', cmd('b4', 'SEARCH', 'UNDELETED', 'HEADER', 'Message-ID', '<abc@example.com>')],
    ['107 STATUS "TBcheck" (UIDNEXT MESSAGES UNSEEN RECENT)\r\n', cmd('107', 'STATUS', str('TBcheck'), ['UIDNEXT', 'MESSAGES', 'UNSEEN', 'RECENT'])],
    [
      'b5 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n',
      cmd('b5', 'SELECT', 'INBOX', ['QRESYNC', ['67890007', '20050715194045000', '41,43:211,214:541']]),
    ],
    ['b6 SEARCH CHARSET UTF-8 TEXT {3+}\r\nxyz\r\n', cmd('b6', 'SEARCH', 'CHARSET', 'UTF-8', 'TEXT', lit('xyz'))],
    [
      '109 append "Sent" (\\Seen) "05-Mar-2026 10:00:00 +0100" {5+}\r\nhello\r\n',
      cmd('109', 'APPEND', str('Sent'), ['\\Seen'], str('05-Mar-2026 10:00:00 +0100'), lit('hello')),
    ],
    ['b7 APPEND INBOX UTF8 (~{3+}\r\na\x00c)\r\n', cmd('b7', 'APPEND', 'INBOX', 'UTF8', [lit8('a\x00c')])],
    ['b8 LOGIN {4+}\r\nuser {4-}\r\npass\r\n', cmd('b8', 'LOGIN', lit('user'), lit('pass'))],
    ['b9 LOGIN user {0+}\r\n\r\n', cmd('b9', 'LOGIN', 'user', lit(''))],
    ['c1 FETCH 1 BODY[HEADER.FIELDS ({4+}\r\nFrom)]\r\n', cmd('c1', 'FETCH', '1', { atom: 'BODY', section: ['HEADER.FIELDS', [lit('From')]] })],
    ['c2 SELECT "\xe5\x8f\xb0\xe5\x8c\x97"\r\n', cmd('c2', 'SELECT', str('\xe5\x8f\xb0\xe5\x8c\x97'))],
    ['c3 NOOP\n', cmd('c3', 'NOOP')],
    ['c4 SELECT  INBOX\r\n', cmd('c4', 'SELECT', 'INBOX')],
    ['c5] CAPABILITY\r\n', cmd('c5]', 'CAPABILITY')],
  ];
  for (const [input, expected] of table) {
    t.same(run([input]), [expected], JSON.stringify(input));
  }
});

t.test('malformed commands give an error and the next command still parses', async (t) => {
  const table: Array<[string, PlainEvent]> = [
    ['a FETCH 1 (FLAGS\r\n', err('a', "Missing ')'")],
    ['a FETCH 1 FLAGS)\r\n', err('a', "Unexpected ')'")],
    ['a FETCH 1 BODY[HEADER\r\n', err('a', "Missing ']'")],
    ['a FETCH 1 BODY[]<0.0>\r\n', err('a', 'Invalid partial range')],
    ['a FETCH 1 BODY[]<x>\r\n', err('a', 'Invalid partial range')],
    ['a FETCH 1 BODY[]<1.\r\n', err('a', 'Invalid partial range')],
    ['a LOGIN "unterminated\r\n', err('a', 'Unterminated quoted string')],
    ['a LOGIN "bad\\escape"\r\n', err('a', 'Invalid character in quoted string')],
    ['a LOGIN "nul\x00"\r\n', err('a', 'Invalid character in quoted string')],
    ['a LOGIN "cr\r" x\r\n', err('a', 'Invalid character in quoted string')],
    ['a LOGIN "a""b"\r\n', err('a', 'Missing space between arguments')],
    ['a LOGIN (a)(b)\r\n', err('a', 'Missing space between arguments')],
    ['a LOGIN {3x}\r\n', err('a', 'Invalid literal announcement')],
    ['a LOGIN {3} extra\r\n', err('a', 'Invalid literal announcement')],
    ['a LOGIN {}\r\n', err('a', 'Invalid literal announcement')],
    ['a LOGIN x\x01y\r\n', err('a', 'Missing space between arguments')],
    ['a LOGIN \x01\r\n', err('a', 'Invalid character')],
    ['+a NOOP\r\n', err(null, 'Invalid tag')],
    ['a*b NOOP\r\n', err(null, 'Invalid tag')],
    [' NOOP\r\n', err(null, 'Invalid tag')],
    ['a\r\n', err('a', 'Missing command name')],
    ['a (NOOP)\r\n', err('a', 'Invalid command name')],
    ['a UID\r\n', err('a', 'Missing command after UID')],
    ['a UID "FETCH"\r\n', err('a', 'Invalid command name after UID')],
    ['\x00\x01\xff\xfe\x80garbage\r\n', err(null, 'Invalid tag')],
  ];
  for (const [input, expected] of table) {
    t.same(run([input + 'b NOOP\r\n']), [expected, NOOP_B], JSON.stringify(input));
  }
});

t.test('stray empty lines between commands are skipped', async (t) => {
  t.same(run(['\r\n\r\na NOOP\r\n\nb NOOP\r\n']), [cmd('a', 'NOOP'), NOOP_B]);
});

t.test('after a syntax error, a non-synchronizing literal is skipped, never read as a command', async (t) => {
  // The literal holds something that looks like a command: it must not run (command injection).
  t.same(run(['a FOO ) {10+}\r\nb DELETE x\r\nc NOOP\r\n']), [err('a', "Unexpected ')'"), cmd('c', 'NOOP')]);
  // A command can have several literals: all of them are skipped.
  t.same(run(['a FOO ) {1+}\r\nx {2+}\r\nyy more\r\nc NOOP\r\n']), [err('a', "Unexpected ')'"), cmd('c', 'NOOP')]);
  // A synchronizing literal is never sent after a BAD (the client waits for "+"): the command ends.
  t.same(run(['a FOO ) {5}\r\nb NOOP\r\n']), [err('a', "Unexpected ')'"), NOOP_B]);
  // An error in a segment after a literal has the command's tag and skips the rest.
  t.same(run(['a LOGIN {1+}\r\nx "y\r\nb NOOP\r\n']), [err('a', 'Unterminated quoted string'), NOOP_B]);
});

t.test('pipelined commands in one chunk come out one per next() call, in order', async (t) => {
  const input = Array.from({ length: 50 }, (_, i) => `t${i} FETCH ${i + 1} (FLAGS)\r\n`).join('');
  const parser = new CommandParser(LIMITS);
  parser.push(Buffer.from(input));
  for (let i = 0; i < 50; i++) {
    const event = parser.next();
    t.same(event && plainEvent(event), cmd(`t${i}`, 'FETCH', String(i + 1), ['FLAGS']));
    t.equal(parser.buffered, input.length - input.indexOf(`t${i} `) - `t${i} FETCH ${i + 1} (FLAGS)\r\n`.length, 'nothing consumed ahead');
  }
  t.equal(parser.next(), null);
  t.equal(parser.buffered, 0);
});

const SESSION = [
  'a1 LOGIN {4}\r\n',
  'user {7}\r\n',
  'p\xe4ss wd\r\n',
  'a2 SELECT INBOX\r\n',
  'a3 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)\r\n',
  'a4 APPEND INBOX (\\Seen) "05-Mar-2026 10:00:00 +0100" {0}\r\n',
  '\r\n',
  'a5 SEARCH CHARSET UTF-8 TEXT {3+}\r\nxyz\r\n',
  'a6 APPEND INBOX UTF8 (~{4+}\r\n\x00\r\n\xff)\r\n',
  'a7 BAD ) {3+}\r\nabc\r\n',
  'a8 LIST "" *\r\n',
].join('');

const SESSION_EVENTS: PlainEvent[] = [
  'continue',
  'continue',
  cmd('a1', 'LOGIN', lit('user'), lit('p\xe4ss wd')),
  cmd('a2', 'SELECT', 'INBOX'),
  cmd('a3', 'UID FETCH', '1:*', ['FLAGS', { atom: 'BODY.PEEK', section: ['HEADER.FIELDS', ['From', 'To']], partial: [0, 100] }]),
  'continue',
  cmd('a4', 'APPEND', 'INBOX', ['\\Seen'], str('05-Mar-2026 10:00:00 +0100'), lit('')),
  cmd('a5', 'SEARCH', 'CHARSET', 'UTF-8', 'TEXT', lit('xyz')),
  cmd('a6', 'APPEND', 'INBOX', 'UTF8', [lit8('\x00\r\n\xff')]),
  err('a7', "Unexpected ')'"),
  cmd('a8', 'LIST', str(''), '*'),
];

t.test('a session gives the same events whatever the chunk boundaries', async (t) => {
  t.same(run([SESSION]), SESSION_EVENTS, 'one chunk');
  let failures = 0;
  for (let i = 1; i < SESSION.length; i++) {
    const events = run([SESSION.slice(0, i), SESSION.slice(i)]);
    if (JSON.stringify(events) !== JSON.stringify(SESSION_EVENTS)) {
      failures++;
      t.same(events, SESSION_EVENTS, `split at ${i}`);
    }
  }
  t.equal(failures, 0, `split at each of ${SESSION.length - 1} positions`);
  t.same(run([...SESSION]), SESSION_EVENTS, 'one octet per chunk');
});

t.test('synchronizing literal: one continue, then the parser waits for the octets', async (t) => {
  const parser = new CommandParser(LIMITS);
  parser.push(Buffer.from('a LOGIN {4}\r\n'));
  t.same(plainEvent(parser.next()!), 'continue');
  t.equal(parser.next(), null);
  t.equal(parser.next(), null, 'no second continue');
  parser.push(Buffer.from('us'));
  t.equal(parser.next(), null);
  t.equal(parser.buffered, 2, 'a literal in progress counts as buffered');
  parser.push(Buffer.from('er "pass"'));
  t.equal(parser.next(), null, 'the command is not complete before its CRLF');
  parser.push(Buffer.from('\r\n'));
  t.same(plainEvent(parser.next()!), cmd('a', 'LOGIN', lit('user'), str('pass')));
  t.equal(parser.buffered, 0);
});

t.test('a literal larger than one chunk is assembled from many', async (t) => {
  const body = Buffer.alloc(100_000);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  const parser = new CommandParser(LIMITS);
  parser.push(Buffer.from(`a APPEND INBOX {${body.length}+}\r\n`));
  for (let i = 0; i < body.length; i += 1000) {
    parser.push(body.subarray(i, i + 1000));
    t.equal(parser.next(), null);
  }
  parser.push(Buffer.from('\r\n'));
  const event = parser.next();
  t.equal(event?.kind, 'command');
  const last = event?.kind === 'command' ? event.command.args[1] : undefined;
  t.ok(last?.type === 'string' && last.value.equals(body), 'literal octets intact');
});

t.test('line mode returns raw lines between commands (IDLE, AUTHENTICATE)', async (t) => {
  const parser = new CommandParser(LIMITS);
  parser.push(Buffer.from('83 IDLE\r\nDONE\r\n84 uid store 241 +Flags (\\Seen)\r\n'));
  t.same(plainEvent(parser.next()!), cmd('83', 'IDLE'));
  parser.setLineMode(true);
  t.same(plainEvent(parser.next()!), { line: 'DONE' });
  parser.setLineMode(false);
  t.same(plainEvent(parser.next()!), cmd('84', 'UID STORE', '241', '+Flags', ['\\Seen']));

  parser.push(Buffer.from('96 authenticate PLAIN\r\n'));
  t.same(plainEvent(parser.next()!), cmd('96', 'AUTHENTICATE', 'PLAIN'));
  parser.setLineMode(true);
  t.equal(parser.next(), null);
  parser.push(Buffer.from('AHVzZXIxAHBhc3M=\r\n\r\n'));
  t.same(plainEvent(parser.next()!), { line: 'AHVzZXIxAHBhc3M=' });
  t.same(plainEvent(parser.next()!), { line: '' }, 'an empty line is a line (empty SASL response)');
  t.equal(parser.next(), null);
});

const SMALL: ParserLimits = { maxLineLength: 100, maxLiteralSize: 1000, maxCommandSize: 2000, maxDepth: 5 };

t.test('over-long line: error with tag, discarded as it arrives, then the next command', async (t) => {
  const long = `a NOOP ${'x'.repeat(10_000)}\r\nb NOOP\r\n`;
  t.same(run([long], SMALL), [err('a', 'Line too long', 'TOOBIG'), NOOP_B]);

  const parser = new CommandParser(SMALL);
  const events: PlainEvent[] = [];
  let maxBuffered = 0;
  for (let i = 0; i < long.length; i += 10) {
    parser.push(Buffer.from(long.slice(i, i + 10)));
    events.push(...drain(parser).map(plainEvent));
    maxBuffered = Math.max(maxBuffered, parser.buffered);
  }
  t.same(events, [err('a', 'Line too long', 'TOOBIG'), NOOP_B]);
  t.ok(maxBuffered <= SMALL.maxLineLength + 10, `buffered stays ≤ line limit + one chunk (was ${maxBuffered})`);

  t.same(run([`${'y'.repeat(500)}\r\nb NOOP\r\n`], SMALL), [err(null, 'Line too long', 'TOOBIG'), NOOP_B], 'no tag in the first octets');
  const exact = `a ${'z'.repeat(SMALL.maxLineLength - 2)}`;
  t.same(run([`${exact}\r\n`], SMALL), [cmd('a', 'Z'.repeat(98))], 'exactly maxLineLength is accepted');
  t.same(run([`${exact}z\r\nb NOOP\r\n`], SMALL), [err('a', 'Line too long', 'TOOBIG'), NOOP_B], 'one more is not');
  t.same(run([`${exact}z\nb NOOP\r\n`], SMALL), [err('a', 'Line too long', 'TOOBIG'), NOOP_B], 'bare LF, one more');
  t.same(run([`${exact}\r`, `\nb NOOP\r\n`], SMALL), [cmd('a', 'Z'.repeat(98)), NOOP_B], 'CR and LF in two chunks');
});

t.test('over-long line ending in a non-synchronizing literal: the literal is skipped too', async (t) => {
  const input = `a APPEND INBOX ${'x'.repeat(300)} {5+}\r\nc DEL\r\nb NOOP\r\n`;
  t.same(run([input], SMALL), [err('a', 'Line too long', 'TOOBIG'), NOOP_B]);
  t.same(run([...input], SMALL), [err('a', 'Line too long', 'TOOBIG'), NOOP_B], 'one octet per chunk');
  const huge = `a APPEND INBOX ${'x'.repeat(300)} {1073741824+}\r\n`;
  t.same(run([huge, 'b NOOP\r\n'], SMALL), [err('a', 'Line too long', 'TOOBIG'), err(null, 'Non-synchronizing literal too large', 'TOOBIG', true)]);
  // More digits than the discarded line's kept tail: the "{" is gone, the size is still huge.
  const digits = `a APPEND INBOX ${'x'.repeat(300)} {${'9'.repeat(60)}+}\r\n`;
  t.same(run([...digits], SMALL), [err('a', 'Line too long', 'TOOBIG'), err(null, 'Non-synchronizing literal too large', 'TOOBIG', true)]);
  t.same(run([`a BAD ) {${'0'.repeat(60)}1+}\r\nx\r\nb NOOP\r\n`], { ...SMALL, maxLineLength: 1000 }), [err('a', "Unexpected ')'"), NOOP_B], 'leading zeros: a small literal, skipped');
  const synchronizing = `a APPEND INBOX ${'x'.repeat(300)} {${'9'.repeat(60)}}\r\nb NOOP\r\n`;
  t.same(run([synchronizing], SMALL), [err('a', 'Line too long', 'TOOBIG'), NOOP_B], 'a synchronizing one ends the command');
});

t.test('over-long line in line mode', async (t) => {
  const parser = new CommandParser(SMALL);
  parser.setLineMode(true);
  parser.push(Buffer.from(`${'A'.repeat(300)}\r\nDONE\r\n`));
  t.same(drain(parser).map(plainEvent), [err(null, 'Line too long', 'TOOBIG'), { line: 'DONE' }]);
});

t.test('1 GB synchronizing literal: TOOBIG, no continue, nothing allocated, session goes on', async (t) => {
  const parser = new CommandParser(SMALL);
  parser.push(Buffer.from('a APPEND INBOX {1073741824}\r\n'));
  t.same(drain(parser).map(plainEvent), [err('a', 'Literal too large', 'TOOBIG')]);
  t.equal(parser.buffered, 0);
  parser.push(Buffer.from('b NOOP\r\n'));
  t.same(drain(parser).map(plainEvent), [NOOP_B]);
  t.same(run(['a APPEND INBOX {99999999999999999999999999}\r\nb NOOP\r\n'], SMALL), [err('a', 'Literal too large', 'TOOBIG'), NOOP_B]);
  t.same(run(['a APPEND INBOX ~{1001}\r\nb NOOP\r\n'], SMALL), [err('a', 'Literal too large', 'TOOBIG'), NOOP_B], 'literal8');
  t.same(run(['a APPEND INBOX {1000}\r\n'], SMALL), ['continue'], 'exactly maxLiteralSize is accepted');
});

t.test('1 GB non-synchronizing literal: fatal, and all later input is ignored', async (t) => {
  const parser = new CommandParser(SMALL);
  parser.push(Buffer.from('a APPEND INBOX {1073741824+}\r\nxxxxxxxx'));
  t.same(drain(parser).map(plainEvent), [err('a', 'Literal too large', 'TOOBIG', true)]);
  t.equal(parser.buffered, 0);
  parser.push(Buffer.from('b NOOP\r\n'.repeat(100)));
  t.equal(parser.next(), null);
  t.equal(parser.buffered, 0);
  t.same(run(['a APPEND INBOX ~{1073741824+}\r\n'], SMALL), [err('a', 'Literal too large', 'TOOBIG', true)], 'literal8');
  t.same(run(['a APPEND INBOX {1073741824-}\r\n'], SMALL), [err('a', 'Literal too large', 'TOOBIG', true)], 'LITERAL-');
  t.same(run(['a BAD ) {1073741824+}\r\n'], SMALL), [err('a', 'Non-synchronizing literal too large', 'TOOBIG', true)], 'after a syntax error');
});

t.test('command size limit counts lines and literals', async (t) => {
  const limits: ParserLimits = { maxLineLength: 100, maxLiteralSize: 1000, maxCommandSize: 1500, maxDepth: 5 };
  const l800 = 'x'.repeat(800);
  t.same(run([`a X {800+}\r\n${l800} {800+}\r\n${l800}\r\nb NOOP\r\n`], limits), [err('a', 'Command too large', 'TOOBIG', true)]);
  t.same(run([`a X {800}\r\n`, `${l800} {800}\r\n`, 'b NOOP\r\n'], limits), ['continue', err('a', 'Command too large', 'TOOBIG'), NOOP_B]);
  // Lines after literals count too: 12 + 700 + 9 + 700 octets leave 79 for the last line.
  const l700 = 'y'.repeat(700);
  const last = ` ${'z'.repeat(90)}`;
  t.same(run([`a X {700+}\r\n${l700} {700+}\r\n${l700}${last}\r\nb NOOP\r\n`], limits), [err('a', 'Command too large', 'TOOBIG'), NOOP_B]);
  t.same(run([`a X {700+}\r\n${l700} {700+}\r\n${l700}${last.slice(0, 77)}\r\n`], limits), [cmd('a', 'X', lit(l700), lit(l700), 'z'.repeat(76))]);
});

t.test('nesting deeper than maxDepth is refused, lists and sections alike', async (t) => {
  t.same(run(['a X (((((x)))))\r\n'], SMALL), [cmd('a', 'X', [[[[['x']]]]])], 'depth 5 is accepted');
  t.same(run(['a X ((((((x))))))\r\nb NOOP\r\n'], SMALL), [err('a', 'Too deeply nested'), NOOP_B]);
  t.same(run(['a FETCH 1 ((((BODY[HEADER.FIELDS (A)]))))\r\nb NOOP\r\n'], SMALL), [err('a', 'Too deeply nested'), NOOP_B]);
  t.same(run([`a X ${'('.repeat(100_000)}\r\nb NOOP\r\n`], { ...SMALL, maxLineLength: 200_000, maxCommandSize: 300_000 }), [err('a', 'Too deeply nested'), NOOP_B]);
});

t.test('garbage bytes never throw and the parser recovers at the next line', async (t) => {
  const garbage = Buffer.from([0xff, 0x00, 0x28, 0x7b, 0x22, 0x5c, 0x0d, 0x0d, 0x7b, 0x39, 0x7d, 0x0a]);
  t.same(run([garbage, 'b NOOP\r\n']), [err(null, 'Invalid tag'), NOOP_B]);
});

t.test('100k small pipelined commands parse fast (figure reported, not asserted)', async (t) => {
  const one = 'A123 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (From To)])\r\n';
  const input = Buffer.from(one.repeat(100_000));
  for (const chunkSize of [input.length, 65536]) {
    const parser = new CommandParser(LIMITS);
    const started = process.hrtime.bigint();
    let commands = 0;
    for (let i = 0; i < input.length; i += chunkSize) {
      parser.push(input.subarray(i, i + chunkSize));
      for (let event = parser.next(); event; event = parser.next()) if (event.kind === 'command') commands++;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    t.equal(commands, 100_000, `chunks of ${chunkSize}`);
    t.comment(`100k commands in chunks of ${chunkSize} octets: ${ms.toFixed(0)} ms`);
  }
});
