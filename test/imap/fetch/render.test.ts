import t from 'tap';
import { bodyStructure, parseMessage } from '../../../src/mime/index.js';
import type { ParsedMessage } from '../../../src/mime/types.js';
import { decodeQuotedPrintable, formatDateTime, parseFetchRequest, renderFetch } from '../../../src/imap/fetch/index.js';
import type { FetchMessage } from '../../../src/imap/fetch/index.js';
import { atom, type ImapValue } from '../../../src/imap/protocol/types.js';
import type { MessageMeta } from '../../../src/store/types.js';
import { fetchArgs } from './tokens.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

/** A PNG-like attachment with NUL octets, so BINARY must answer with literal8. */
const ATTACHMENT = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0d, 0x0a, 0x1a, 0x00, 0xff, 0x10, 0x20]);

const MULTIPART = crlf([
  'From: =?iso-8859-1?q?J=FCrgen?= <juergen@example.org>',
  'To: alice@example.org',
  'Subject: Report',
  'Date: Wed, 17 Jul 1996 02:44:25 -0700',
  'Message-ID: <report@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  'Preamble.',
  '--b1',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Gr=FC=DFe aus M=FCnchen, a long line that is wrapped with a soft line br=',
  'eak.',
  '--b1',
  'Content-Type: image/png; name="dot.png"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="dot.png"',
  '',
  ATTACHMENT.toString('base64').slice(0, 8),
  ATTACHMENT.toString('base64').slice(8),
  '--b1',
  'Content-Type: message/rfc822',
  '',
  'From: bob@example.org',
  'Subject: inner',
  '',
  'Inner body.',
  '--b1',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: x-uuencode',
  '',
  'begin 644 x',
  '--b1--',
  '',
]);

const HEADER_LINES = ['From: alice@example.org', 'To: bob@example.org', 'Subject: Fifteen hundred', ''];
function sizedMessage(total: number): Buffer {
  const header = crlf([...HEADER_LINES, '']);
  return Buffer.concat([header, Buffer.alloc(total - header.length, 'x')]);
}

function meta(raw: Buffer, overrides: Partial<MessageMeta> = {}): MessageMeta {
  return {
    uid: 42,
    modseq: 917162500,
    flags: ['\\Seen', '\\Recent', '$Forwarded'],
    internalDate: Date.UTC(1996, 6, 17, 9, 44, 25),
    size: raw.length,
    blobId: 'blob',
    savedAt: Date.UTC(2024, 0, 5, 8, 0, 0),
    ...overrides,
  };
}

function full(raw: Buffer, overrides: Partial<MessageMeta> = {}): FetchMessage {
  return { seq: 1, meta: meta(raw, overrides), parsed: parseMessage(raw), raw };
}

/** The values of a rendered FETCH as a map from label to value, after checking names are atoms. */
function byLabel(values: ImapValue[]): Map<string, ImapValue> {
  const map = new Map<string, ImapValue>();
  for (let i = 0; i < values.length; i += 2) {
    const name = values[i] as { atom: string };
    if (typeof name !== 'object' || name === null || !('atom' in name)) throw new Error(`name ${i} is not an atom`);
    map.set(name.atom, values[i + 1]);
  }
  return map;
}

function fetch(text: string, message: FetchMessage, options: { uid: boolean; seenChanged?: boolean } = { uid: false }) {
  return renderFetch(parseFetchRequest(fetchArgs(text), { uid: options.uid }), message, options);
}

t.test('Thunderbird header fetch from the header block alone (needs: header)', async (t) => {
  const raw = MULTIPART;
  const headerOnly = raw.subarray(0, raw.indexOf('\r\n\r\n') + 4);
  const request = parseFetchRequest(fetchArgs('(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (from subject X-Missing)])'), {
    uid: true,
  });
  t.equal(request.needs, 'header');
  t.equal(request.needsParsed, false);
  const values = renderFetch(request, { meta: meta(raw), raw: headerOnly }, { uid: true });
  t.same(values, [
    atom('UID'),
    42,
    atom('RFC822.SIZE'),
    raw.length,
    atom('FLAGS'),
    [atom('\\Seen'), atom('$Forwarded')],
    atom('BODY[HEADER.FIELDS (from subject X-Missing)]'),
    Buffer.from('From: =?iso-8859-1?q?J=FCrgen?= <juergen@example.org>\r\nSubject: Report\r\n\r\n'),
  ]);
});

t.test('UID FETCH without UID in the request still answers UID first', async (t) => {
  const raw = sizedMessage(200);
  const request = parseFetchRequest(fetchArgs('FLAGS'));
  t.same(renderFetch(request, { meta: meta(raw) }, { uid: true }), [
    atom('UID'),
    42,
    atom('FLAGS'),
    [atom('\\Seen'), atom('$Forwarded')],
  ]);
  t.same(renderFetch(request, { meta: meta(raw) }, { uid: false }), [atom('FLAGS'), [atom('\\Seen'), atom('$Forwarded')]]);
});

t.test('meta items: RFC822.SIZE exact, INTERNALDATE, MODSEQ, SAVEDATE', async (t) => {
  const raw = sizedMessage(1500);
  const values = byLabel(fetch('(RFC822.SIZE INTERNALDATE MODSEQ SAVEDATE)', { meta: meta(raw, { size: 1503 }) }));
  t.equal(values.get('RFC822.SIZE'), 1503, 'meta.size, not recomputed');
  t.equal(values.get('INTERNALDATE'), '17-Jul-1996 09:44:25 +0000');
  t.same(values.get('MODSEQ'), [917162500]);
  t.equal(values.get('SAVEDATE'), '05-Jan-2024 08:00:00 +0000');
  t.equal(formatDateTime(Date.UTC(2001, 1, 3, 4, 5, 6)), '03-Feb-2001 04:05:06 +0000');
});

t.test('partial fetches (RFC 3501 §6.4.5)', async (t) => {
  const raw = sizedMessage(1500);
  const message = full(raw);
  const first = byLabel(fetch('BODY.PEEK[]<0.2048>', message));
  t.same([...first.keys()], ['BODY[]<0>'], 'only the origin is echoed');
  t.ok(Buffer.isBuffer(first.get('BODY[]<0>')));
  t.same(first.get('BODY[]<0>'), raw, 'the whole 1500 octets');

  const tail = byLabel(fetch('BODY.PEEK[]<1400.200>', message));
  t.same(tail.get('BODY[]<1400>'), raw.subarray(1400), 'a short last chunk');
  const middle = byLabel(fetch('BODY.PEEK[]<10.5>', message));
  t.same(middle.get('BODY[]<10>'), raw.subarray(10, 15));
  t.equal(byLabel(fetch('BODY.PEEK[]<1500.10>', message)).get('BODY[]<1500>'), '', 'origin at the end: empty string');
  t.equal(byLabel(fetch('BODY.PEEK[]<9999.10>', message)).get('BODY[]<9999>'), '', 'origin beyond the end: empty string');

  const text = byLabel(fetch('BODY.PEEK[TEXT]<0.100>', message));
  t.same(text.get('BODY[TEXT]<0>'), Buffer.alloc(100, 'x'), 'Thunderbird preview chunk');
});

t.test('whole message, header and text', async (t) => {
  const raw = MULTIPART;
  const message = full(raw);
  const split = raw.indexOf('\r\n\r\n') + 4;
  const values = byLabel(fetch('(RFC822 RFC822.HEADER RFC822.TEXT BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT])', message));
  t.same(values.get('RFC822'), raw);
  t.same(values.get('BODY[]'), raw);
  t.same(values.get('RFC822.HEADER'), raw.subarray(0, split), 'header with its blank line');
  t.same(values.get('BODY[HEADER]'), raw.subarray(0, split));
  t.same(values.get('RFC822.TEXT'), raw.subarray(split));
  t.same(values.get('BODY[TEXT]'), raw.subarray(split));

  const notFields = byLabel(fetch('BODY.PEEK[HEADER.FIELDS.NOT (From To Date Message-ID MIME-Version Content-Type)]', message));
  t.same(
    notFields.get('BODY[HEADER.FIELDS.NOT (From To Date Message-ID MIME-Version Content-Type)]'),
    Buffer.from('Subject: Report\r\n\r\n'),
  );

  const bodyless = Buffer.from('Subject: no body\r\n');
  const noBlank = byLabel(fetch('BODY.PEEK[HEADER]', { meta: meta(bodyless), raw: bodyless }));
  t.same(noBlank.get('BODY[HEADER]'), Buffer.from('Subject: no body\r\n\r\n'), 'the blank line is always included');
});

t.test('sections of a multipart message', async (t) => {
  const raw = MULTIPART;
  const message = full(raw);
  const items = 'BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT] BODY.PEEK[3.1] BODY.PEEK[9] BODY.PEEK[1.2]';
  const values = byLabel(fetch(`(${items})`, message));
  t.same(
    values.get('BODY[1]'),
    Buffer.from('Gr=FC=DFe aus M=FCnchen, a long line that is wrapped with a soft line br=\r\neak.'),
  );
  t.same(
    values.get('BODY[2.MIME]'),
    Buffer.from(
      'Content-Type: image/png; name="dot.png"\r\nContent-Transfer-Encoding: base64\r\n' +
        'Content-Disposition: attachment; filename="dot.png"\r\n\r\n',
    ),
  );
  t.same(values.get('BODY[3.HEADER]'), Buffer.from('From: bob@example.org\r\nSubject: inner\r\n\r\n'));
  t.same(values.get('BODY[3.TEXT]'), Buffer.from('Inner body.'));
  t.same(values.get('BODY[3.1]'), Buffer.from('Inner body.'), 'the body of a non-multipart encapsulated message');
  t.equal(values.get('BODY[9]'), '', 'a nonexistent part is the empty string');
  t.equal(values.get('BODY[1.2]'), '', 'no parts below a leaf');
});

t.test('BINARY and BINARY.SIZE (RFC 3516)', async (t) => {
  const raw = MULTIPART;
  const message = full(raw);
  const items = 'BINARY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[1] BINARY.SIZE[2] BINARY.PEEK[9] BINARY.SIZE[9] BINARY.PEEK[3]';
  const values = byLabel(fetch(`(${items})`, message));
  const text = Buffer.from('Grüße aus München, a long line that is wrapped with a soft line break.', 'latin1');
  t.same(values.get('BINARY[1]'), text, 'quoted-printable decoded, charset untouched');
  t.same(values.get('BINARY[2]'), { literal: ATTACHMENT, binary: true }, 'NUL octets need literal8');
  t.equal(values.get('BINARY.SIZE[1]'), text.length);
  t.equal(values.get('BINARY.SIZE[2]'), ATTACHMENT.length);
  t.equal(values.get('BINARY[9]'), null, 'a nonexistent part is NIL');
  t.equal(values.get('BINARY.SIZE[9]'), 0);
  t.same(values.get('BINARY[3]'), Buffer.from('From: bob@example.org\r\nSubject: inner\r\n\r\nInner body.'));

  const partial = byLabel(fetch('BINARY.PEEK[2]<4.3>', message));
  t.same(partial.get('BINARY[2]<4>'), { literal: ATTACHMENT.subarray(4, 7), binary: true }, 'partial on decoded data');
  const noNul = byLabel(fetch('BINARY.PEEK[2]<9.3>', message));
  t.same(noNul.get('BINARY[2]<9>'), ATTACHMENT.subarray(9, 12), 'no NUL: an ordinary literal');
  const whole = byLabel(fetch('BINARY.PEEK[]', message));
  t.same(whole.get('BINARY[]'), raw);

  t.throws(() => fetch('BINARY.PEEK[4]', message), { name: 'ImapError', status: 'NO', code: 'UNKNOWN-CTE' });
  t.throws(() => fetch('BINARY.SIZE[4]', message), { name: 'ImapError', status: 'NO', code: 'UNKNOWN-CTE' });
});

t.test('ENVELOPE, BODY and BODYSTRUCTURE come from the MIME tree', async (t) => {
  const raw = MULTIPART;
  const message = full(raw);
  const parsed = message.parsed as ParsedMessage;
  const values = byLabel(fetch('FULL', message));
  t.same(values.get('ENVELOPE'), parsed.envelope);
  t.same(values.get('BODY'), bodyStructure(parsed.root, false));
  const structure = byLabel(fetch('BODYSTRUCTURE', message)).get('BODYSTRUCTURE');
  t.same(structure, bodyStructure(parsed.root, true));
  t.notSame(structure, values.get('BODY'), 'BODY has no extension data');
  t.equal((values.get('ENVELOPE') as ImapValue[])[1], 'Report');
  t.same([...values.keys()], ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY']);
});

t.test('fetches that set \\Seen report FLAGS', async (t) => {
  const raw = sizedMessage(300);
  const message = full(raw);
  const seen = fetch('BODY[TEXT]', message);
  t.same(seen.slice(-2), [atom('FLAGS'), [atom('\\Seen'), atom('$Forwarded')]], 'FLAGS added after the data');
  t.equal(fetch('BODY[TEXT]', message, { uid: false, seenChanged: false }).length, 2, 'not when \\Seen was already set');
  t.equal(fetch('(FLAGS RFC822)', message).length, 4, 'FLAGS is not repeated');
  t.equal(fetch('BODY.PEEK[TEXT]', message).length, 2, 'PEEK leaves flags alone');
});

t.test('quoted-printable decoding (RFC 2045 §6.7)', async (t) => {
  const table: Array<[string, string, string]> = [
    ['a=3Db', 'a=b', 'hex escape'],
    ['soft=\r\nbreak', 'softbreak', 'soft line break'],
    ['soft=  \r\nbreak', 'softbreak', 'soft break with trailing white space'],
    ['trailing   \r\nnext', 'trailing\r\nnext', 'trailing white space dropped'],
    ['bare lf=\nok\n', 'bare lfok\n', 'LF line ends kept as they are'],
    ['bad =ZZ and =4', 'bad =ZZ and =4', 'malformed escapes kept'],
    ['lower =c3=a9', 'lower \u00c3\u00a9', 'lower-case hex'],
    ['end=', 'end', 'soft break at the very end'],
  ];
  for (const [input, expected, name] of table) {
    t.same(decodeQuotedPrintable(Buffer.from(input, 'latin1')), Buffer.from(expected, 'latin1'), name);
  }
});
