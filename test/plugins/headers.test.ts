/**
 * Header edits of data hooks (src/plugins/headers.ts): untouched bytes stay exactly as received,
 * values are unfolded and UTF-8, written fields are folded and safe.
 */
import t from 'tap';
import { HeaderBlock } from '../../src/plugins/headers.js';

const MESSAGE = Buffer.from('Subject: hello\r\n world\r\nX-Tag: one\r\nx-tag: two\r\nTo: =?utf-8?q?x?= <a@b.example>\r\n\r\nbody\r\n\r\nmore\r\n');

t.test('reading: unfolded values, case-insensitive names, order kept', async (t) => {
  const headers = HeaderBlock.parse(MESSAGE);
  t.same(headers.get('SUBJECT'), ['hello world']);
  t.same(headers.get('x-tag'), ['one', 'two']);
  t.notOk(headers.has('Cc'));
  t.same(headers.all().map((field) => field.name), ['Subject', 'X-Tag', 'x-tag', 'To']);
  t.equal(headers.toBuffer(), MESSAGE, 'no change: the very same buffer');
});

t.test('writing: add on top, set in place, remove; body untouched', async (t) => {
  const headers = HeaderBlock.parse(MESSAGE);
  headers.add('X-Spam-Score', '1.5');
  headers.set('X-Tag', 'three');
  headers.remove('to');
  t.equal(headers.toBuffer().toString(), 'X-Spam-Score: 1.5\r\nSubject: hello\r\n world\r\nX-Tag: three\r\n\r\nbody\r\n\r\nmore\r\n');
});

t.test('long values are folded, UTF-8 is kept, line breaks and bad names are refused', async (t) => {
  const headers = HeaderBlock.parse(Buffer.from('\r\nno header\r\n'));
  headers.add('X-Note', `${'word '.repeat(20)}grüße`);
  const text = headers.toBuffer().toString('utf8');
  t.ok(text.split('\r\n').every((line) => Buffer.byteLength(line) <= 78), 'lines within 78 octets');
  t.same(HeaderBlock.parse(headers.toBuffer()).get('x-note'), [`${'word '.repeat(20)}grüße`]);
  t.ok(text.endsWith('\r\n\r\nno header\r\n'));
  t.throws(() => headers.add('X-Bad', 'one\r\nBcc: victim@example.org'), TypeError);
  t.throws(() => headers.add('Bad Name', 'x'), TypeError);
  t.throws(() => headers.set('X:Y', 'x'), TypeError);
});
