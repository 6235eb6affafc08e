/**
 * Matching a server reply against an expected reply of an imaptest script, as the format
 * documentation describes it:
 *   - strings compare case-insensitively (`${case:Text}` for an exact match);
 *   - `$name`/`${name}` variables: a set one must equal the input, an unset one takes the input
 *     up to the next character of the pattern; `$` alone matches anything, a whole list too;
 *     `$N` (a number) is the current sequence of the message that was N when the group began;
 *     `$modseqN` must grow at least by the gap between indexes; `$$` is a literal `$`;
 *   - `$!ordered`, `$!unordered[=n]`, `$!noextra`, `$!extra`, `$!ignore=x`, `$!ban=x` at the
 *     start of a list, and the defaults for lists without directives: `n FETCH ($!unordered=2)`,
 *     `FETCH (FLAGS ($!unordered $!noextra $!ignore=\recent))`, `LIST|LSUB ($!unordered)`,
 *     `STATUS box ($!unordered=2)`;
 *   - untagged OK/NO/BAD/BYE and tagged replies match as a prefix (the text after the
 *     response code is free).
 * Variables an attempt sets are undone when the whole reply does not match.
 */
import { astring, type ImapArg } from './args.js';

const FULL = Number.POSITIVE_INFINITY;

interface ListContext {
  replyName: string;
  parent: ListContext | null;
  /** Index (or index within the chain) of this list in its parent. */
  indexInParent: number;
  /** The last atom before this list in its parent, lower case. */
  previousAtom: string | null;
  chain: number;
}

export class Matcher {
  readonly variables = new Map<string, string>();
  private added: string[] = [];
  private highestModseqIndex = 0;
  private highestModseq = 0n;
  /** Initial sequence → current sequence (0 = expunged), rebuilt per command group. */
  seqmap: number[] = [];

  beginAttempt(): void {
    this.added = [];
  }

  /** Undo the variables the last attempt set. */
  revertAttempt(): void {
    for (const name of this.added) this.variables.delete(name);
    this.added = [];
  }

  relativeSeq(seq: number): string {
    if (seq === 0) return '<zero seq>';
    if (seq > this.seqmap.length) return '<out of range>';
    const current = this.seqmap[seq - 1]!;
    return current === 0 ? '<expunged>' : String(current);
  }

  /** Applies an EXPUNGE of `seq` to the initial → current map. */
  expunged(seq: number): void {
    for (let index = seq - 1; index < this.seqmap.length; index++) {
      if (this.seqmap[index]! === seq) this.seqmap[index] = 0;
      else if (this.seqmap[index]! > seq) this.seqmap[index]!--;
    }
  }

  /** Replaces `$var`s in a command line; unset ones fail unless allowed to stay `$`. */
  expandCommand(line: string, options: { keepUnset: boolean }): string {
    let out = '';
    let index = 0;
    while (index < line.length) {
      const char = line[index]!;
      if (char !== '$' || index === line.length - 1) {
        out += char;
        index++;
        continue;
      }
      index++;
      if (line[index] === '$') {
        out += '$';
        index++;
        continue;
      }
      if (line[index] === '!') {
        while (index < line.length && line[index] !== ' ') index++;
        index++;
        continue;
      }
      let name: string;
      if (line[index] === '{') {
        const close = line.indexOf('}', index);
        if (close < 0) throw new Error("missing '}'");
        name = line.slice(index + 1, close);
        index = close + 1;
      } else {
        const start = index;
        while (index < line.length && /[A-Za-z0-9_]/.test(line[index]!)) index++;
        name = line.slice(start, index);
      }
      if (/^\d+$/.test(name)) out += this.relativeSeq(Number(name));
      else {
        const value = this.variables.get(name);
        if (value === undefined && !options.keepUnset) throw new Error(`uninitialized variable $${name}`);
        out += value ?? '$';
      }
    }
    return out;
  }

  /**
   * Expands pattern against input, binding unset variables; returns the expanded pattern (to
   * compare with the input) or null on a mismatch found on the way.
   */
  private expandInput(pattern: string, input: string): { text: string; ignoreCase: boolean } | null {
    let ignoreCase = true;
    let out = '';
    let p = 0;
    let i = 0;
    while (p < pattern.length) {
      if (pattern[p] !== '$' || pattern[p + 1] === '$') {
        if (pattern[p] === '$') p++;
        if (i >= input.length || pattern[p]!.toUpperCase() !== input[i]!.toUpperCase()) return null;
        out += pattern[p];
        p++;
        i++;
        continue;
      }
      p++;
      let name: string;
      if (pattern[p] === '{') {
        const close = pattern.indexOf('}', p + 1);
        if (close < 0) return { text: '', ignoreCase };
        name = pattern.slice(p + 1, close);
        p = close + 1;
      } else {
        const start = p;
        while (p < pattern.length && /[A-Za-z0-9_]/.test(pattern[p]!)) p++;
        name = pattern.slice(start, p);
      }
      let value: string;
      if (/^\d+$/.test(name)) value = this.relativeSeq(Number(name));
      else if (name.startsWith('case:')) {
        ignoreCase = false;
        value = name.slice(5);
      } else {
        const known = name === '' ? undefined : this.variables.get(name);
        if (known !== undefined) value = known;
        else {
          const rest = pattern.slice(p);
          let stopAt = rest;
          let stopIgnoreCase = true;
          if (rest.startsWith('$')) {
            const expanded = this.expandInput(rest, input.slice(i));
            stopAt = expanded?.text ?? '';
            stopIgnoreCase = expanded?.ignoreCase ?? true;
          }
          let end = i;
          const stop = stopAt[0];
          while (end < input.length && stop !== undefined && (stopIgnoreCase ? input[end]!.toUpperCase() !== stop.toUpperCase() : input[end] !== stop)) end++;
          if (stop === undefined) end = input.length;
          value = input.slice(i, end);
          const modseq = /^modseq(\d+)$/.exec(name);
          if (name === '') {
            // `$` alone: matches without binding.
          } else if (modseq) {
            value = this.bindModseq(Number(modseq[1]), value);
            this.variables.set(name, value);
          } else {
            this.variables.set(name, value);
            this.added.push(name);
          }
        }
      }
      out += value;
      for (const char of value) {
        if (input[i] !== char) return null;
        i++;
      }
    }
    return { text: out, ignoreCase };
  }

  private bindModseq(index: number, text: string): string {
    if (!/^\d+$/.test(text)) return '$modseq-not-number';
    const value = BigInt(text);
    if (this.highestModseqIndex > index) return '$modseq-order-mismatch';
    const atLeast = this.highestModseq + BigInt(index - this.highestModseqIndex);
    this.highestModseqIndex = index;
    if (value < atLeast) {
      this.highestModseq = atLeast;
      return `$modseq-at-least-${atLeast}`;
    }
    this.highestModseq = value;
    return text;
  }

  /** Matches a whole untagged reply (without `*`) or a tagged reply (without the tag). */
  matchReply(expected: ImapArg[], actual: ImapArg[], options: { prefix: boolean }): number {
    const first = astring(expected[0]);
    let replyName = '';
    if (first !== null && expected[0]!.kind === 'atom') {
      replyName = /^[$0-9]/.test(first) ? (astring(expected[1]) ?? '') : first;
    }
    const root: ListContext = { replyName: replyName.toLowerCase(), parent: null, indexInParent: 0, previousAtom: null, chain: 1 };
    return this.matchArgs(expected, actual, FULL, options.prefix, root);
  }

  private matchArgs(match: ImapArg[], args: ImapArg[], max: number, prefix: boolean, context: ListContext, offset = 0): number {
    let matched = 0;
    let a = offset;
    let previousAtom: string | null = null;
    for (let m = 0; m < match.length && max > 0; m++, a++, max--) {
      const expected = match[m]!;
      const actual = args[a];
      if (expected.kind === 'atom') previousAtom = expected.value.toLowerCase();
      if (expected.kind === 'nil') {
        if (actual?.kind !== 'nil') return matched;
      } else if (expected.kind === 'list') {
        if (actual?.kind !== 'list') return matched;
        const child: ListContext = {
          replyName: context.replyName,
          parent: context,
          indexInParent: context.chain === 1 ? m : m % context.chain,
          previousAtom,
          chain: 1,
        };
        const sub = this.matchList(expected.items, actual.items, child);
        if (sub !== FULL) return matched + sub;
      } else {
        if (expected.value === '$' && actual?.kind === 'list') {
          matched++;
          continue;
        }
        if (expected.value === '$]' && expected.kind === 'atom') {
          while (args[a]?.kind === 'atom' && !(args[a] as { value: string }).value.includes(']')) a++;
          matched++;
          continue;
        }
        const text = astring(actual);
        if (text === null) return matched;
        const expanded = this.expandInput(expected.value, text);
        if (!expanded) return matched;
        const last = m === match.length - 1;
        const a1 = expanded.ignoreCase ? text.toUpperCase() : text;
        const e1 = expanded.ignoreCase ? expanded.text.toUpperCase() : expanded.text;
        if (prefix && last ? !a1.startsWith(e1) : a1 !== e1) return matched;
      }
      matched++;
    }
    if (prefix || a >= args.length || max === 0) return FULL;
    return matched;
  }

  private defaultDirectives(context: ListContext): string[] {
    const parent = context.parent;
    if (!parent) return [];
    const name = context.replyName;
    if ((name === 'list' || name === 'lsub') && !parent.parent && context.indexInParent === 1) return ['$!unordered'];
    if (name === 'status' && !parent.parent && context.indexInParent === 2) return ['$!unordered=2'];
    if (name === 'fetch') {
      if (!parent.parent && context.indexInParent === 2) return ['$!unordered=2'];
      if (parent.parent && !parent.parent.parent && parent.indexInParent === 2 && context.previousAtom === 'flags') {
        return ['$!unordered', '$!noextra', '$!ignore=\\recent', '$!ignore=$HasAttachment', '$!ignore=$HasNoAttachment'];
      }
    }
    return [];
  }

  private matchList(match: ImapArg[], args: ImapArg[], context: ListContext): number {
    let directives: string[] = [];
    let start = 0;
    while (start < match.length && match[start]!.kind === 'atom' && (match[start] as { value: string }).value.startsWith('$!')) {
      directives.push((match[start] as { value: string }).value.slice(2));
      start++;
    }
    if (directives.length === 0) directives = this.defaultDirectives(context).map((directive) => directive.slice(2));
    const items = match.slice(start);
    let unordered = false;
    let chain = 1;
    let noExtra: boolean | null = null;
    const ignores: string[] = [];
    const bans: string[] = [];
    for (const directive of directives) {
      if (directive.startsWith('unordered')) {
        unordered = true;
        noExtra ??= false;
        if (directive[9] === '=') chain = Number(directive.slice(10));
      } else if (directive === 'ordered') unordered = false;
      else if (directive === 'extra') noExtra = false;
      else if (directive === 'noextra') noExtra = true;
      else if (directive.startsWith('ignore=')) ignores.push(directive.slice(7).toUpperCase());
      else if (directive.startsWith('ban=')) bans.push(directive.slice(4).toUpperCase());
      else throw new Error(`unknown directive $!${directive}`);
    }
    noExtra ??= true;
    context.chain = chain;
    if (!unordered) return this.matchArgs(items, args, FULL, false, context);

    if (args.length % chain !== 0) return 0;
    const used = new Array<boolean>(args.length).fill(false);
    let found = 0;
    for (let m = 0; m < items.length; m += chain, found++) {
      let hit = -1;
      for (let a = 0; a < args.length; a += chain) {
        const subMatch = items.slice(m, m + chain);
        if (this.matchArgs(subMatch, args, chain, false, { ...context }, a) === FULL) {
          hit = a;
          break;
        }
      }
      if (hit < 0) return found;
      used[hit] = true;
    }
    for (let a = 0; a < args.length; a += chain) {
      if (used[a]) continue;
      const text = astring(args[a]);
      if (text === null) continue;
      if (noExtra && !ignores.includes(text.toUpperCase())) return found;
      if (!noExtra && bans.includes(text.toUpperCase())) return found;
    }
    return FULL;
  }
}

export const FULL_MATCH = FULL;
