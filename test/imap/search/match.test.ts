import t from 'tap';
import { parseMessage } from '../../../src/mime/index.js';
import { matchesSearch, parseSearchRequest } from '../../../src/imap/search/index.js';
import type { SearchContext, SearchMessage } from '../../../src/imap/search/index.js';
import type { MessageMeta } from '../../../src/store/types.js';
import { searchArgs } from '../fetch/tokens.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

/** Multipart/alternative: encoded-word headers, a QP iso-8859-1 text part and a base64 HTML part. */
const REPORT = crlf([
  'From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@example.org>',
  'To: Alice <alice@example.org>',
  'Cc: =?utf-8?b?Wm/Dqw==?= <carol@example.com>',
  'Bcc: secret@example.net',
  'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=',
  'Date: Sat, 09 Mar 2024 10:00:00 +0000',
  'X-Priority: 1 (Highest)',
  'Message-ID: <report@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Wir haben K=E4se und ein sehr langes Wort, das umbro=',
  'chen wurde.',
  '--alt',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('<p>Frische Br&#246;tchen &amp; <b>Kaffee</b></p>', 'utf8').toString('base64'),
  '--alt--',
  '',
]);

/** Plain 8-bit iso-8859-1 text without a Date header. */
const NOTE = crlf([
  'From: bob@example.org',
  'To: dave@example.org',
  'Subject: note',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Sm\u00f8rrebr\u00f8d til frokost.',
  '',
]);

const CONTEXT: SearchContext = { maxSeq: 5, maxUid: 12, now: Date.UTC(2024, 2, 12, 12, 0, 0), savedUids: new Set([7]), isRecent: (uid) => uid === 7 || uid === 9 };

interface Sample {
  raw: Buffer;
  seq: number;
  meta: MessageMeta;
}

function sample(raw: Buffer, seq: number, meta: Partial<MessageMeta>): Sample {
  return {
    raw,
    seq,
    meta: { uid: 1, modseq: 1, flags: [], internalDate: 0, size: raw.length, blobId: 'b', savedAt: 0, ...meta },
  };
}

const report = sample(REPORT, 3, {
  uid: 7,
  modseq: 50,
  flags: ['\\Seen', '\\Answered', '$Forwarded'],
  internalDate: Date.UTC(2024, 2, 10, 23, 30, 0),
});
const note = sample(NOTE, 4, { uid: 9, modseq: 10, internalDate: Date.UTC(2024, 2, 12, 0, 0, 1) });
const flagged = sample(NOTE, 5, { uid: 12, flags: ['\\Deleted', '\\Draft', '\\Flagged'] });

/**
 * Parses the search and matches it against the message handed over exactly as the request's
 * `needs` says the store would: no bytes at 'meta', the header block alone at 'header', the MIME
 * tree only when needed. A key that reads more than it declared throws.
 */
function matches(text: string, message: Sample, context: SearchContext = CONTEXT): boolean {
  const request = parseSearchRequest(searchArgs(text));
  const input: SearchMessage = { seq: message.seq, meta: message.meta };
  if (request.needsParsed || request.needs === 'parsed') input.parsed = parseMessage(message.raw);
  if (request.needs === 'header') input.raw = message.raw.subarray(0, message.raw.indexOf('\r\n\r\n') + 4);
  if (request.needs === 'full') input.raw = message.raw;
  return matchesSearch(request.key, input, context);
}

/** [search, message, expected]: each key has at least one match and one miss. */
const TABLE: Array<[string, Sample, boolean]> = [
  ['ALL', report, true],
  ['NOT ALL', report, false],
  ['OLD', flagged, true],
  ['OLD', note, false],
  ['RECENT', report, true],
  ['RECENT', flagged, false],
  ['NEW', note, true],
  ['NEW', report, false],
  ['NEW', flagged, false],
  ['ANSWERED', report, true],
  ['ANSWERED', note, false],
  ['UNANSWERED', note, true],
  ['UNANSWERED', report, false],
  ['DELETED', flagged, true],
  ['DELETED', report, false],
  ['UNDELETED', report, true],
  ['UNDELETED', flagged, false],
  ['DRAFT', flagged, true],
  ['DRAFT', note, false],
  ['UNDRAFT', note, true],
  ['UNDRAFT', flagged, false],
  ['FLAGGED', flagged, true],
  ['FLAGGED', report, false],
  ['UNFLAGGED', report, true],
  ['UNFLAGGED', flagged, false],
  ['SEEN', report, true],
  ['SEEN', note, false],
  ['UNSEEN', note, true],
  ['UNSEEN', report, false],
  ['KEYWORD $Forwarded', report, true],
  ['KEYWORD $forwarded', report, true],
  ['KEYWORD $Forwarded', note, false],
  ['UNKEYWORD $Forwarded', note, true],
  ['UNKEYWORD $Forwarded', report, false],
  ['BCC SECRET@', report, true],
  ['BCC secret', note, false],
  ['CC zo\u00eb', report, true],
  ['CC carol@example.com', report, true],
  ['CC bob', report, false],
  ['FROM "m\u00fcller"', report, true],
  ['FROM JM@EXAMPLE.ORG', report, true],
  ['FROM alice', report, false],
  ['TO "Alice <alice"', report, true],
  ['TO bob', report, false],
  ['SUBJECT M\u00dcNCHEN', report, true],
  ['SUBJECT "gr\u00fc\u00dfe aus"', report, true],
  ['SUBJECT =?utf-8?q?', report, false],
  ['SUBJECT report', report, false],
  ['HEADER X-Priority highest', report, true],
  ['HEADER x-priority 3', report, false],
  ['HEADER Message-ID <report@example.org>', report, true],
  ['HEADER X-Priority ""', report, true],
  ['HEADER X-Priority ""', note, false],
  ['BODY k\u00c4se', report, true],
  ['BODY umbrochen', report, true],
  ['BODY "Br\u00f6tchen & Kaffee"', report, true],
  ['BODY m\u00fcller', report, false],
  ['BODY Sm\u00f8rrebr\u00f8d', note, true],
  ['BODY frokost', report, false],
  ['TEXT m\u00fcller', report, true],
  ['TEXT kaffee', report, true],
  ['TEXT "x-priority: 1"', report, true],
  ['TEXT smørrebrød', report, false],
  ['BEFORE 11-Mar-2024', report, true],
  ['BEFORE 10-Mar-2024', report, false],
  ['ON 10-Mar-2024', report, true],
  ['ON 11-Mar-2024', report, false],
  ['SINCE 10-Mar-2024', report, true],
  ['SINCE 11-Mar-2024', report, false],
  ['SENTBEFORE 10-Mar-2024', report, true],
  ['SENTBEFORE 9-Mar-2024', report, false],
  ['SENTON 9-Mar-2024', report, true],
  ['SENTON 10-Mar-2024', report, false],
  ['SENTSINCE 9-Mar-2024', report, true],
  ['SENTSINCE 10-Mar-2024', report, false],
  ['SENTSINCE 1-Jan-1970', note, false],
  ['NOT SENTBEFORE 1-Jan-2100', note, true],
  [`LARGER ${REPORT.length - 1}`, report, true],
  [`LARGER ${REPORT.length}`, report, false],
  [`SMALLER ${REPORT.length + 1}`, report, true],
  [`SMALLER ${REPORT.length}`, report, false],
  ['OLDER 3600', report, true],
  ['OLDER 200000', report, false],
  ['YOUNGER 200000', report, true],
  ['YOUNGER 3600', report, false],
  ['MODSEQ 50', report, true],
  ['MODSEQ 51', report, false],
  ['MODSEQ "/flags/\\\\seen" all 20', report, true],
  ['MODSEQ "/flags/\\\\seen" priv 20', note, false],
  ['1:3', report, true],
  ['4:*', report, false],
  ['2,5:*', flagged, true],
  ['UID 7', report, true],
  ['UID 1:6,8:*', report, false],
  ['UID 20:*', flagged, true],
  ['UID 20:*', note, false],
  ['$', report, true],
  ['$', note, false],
  ['UID $', report, true],
  ['NOT SEEN', note, true],
  ['NOT SEEN', report, false],
  ['OR FLAGGED SEEN', report, true],
  ['OR FLAGGED BODY frokost', note, true],
  ['OR FLAGGED SEEN', note, false],
  ['(SEEN ANSWERED)', report, true],
  ['(SEEN FLAGGED)', report, false],
  ['UNDELETED HEADER Message-ID <report@example.org>', report, true],
  ['UNDELETED HEADER Message-ID <report@example.org>', note, false],
];

t.test('every key matches and misses (RFC 3501 §6.4.4)', async (t) => {
  for (const [text, message, expected] of TABLE) {
    t.equal(matches(text, message), expected, `${text} on uid ${message.meta.uid} → ${expected}`);
  }
});

t.test('a key list with several messages of one mailbox', async (t) => {
  const mailbox = [report, note, flagged];
  const uids = (text: string) => mailbox.filter((message) => matches(text, message)).map((message) => message.meta.uid);
  t.same(uids('UNSEEN NOT DELETED'), [9]);
  t.same(uids('OR BODY k\u00e4se BODY frokost'), [7, 9, 12]);
  t.same(uids('SINCE 11-Mar-2024 UNDELETED'), [9]);
  t.same(uids('*'), [12], '* is the highest sequence number');
});

t.test('$ without a saved result matches nothing (RFC 5182 §2.1)', async (t) => {
  t.equal(matches('$', report, { maxSeq: 5, maxUid: 12 }), false);
});

t.test('OLDER/YOUNGER default to the current time', async (t) => {
  const now = sample(NOTE, 1, { internalDate: Date.now() - 10_000 });
  t.equal(matches('YOUNGER 3600', now, { maxSeq: 1, maxUid: 1 }), true);
  t.equal(matches('OLDER 3600', now, { maxSeq: 1, maxUid: 1 }), false);
});

t.test('a key that needs data the caller did not load fails loudly', async (t) => {
  const request = parseSearchRequest(searchArgs('BODY x'));
  t.throws(() => matchesSearch(request.key, { seq: 1, meta: note.meta }, CONTEXT), /message bytes/);
});

t.test('white space runs match one space, across line breaks', async (t) => {
  t.equal(matches('BODY "sehr  langes\tWort"', report), true);
  t.equal(matches('BODY "langesWort"', report), false);
});

t.test('without isRecent no message is \\Recent: RECENT and NEW match nothing, OLD everything', async (t) => {
  const context: SearchContext = { maxSeq: 5, maxUid: 12 };
  t.equal(matches('RECENT', report, context), false);
  t.equal(matches('NEW', note, context), false);
  t.equal(matches('OLD', note, context), true);
});
