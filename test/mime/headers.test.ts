/**
 * Header helpers: HEADER.FIELDS(.NOT) filtering, header values, RFC 2047 decoding, and the
 * RFC 2045 / RFC 2231 parameter parser behind BODYSTRUCTURE.
 */
import t from 'tap';
import { decodeHeaderValue, headerFields, headerValues } from '../../src/mime/index.js';
import { parseStructuredValue, scanHeader } from '../../src/mime/headers.js';

const block = Buffer.from(
  'Received: from a\r\n\tby b\r\nSubject: hello\r\n  world\r\nTo: x@y\r\nsubject: second\r\nX-Empty:\r\n\r\n',
  'latin1',
);

t.test('headerFields keeps matching fields with their folded lines and the blank line', async (t) => {
  t.equal(headerFields(block, ['SUBJECT'], false).toString(), 'Subject: hello\r\n  world\r\nsubject: second\r\n\r\n');
  t.equal(headerFields(block, ['received', 'to'], false).toString(), 'Received: from a\r\n\tby b\r\nTo: x@y\r\n\r\n');
  t.equal(headerFields(block, ['subject', 'received'], true).toString(), 'To: x@y\r\nX-Empty:\r\n\r\n');
  t.equal(headerFields(block, ['nothing'], false).toString(), '\r\n');
  t.equal(headerFields(block, [], true).toString(), block.toString(), 'NOT of nothing is the whole header');
});

t.test('headerFields on a header without its blank line or final line break', async (t) => {
  const cut = Buffer.from('From: a@b\r\nSubject: cut', 'latin1');
  t.equal(headerFields(cut, ['subject'], false).toString(), 'Subject: cut\r\n\r\n');
  t.equal(headerFields(cut, ['from', 'subject'], false).toString(), 'From: a@b\r\nSubject: cut\r\n\r\n');
});

t.test('headerValues unfolds and matches names case-insensitively', async (t) => {
  t.same(headerValues(block, 'Subject'), ['hello  world', 'second']);
  t.same(headerValues(block, 'received'), ['from a\tby b']);
  t.same(headerValues(block, 'x-empty'), ['']);
  t.same(headerValues(block, 'cc'), []);
  t.same(headerValues(Buffer.from('Subject: caf\xc3\xa9\r\n\r\n', 'latin1'), 'subject'), ['café'], 'UTF-8 header (RFC 6532)');
  t.same(headerValues(Buffer.from('Subject: caf\xe9\r\n\r\n', 'latin1'), 'subject'), ['café'], 'invalid UTF-8 read as Latin-1');
});

t.test('decodeHeaderValue decodes RFC 2047 encoded words', async (t) => {
  t.equal(decodeHeaderValue('=?UTF-8?B?TWVldGluZzogY2Fmw6kgYXQgbm9vbg==?='), 'Meeting: café at noon');
  t.equal(decodeHeaderValue('=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?='), 'Keld Jørn Simonsen');
  t.equal(decodeHeaderValue('=?utf-8?q?a?= =?utf-8?q?b?='), 'ab', 'whitespace between adjacent words is dropped (RFC 2047 §6.2)');
  t.equal(decodeHeaderValue('Re: =?utf-8?q?J=C3=BCrgen?= said'), 'Re: Jürgen said');
  t.equal(decodeHeaderValue('plain text'), 'plain text');
  t.equal(decodeHeaderValue('=?broken'), '=?broken');
  t.equal(typeof decodeHeaderValue('=?x-unknown-charset?q?abc?='), 'string', 'an unknown charset does not throw');
});

t.test('structured values: RFC 2045 parameters and RFC 2231 continuations', async (t) => {
  t.same(parseStructuredValue('Text/Plain; Charset="us-ascii" (comment); format=flowed'), {
    value: 'text/plain', params: [['charset', 'us-ascii'], ['format', 'flowed']],
  });
  t.same(parseStructuredValue(`attachment; filename*0*=utf-8''R%C3%A9sum%C3%A9; filename*1=" final.pdf"`), {
    value: 'attachment', params: [['filename', 'Résumé final.pdf']],
  });
  t.same(parseStructuredValue(`attachment; filename="plain.txt"; filename*=iso-8859-1'fr'donn%E9es.txt; size=3`), {
    value: 'attachment', params: [['filename', 'données.txt'], ['size', '3']],
  }, 'the RFC 2231 form wins over the plain one, in the plain one\'s place');
  t.same(parseStructuredValue('multipart/mixed; boundary="unterminated'), {
    value: 'multipart/mixed', params: [['boundary', 'unterminated']],
  });
  t.same(parseStructuredValue('text/plain; ; =bad; name=a@b.txt; charset=utf-8'), {
    value: 'text/plain', params: [['name', 'a@b.txt'], ['charset', 'utf-8']],
  });
  t.same(parseStructuredValue('text/plain; title*2="c"; title*0="a"; title*1="b"'), {
    value: 'text/plain', params: [['title', 'abc']],
  }, 'segments are joined in numeric order');
});

t.test('scanHeader ends the header at the blank line or at a line that is not a field', async (t) => {
  const raw = Buffer.from('A: 1\r\nB : 2\r\nnot a header line\r\nC: 3\r\n\r\nbody', 'latin1');
  const scan = scanHeader(raw, 0, raw.length);
  t.same(scan.fields.map((f) => f.name), ['a', 'b']);
  t.equal(scan.bodyStart, raw.indexOf('not a header'));
  const lf = Buffer.from('A: 1\nB: 2\n\nbody', 'latin1');
  t.equal(scanHeader(lf, 0, lf.length).bodyStart, lf.indexOf('body'), 'bare LF blank line');
});
