/**
 * Sequence sets (RFC 9051 §9 `sequence-set`, semantics in RFC 9051 §6.4.8 and RFC 3501 §9):
 * parsing, resolution against a mailbox, matching, and compact formatting.
 *
 * Invariants:
 * - A parsed set keeps "*" symbolic: it means the largest number in use (message count, or the
 *   highest UID) at the time the set is resolved. `*:*` is valid and means that one message.
 * - A range is unordered: `4:2` is `2:4` (RFC 9051 §9: "the range ... includes both of them
 *   regardless of order"), so `559:*` always includes the last UID even when 559 is higher.
 * - Resolution never walks a range number by number: UID ranges are located by binary search in
 *   the sorted UID array and merged as index intervals, so `1:4294967295` costs O(log n) and
 *   the work is O(k log n + result) for k ranges. Results are sorted and unique.
 * - Message sequence numbers beyond the mailbox are a client error (RFC 9051 §6.4.8: tagged BAD,
 *   "This includes '*' if the selected mailbox is empty"); UIDs that do not exist are ignored.
 * - "$" (SEARCHRES, RFC 5182) is not parsed here: arguments.ts marks a set `saved`, and the
 *   selected view substitutes its saved result.
 */
import { imapBad } from '../../errors.js';

/** A set member's bound: a number, or "*" for the largest one in use. */
export type SeqBound = number | '*';

/** One member of a set; a single number has start === end. Not normalised: start may exceed end. */
export interface SeqRange {
  readonly start: SeqBound;
  readonly end: SeqBound;
}

export interface SequenceSet {
  readonly ranges: readonly SeqRange[];
  /**
   * `$` (SEARCHRES, RFC 5182 §2.1): the session's saved search result, which only the selected
   * mailbox view can resolve; `ranges` is then empty.
   */
  readonly saved?: true;
}

/** `nz-number` is a non-zero unsigned 32-bit number (RFC 9051 §9). */
const MAX_NZ_NUMBER = 4294967295;
const NZ_NUMBER = /^[1-9][0-9]{0,9}$/;

/** Parses a sequence set such as `1:3,5,7:*`. Throws a BAD ImapError when malformed. */
export function parseSequenceSet(text: string): SequenceSet {
  if (text.length === 0) throw imapBad('Empty sequence set');
  const ranges: SeqRange[] = [];
  for (const member of text.split(',')) {
    const colon = member.indexOf(':');
    if (colon === -1) {
      const n = parseBound(member, text);
      ranges.push({ start: n, end: n });
    } else {
      ranges.push({ start: parseBound(member.slice(0, colon), text), end: parseBound(member.slice(colon + 1), text) });
    }
  }
  return { ranges };
}

function parseBound(text: string, whole: string): SeqBound {
  if (text === '*') return '*';
  if (!NZ_NUMBER.test(text) || Number(text) > MAX_NZ_NUMBER) throw imapBad(`Invalid sequence set: ${whole.slice(0, 64)}`);
  return Number(text);
}

/** The two ends of a range with "*" replaced by `max`, low first. */
function bounds(range: SeqRange, max: number): [number, number] {
  const a = range.start === '*' ? max : range.start;
  const b = range.end === '*' ? max : range.end;
  return a <= b ? [a, b] : [b, a];
}

/**
 * The message sequence numbers of a set in a mailbox of `exists` messages, sorted and unique.
 * Throws BAD "Invalid message sequence number" when the set names a number above `exists`
 * (or "*" in an empty mailbox).
 */
export function resolveSequenceNumbers(set: SequenceSet, exists: number): number[] {
  const intervals: Array<[number, number]> = [];
  for (const range of set.ranges) {
    const [low, high] = bounds(range, exists);
    if (low < 1 || high > exists) throw imapBad('Invalid message sequence number');
    intervals.push([low, high + 1]);
  }
  return expand(mergeIntervals(intervals), (i) => i);
}

/**
 * The UIDs of a set that exist in the mailbox, sorted and unique. `uids` is the mailbox's UIDs in
 * ascending order (index i holds the UID of message i + 1). "*" is the highest UID; UIDs that
 * do not exist are ignored (RFC 9051 §6.4.8).
 */
export function resolveUids(set: SequenceSet, uids: ArrayLike<number>): number[] {
  return expand(uidIntervals(set, uids), (i) => uids[i]);
}

/**
 * Like resolveUids, but gives the message sequence numbers of those messages (UID FETCH, UID
 * STORE and friends answer with sequence numbers), sorted and unique.
 */
export function resolveUidsToSequenceNumbers(set: SequenceSet, uids: ArrayLike<number>): number[] {
  return expand(uidIntervals(set, uids), (i) => i + 1);
}

/** Half-open index intervals [from, to) into `uids`, merged and sorted. */
function uidIntervals(set: SequenceSet, uids: ArrayLike<number>): Array<[number, number]> {
  const count = uids.length;
  if (count === 0) return [];
  const highest = uids[count - 1];
  const intervals: Array<[number, number]> = [];
  for (const range of set.ranges) {
    const [low, high] = bounds(range, highest);
    const from = lowerBound(uids, low);
    const to = lowerBound(uids, high + 1);
    if (from < to) intervals.push([from, to]);
  }
  return mergeIntervals(intervals);
}

/**
 * Whether `n` is in the set, "*" standing for `max` (SEARCH with a sequence set or UID set: pass
 * the message count or the highest UID). For a UID set this follows the same range rules.
 */
export function matchesSequenceSet(set: SequenceSet, n: number, max: number): boolean {
  for (const range of set.ranges) {
    const [low, high] = bounds(range, max);
    if (n >= low && n <= high) return true;
  }
  return false;
}

/**
 * A compact sequence set for a list of numbers: runs of consecutive ascending numbers become
 * ranges (`1:3,5,7:9`). The order is kept, because COPYUID pairs its two sets by position
 * (RFC 4315 §3); pass sorted numbers for the most compact result. An empty list gives "".
 */
export function formatSequenceSet(numbers: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    const start = numbers[i];
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    parts.push(j === i ? String(start) : `${start}:${numbers[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** First index whose value is ≥ target (uids ascending). */
function lowerBound(sorted: ArrayLike<number>, target: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Sorts half-open intervals and joins overlapping or touching ones. */
function mergeIntervals(intervals: Array<[number, number]>): Array<[number, number]> {
  if (intervals.length <= 1) return intervals;
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [intervals[0]];
  for (let i = 1; i < intervals.length; i++) {
    const last = merged[merged.length - 1];
    const [from, to] = intervals[i];
    if (from <= last[1]) {
      if (to > last[1]) last[1] = to;
    } else {
      merged.push([from, to]);
    }
  }
  return merged;
}

function expand(intervals: Array<[number, number]>, map: (i: number) => number): number[] {
  const out: number[] = [];
  for (const [from, to] of intervals) for (let i = from; i < to; i++) out.push(map(i));
  return out;
}
