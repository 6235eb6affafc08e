/**
 * The multi-client stress checker (bench/imap/stress) in the suite: a short fixed-seed run of 5
 * random clients, each pipelining up to 3 commands as imaptest does, and one watcher/mover pair
 * (SELECT, then MOVE/COPY/APPEND in from another session, then NOOP/CHECK/IDLE) against the
 * harness server. Any session-consistency violation fails the test and prints the transcripts
 * around it; with pipelining that includes an EXPUNGE while a FETCH, STORE or SEARCH by number
 * is outstanding (RFC 9051 §5.5). The response parser the checker relies on is checked first, so
 * a checker bug is not mistaken for a server bug.
 *
 * Longer runs: npx tsx bench/imap/stress.ts --clients 10 --seconds 60 --pipeline 4
 */
import t from 'tap';
import { expandSet, fetchItems, parseResponse, responseEnd, ImapString } from '../../bench/imap/stress/response.js';
import { formatViolations, runStress } from '../../bench/imap/stress/run.js';
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
