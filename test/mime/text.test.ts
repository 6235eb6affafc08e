/**
 * textContent: the decoded text that SEARCH BODY/TEXT match against.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { normalizeLineEndings, parseMessage, textContent } from '../../src/mime/index.js';

const fixture = (name: string) => normalizeLineEndings(readFileSync(new URL(`../fixtures/mime/${name}`, import.meta.url)));
const text = (raw: Buffer) => textContent(raw, parseMessage(raw));
const crlf = (source: string) => Buffer.from(source.replace(/\n/g, '\r\n'), 'latin1');

t.test('quoted-printable UTF-8 with soft line breaks', async (t) => {
  const content = text(fixture('alternative-qp.eml'));
  t.match(content, "Let's meet at the café at noon. This line is long enough that it is wrapped with a soft line break.");
  t.match(content, 'Price: €10');
});

t.test('HTML parts are reduced to text', async (t) => {
  const content = text(fixture('alternative-qp.eml'));
  t.match(content, 'noon');
  t.match(content, '& free cake');
  t.notMatch(content, '<p>', 'no tags');
  t.notMatch(content, 'color:red', 'no style sheet');
});

t.test('base64 in ISO-8859-1', async (t) => {
  t.equal(text(fixture('base64-latin1.eml')), 'Hola, ¿cómo estás?\nNos vemos en Sevilla mañana.\n');
});

t.test('quoted-printable ISO-8859-1 attachment text and skipped binary parts', async (t) => {
  const content = text(fixture('mixed-attachments.eml'));
  t.match(content, 'please find the report attached');
  t.match(content, 'café,1,2');
  t.notMatch(content, 'JVBERi0', 'base64 of a PDF is not text');
});

t.test('8-bit UTF-8 without transfer encoding, and nested messages', async (t) => {
  t.match(text(fixture('eightbit-utf8.eml')), 'Grüße aus München!');
  const forward = text(fixture('forward-rfc822.eml'));
  t.match(forward, 'See below.');
  t.match(forward, 'Lunch at noon?', 'the text of the encapsulated message is included');
});

t.test('a missing charset is read as UTF-8, an unknown one does not throw', async (t) => {
  t.equal(text(crlf('Subject: x\n\ncaf\xc3\xa9\n')), 'café\r\n');
  t.equal(text(crlf('Content-Type: text/plain; charset=x-nonsense\n\nabc\n')), 'abc\r\n');
});

t.test('broken base64 and quoted-printable do not throw', async (t) => {
  t.type(text(crlf('Content-Transfer-Encoding: base64\n\n!!!not base64===\n')), 'string');
  t.equal(text(crlf('Content-Transfer-Encoding: quoted-printable\n\na=ZZb=\nc=3D\n')), 'a=ZZbc=\r\n');
});
