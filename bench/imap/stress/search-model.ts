/**
 * Model-checked SEARCH (imaptest's search.c, done our way): random search programs over SMALLER,
 * LARGER, SUBJECT, FROM, BODY, TEXT, SINCE, BEFORE, ON, KEYWORD, UNKEYWORD, SEEN, UNSEEN,
 * DELETED, sequence sets, UID sets, NOT, OR and parenthesised lists, sent as SEARCH or UID
 * SEARCH, and their answers compared with what the checker knows of each message (facts.ts).
 *
 * Semantics (RFC 9051 §6.4.4): strings are case-insensitive substrings; dates compare the day of
 * the internal date as APPENDed, disregarding time and timezone; SMALLER/LARGER are strict, in
 * RFC822.SIZE octets. The model is three-valued: a key is true, false or unknown, and NOT, OR
 * and AND combine them as Kleene logic does. Unknown are: flags other sessions may store
 * (\Seen, \Deleted, $shared: shared flags), an owned keyword whose owner's STORE is outstanding
 * or was answered after the SEARCH was sent, a string whose raw and decoded answers differ, and
 * anything of a message whose content the checker did not generate. Only messages where the
 * whole program is known are compared, and a mismatch counts only when the message still exists
 * (asked of the oracle session), because a message expunged by another session may or may not
 * match before this session is told.
 */
import { quote } from './client.js';
import { DAYS, FIRST_DAY, foldAscii, foldUnicode, searchDate, type MessageFacts } from './facts.js';
import type { MailboxTruth } from './model.js';

type Tri = boolean | null;

export type SearchProgram =
  | { k: 'all' }
  | { k: 'size'; op: 'LARGER' | 'SMALLER'; n: number }
  | { k: 'text'; field: 'SUBJECT' | 'FROM' | 'BODY' | 'TEXT'; needle: string }
  | { k: 'date'; op: 'SINCE' | 'BEFORE' | 'ON'; day: number }
  | { k: 'keyword'; keyword: string; present: boolean }
  | { k: 'flag'; name: 'SEEN' | 'UNSEEN' | 'DELETED' }
  | { k: 'seqs'; seqs: number[] }
  | { k: 'uids'; uids: number[] }
  | { k: 'not'; key: SearchProgram }
  | { k: 'or'; a: SearchProgram; b: SearchProgram }
  | { k: 'and'; keys: SearchProgram[] };

/** What a program is evaluated against: one message as the model knows it. */
export interface ModelMessage {
  seq: number;
  uid: number;
  facts: MessageFacts;
  /** The keyword's state, or null when not known exactly. */
  keyword(name: string): Tri;
}

const FROM_NEEDLES = ['alice', 'Alice Example', 'ALICE@bench', 'bob@bench.test', 'Bob, Jr.', 'carol', 'Jörg', 'jorg@', 'bench.test', 'EXAMPLE', 'nobody@nowhere.test'];
const ABSENT_WORDS = ['zebra', 'Quarterly lunch', 'fox jumps', 'Über'];
/** Never stored by anyone: KEYWORD of it is false for every message. */
export const UNUSED_KEYWORD = '$never-stored';

export interface ProgramInputs {
  random: () => number;
  /** Messages of the view with known content (samples for needles and sizes). */
  samples: ModelMessage[];
  exists: number;
  knownUids: number[];
  keywords: string[];
  /** Sequence sets may be used (SEARCH by number, or no expunge can renumber meanwhile). */
  sequenceSets: boolean;
}

/** A random program of up to `depth` levels of NOT/OR/AND. */
export function randomProgram(inputs: ProgramInputs, depth = 3): SearchProgram {
  const { random } = inputs;
  const roll = random();
  if (depth > 0 && roll < 0.15) return { k: 'not', key: randomProgram(inputs, depth - 1) };
  if (depth > 0 && roll < 0.3) return { k: 'or', a: randomProgram(inputs, depth - 1), b: randomProgram(inputs, depth - 1) };
  if (depth > 0 && roll < 0.4) return { k: 'and', keys: [randomProgram(inputs, depth - 1), randomProgram(inputs, depth - 1)] };
  return randomLeaf(inputs);
}

function randomLeaf(inputs: ProgramInputs): SearchProgram {
  const { random, samples } = inputs;
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const sample = samples.length > 0 ? pick(samples).facts : null;
  const kind = Math.floor(random() * 11);
  switch (kind) {
    case 0:
    case 1: {
      const n = sample ? sample.size + Math.floor(random() * 3) - 1 : 1000 + Math.floor(random() * 3000);
      return { k: 'size', op: kind === 0 ? 'LARGER' : 'SMALLER', n };
    }
    case 2:
      return { k: 'text', field: 'SUBJECT', needle: sample && random() < 0.85 ? needleFrom(sample.subject, random) : pick(ABSENT_WORDS) };
    case 3:
      return { k: 'text', field: 'FROM', needle: sample && random() < 0.4 ? needleFrom(sample.from.replace(/["<>]/g, ' '), random) : pick(FROM_NEEDLES) };
    case 4:
    case 5: {
      const lines = sample ? sample.bodyDecoded.split(/\r?\n/).filter((line) => line.trim() !== '') : [];
      const needle = lines.length > 0 && random() < 0.85 ? needleFrom(pick(lines), random) : pick(ABSENT_WORDS);
      return { k: 'text', field: kind === 4 ? 'BODY' : 'TEXT', needle };
    }
    case 6: {
      const day = FIRST_DAY - 1 + Math.floor(random() * (DAYS + 2));
      return { k: 'date', op: pick(['SINCE', 'BEFORE', 'ON'] as const), day };
    }
    case 7:
      return { k: 'keyword', keyword: pick(inputs.keywords), present: random() < 0.5 };
    case 8:
      return { k: 'flag', name: pick(['SEEN', 'UNSEEN', 'DELETED'] as const) };
    case 9:
      if (inputs.sequenceSets && inputs.exists > 0) return { k: 'seqs', seqs: randomRun(random, Array.from({ length: inputs.exists }, (_, i) => i + 1)) };
      return { k: 'all' };
    default:
      if (inputs.knownUids.length > 0) {
        const uids = randomRun(random, inputs.knownUids);
        // A UID no message has (between two, or past the last): matches nothing.
        if (random() < 0.3) uids.push(Math.max(...inputs.knownUids) + 1 + Math.floor(random() * 5));
        return { k: 'uids', uids: [...new Set(uids)].sort((a, b) => a - b) };
      }
      return { k: 'all' };
  }
}

/** A few runs of consecutive entries and single entries of a sorted list. */
function randomRun(random: () => number, sorted: number[]): number[] {
  const out = new Set<number>();
  const runs = 1 + Math.floor(random() * 3);
  for (let i = 0; i < runs; i++) {
    const start = Math.floor(random() * sorted.length);
    const length = random() < 0.5 ? 1 : 1 + Math.floor(random() * Math.min(8, sorted.length));
    for (let j = start; j < start + length && j < sorted.length; j++) out.add(sorted[j]);
  }
  return [...out].sort((a, b) => a - b);
}

/** A substring of `text` (2 to 14 characters, trimmed), ASCII letters in random case. */
function needleFrom(text: string, random: () => number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  if (chars.length === 0) return 'zebra';
  const length = Math.min(chars.length, 2 + Math.floor(random() * 13));
  const start = Math.floor(random() * (chars.length - length + 1));
  const piece = chars.slice(start, start + length).join('').trim() || chars.join('').trim();
  return [...piece].map((c) => (/[a-z]/i.test(c) && random() < 0.3 ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join('');
}

/** The program as IMAP search keys (RFC 9051 §6.4.4), and whether it needs CHARSET UTF-8. */
export function renderProgram(program: SearchProgram): { text: string; utf8: boolean } {
  let utf8 = false;
  const render = (key: SearchProgram): string => {
    switch (key.k) {
      case 'all':
        return 'ALL';
      case 'size':
        return `${key.op} ${key.n}`;
      case 'text': {
        const bytes = Buffer.from(key.needle, 'utf8');
        if (bytes.length !== key.needle.length) {
          utf8 = true;
          // A literal (LITERAL+): 8-bit text cannot be quoted (RFC 9051 §4.3).
          return `${key.field} {${bytes.length}+}\r\n${key.needle}`;
        }
        return `${key.field} ${quote(key.needle)}`;
      }
      case 'date':
        return `${key.op} ${searchDate(key.day)}`;
      case 'keyword':
        return `${key.present ? 'KEYWORD' : 'UNKEYWORD'} ${key.keyword}`;
      case 'flag':
        return key.name;
      case 'seqs':
        return compress(key.seqs);
      case 'uids':
        return `UID ${compress(key.uids)}`;
      case 'not':
        return `NOT ${render(key.key)}`;
      case 'or':
        return `OR ${render(key.a)} ${render(key.b)}`;
      case 'and':
        return `(${key.keys.map(render).join(' ')})`;
    }
  };
  const text = render(program);
  return { text, utf8 };
}

/** A sorted list of numbers as a sequence set with ranges (1:3,7). */
export function compress(numbers: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; i++) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    parts.push(j > i ? `${numbers[i]}:${numbers[j]}` : String(numbers[i]));
    i = j;
  }
  return parts.join(',');
}

/** Kleene three-valued evaluation of a program on one message. */
export function evaluateProgram(key: SearchProgram, message: ModelMessage): Tri {
  switch (key.k) {
    case 'all':
      return true;
    case 'size':
      return key.op === 'LARGER' ? message.facts.size > key.n : message.facts.size < key.n;
    case 'text':
      return textMatch(key.field, key.needle, message.facts);
    case 'date': {
      const date = message.facts.internalDate;
      if (!date) return null;
      return key.op === 'SINCE' ? date.day >= key.day : key.op === 'BEFORE' ? date.day < key.day : date.day === key.day;
    }
    case 'keyword': {
      const state = message.keyword(key.keyword);
      return state === null ? null : state === key.present;
    }
    case 'flag':
      return null;
    case 'seqs':
      return key.seqs.includes(message.seq);
    case 'uids':
      return key.uids.includes(message.uid);
    case 'not': {
      const inner = evaluateProgram(key.key, message);
      return inner === null ? null : !inner;
    }
    case 'or': {
      const a = evaluateProgram(key.a, message);
      const b = evaluateProgram(key.b, message);
      if (a === true || b === true) return true;
      return a === false && b === false ? false : null;
    }
    case 'and': {
      let unknown = false;
      for (const inner of key.keys) {
        const value = evaluateProgram(inner, message);
        if (value === false) return false;
        if (value === null) unknown = true;
      }
      return unknown ? null : true;
    }
  }
}

/** One answer when every reading (ASCII or Unicode case folding; raw or decoded text) agrees. */
function textMatch(field: 'SUBJECT' | 'FROM' | 'BODY' | 'TEXT', needle: string, facts: MessageFacts): Tri {
  const haystacks = field === 'SUBJECT' ? [facts.subject] : field === 'FROM' ? [facts.from] : field === 'BODY' ? [facts.bodyRaw, facts.bodyDecoded] : [facts.textRaw, facts.textDecoded];
  const answers = new Set<boolean>();
  for (const hay of haystacks) {
    answers.add(foldAscii(hay).includes(foldAscii(needle)));
    answers.add(foldUnicode(hay).includes(foldUnicode(needle)));
  }
  return answers.size === 1 ? [...answers][0] : null;
}

/**
 * The keyword states the model knows for `uid` as of `sentAt`: an owned keyword whose owner's
 * last STORE was answered before the SEARCH was sent and none is outstanding; for a message this
 * run APPENDed, an owned keyword never stored is unset; UNUSED_KEYWORD is never set.
 */
export function keywordKnowledge(truth: MailboxTruth, uid: number, sentAt: number): (name: string) => Tri {
  return (name) => {
    const lower = name.toLowerCase();
    if (lower === UNUSED_KEYWORD) return false;
    if (!lower.startsWith('$own-')) return null;
    const state = truth.ownedState(uid, lower);
    if (state) return state.inFlight || state.changedAt >= sentAt ? null : state.set;
    return truth.appendedHere.has(uid) ? false : null;
  };
}

/** Renders the SEARCH command line for a program. */
export function searchLine(program: SearchProgram, byUid: boolean): string {
  const { text, utf8 } = renderProgram(program);
  // A top-level AND is written as its keys (RFC 9051 §6.4.4: the keys of a search are ANDed).
  const keys = program.k === 'and' ? text.slice(1, -1) : text;
  return `${byUid ? 'UID ' : ''}SEARCH ${utf8 ? 'CHARSET UTF-8 ' : ''}${keys}`;
}
