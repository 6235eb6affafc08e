/**
 * IMAP argument lists for the imaptest script runner: one tokenizer used for both sides, the
 * expected lines of a script and the responses a server sends, so that both split the same way.
 *
 * Text is handled as latin1 (one char per byte) so literals stay binary-safe. Tokens:
 * `(`/`)` lists (adjacent lists need no space: `(1)(2)`), `"quoted"` strings with backslash
 * escapes, `{n}`/`~{n}` literals followed by CRLF and n bytes, and atoms that run to a space or
 * a parenthesis (`BODY[HEADER.FIELDS (FROM)]` is the atom `BODY[HEADER.FIELDS`, the list
 * `(FROM)` and the atom `]`). An unquoted NIL is its own kind. RFC 9051 §4 (data formats).
 */

export type ImapArg =
  | { kind: 'atom'; value: string }
  | { kind: 'string'; value: string; literal: boolean }
  | { kind: 'nil' }
  | { kind: 'list'; items: ImapArg[] };

export class ArgsError extends Error {}

export function parseArgs(text: string): ImapArg[] {
  const root: ImapArg[] = [];
  const stack: ImapArg[][] = [root];
  let position = 0;
  const current = (): ImapArg[] => stack[stack.length - 1]!;
  while (position < text.length) {
    const char = text[position]!;
    if (char === ' ' || char === '\r' || char === '\n') {
      position++;
    } else if (char === '(') {
      const list: ImapArg = { kind: 'list', items: [] };
      current().push(list);
      stack.push(list.items);
      position++;
    } else if (char === ')') {
      if (stack.length === 1) throw new ArgsError(`unexpected ')' at ${position}`);
      stack.pop();
      position++;
    } else if (char === '"') {
      let value = '';
      position++;
      while (position < text.length && text[position] !== '"') {
        if (text[position] === '\\' && position + 1 < text.length) position++;
        value += text[position];
        position++;
      }
      if (position >= text.length) throw new ArgsError('unterminated quoted string');
      position++;
      current().push({ kind: 'string', value, literal: false });
    } else {
      const literal = /^~?\{(\d+)\+?\}\r\n/.exec(text.slice(position, position + 32));
      if (literal) {
        const size = Number(literal[1]);
        const start = position + literal[0].length;
        if (start + size > text.length) throw new ArgsError('literal runs past the end');
        current().push({ kind: 'string', value: text.slice(start, start + size), literal: true });
        position = start + size;
        continue;
      }
      let end = position;
      while (end < text.length && !' ()\r\n'.includes(text[end]!)) end++;
      const value = text.slice(position, end);
      current().push(value.toUpperCase() === 'NIL' ? { kind: 'nil' } : { kind: 'atom', value });
      position = end;
    }
  }
  if (stack.length !== 1) throw new ArgsError('unclosed list');
  return root;
}

/** The text of an atom or string (IMAP astring), or null for NIL and lists. */
export function astring(arg: ImapArg | undefined): string | null {
  if (!arg) return null;
  if (arg.kind === 'atom' || arg.kind === 'string') return arg.value;
  return null;
}

/** One line of text for reports; long literals are shortened, CR/LF made visible. */
export function formatArgs(args: ImapArg[], maxLiteral = 200): string {
  return args.map((arg) => formatArg(arg, maxLiteral)).join(' ');
}

function formatArg(arg: ImapArg, maxLiteral: number): string {
  switch (arg.kind) {
    case 'nil':
      return 'NIL';
    case 'atom':
      return arg.value;
    case 'list':
      return `(${formatArgs(arg.items, maxLiteral)})`;
    case 'string': {
      const shown = arg.value.length > maxLiteral ? `${arg.value.slice(0, maxLiteral)}…` : arg.value;
      const escaped = shown.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
      return arg.literal ? `{${arg.value.length}}"${escaped}"` : `"${escaped}"`;
    }
  }
}
