/**
 * BODY[section] slicing on the nested structure of the RFC 3501 §6.4.5 example, on
 * non-multipart messages, and for sections that do not exist.
 */
import t from 'tap';
import { parseMessage, sectionBytes } from '../../src/mime/index.js';
import type { SectionSpec } from '../../src/mime/types.js';

const crlf = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8');

/** The example of RFC 3501 §6.4.5, with each leaf body naming its own part number. */
const rfcExample = crlf(`Subject: top
Content-Type: multipart/mixed; boundary=top

--top
Content-Type: text/plain

part 1
--top
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

cGFydCAy
--top
Content-Type: message/rfc822

Subject: msg3
Content-Type: multipart/mixed; boundary=m3

--m3
Content-Type: text/plain

part 3.1
--m3
Content-Type: application/octet-stream

part 3.2
--m3--
--top
Content-Type: multipart/mixed; boundary=p4

--p4
Content-Type: image/gif

part 4.1
--p4
Content-Type: message/rfc822

Subject: msg42
X-Other: folded
 value
Content-Type: multipart/mixed; boundary=m42

--m42
Content-Type: text/plain

part 4.2.1
--m42
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain

part 4.2.2.1
--alt
Content-Type: text/richtext

part 4.2.2.2
--alt--
--m42--
--p4--
--top--
`);

const parsed = parseMessage(rfcExample);

function section(part: string, text: SectionSpec['text'] = null, fields?: string[]): string | null {
  const spec: SectionSpec = { part: part === '' ? [] : part.split('.').map(Number), text, fields };
  const bytes = sectionBytes(rfcExample, parsed, spec);
  return bytes === null ? null : bytes.toString('utf8');
}

t.test('leaf parts of the RFC 3501 example', async (t) => {
  for (const part of ['1', '3.1', '3.2', '4.1', '4.2.1', '4.2.2.1', '4.2.2.2']) {
    t.equal(section(part), `part ${part}`, `BODY[${part}]`);
  }
  t.equal(section('2'), 'cGFydCAy', 'BODY[2] is the encoded body');
});

t.test('HEADER, TEXT and MIME on the RFC 3501 example', async (t) => {
  t.equal(section('', 'HEADER'), 'Subject: top\r\nContent-Type: multipart/mixed; boundary=top\r\n\r\n');
  t.ok(section('', 'TEXT')?.startsWith('--top\r\nContent-Type: text/plain\r\n'), 'TEXT is the top-level body');
  t.ok(section('', 'TEXT')?.endsWith('--top--\r\n'));
  t.equal(section('3', 'HEADER'), 'Subject: msg3\r\nContent-Type: multipart/mixed; boundary=m3\r\n\r\n', '3.HEADER');
  t.ok(section('3', 'TEXT')?.startsWith('--m3\r\n'), '3.TEXT is the body of the message in part 3');
  t.ok(section('3', 'TEXT')?.endsWith('--m3--'), '3.TEXT stops before the CRLF of the outer delimiter');
  t.equal(section('3'), `${section('3', 'HEADER')}${section('3', 'TEXT')}`, 'BODY[3] is the whole encapsulated message');
  t.equal(section('3', 'MIME'), 'Content-Type: message/rfc822\r\n\r\n', '3.MIME is the part header');
  t.equal(section('4.1', 'MIME'), 'Content-Type: image/gif\r\n\r\n', '4.1.MIME');
  t.ok(section('4.2', 'HEADER')?.startsWith('Subject: msg42\r\n'), '4.2.HEADER');
  t.ok(section('4.2', 'TEXT')?.startsWith('--m42\r\n'), '4.2.TEXT');
  t.ok(section('4.2.2')?.startsWith('--alt\r\nContent-Type: text/plain'), '4.2.2 is the alternative body');
  t.equal(section('4.2.2', 'MIME'), 'Content-Type: multipart/alternative; boundary=alt\r\n\r\n');
  t.ok(section('4')?.startsWith('--p4\r\n'), '4 is the multipart body');
});

t.test('HEADER.FIELDS and HEADER.FIELDS.NOT of top-level and encapsulated messages', async (t) => {
  t.equal(section('4.2', 'HEADER.FIELDS', ['x-other', 'SUBJECT']), 'Subject: msg42\r\nX-Other: folded\r\n value\r\n\r\n');
  t.equal(section('4.2', 'HEADER.FIELDS.NOT', ['Subject', 'X-Other']), 'Content-Type: multipart/mixed; boundary=m42\r\n\r\n');
  t.equal(section('', 'HEADER.FIELDS', ['Date']), '\r\n', 'no match still gives the blank line');
  t.equal(section('', 'HEADER.FIELDS.NOT', ['content-type']), 'Subject: top\r\n\r\n');
});

t.test('sections that do not exist', async (t) => {
  t.equal(section('5'), null, 'part 5');
  t.equal(section('0'), null, 'part 0');
  t.equal(section('4.3'), null, 'part 4.3');
  t.equal(section('1.1'), null, 'a text part has no subparts');
  t.equal(section('1', 'HEADER'), null, 'HEADER of a part that is not message/rfc822');
  t.equal(section('4', 'TEXT'), null, 'TEXT of a multipart');
  t.equal(section('', 'MIME'), null, 'MIME needs a part number');
  t.equal(section('4.2.2.2.1'), null, 'below a leaf');
});

t.test('a non-multipart message has part 1 = its body', async (t) => {
  const raw = crlf('Subject: plain\nContent-Type: text/plain\n\nline 1\nline 2\n');
  const plain = parseMessage(raw);
  const get = (spec: SectionSpec) => sectionBytes(raw, plain, spec)?.toString('utf8') ?? null;
  t.equal(get({ part: [1], text: null }), 'line 1\r\nline 2\r\n');
  t.equal(get({ part: [], text: 'TEXT' }), 'line 1\r\nline 2\r\n');
  t.equal(get({ part: [], text: null }), raw.toString('utf8'));
  t.equal(get({ part: [1], text: 'MIME' }), 'Subject: plain\r\nContent-Type: text/plain\r\n\r\n');
  t.equal(get({ part: [2], text: null }), null);
  t.equal(get({ part: [1, 1], text: null }), null);
});

t.test('a top-level message/rfc822: part 1 is the encapsulated message, 1.1 its body', async (t) => {
  const raw = crlf('Subject: outer\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n');
  const msg = parseMessage(raw);
  const get = (spec: SectionSpec) => sectionBytes(raw, msg, spec)?.toString('utf8') ?? null;
  t.equal(get({ part: [1], text: null }), 'Subject: inner\r\n\r\ninner body\r\n');
  t.equal(get({ part: [1], text: 'HEADER' }), 'Subject: inner\r\n\r\n');
  t.equal(get({ part: [1], text: 'TEXT' }), 'inner body\r\n');
  t.equal(get({ part: [1, 1], text: null }), 'inner body\r\n');
  t.equal(get({ part: [], text: 'HEADER' }), 'Subject: outer\r\nContent-Type: message/rfc822\r\n\r\n');
});

t.test('slices share memory with the stored message', async (t) => {
  const bytes = sectionBytes(rfcExample, parsed, { part: [3], text: null });
  t.ok(bytes && bytes.buffer === rfcExample.buffer, 'no copy');
});

t.test('a header without its blank line gets one (RFC 3501 §6.4.5)', async (t) => {
  const get = (raw: Buffer, spec: SectionSpec) => sectionBytes(raw, parseMessage(raw), spec)?.toString('latin1') ?? null;
  const headerOnly = Buffer.from('From: a@b\r\nSubject: cut', 'latin1');
  t.equal(get(headerOnly, { part: [], text: 'HEADER' }), 'From: a@b\r\nSubject: cut\r\n\r\n');
  t.equal(get(headerOnly, { part: [], text: 'TEXT' }), '');
  const endsAtLineBreak = Buffer.from('From: a@b\r\n', 'latin1');
  t.equal(get(endsAtLineBreak, { part: [], text: 'HEADER' }), 'From: a@b\r\n\r\n');
  const noHeader = Buffer.from('just text\r\n', 'latin1');
  t.equal(get(noHeader, { part: [], text: 'HEADER' }), '\r\n');
  t.equal(get(noHeader, { part: [], text: 'TEXT' }), 'just text\r\n');
  const emptyPart = crlf('Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: image/gif\n--x--\n');
  t.equal(get(emptyPart, { part: [1], text: 'MIME' }), 'Content-Type: image/gif\r\n\r\n');
  t.equal(get(emptyPart, { part: [1], text: null }), '');
  const wellFormed = sectionBytes(rfcExample, parsed, { part: [4, 1], text: 'MIME' });
  t.ok(wellFormed && wellFormed.buffer === rfcExample.buffer, 'a complete header is not copied');
});
