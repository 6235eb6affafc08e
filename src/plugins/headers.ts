/**
 * The header block of a message as `data` hooks see and change it (HeaderEditor in api.ts).
 *
 * Invariants:
 * - Bytes are kept exactly: fields nobody touched, their order, folding and line endings, and the
 *   body (from the blank line on) are written back unchanged; with no change at all `toBuffer`
 *   returns the original buffer.
 * - Values read are unfolded (RFC 5322 §2.2.3) and decoded as UTF-8 (RFC 6532), leading and
 *   trailing white space removed.
 * - Values written must be one line; a name must be an RFC 5322 §3.6.8 field name. Written
 *   fields end in CRLF and are folded at white space to keep lines near 78 octets (§2.1.1).
 *   Invalid input throws: for a plugin that is a failure, never a broken message.
 */
import type { HeaderEditor } from './api.js';

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
const MAX_LINE = 78;

interface Field {
  /** Lower-cased name, '' for a line that is not a field (kept as it is). */
  key: string;
  /** The field as bytes (latin1 string), continuation lines and line endings included. */
  raw: string;
}

export class HeaderBlock implements HeaderEditor {
  private fields: Field[];
  private readonly original: Buffer;
  private readonly body: Buffer;
  private changed = false;

  private constructor(original: Buffer, fields: Field[], body: Buffer) {
    this.original = original;
    this.fields = fields;
    this.body = body;
  }

  static parse(message: Buffer): HeaderBlock {
    const end = headerEnd(message);
    const text = message.subarray(0, end).toString('latin1');
    const fields: Field[] = [];
    for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
      const last = fields[fields.length - 1];
      if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
        last.raw += line;
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
      fields.push({ key: FIELD_NAME.test(name) ? name.toLowerCase() : '', raw: line });
    }
    return new HeaderBlock(message, fields, message.subarray(end));
  }

  get(name: string): string[] {
    const key = name.toLowerCase();
    return this.fields.filter((field) => field.key === key).map((field) => fieldValue(field.raw));
  }

  has(name: string): boolean {
    return this.get(name).length > 0;
  }

  all(): Array<{ name: string; value: string }> {
    return this.fields
      .filter((field) => field.key !== '')
      .map((field) => ({ name: field.raw.slice(0, field.raw.indexOf(':')).trimEnd(), value: fieldValue(field.raw) }));
  }

  add(name: string, value: string): void {
    this.fields.unshift({ key: name.toLowerCase(), raw: renderField(name, value) });
    this.changed = true;
  }

  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const rendered = renderField(name, value);
    const first = this.fields.findIndex((field) => field.key === key);
    this.fields = this.fields.filter((field) => field.key !== key);
    this.fields.splice(first < 0 ? 0 : first, 0, { key, raw: rendered });
    this.changed = true;
  }

  remove(name: string): void {
    checkName(name);
    const key = name.toLowerCase();
    const before = this.fields.length;
    this.fields = this.fields.filter((field) => field.key !== key);
    if (this.fields.length !== before) this.changed = true;
  }

  /** The message with the changes applied; the original buffer when nothing changed. */
  toBuffer(): Buffer {
    if (!this.changed) return this.original;
    return Buffer.concat([Buffer.from(this.fields.map((field) => field.raw).join(''), 'latin1'), this.body]);
  }

  /** A read-only view for hooks after `data`. */
  view(): Pick<HeaderEditor, 'get' | 'has' | 'all'> {
    return { get: (name) => this.get(name), has: (name) => this.has(name), all: () => this.all() };
  }
}

/** Offset where the header block ends: the start of the blank line, or the end of the message. */
function headerEnd(message: Buffer): number {
  if (message[0] === 0x0a) return 0;
  if (message[0] === 0x0d && message[1] === 0x0a) return 0;
  const lf = message.indexOf('\n\n');
  const crlf = message.indexOf('\n\r\n');
  const ends = [lf, crlf].filter((index) => index >= 0);
  return ends.length === 0 ? message.length : Math.min(...ends) + 1;
}

function fieldValue(raw: string): string {
  const value = raw.slice(raw.indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '');
  return Buffer.from(value, 'latin1').toString('utf8').trim();
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !FIELD_NAME.test(name)) throw new TypeError(`invalid header field name ${JSON.stringify(name)}`);
}

function renderField(name: string, value: string): string {
  checkName(name);
  if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new TypeError(`header ${name}: the value must be one line of text`);
  const bytes = Buffer.from(value.trim(), 'utf8').toString('latin1');
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of bytes.split(' ')) {
    // Fold before a word that would pass the limit, never right after the name.
    if (line.length + 1 + word.length > MAX_LINE && line.length > name.length + 1 && word !== '') {
      lines.push(line);
      line = '';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return `${lines.join('\r\n')}\r\n`;
}
