/**
 * Robustness: realistic generated mail (shared/tools/gen_mbox.py), the same mail with bare LF,
 * truncated and corrupted copies, pathological nesting and huge header lines. Nothing may throw,
 * offsets must nest within bounds and sections must slice consistently.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  MAX_DEPTH, bodyStructure, normalizeLineEndings, parseMessage, sectionBytes, textContent,
} from '../../src/mime/index.js';
import type { MimeNode, SExp } from '../../src/mime/types.js';
import { offsetProblems, partPaths, sectionProblems } from './invariants.js';
import { render } from './sexp.js';

/** shared/ sits beside the repository, in development and in CI. */
const generator = fileURLToPath(new URL('../../../shared/tools/gen_mbox.py', import.meta.url));

function generatedMessages(dir: string, count: number, seed: number): Buffer[] {
  const out = `${dir}/sample.mbox`;
  execFileSync('python3', [generator, out, String(count), String(seed)], { stdio: 'ignore' });
  const mbox = readFileSync(out);
  const messages: Buffer[] = [];
  // mbox: each message starts with a "From " line; body lines starting with "From " were escaped.
  let start = -1;
  let pos = 0;
  while (pos < mbox.length) {
    const lineEnd = mbox.indexOf(0x0a, pos);
    const next = lineEnd < 0 ? mbox.length : lineEnd + 1;
    if (mbox.subarray(pos, pos + 5).toString('latin1') === 'From ') {
      if (start >= 0) messages.push(mbox.subarray(start, pos));
      start = next;
    }
    pos = next;
  }
  if (start >= 0) messages.push(mbox.subarray(start));
  return messages;
}

function shape(node: MimeNode): SExp {
  return [
    `${node.contentType.type}/${node.contentType.subtype}`,
    node.children.map(shape),
    node.message ? shape(node.message.root) : null,
  ];
}

t.test('the generator is available', async (t) => {
  t.ok(existsSync(generator), `${generator} exists (shared/ beside the repository)`);
});

t.test('200 generated messages parse with consistent offsets and sections', async (t) => {
  const messages = generatedMessages(t.testdir(), 200, 20250301);
  t.equal(messages.length, 200);
  let problems: string[] = [];
  const kinds = new Set<string>();
  for (const [i, lf] of messages.entries()) {
    const raw = normalizeLineEndings(lf);
    const parsed = parseMessage(raw);
    problems.push(...offsetProblems(parsed, raw.length).map((p) => `#${i}: ${p}`));
    problems.push(...sectionProblems(raw, parsed).map((p) => `#${i}: ${p}`));
    t.same(JSON.parse(JSON.stringify(parsed)), parsed);
    render(bodyStructure(parsed.root, true));
    render(parsed.envelope);
    if (!Array.isArray(parsed.envelope) || parsed.envelope[2] === null) problems.push(`#${i}: no From in ENVELOPE`);
    if (parsed.sentDate === null) problems.push(`#${i}: Date not parsed`);
    if (textContent(raw, parsed).length === 0) problems.push(`#${i}: no text found`);
    kinds.add(`${parsed.root.contentType.type}/${parsed.root.contentType.subtype}`);
    const walk = (node: MimeNode): void => {
      if (node.message) kinds.add('message/rfc822');
      node.children.forEach(walk);
    };
    walk(parsed.root);
    if (problems.length > 20) break;
  }
  t.same(problems, []);
  for (const kind of ['text/plain', 'multipart/alternative', 'multipart/mixed', 'message/rfc822']) {
    t.ok(kinds.has(kind), `the sample holds ${kind}`);
  }
  problems = [];
  // The same messages with bare LF: same structure, and each part's body normalises to the
  // body cut from the CRLF copy.
  for (const [i, lf] of messages.entries()) {
    const crlf = normalizeLineEndings(lf);
    const fromLf = parseMessage(lf);
    const fromCrlf = parseMessage(crlf);
    if (JSON.stringify(shape(fromLf.root)) !== JSON.stringify(shape(fromCrlf.root))) {
      problems.push(`#${i}: structure differs with bare LF`);
      continue;
    }
    for (const part of partPaths(fromCrlf)) {
      const a = sectionBytes(lf, fromLf, { part, text: null });
      const b = sectionBytes(crlf, fromCrlf, { part, text: null });
      if (!a || !b || !normalizeLineEndings(a).equals(b)) problems.push(`#${i} part ${part.join('.')}: differs with bare LF`);
    }
    if (problems.length > 20) break;
  }
  t.same(problems, []);
});

t.test('truncated and corrupted messages never throw', async (t) => {
  const messages = generatedMessages(t.testdir(), 30, 7).map(normalizeLineEndings);
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const problems: string[] = [];
  for (const [i, message] of messages.entries()) {
    for (let round = 0; round < 10; round++) {
      const cut = message.subarray(0, random(message.length + 1));
      const corrupt = Buffer.from(message);
      for (let k = 0; k < 20; k++) corrupt[random(corrupt.length)] = random(256);
      for (const raw of [cut, corrupt]) {
        const parsed = parseMessage(raw);
        problems.push(...offsetProblems(parsed, raw.length).map((p) => `#${i}/${round}: ${p}`));
        problems.push(...sectionProblems(raw, parsed).map((p) => `#${i}/${round}: ${p}`));
        render(bodyStructure(parsed.root, true));
        textContent(raw, parsed);
      }
    }
  }
  t.same(problems, []);
});

t.test('junk input never throws', async (t) => {
  const inputs = [
    Buffer.alloc(0),
    Buffer.from('\r\n'),
    Buffer.from('\n\n\n'),
    Buffer.from(':::\r\n\r\n'),
    Buffer.from('Content-Type: multipart/mixed; boundary=x\r\n\r\n--x'),
    Buffer.from('Content-Type: multipart/mixed; boundary=x\r\n\r\n--x--'),
    Buffer.from('Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n'),
    Buffer.from('Content-Type: message/rfc822\r\n\r\n'),
    Buffer.from('Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n--d\r\n\r\n--d--\r\n'),
    Buffer.from('From: "unterminated <a@b\r\nTo: (((nested comment\r\nCc: <<<>>>,,,;;;:::@@@\r\nDate: 99 Foo 2020\r\n\r\n'),
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
  ];
  for (const raw of inputs) {
    const parsed = parseMessage(raw);
    t.same(offsetProblems(parsed, raw.length), [], `offsets for ${JSON.stringify(raw.subarray(0, 40).toString('latin1'))}`);
    t.same(sectionProblems(raw, parsed), []);
    t.type(render(bodyStructure(parsed.root, true)), 'string');
    t.type(render(parsed.envelope), 'string');
  }
});

t.test('nesting deeper than the limit is opaque', async (t) => {
  const depth = MAX_DEPTH + 30;
  let message = 'deepest text\r\n';
  for (let level = depth; level > 0; level--) {
    message = level % 2 === 0
      ? `Content-Type: multipart/mixed; boundary="b${level}"\r\n\r\n--b${level}\r\n${message}\r\n--b${level}--\r\n`
      : `Content-Type: message/rfc822\r\n\r\nSubject: level ${level}\r\n${message}`;
  }
  const raw = Buffer.from(`Subject: deep\r\n${message}`, 'latin1');
  const parsed = parseMessage(raw);
  t.same(offsetProblems(parsed, raw.length), []);
  t.same(sectionProblems(raw, parsed), []);
  let levels = 0;
  let node: MimeNode | undefined = parsed.root;
  let opaque: MimeNode | undefined;
  while (node) {
    levels++;
    opaque = node;
    node = node.message?.root ?? node.children[0];
  }
  t.ok(levels <= MAX_DEPTH + 1, `descended ${levels} levels`);
  t.ok(levels >= MAX_DEPTH, 'up to the limit');
  const rendered = render(bodyStructure(opaque as MimeNode, true));
  t.match(rendered, /^\("APPLICATION" "OCTET-STREAM"/, 'the part at the limit is an opaque leaf');
  t.type(render(bodyStructure(parsed.root, true)), 'string');
});

t.test('a huge header line and many header fields', async (t) => {
  const long = `X-Long: ${'a'.repeat(2_000_000)}\r\n`;
  const many = Array.from({ length: 20_000 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
  const raw = Buffer.from(`From: a@b\r\n${long}${many}Subject: end\r\n\r\nbody\r\n`, 'latin1');
  const parsed = parseMessage(raw);
  t.equal(raw.subarray(parsed.root.bodyStart).toString(), 'body\r\n');
  t.equal((parsed.envelope as SExp[])[1], 'end');
});

t.test('bare LF mail (robust to unnormalised input)', async (t) => {
  const raw = Buffer.from('Subject: lf\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\none\n--z\n\ntwo\n--z--\n', 'latin1');
  const parsed = parseMessage(raw);
  t.equal(sectionBytes(raw, parsed, { part: [1], text: null })?.toString(), 'one');
  t.equal(sectionBytes(raw, parsed, { part: [2], text: null })?.toString(), 'two');
  t.equal(sectionBytes(raw, parsed, { part: [2], text: 'MIME' })?.toString(), '\n');
  t.equal(render(bodyStructure(parsed.root, false)),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 3 1)("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 3 1) "MIXED")');
});
