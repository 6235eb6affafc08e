import t from 'tap';
import { CommandParser } from '../../../src/imap/protocol/parser.js';
import { atom, type ImapValue } from '../../../src/imap/protocol/types.js';
import { continuation, quoteOrLiteral, serialize, tagged, untagged, untaggedStatus } from '../../../src/imap/protocol/writer.js';
import { drain, LIMITS, prng } from './helpers.js';

const text = (b: Buffer) => b.toString('utf8');

t.test('serialize: one value (RFC 9051 §4)', async (t) => {
  const table: Array<[ImapValue, string]> = [
    [null, 'NIL'],
    [0, '0'],
    [42, '42'],
    [4294967295, '4294967295'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ['INBOX', '"INBOX"'],
    ['', '""'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['Mon, 7 Feb 1994 21:52:25 -0800 (PST)', '"Mon, 7 Feb 1994 21:52:25 -0800 (PST)"'],
    ['line\r\nbreak', '{11}\r\nline\r\nbreak'],
    ['tab\there', '{8}\r\ntab\there'],
    ['nul\0', '{4}\r\nnul\0'],
    ['del\x7f', '{4}\r\ndel\x7f'],
    ['Grüße', '{7}\r\nGrüße'],
    ['x'.repeat(1024), `"${'x'.repeat(1024)}"`],
    ['x'.repeat(1025), `{1025}\r\n${'x'.repeat(1025)}`],
    [Buffer.from('abc'), '{3}\r\nabc'],
    [Buffer.alloc(0), '{0}\r\n'],
    [atom('\\Seen'), '\\Seen'],
    [atom('BODY[HEADER.FIELDS (DATE)]'), 'BODY[HEADER.FIELDS (DATE)]'],
    [{ literal: Buffer.from('a\0b') }, '{3}\r\na\0b'],
    [{ literal: Buffer.from('a\0b'), binary: true }, '~{3}\r\na\0b'],
    [{ raw: Buffer.from('"台北"') }, '"台北"'],
    [[], '()'],
    [[atom('FLAGS'), [atom('\\Seen'), atom('\\Answered')]], '(FLAGS (\\Seen \\Answered))'],
    // RFC 3501 §7.4.2 BODYSTRUCTURE example.
    [['TEXT', 'PLAIN', ['CHARSET', 'US-ASCII'], null, null, '7BIT', 2279, 48], '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 2279 48)'],
    // An ENVELOPE address list with a group, as in dovecot/imaptest fetch-envelope.
    [[[null, null, 'g', null], ['Fred', null, 'fred', 'example.com'], [null, null, null, null]], '((NIL NIL "g" NIL)("Fred" NIL "fred" "example.com")(NIL NIL NIL NIL))'],
    [[['TEXT'], ['TEXT'], 'MIXED', ['a']], '(("TEXT")("TEXT") "MIXED" ("a"))'],
  ];
  for (const [value, expected] of table) t.equal(text(serialize(value)), expected, JSON.stringify(expected));
  t.ok(serialize(Buffer.from([0xff, 0x00])).equals(Buffer.from([0x7b, 0x32, 0x7d, 0x0d, 0x0a, 0xff, 0x00])), 'Buffer octets kept as they are');
});

t.test('serialize refuses values that are not IMAP numbers', async (t) => {
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) t.throws(() => serialize(bad), RangeError, String(bad));
});

t.test('untagged responses (RFC 3501 §6.3.1, §7.4.2 examples)', async (t) => {
  t.equal(text(untagged(172, atom('EXISTS'))), '* 172 EXISTS\r\n');
  t.equal(
    text(untagged(atom('FLAGS'), [atom('\\Answered'), atom('\\Flagged'), atom('\\Deleted'), atom('\\Seen'), atom('\\Draft')])),
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n',
  );
  t.equal(text(untagged(atom('LIST'), [atom('\\HasNoChildren'), atom('\\Trash')], '/', 'Trash')), '* LIST (\\HasNoChildren \\Trash) "/" "Trash"\r\n');
  t.equal(
    text(untagged(12, atom('FETCH'), [atom('FLAGS'), [atom('\\Seen')], atom('BODY[]<0>'), Buffer.from('hello')])),
    '* 12 FETCH (FLAGS (\\Seen) BODY[]<0> {5}\r\nhello)\r\n',
  );
  t.equal(text(untagged(atom('SEARCH'))), '* SEARCH\r\n');
  t.equal(text(untagged(atom('ID'), null)), '* ID NIL\r\n');
});

t.test('status responses and continuations', async (t) => {
  t.equal(text(tagged('A142', 'OK', 'SELECT completed', 'READ-WRITE')), 'A142 OK [READ-WRITE] SELECT completed\r\n');
  t.equal(text(tagged('109', 'OK', 'Append completed', 'APPENDUID 1795486692 1')), '109 OK [APPENDUID 1795486692 1] Append completed\r\n');
  t.equal(text(tagged('a', 'BAD', 'Line too long', 'TOOBIG')), 'a BAD [TOOBIG] Line too long\r\n');
  t.equal(text(tagged('a', 'NO', 'no such mailbox')), 'a NO no such mailbox\r\n');
  t.equal(text(tagged('a', 'NO', 'x\r\n* BYE injected')), 'a NO x  * BYE injected\r\n', 'CR LF cannot start a new response');
  t.equal(text(tagged('a', 'OK', '')), 'a OK Completed\r\n', 'text is never empty (RFC 3501 resp-text)');
  t.equal(text(untaggedStatus('OK', 'Predicted next UID', 'UIDNEXT 4392')), '* OK [UIDNEXT 4392] Predicted next UID\r\n');
  t.equal(text(untaggedStatus('BYE', 'Server shutting down')), '* BYE Server shutting down\r\n');
  t.equal(text(continuation('Ready for literal')), '+ Ready for literal\r\n');
  t.equal(text(continuation('')), '+ \r\n', 'Thunderbird waits for "+ " with its space');
  t.equal(text(continuation('idling\r\n')), '+ idling  \r\n');
});

t.test('quoteOrLiteral: UTF-8 may be quoted only when the session allows it (RFC 6855)', async (t) => {
  t.equal(text(quoteOrLiteral('台北', { utf8: true })), '"台北"');
  t.equal(text(quoteOrLiteral('台北', { utf8: false })), '{6}\r\n台北');
  t.equal(text(quoteOrLiteral('Sent', { utf8: false })), '"Sent"');
  t.equal(text(quoteOrLiteral('a\r\nb', { utf8: true })), '{4}\r\na\r\nb');
  t.equal(text(quoteOrLiteral('台'.repeat(400), { utf8: true })), `{1200}\r\n${'台'.repeat(400)}`, 'long in octets');
});

t.test('what the writer writes, the parser reads back unchanged', async (t) => {
  const random = prng(7);
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '(', ')', '{', '}', '\r', '\n', '\t', '\0', 'é', '台', '📧', '*', '%', ']'];
  let mismatches = 0;
  for (let i = 0; i < 2000; i++) {
    let s = '';
    const length = Math.floor(random() * 40);
    for (let k = 0; k < length; k++) s += alphabet[Math.floor(random() * alphabet.length)];
    const utf8 = random() < 0.5;
    const parser = new CommandParser(LIMITS);
    parser.push(Buffer.concat([Buffer.from('a X '), quoteOrLiteral(s, { utf8 }), Buffer.from('\r\n')]));
    const events = drain(parser);
    const last = events.at(-1);
    const token = last?.kind === 'command' ? last.command.args[0] : undefined;
    if (token?.type !== 'string' || token.value.toString('utf8') !== s) {
      mismatches++;
      if (mismatches < 5) t.fail(`round trip of ${JSON.stringify(s)} gave ${JSON.stringify(events)}`);
    }
  }
  t.equal(mismatches, 0);
});
