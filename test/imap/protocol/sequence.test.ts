import t from 'tap';
import {
  formatSequenceSet,
  matchesSequenceSet,
  parseSequenceSet,
  resolveSequenceNumbers,
  resolveUids,
  resolveUidsToSequenceNumbers,
} from '../../../src/imap/protocol/sequence.js';

const BAD = { name: 'ImapError', status: 'BAD' };

t.test('parseSequenceSet keeps "*" symbolic and ranges as written', async (t) => {
  t.same(parseSequenceSet('1').ranges, [{ start: 1, end: 1 }]);
  t.same(parseSequenceSet('*').ranges, [{ start: '*', end: '*' }]);
  t.same(parseSequenceSet('*:*').ranges, [{ start: '*', end: '*' }]);
  t.same(parseSequenceSet('4:2').ranges, [{ start: 4, end: 2 }]);
  t.same(parseSequenceSet('1:3,5,7:*').ranges, [
    { start: 1, end: 3 },
    { start: 5, end: 5 },
    { start: 7, end: '*' },
  ]);
  t.same(parseSequenceSet('4294967295').ranges, [{ start: 4294967295, end: 4294967295 }]);
  t.same(parseSequenceSet('1,3,5:*').ranges.length, 3, 'raven#299 form');
});

t.test('parseSequenceSet refuses malformed sets with BAD', async (t) => {
  for (const bad of ['', '0', '0:5', '1:', ':1', '1,,2', ',1', '1,', '4294967296', '99999999999', '01', '-1', '1:2:3', 'a', '1 ', ' 1', '$', '**', '1:0', '1.5']) {
    t.throws(() => parseSequenceSet(bad), BAD, JSON.stringify(bad));
  }
});

t.test('message sequence numbers (RFC 9051 §9 examples)', async (t) => {
  const seq = (set: string, exists: number) => resolveSequenceNumbers(parseSequenceSet(set), exists);
  t.same(seq('2,4:7,9,12:*', 15), [2, 4, 5, 6, 7, 9, 12, 13, 14, 15]);
  t.same(seq('*:4,5:7', 10), [4, 5, 6, 7, 8, 9, 10]);
  t.same(seq('*', 5), [5]);
  t.same(seq('*:*', 5), [5]);
  t.same(seq('3:1', 5), [1, 2, 3]);
  t.same(seq('1,1,2,1:2', 5), [1, 2]);
  t.equal(seq('1:*', 100_000).length, 100_000);
  for (const [set, exists] of [['6', 5], ['1:6', 5], ['*', 0], ['1:*', 0], ['1:4294967295', 3]] as const) {
    t.throws(() => seq(set, exists), { ...BAD, message: 'Invalid message sequence number' }, `${set} with ${exists}`);
  }
});

t.test('UIDs (RFC 9051 §6.4.8): ranges unordered, "*" is the last UID, missing UIDs ignored', async (t) => {
  const uids = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
  const resolve = (set: string, list: number[] = uids) => resolveUids(parseSequenceSet(set), list);
  t.same(resolve('1:*'), uids);
  t.same(resolve('4:7'), [5]);
  t.same(resolve('559:*'), [89], '559:* includes the last UID even though 559 is higher');
  t.same(resolve('90:*'), [89]);
  t.same(resolve('*'), [89]);
  t.same(resolve('*:*'), [89]);
  t.same(resolve('100'), []);
  t.same(resolve('90:100'), []);
  t.same(resolve('21:8'), [8, 13, 21], '21:8 is 8:21');
  t.same(resolve('1,1,2:3,3,2'), [1, 2, 3], 'sorted and unique');
  t.same(resolve('55,1:2,34:*'), [1, 2, 34, 55, 89]);
  t.same(resolve('1:4294967295'), uids);
  t.same(resolve('1:*', []), [], 'empty mailbox');
  t.same(resolve('*', []), []);
  t.same(resolveUidsToSequenceNumbers(parseSequenceSet('8:21,*'), uids), [5, 6, 7, 10]);
  t.same(resolveUids(parseSequenceSet('2:4'), Uint32Array.from([1, 3, 4, 9])), [3, 4], 'typed arrays work');
});

t.test('UID resolution in a 100,000-message mailbox uses ranges, not iteration', async (t) => {
  const uids = Array.from({ length: 100_000 }, (_, i) => 2 * i + 1);
  const members = Array.from({ length: 1000 }, (_, i) => `${4294967295 - i}:${4294967000 - i * 7}`);
  const set = parseSequenceSet(`1:4294967295,${members.join(',')},4:9,199999:*`);
  const started = process.hrtime.bigint();
  const result = resolveUids(set, uids);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.equal(result.length, 100_000);
  t.equal(result[0], 1);
  t.equal(result.at(-1), 199_999);
  t.same(resolveUids(parseSequenceSet('4:9,199999:*'), uids), [5, 7, 9, 199_999]);
  t.comment(`resolved 1003 ranges over 100k UIDs in ${ms.toFixed(1)} ms`);
});

t.test('matchesSequenceSet (SEARCH)', async (t) => {
  const set = parseSequenceSet('2,4:7,9,12:*');
  const matched = Array.from({ length: 16 }, (_, i) => i + 1).filter((n) => matchesSequenceSet(set, n, 15));
  t.same(matched, [2, 4, 5, 6, 7, 9, 12, 13, 14, 15]);
  t.ok(matchesSequenceSet(parseSequenceSet('559:*'), 89, 89), 'UID 559:* matches the last UID');
  t.notOk(matchesSequenceSet(parseSequenceSet('559:*'), 88, 89));
  t.ok(matchesSequenceSet(parseSequenceSet('*'), 15, 15));
  t.notOk(matchesSequenceSet(parseSequenceSet('*'), 14, 15));
});

t.test('formatSequenceSet compresses runs (RFC 4315 COPYUID examples)', async (t) => {
  t.equal(formatSequenceSet([]), '');
  t.equal(formatSequenceSet([1]), '1');
  t.equal(formatSequenceSet([1, 2, 3, 5, 7, 8, 9]), '1:3,5,7:9');
  t.equal(formatSequenceSet([304, 319, 320]), '304,319:320');
  t.equal(formatSequenceSet([3956, 3957, 3958]), '3956:3958');
  t.equal(formatSequenceSet([5, 4]), '5,4', 'order kept: COPYUID pairs sets by position');
  t.equal(formatSequenceSet(Array.from({ length: 100_000 }, (_, i) => i + 1)), '1:100000');
  const uids = [1, 2, 3, 5, 8, 13, 14, 15];
  t.same(resolveUids(parseSequenceSet(formatSequenceSet(uids)), uids), uids, 'round trip');
});
