/**
 * The multi-client stress checker (bench/imap/stress) in the suite: a short fixed-seed run of 5
 * random clients, each pipelining up to 3 commands as imaptest does, and one watcher/mover pair
 * (SELECT, then MOVE/COPY/APPEND in from another session, then NOOP/CHECK/IDLE) against the
 * harness server. Any session-consistency violation fails the test and prints the transcripts
 * around it; with pipelining that includes an EXPUNGE while a FETCH, STORE or SEARCH by number
 * is outstanding (RFC 9051 §5.5). The response parser the checker relies on is checked first, so
 * a checker bug is not mistaken for a server bug.
 *
 * A second short run turns on the checks beyond imaptest's default mode: QRESYNC resync clients,
 * model-checked SEARCH, HEADER.FIELDS against the APPENDed message, and checkpoints. Their model
 * code (search semantics, expected header blocks, the resync comparison) is checked on made-up
 * data first, so each check is shown to fire.
 *
 * Longer runs: npx tsx bench/imap/stress.ts --clients 10 --seconds 60 --pipeline 4 --all
 */
import t from 'tap';
import { expandSet, fetchItems, parseResponse, responseEnd, ImapString } from '../../bench/imap/stress/response.js';
import { formatViolations, runStress } from '../../bench/imap/stress/run.js';
import { expectedHeaderFields, messageFacts, searchDate, FIRST_DAY } from '../../bench/imap/stress/facts.js';
import { evaluateProgram, searchLine, type ModelMessage, type SearchProgram } from '../../bench/imap/stress/search-model.js';
import { resyncProblems, type Recorded } from '../../bench/imap/stress/resync.js';
import { PASSWORD, USER, startServer } from './harness.js';

t.test('the response parser reads literals, sections and response codes', async (t) => {
  const fetch = Buffer.from('* 3 FETCH (UID 7 FLAGS (\\Seen $x) BODY[HEADER.FIELDS (FROM TO)] {6}\r\nab\r\n\r\n ENVELOPE (NIL "s" NIL))\r\n* 4 EXISTS\r\n');
  const end = responseEnd(fetch);
  t.equal(responseEnd(fetch.subarray(0, end - 3)), -1, 'incomplete until the closing line arrives');
  const parsed = parseResponse(fetch.subarray(0, end));
  t.same(parsed.values.slice(0, 2), ['3', 'FETCH']);
  const items = fetchItems(parsed.values[2]);
  t.equal(items.get('UID'), '7');
  t.same(items.get('FLAGS'), ['\\Seen', '$x']);
  const header = items.get('BODY[HEADER.FIELDS (FROM TO)]');
  t.ok(header instanceof ImapString && header.text === 'ab\r\n\r\n', 'literal kept whole under its section name');
  const envelope = items.get('ENVELOPE') as unknown[];
  t.equal(envelope[0], null);
  t.equal((envelope[1] as ImapString).text, 's');
  t.same(parseResponse(fetch.subarray(end)).values, ['4', 'EXISTS']);

  const tagged = parseResponse(Buffer.from('a1 OK [COPYUID 9 1:2,5 10:12] Moved\r\n'));
  t.equal(tagged.status, 'OK');
  t.same(tagged.code, { name: 'COPYUID', text: '9 1:2,5 10:12' });
  t.same(expandSet('1:2,5'), [1, 2, 5]);
  t.equal(parseResponse(Buffer.from('+ idling\r\n')).tag, '+');
});

t.test('5 pipelining clients and a watcher/mover pair for 3 s: no session-consistency violation', async (t) => {
  const harness = await startServer(t, { limits: { maxConnections: 40 } });
  const result = await runStress({
    host: '127.0.0.1',
    port: harness.port,
    user: USER,
    password: PASSWORD,
    clients: 5,
    pairs: 1,
    seconds: 3,
    seed: 20260305,
    pipeline: 3,
  });
  const commands = [...result.counts.values()].reduce((sum, entry) => sum + entry.n, 0);
  t.ok(commands > 200, `the workload ran (${commands} commands)`);
  t.ok(result.pipelined.commands > 50, `commands were pipelined (${result.pipelined.commands}, up to ${result.pipelined.deepest} at once)`);
  for (const name of ['SELECT', 'APPEND', 'NOOP', 'IDLE', 'FETCH', 'STORE']) t.ok(result.counts.has(name), `${name} was exercised`);
  t.ok(['UID MOVE', 'MOVE', 'UID COPY', 'COPY'].some((name) => result.counts.has(name)), 'messages were moved or copied in');
  // recent-twice-examine can be the order RFC 3501 §2.3.2 allows (read-only session told first);
  // the checker cannot see which session the server told first, so it does not fail the suite.
  const violations = result.violations.filter((violation) => violation.kind !== 'recent-twice-examine');
  t.equal(violations.length, 0, formatViolations(result, 1));
});

t.test('the SEARCH model and HEADER.FIELDS expectations follow RFC 9051 §6.4.4 and §6.4.5', async (t) => {
  const octets = Buffer.from(
    [
      'From: =?UTF-8?Q?J=C3=B6rg?= <jorg@bench.test>',
      'Subject: =?UTF-8?B?w4RyZ2VyIMO8YmVyIMOEcGZlbA==?= 7',
      'X-Stress: 7',
      'X-Stress-Trace: hop 1',
      'x-STRESS-trace: hop 2;\r\n\tfolded',
      'Content-Type: text/plain',
      '',
      'Line 0 of message 7: the quick brown fox.',
      '',
    ].join('\r\n'),
  );
  const facts = messageFacts(octets, { day: FIRST_DAY + 2, text: '30-Dec-2024 23:59:00 -1200' });
  const message = (keyword: boolean | null): ModelMessage => ({ seq: 3, uid: 42, facts, keyword: () => keyword });
  const check = (program: SearchProgram, expected: boolean | null, what: string, keyword: boolean | null = false) => t.equal(evaluateProgram(program, message(keyword)), expected, what);
  check({ k: 'text', field: 'SUBJECT', needle: 'ÄRGER über' }, true, 'SUBJECT on the decoded subject, ASCII case ignored');
  check({ k: 'text', field: 'SUBJECT', needle: 'äRGER' }, null, 'non-ASCII case folding is up to the server: unknown');
  check({ k: 'text', field: 'FROM', needle: 'JÖRG' }, null, 'unknown again');
  check({ k: 'text', field: 'FROM', needle: 'jorg@BENCH' }, true, 'FROM matches the address');
  check({ k: 'text', field: 'BODY', needle: 'QUICK brown' }, true, 'BODY substring, case-insensitive');
  check({ k: 'text', field: 'BODY', needle: 'x-stress' }, false, 'BODY is not the header');
  check({ k: 'text', field: 'TEXT', needle: 'x-stress: 7' }, true, 'TEXT includes the header');
  check({ k: 'size', op: 'LARGER', n: octets.length }, false, 'LARGER is strict');
  check({ k: 'size', op: 'SMALLER', n: octets.length + 1 }, true, 'SMALLER n: size < n');
  check({ k: 'date', op: 'ON', day: FIRST_DAY + 2 }, true, 'ON: the day as written, time and zone disregarded');
  check({ k: 'date', op: 'BEFORE', day: FIRST_DAY + 2 }, false, 'BEFORE is strict');
  check({ k: 'date', op: 'SINCE', day: FIRST_DAY + 2 }, true, 'SINCE includes the day');
  check({ k: 'or', a: { k: 'flag', name: 'SEEN' }, b: { k: 'seqs', seqs: [3] } }, true, 'OR with one side known true is true');
  check({ k: 'and', keys: [{ k: 'flag', name: 'SEEN' }, { k: 'uids', uids: [41] }] }, false, 'AND with one side known false is false');
  check({ k: 'not', key: { k: 'flag', name: 'DELETED' } }, null, 'shared flags are unknown');
  check({ k: 'keyword', keyword: '$own-c1-a', present: false }, null, 'a keyword in flight is unknown', null);
  check({ k: 'keyword', keyword: '$own-c1-a', present: false }, false, 'a settled keyword is known', true);
  t.equal(searchDate(FIRST_DAY), '28-Dec-2024');
  t.equal(
    searchLine({ k: 'and', keys: [{ k: 'text', field: 'SUBJECT', needle: 'über' }, { k: 'uids', uids: [1, 2, 3, 7] }] }, true),
    'UID SEARCH CHARSET UTF-8 SUBJECT {5+}\r\nüber UID 1:3,7',
    '8-bit strings go as literals with CHARSET UTF-8',
  );

  t.equal(expectedHeaderFields(facts, ['x-stress-TRACE', 'absent'], false), 'X-Stress-Trace: hop 1\r\nx-STRESS-trace: hop 2;\r\n\tfolded\r\n\r\n', 'every occurrence, folded lines whole, in message order');
  t.equal(expectedHeaderFields(facts, ['X-Stress'], false), 'X-Stress: 7\r\n\r\n', 'a name is not a prefix match');
  t.equal(expectedHeaderFields(facts, ['from', 'subject', 'x-stress', 'x-stress-trace'], true), 'Content-Type: text/plain\r\n\r\n', '.NOT keeps the rest');
  t.equal(expectedHeaderFields(facts, ['absent'], false), '\r\n', 'no field: the blank line alone');
});

t.test('the QRESYNC resync comparison reports missed flag changes and expunges', async (t) => {
  const line = (text: string, uid = 0): Recorded => ({ response: parseResponse(Buffer.from(`${text}\r\n`)), uid });
  const memory = { mailbox: 'INBOX', uidValidity: 9, modseq: 10, flags: new Map([[1, ''], [2, ''], [3, '\\seen']]), order: [1, 2, 3] };
  const problems = (responses: Recorded[], highest = 20) =>
    resyncProblems({ memory, highest, responses, tags: ['s', 'f', 'n'], resyncCommands: 1, stats: { rounds: 0, compared: 0, variants: new Map() } }).map(([kind]) => kind);
  const fresh = [line('* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (12))', 1), line('* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (5))', 3), line('f OK done')];
  t.same(problems([line('* VANISHED (EARLIER) 2'), line('* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (12))', 1), line('s OK done'), ...fresh, line('n OK done')]), [], 'a complete resync');
  t.same(problems([line('* VANISHED (EARLIER) 2'), line('s OK done'), ...fresh, line('n OK done')]), ['resync-missed-flag-change'], 'a change at MODSEQ <= HIGHESTMODSEQ not reported');
  t.same(problems([line('* VANISHED (EARLIER) 2'), line('s OK done'), ...fresh, line('n OK done')], 11), [], 'a change after the resync snapshot is not its business');
  t.same(problems([line('* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (12))', 1), line('s OK done'), ...fresh, line('n OK done')]), ['resync-missed-expunge'], 'an expunge never reported');
  t.same(problems([line('* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (12))', 1), line('s OK done'), ...fresh, line('* VANISHED 2'), line('n OK done')]), [], 'an expunge reported live, by the NOOP');
  t.same(problems([line('* VANISHED (EARLIER) 2,3'), line('* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (10))', 1), line('s OK done'), ...fresh, line('n OK done')]).sort(), ['resync-missed-message', 'resync-modseq-not-above', 'resync-vanished-exists'], 'VANISHED of a live message, MODSEQ not above the client\'s');
});

t.test('QRESYNC resync, SEARCH model, HEADER.FIELDS and checkpoints for 2.5 s: no violation', async (t) => {
  const harness = await startServer(t, { limits: { maxConnections: 40 } });
  const result = await runStress({
    host: '127.0.0.1',
    port: harness.port,
    user: USER,
    password: PASSWORD,
    clients: 4,
    pairs: 1,
    seconds: 2.5,
    seed: 20260306,
    pipeline: 2,
    qresync: 2,
    searchModel: true,
    headerFields: true,
    checkpoint: 1,
  });
  const { resync, search, checkpoint } = result.coverage;
  t.ok(resync.rounds > 0 && resync.compared > 0, `QRESYNC resyncs ran (${resync.rounds}, ${resync.compared} messages compared)`);
  t.ok(search.searches > 10 && search.compared > 50, `model-checked SEARCHes ran (${search.searches}, ${search.compared} answers compared)`);
  t.ok((result.checked.get('HEADER.FIELDS') ?? 0) + (result.checked.get('HEADER.FIELDS.NOT') ?? 0) > 10, 'HEADER.FIELDS blocks were checked');
  t.ok(checkpoint && checkpoint.done > 0 && checkpoint.sessions > 0, `checkpoints were reached (${checkpoint?.done}, ${checkpoint?.sessions} views compared)`);
  const violations = result.violations.filter((violation) => violation.kind !== 'recent-twice-examine');
  t.equal(violations.length, 0, formatViolations(result, 1));
});
