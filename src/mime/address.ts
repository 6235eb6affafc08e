/**
 * Address lists (RFC 5322 §3.4, with the obsolete forms of §4.4) → the IMAP ENVELOPE address
 * structure (RFC 9051 §7.5.2 / RFC 3501 §7.4.2): `(name adl mailbox host)`, with a group as
 * `(NIL NIL "group" NIL)` members... `(NIL NIL NIL NIL)`.
 *
 * Invariants:
 * - Names keep their raw form (RFC 2047 encoded words stay encoded, 8-bit stays as is); quoted
 *   strings are unquoted, words are joined with one space where the header had whitespace.
 * - Without a display name, the first comment serves as the name (`user@host (Real Name)`),
 *   but never one inside angle brackets (`<user (note)@host>` has no name).
 * - A missing domain is sent as host "" and never as NIL: NIL host marks group syntax
 *   (RFC 3501 §7.4.2), so a bare `user` would otherwise open a phantom group.
 * - Any input, however broken, yields a list (possibly empty) and never throws.
 */
import type { SExp } from './types.js';

type TokenKind = 'atom' | 'quoted' | 'comment' | 'literal' | 'special';

interface Token {
  kind: TokenKind;
  /** atom text, unquoted string, comment text, literal with brackets, or the special char. */
  text: string;
  /** The raw source text (quoted strings with their quotes and escapes). */
  raw: string;
  /** Whitespace or a comment came right before this token. */
  spaced: boolean;
}

const SPECIALS = '<>@,;:.';

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = false;
  while (i < input.length) {
    const ch = input[i];
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      spaced = true;
      i++;
      continue;
    }
    const start = i;
    if (ch === '"') {
      let text = '';
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        text += input[i++];
      }
      i++;
      tokens.push({ kind: 'quoted', text, raw: input.slice(start, Math.min(i, input.length)), spaced });
    } else if (ch === '(') {
      let depth = 0;
      let text = '';
      while (i < input.length) {
        const c = input[i];
        if (c === '\\' && i + 1 < input.length) {
          text += input[i + 1];
          i += 2;
          continue;
        }
        if (c === '(') depth++;
        else if (c === ')') depth--;
        if (depth > 0 && !(c === '(' && depth === 1)) text += c;
        i++;
        if (depth === 0) break;
      }
      tokens.push({ kind: 'comment', text: text.trim(), raw: input.slice(start, i), spaced });
      spaced = true;
      continue;
    } else if (ch === '[') {
      const close = input.indexOf(']', i);
      i = close < 0 ? input.length : close + 1;
      const text = input.slice(start, i);
      tokens.push({ kind: 'literal', text, raw: text, spaced });
    } else if (SPECIALS.indexOf(ch) >= 0) {
      i++;
      tokens.push({ kind: 'special', text: ch, raw: ch, spaced });
    } else {
      while (i < input.length) {
        const c = input[i];
        if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '"' || c === '(' || c === '[') break;
        if (SPECIALS.indexOf(c) >= 0) break;
        i++;
      }
      const text = input.slice(start, i);
      tokens.push({ kind: 'atom', text, raw: text, spaced });
    }
    spaced = false;
  }
  return tokens;
}

function isSpecial(token: Token | undefined, ch: string): boolean {
  return token !== undefined && token.kind === 'special' && token.text === ch;
}

/** Display-name words joined as written: one space where the header had whitespace. */
function phrase(tokens: Token[]): string | null {
  let out = '';
  for (const token of tokens) {
    if (token.kind === 'comment') continue;
    if (out !== '' && token.spaced) out += ' ';
    out += token.text;
  }
  out = out.trim();
  return out === '' ? null : out;
}

/** Local part or domain: the raw tokens concatenated, CFWS dropped (obs-local-part allows it). */
function joinRaw(tokens: Token[]): string {
  let out = '';
  for (const token of tokens) if (token.kind !== 'comment') out += token.raw;
  return out;
}

function firstComment(tokens: Token[]): string | null {
  for (const token of tokens) if (token.kind === 'comment' && token.text !== '') return token.text;
  return null;
}

/** One mailbox (name-addr or addr-spec) from its tokens; null when it holds nothing. */
function mailbox(tokens: Token[]): SExp[] | null {
  if (tokens.every((t) => t.kind === 'comment')) return null;
  const open = tokens.findIndex((t) => isSpecial(t, '<'));
  if (open >= 0) {
    let close = tokens.findIndex((t, i) => i > open && isSpecial(t, '>'));
    if (close < 0) close = tokens.length;
    const inner = tokens.slice(open + 1, close);
    let adl: string | null = null;
    let spec = inner;
    const colon = inner.findIndex((t) => isSpecial(t, ':'));
    if (colon >= 0 && isSpecial(inner[0], '@')) {
      adl = joinRaw(inner.slice(0, colon));
      spec = inner.slice(colon + 1);
    }
    // Comments inside the angle brackets are CFWS around the addr-spec, not a name
    // (RFC 5322 §3.4): only one outside them can stand in for a missing display name.
    const name = phrase(tokens.slice(0, open)) ?? firstComment([...tokens.slice(0, open), ...tokens.slice(close + 1)]);
    const [local, host] = addrSpec(spec);
    return [name, adl, local, host];
  }
  const words = tokens.filter((t) => t.kind !== 'comment');
  const plainLocalName = words.every((t, i) => (t.kind === 'atom' || isSpecial(t, '.')) && (i === 0 || !t.spaced));
  if (!words.some((t) => isSpecial(t, '@')) && !plainLocalName) {
    // No '@' and not a plain local name: a display name without an address (`"John Smith"`).
    return [phrase(words), null, '', ''];
  }
  const [local, host] = addrSpec(tokens);
  return [firstComment(tokens), null, local, host];
}

/** Splits an addr-spec at its last '@' (a quoted local part may itself hold '@'). */
function addrSpec(tokens: Token[]): [string, string] {
  const words = tokens.filter((t) => t.kind !== 'comment');
  let at = -1;
  for (let i = words.length - 1; i >= 0; i--) {
    if (isSpecial(words[i], '@')) {
      at = i;
      break;
    }
  }
  if (at < 0) return [joinRaw(words), ''];
  return [joinRaw(words.slice(0, at)), joinDomain(words.slice(at + 1))];
}

/** Domain tokens up to the first whitespace gap after the first word (junk after it is dropped). */
function joinDomain(words: Token[]): string {
  let out = '';
  for (let i = 0; i < words.length; i++) {
    const token = words[i];
    if (i > 0 && token.spaced && token.kind !== 'special' && !isSpecial(words[i - 1], '.')) break;
    out += token.raw;
  }
  return out;
}

/**
 * Parses an address-list header value into ENVELOPE addresses; null when there is none
 * (the ENVELOPE field is then NIL).
 */
export function parseAddressList(value: string): SExp[] | null {
  const tokens = tokenize(value);
  const out: SExp[] = [];
  let item: Token[] = [];
  let inGroup = false;
  let inAngle = false;
  const flush = () => {
    const addr = mailbox(item);
    // `<>` with no name carries nothing; an all-empty entry would only confuse clients.
    if (addr && !(addr[0] === null && addr[2] === '' && addr[3] === '')) out.push(addr);
    item = [];
  };
  for (const token of tokens) {
    if (token.kind === 'special') {
      if (token.text === '<') inAngle = true;
      else if (token.text === '>') inAngle = false;
      else if (!inAngle && token.text === ',') {
        flush();
        continue;
      } else if (!inAngle && token.text === ':' && !inGroup) {
        out.push([null, null, phrase(item) ?? '', null]);
        item = [];
        inGroup = true;
        continue;
      } else if (!inAngle && token.text === ';') {
        flush();
        if (inGroup) {
          out.push([null, null, null, null]);
          inGroup = false;
        }
        continue;
      }
    }
    item.push(token);
  }
  flush();
  if (inGroup) out.push([null, null, null, null]);
  return out.length > 0 ? out : null;
}
