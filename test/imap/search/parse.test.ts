import t from 'tap';
import { parseSearchRequest } from '../../../src/imap/search/index.js';
import type { SearchKey } from '../../../src/imap/search/index.js';
import { searchArgs } from '../fetch/tokens.js';

const BAD = { name: 'ImapError', status: 'BAD' };

/** Every key with its arguments, the tree it parses to, and the least the store must read. */
const KEYS: Array<[string, SearchKey, string]> = [
  ['ALL', { kind: 'all' }, 'meta'],
  ['OLD', { kind: 'not', key: { kind: 'recent' } }, 'meta'],
  ['RECENT', { kind: 'recent' }, 'meta'],
  ['NEW', { kind: 'and', keys: [{ kind: 'recent' }, { kind: 'flag', flag: '\\Seen', present: false }] }, 'meta'],
  ['ANSWERED', { kind: 'flag', flag: '\\Answered', present: true }, 'meta'],
  ['DELETED', { kind: 'flag', flag: '\\Deleted', present: true }, 'meta'],
  ['DRAFT', { kind: 'flag', flag: '\\Draft', present: true }, 'meta'],
  ['FLAGGED', { kind: 'flag', flag: '\\Flagged', present: true }, 'meta'],
  ['seen', { kind: 'flag', flag: '\\Seen', present: true }, 'meta'],
  ['UNANSWERED', { kind: 'flag', flag: '\\Answered', present: false }, 'meta'],
  ['UNDELETED', { kind: 'flag', flag: '\\Deleted', present: false }, 'meta'],
  ['UNDRAFT', { kind: 'flag', flag: '\\Draft', present: false }, 'meta'],
  ['UNFLAGGED', { kind: 'flag', flag: '\\Flagged', present: false }, 'meta'],
  ['UNSEEN', { kind: 'flag', flag: '\\Seen', present: false }, 'meta'],
  ['KEYWORD $Forwarded', { kind: 'flag', flag: '$Forwarded', present: true }, 'meta'],
  ['UNKEYWORD $Junk', { kind: 'flag', flag: '$Junk', present: false }, 'meta'],
  ['BCC bob', { kind: 'header', field: 'bcc', value: 'bob' }, 'header'],
  ['CC "Bob Smith"', { kind: 'header', field: 'cc', value: 'Bob Smith' }, 'header'],
  ['FROM alice', { kind: 'header', field: 'from', value: 'alice' }, 'header'],
  ['TO carol', { kind: 'header', field: 'to', value: 'carol' }, 'header'],
  ['SUBJECT "hello world"', { kind: 'header', field: 'subject', value: 'hello world' }, 'header'],
  ['HEADER Message-ID "<a@b>"', { kind: 'header', field: 'message-id', value: '<a@b>' }, 'header'],
  ['HEADER X-Priority ""', { kind: 'header', field: 'x-priority', value: '' }, 'header'],
  ['BODY invoice', { kind: 'body', value: 'invoice' }, 'full'],
  ['TEXT invoice', { kind: 'text', value: 'invoice' }, 'full'],
  ['BEFORE 1-Feb-1994', { kind: 'date', field: 'internal', op: 'before', day: 8797 }, 'meta'],
  ['ON "01-Feb-1994"', { kind: 'date', field: 'internal', op: 'on', day: 8797 }, 'meta'],
  ['SINCE 1-feb-1994', { kind: 'date', field: 'internal', op: 'since', day: 8797 }, 'meta'],
  ['SENTBEFORE 1-Feb-1994', { kind: 'date', field: 'sent', op: 'before', day: 8797 }, 'parsed'],
  ['SENTON 1-Feb-1994', { kind: 'date', field: 'sent', op: 'on', day: 8797 }, 'parsed'],
  ['SENTSINCE 1-Feb-1994', { kind: 'date', field: 'sent', op: 'since', day: 8797 }, 'parsed'],
  ['LARGER 1000', { kind: 'size', op: 'larger', size: 1000 }, 'meta'],
  ['SMALLER 1000', { kind: 'size', op: 'smaller', size: 1000 }, 'meta'],
  ['OLDER 3600', { kind: 'age', op: 'older', seconds: 3600 }, 'meta'],
  ['YOUNGER 3600', { kind: 'age', op: 'younger', seconds: 3600 }, 'meta'],
  ['MODSEQ 620162338', { kind: 'modseq', modseq: 620162338 }, 'meta'],
  [
    'MODSEQ "/flags/\\\\draft" all 620162338',
    { kind: 'modseq', modseq: 620162338, entry: { name: '/flags/\\draft', type: 'all' } },
    'meta',
  ],
  ['1:3,5', { kind: 'sequence', set: { ranges: [{ start: 1, end: 3 }, { start: 5, end: 5 }] }, text: '1:3,5' }, 'meta'],
  ['UID 10:*', { kind: 'uid', set: { ranges: [{ start: 10, end: '*' }] }, text: '10:*' }, 'meta'],
  ['$', { kind: 'saved' }, 'meta'],
  ['UID $', { kind: 'saved' }, 'meta'],
  ['NOT SEEN', { kind: 'not', key: { kind: 'flag', flag: '\\Seen', present: true } }, 'meta'],
  [
    'OR SEEN FROM x',
    { kind: 'or', left: { kind: 'flag', flag: '\\Seen', present: true }, right: { kind: 'header', field: 'from', value: 'x' } },
    'header',
  ],
  [
    '(SEEN FLAGGED)',
    {
      kind: 'and',
      keys: [
        { kind: 'flag', flag: '\\Seen', present: true },
        { kind: 'flag', flag: '\\Flagged', present: true },
      ],
    },
    'meta',
  ],
  ['(SEEN)', { kind: 'flag', flag: '\\Seen', present: true }, 'meta'],
];

t.test('every search key parses (RFC 3501 §6.4.4, RFC 9051 §6.4.4)', async (t) => {
  for (const [text, key, needs] of KEYS) {
    const request = parseSearchRequest(searchArgs(text));
    t.same(request.key, key, text);
    t.equal(request.needs, needs, `${text}: needs`);
  }
});

t.test('several keys are an AND; needs and flags cover the whole tree', async (t) => {
  const request = parseSearchRequest(searchArgs('UNDELETED HEADER Message-ID <id@example.org>'));
  t.same(request.key, {
    kind: 'and',
    keys: [
      { kind: 'flag', flag: '\\Deleted', present: false },
      { kind: 'header', field: 'message-id', value: '<id@example.org>' },
    ],
  });
  t.equal(request.needs, 'header');
  t.equal(request.needsParsed, false, 'header keys need no MIME tree');
  t.equal(request.usesModseq, false);
  t.equal(request.usesSaved, false);

  const nested = parseSearchRequest(searchArgs('NOT (OR BODY x SENTON 1-Jan-2020) MODSEQ 5 $'));
  t.equal(nested.needs, 'full');
  t.equal(nested.needsParsed, true);
  t.equal(nested.usesModseq, true);
  t.equal(nested.usesSaved, true);

  const sent = parseSearchRequest(searchArgs('SENTSINCE 1-Jan-2020 FROM x'));
  t.equal(sent.needs, 'header');
  t.equal(sent.needsParsed, true, 'SENT* needs the MIME tree even at the header level');
});

t.test('strings: quoted, literal, UTF-8', async (t) => {
  const literal = parseSearchRequest(searchArgs(Buffer.from('SUBJECT {7+}\r\nGrüße', 'utf8')));
  t.same(literal.key, { kind: 'header', field: 'subject', value: 'Grüße' });
  const quoted = parseSearchRequest(searchArgs('CHARSET UTF-8 TEXT "caf\u00e9 \\"quoted\\""'), { utf8: false });
  t.same(quoted.key, { kind: 'text', value: 'café "quoted"' });
});

t.test('charsets (RFC 3501 §6.4.4)', async (t) => {
  t.equal(parseSearchRequest(searchArgs('ALL')).charset, 'US-ASCII');
  t.equal(parseSearchRequest(searchArgs('ALL'), { utf8: true }).charset, 'UTF-8');
  t.equal(parseSearchRequest(searchArgs('CHARSET utf-8 ALL')).charset, 'UTF-8');
  t.equal(parseSearchRequest(searchArgs('charset "US-ASCII" ALL')).charset, 'US-ASCII');
  t.throws(() => parseSearchRequest(searchArgs('CHARSET ISO-8859-1 FROM x')), {
    name: 'ImapError',
    status: 'NO',
    code: 'BADCHARSET (UTF-8 US-ASCII)',
  });
  t.throws(() => parseSearchRequest(searchArgs('CHARSET')), BAD, 'CHARSET without a name');
  t.throws(() => parseSearchRequest(searchArgs('CHARSET UTF-8')), BAD, 'CHARSET without keys');
});

t.test('ESEARCH RETURN options (RFC 4731 §3.1)', async (t) => {
  const request = parseSearchRequest(searchArgs('RETURN (min MAX COUNT) CHARSET UTF-8 UNSEEN'));
  t.same(request.returnOptions, ['MIN', 'MAX', 'COUNT']);
  t.same(request.key, { kind: 'flag', flag: '\\Seen', present: false });
  t.same(parseSearchRequest(searchArgs('RETURN () ALL')).returnOptions, ['ALL'], 'empty list means ALL');
  t.same(parseSearchRequest(searchArgs('RETURN (SAVE ALL) ALL')).returnOptions, ['SAVE', 'ALL']);
  t.equal(parseSearchRequest(searchArgs('ALL')).returnOptions, undefined, 'plain SEARCH');
  t.throws(() => parseSearchRequest(searchArgs('RETURN (BOGUS) ALL')), BAD);
  t.throws(() => parseSearchRequest(searchArgs('RETURN (MIN)')), BAD, 'RETURN without keys');
});

t.test('bad syntax is BAD', async (t) => {
  const bad = [
    '',
    'BOGUS',
    'FROM',
    'HEADER Subject',
    'HEADER "Bad Name" x',
    'BEFORE',
    'BEFORE 32-Jan-2020',
    'BEFORE 29-Feb-2019',
    'BEFORE 1-Foo-2020',
    'BEFORE 2020-01-01',
    'LARGER',
    'LARGER x',
    'LARGER -1',
    'SMALLER 99999999999999999999',
    'OLDER 0',
    'YOUNGER x',
    'NOT',
    'OR SEEN',
    'UID',
    'UID x',
    'UID 0:5',
    '0',
    '1:x',
    '()',
    'KEYWORD',
    'MODSEQ',
    'MODSEQ "/flags/\\\\seen" bogus 5',
    'MODSEQ "/flags/\\\\seen" all',
    '"SEEN"',
    'BODY[] x',
  ];
  for (const text of bad) {
    t.throws(() => parseSearchRequest(text === '' ? [] : searchArgs(text)), BAD, `BAD: ${text || '(nothing)'}`);
  }
});
