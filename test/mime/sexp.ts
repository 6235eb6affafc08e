/**
 * A tiny IMAP serializer for SExp, for tests only (the real one is the IMAP response writer).
 * Strings are quoted, or sent as literals when they hold CR, LF, NUL or 8-bit characters.
 * Inside a list, items are separated by one space, except that no space separates the leading
 * run of lists: RFC 9051 §9 `body-type-mpart = 1*body SP media-subtype` and
 * `"(" 1*address ")"` put bodies and addresses side by side, as `(a)(b)`.
 */
import type { SExp } from '../../src/mime/types.js';

export function render(value: SExp): string {
  if (value === null) return 'NIL';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    if (/[\r\n\0\u0080-\uffff]/.test(value)) return `{${Buffer.byteLength(value, 'utf8')}}\r\n${value}`;
    return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  }
  let out = '(';
  let leadingLists = true;
  value.forEach((item, i) => {
    const isList = Array.isArray(item);
    if (i > 0 && !(leadingLists && isList)) out += ' ';
    if (!isList) leadingLists = false;
    out += render(item);
  });
  return `${out})`;
}
