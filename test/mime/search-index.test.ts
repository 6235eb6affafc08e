/**
 * SEARCH from prepared records (mime/search-index.ts) answers as SEARCH from the message itself:
 * for every MIME fixture and a table of keys (words taken from the message's own headers and
 * text, plus words it does not contain), matchesSearch with the prepared fields and text agrees
 * with matchesSearch with the raw message and its MIME tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { normalizeLineEndings, parseMessage, textContent } from '../../src/mime/index.js';
import { searchFields, searchText, searchTextContains, foldForSearch } from '../../src/mime/search-index.js';
import { matchesSearch, type SearchKey } from '../../src/imap/search/index.js';
import type { MessageMeta } from '../../src/store/types.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/mime');
const META: MessageMeta = { uid: 1, modseq: 1, flags: [], internalDate: 0, size: 1, blobId: 'x', savedAt: 0 };
const CONTEXT = { maxSeq: 1, maxUid: 1 };

/** A few words from the text, some from the middle of words (substring semantics). */
function probes(text: string): string[] {
  const words = text.split(/\s+/).filter((word) => word.length > 2);
  const picked = [words[0], words[Math.floor(words.length / 2)], words[words.length - 1]].filter(Boolean);
  return [...picked, ...picked.map((word) => word.slice(1, -1)), 'zzqx-not-there', 'Mixed CASE'];
}

t.test('prepared fields and text answer every key as the message itself does', async (t) => {
  for (const name of readdirSync(FIXTURES).filter((file) => file.endsWith('.eml'))) {
    const raw = normalizeLineEndings(readFileSync(join(FIXTURES, name)));
    const parsed = parseMessage(raw);
    const header = raw.subarray(0, parsed.root.bodyStart);
    const prepared = { seq: 1, meta: META, fields: searchFields(header), text: searchText(raw, parsed) };
    const general = { seq: 1, meta: META, parsed, raw };
    const keys: SearchKey[] = [];
    for (const value of probes(`${header.toString('utf8')} ${textContent(raw, parsed)}`)) {
      keys.push({ kind: 'text', value }, { kind: 'body', value });
      for (const field of ['from', 'to', 'cc', 'bcc', 'subject']) keys.push({ kind: 'header', field, value });
    }
    for (const field of ['from', 'subject']) keys.push({ kind: 'header', field, value: '' });
    for (const key of keys) {
      const expected = matchesSearch(key, general, CONTEXT);
      const actual = matchesSearch(key, prepared, CONTEXT);
      if (actual !== expected) t.fail(`${name}: ${JSON.stringify(key)} prepared ${actual}, message ${expected}`);
    }
    t.pass(`${name}: ${keys.length} keys agree`);
  }
});

t.test('search text: header before the LF, body after; no match across them', async (t) => {
  const raw = normalizeLineEndings(Buffer.from('Subject: Alpha\nFrom: a@example.org\n\nBeta   gamma\n'));
  const text = searchText(raw, parseMessage(raw));
  const needle = (value: string) => Buffer.from(foldForSearch(value));
  t.ok(searchTextContains(text, needle('alpha'), 'text'));
  t.notOk(searchTextContains(text, needle('alpha'), 'body'), 'BODY does not see the header');
  t.ok(searchTextContains(text, needle('BETA gamma'), 'body'), 'white space runs fold to one space');
  t.notOk(searchTextContains(text, needle('example.org beta'), 'text'), 'no match across header and body');
});

t.test('a text part contained in another is stored once', async (t) => {
  const raw = normalizeLineEndings(
    Buffer.from(
      [
        'Subject: alt',
        'Content-Type: multipart/alternative; boundary=b',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Quarterly budget review.',
        '--b',
        'Content-Type: text/html',
        '',
        '<html><p>Quarterly <b>budget</b>\nreview.</p></html>',
        '--b--',
        '',
      ].join('\n'),
    ),
  );
  const text = searchText(raw, parseMessage(raw)).toString('utf8');
  t.equal(text.split('quarterly budget review').length - 1, 1, text);
  t.match(text, /budget review\. $/, 'the HTML part, which holds the plain one, is kept');
});
