/**
 * normalizeLineEndings: what the store applies before storing a message.
 */
import t from 'tap';
import { normalizeLineEndings } from '../../src/mime/index.js';

const norm = (text: string) => normalizeLineEndings(Buffer.from(text, 'latin1')).toString('latin1');

t.test('bare LF and bare CR become CRLF', async (t) => {
  t.equal(norm('a\nb\n'), 'a\r\nb\r\n');
  t.equal(norm('a\rb\r'), 'a\r\nb\r\n');
  t.equal(norm('a\r\nb\nc\rd\r\n'), 'a\r\nb\r\nc\r\nd\r\n');
  t.equal(norm('\n\n'), '\r\n\r\n');
  t.equal(norm('\r\r\n'), '\r\n\r\n', 'a CR before a CRLF');
  t.equal(norm('\n\r'), '\r\n\r\n', 'LF then CR are two line breaks');
  t.equal(norm(''), '');
});

t.test('a message already in CRLF is returned as is, without a copy', async (t) => {
  const raw = Buffer.from('Subject: x\r\n\r\nbody\r\nno final break', 'latin1');
  t.equal(normalizeLineEndings(raw), raw);
});

t.test('other bytes, including 8-bit and NUL, are untouched', async (t) => {
  const raw = Buffer.from([0x00, 0xff, 0x0a, 0xc3, 0xa9, 0x0d]);
  t.same([...normalizeLineEndings(raw)], [0x00, 0xff, 0x0d, 0x0a, 0xc3, 0xa9, 0x0d, 0x0a]);
});
