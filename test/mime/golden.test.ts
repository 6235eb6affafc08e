/**
 * Golden files: every test/fixtures/mime/<name>.eml is stored as the store stores it (line
 * endings normalised to CRLF), parsed, and its BODYSTRUCTURE, BODY and ENVELOPE rendered as IMAP
 * text must equal <name>.json. A few are also checked against outputs published elsewhere:
 * Dovecot's own imap-bodystructure test, imaptest's fetch-envelope, and RFC 3501's example.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { bodyStructure, normalizeLineEndings, parseMessage } from '../../src/mime/index.js';
import type { ParsedMessage } from '../../src/mime/types.js';
import { offsetProblems, sectionProblems } from './invariants.js';
import { render } from './sexp.js';

const fixtures = new URL('../fixtures/mime/', import.meta.url);

function load(name: string): { raw: Buffer; parsed: ParsedMessage } {
  const raw = normalizeLineEndings(readFileSync(new URL(name, fixtures)));
  return { raw, parsed: parseMessage(raw) };
}

const emls = readdirSync(fixtures).filter((f) => f.endsWith('.eml')).sort();

t.test('there are at least 15 golden fixtures, each with its expectation', async (t) => {
  t.ok(emls.length >= 15, `${emls.length} fixtures`);
  for (const eml of emls) {
    t.doesNotThrow(() => readFileSync(new URL(eml.replace(/\.eml$/, '.json'), fixtures)), `${eml} has a .json`);
  }
});

for (const eml of emls) {
  t.test(`golden ${eml}`, async (t) => {
    const { raw, parsed } = load(eml);
    const expected = JSON.parse(readFileSync(new URL(eml.replace(/\.eml$/, '.json'), fixtures), 'utf8'));
    t.equal(render(bodyStructure(parsed.root, true)), expected.bodystructure, 'BODYSTRUCTURE');
    t.equal(render(bodyStructure(parsed.root, false)), expected.body, 'BODY');
    t.equal(render(parsed.envelope), expected.envelope, 'ENVELOPE');
    t.same(JSON.parse(JSON.stringify(parsed)), parsed, 'the parse result is plain JSON data');
    t.same(offsetProblems(parsed, raw.length), [], 'offsets nest within bounds');
    t.same(sectionProblems(raw, parsed), [], 'sections slice consistently');
  });
}

t.test('matches Dovecot test-imap-bodystructure.c (case-insensitively)', async (t) => {
  const { parsed } = load('dovecot-bodystructure.eml');
  // Dovecot writes the header's case ("text" "x-myown"); we upper-case names and types.
  const dovecotExtended =
    '(("text" "x-myown" ("charset" "us-ascii" "foo" "quoted\\"string") "<foo@example.com>" "hellodescription" "7bit" 7 1 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("inline" ("foo" "bar")) ("en" "fi" "se") "http://example.com/test.txt")("message" "rfc822" NIL NIL NIL "7bit" 412 ("Sun, 12 Aug 2012 12:34:56 +0300" "submsg" ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub-to1" "domain.org")(NIL NIL "sub-to2" "domain.org")) NIL NIL NIL NIL) (("text" "html" ("charset" "us-ascii") NIL NIL "8bit" 20 1 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 21 1 NIL NIL NIL NIL) "alternative" ("boundary" "sub1") NIL NIL NIL) 21 NIL NIL NIL NIL) "mixed" ("boundary" "foo bar") NIL NIL NIL)';
  const dovecotBody =
    '(("text" "x-myown" ("charset" "us-ascii" "foo" "quoted\\"string") "<foo@example.com>" "hellodescription" "7bit" 7 1)("message" "rfc822" NIL NIL NIL "7bit" 412 ("Sun, 12 Aug 2012 12:34:56 +0300" "submsg" ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub-to1" "domain.org")(NIL NIL "sub-to2" "domain.org")) NIL NIL NIL NIL) (("text" "html" ("charset" "us-ascii") NIL NIL "8bit" 20 1)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 21 1) "alternative") 21) "mixed")';
  t.equal(render(bodyStructure(parsed.root, true)).toLowerCase(), dovecotExtended.toLowerCase());
  t.equal(render(bodyStructure(parsed.root, false)).toLowerCase(), dovecotBody.toLowerCase());
});

t.test('matches imaptest fetch-envelope expectations', async (t) => {
  t.equal(
    render(load('envelope-full.eml').parsed.envelope),
    '("Sat, 01 Feb 2007 01:02:03 +0200" "subject header" (("From Real" NIL "fromuser" "fromdomain.org")) (("Sender Real" NIL "senderuser" "senderdomain.org")) (("ReplyTo Real" NIL "replytouser" "replytodomain.org")) (("To Real" NIL "touser" "todomain.org")) (("Cc Real" NIL "ccuser" "ccdomain.org")) (("Bcc Real" NIL "bccuser" "bccdomain.org")) "<reply@to.id>" "<msg@id>")',
  );
  const groups = render(load('envelope-groups.eml').parsed.envelope);
  t.match(groups, '((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")(NIL NIL "g2" "d2.org")(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL "g3" "d3.org")(NIL NIL NIL NIL))');
  t.match(groups, '((NIL NIL "group" NIL)(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL NIL NIL))');
  t.match(groups, '(("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain"))');
  t.match(render(load('envelope-route-empty.eml').parsed.envelope), '((NIL "@route" "user" "domain")) ((NIL "@route" "user" "domain")) ((NIL "@route" "user" "domain")) NIL');
});

t.test('matches the RFC 3501 §7.4.2 BODYSTRUCTURE example for a plain text message', async (t) => {
  // 92 lines, 3028 octets: ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)
  const line = `${'x'.repeat(30)}\r\n`;
  let body = line.repeat(91);
  body += `${'y'.repeat(3028 - body.length - 2)}\r\n`;
  const raw = Buffer.from(`Subject: rfc\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n${body}`);
  const parsed = parseMessage(raw);
  t.equal(render(bodyStructure(parsed.root, false)), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)');
});
