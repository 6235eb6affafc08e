/**
 * Streaming, pull-based parser for IMAP client commands: RFC 9051 §9 and RFC 3501 §9 grammar,
 * literals per RFC 9051 §4.3, non-synchronizing literals per RFC 7888 (LITERAL+ `{n+}`,
 * LITERAL- `{n-}` accepted the same way) and literal8 `~{n}` per RFC 3516 §4.2.
 *
 * The connection pushes socket chunks and calls next() until it returns null. Each call yields at
 * most one event and consumes no input beyond the event it returns, so the connection can switch
 * to line mode (IDLE's DONE, AUTHENTICATE responses) between two pipelined commands.
 *
 * How it works: input is framed into CRLF-terminated line segments (a bare LF is accepted too).
 * A command is one or more segments joined by literals: a segment that ends in a literal
 * announcement is followed by exactly that many octets, then by the next segment of the same
 * command. Each segment is tokenised once, into a stack of open lists and sections that survives
 * from one segment to the next.
 *
 * Invariants:
 * - Pure: no I/O, no timers. Byte based and 8-bit safe; quoted strings may carry UTF-8
 *   (RFC 9051 §9 `QUOTED-CHAR`), atoms may carry 8-bit octets (decoded as UTF-8).
 * - Every input octet is examined a bounded number of times: the line scan resumes where the last
 *   push left it, and literal octets are copied, never scanned.
 * - Memory is bounded by the limits, whatever the client sends: a line is never held beyond
 *   maxLineLength (the rest is discarded as it arrives, keeping a 40-octet tail to spot a trailing
 *   literal announcement), a literal buffer grows with the octets actually received and never
 *   beyond maxLiteralSize, and literals over the limit are refused before any allocation.
 *   What the parser holds is reported by `buffered` (unconsumed input plus a literal in progress),
 *   so the connection can pause the socket when a client pipelines faster than it is served.
 * - After an error event the parser resynchronises at the start of the next command: it skips
 *   the rest of the line, and the literals (and lines) that a non-synchronizing announcement at
 *   the end of a skipped line says will follow. A synchronizing literal that is refused is never
 *   sent by the client (it waits for "+"), so the command ends there.
 * - A non-synchronizing literal over the limit cannot be skipped cheaply: fatal (RFC 7888 §4).
 *   After a fatal error the parser ignores all input.
 * - Chunks passed to push() are kept by reference until consumed: the caller must not modify them.
 */
import type { ParsedCommand, ParserEvent, ParserLimits, Token } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DQUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const LT = 0x3c;
const GT = 0x3e;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const TILDE = 0x7e;

/** `tag = 1*<any ASTRING-CHAR except "+">` (RFC 9051 §9): printable ASCII minus atom-specials. */
const TAG_CHAR = new Uint8Array(256);
/** Command names are atoms made of ASCII ATOM-CHARs. */
const NAME_CHAR = new Uint8Array(256);
/**
 * Octets that end an argument atom wherever it appears: SP, CTL, "(", ")", "{", DQUOTE.
 * "]" ends an atom only directly inside a section, "[" only after a section-taking name.
 * list-wildcards ("%", "*"), "]" and "\" are kept in atoms on purpose: list-mailbox (LIST),
 * sequence sets (`1:*`), flags (`\Seen`, `\*`) and mailbox names like `[Gmail]/Sent`.
 */
const ATOM_STOP = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ctl = c < 0x20 || c === 0x7f;
  const special = c === LPAREN || c === RPAREN || c === LBRACE || c === SP || c === DQUOTE;
  ATOM_STOP[c] = ctl || special ? 1 : 0;
  const ascii = c > 0x20 && c < 0x7f;
  const atomSpecial = special || c === 0x25 /* % */ || c === 0x2a /* * */ || c === BACKSLASH;
  NAME_CHAR[c] = ascii && !atomSpecial && c !== RBRACKET ? 1 : 0;
  TAG_CHAR[c] = ascii && !atomSpecial && c !== PLUS ? 1 : 0;
}

/** Fetch attributes whose name may be followed by a section (RFC 9051 §6.4.5, RFC 3516 §4.2). */
const SECTION_NAMES = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);

/** How many trailing octets of a discarded line are kept to recognise `~{4294967295+}` etc. */
const TAIL_KEEP = 40;
/** Literal sizes with more digits than this are larger than any limit (and than 2^53). */
const MAX_SIZE_DIGITS = 15;
const TRAILING_LITERAL = /(~?\{|^)(\d+)([+-]?)\}$/;
const EMPTY = Buffer.alloc(0);

interface Container {
  kind: 'root' | 'list' | 'section';
  items: Token[];
  /** For a section: the atom that owns it, which receives the partial after "]". */
  owner?: Extract<Token, { type: 'atom' }>;
}

interface CommandInProgress {
  phase: 'tag' | 'args';
  tag: string | null;
  name: string;
  /** Open containers; stack[0] is the root holding the arguments. */
  stack: Container[];
  /** The last thing read was a complete token: the next one needs a separator first. */
  afterToken: boolean;
  /** Octets of the command so far, CRLFs and literals included. */
  size: number;
}

type SegmentOutcome =
  | { kind: 'complete' }
  | { kind: 'literal'; size: number; sync: boolean; binary: boolean }
  | { kind: 'error'; text: string };

type Mode = 'start' | 'segment' | 'literal' | 'discard-line' | 'discard-literal' | 'dead';

const COMPLETE: SegmentOutcome = { kind: 'complete' };
const INCOMPLETE = 0;
const TOO_LONG = 1;

export class CommandParser {
  private readonly limits: ParserLimits;
  private lineMode = false;
  private mode: Mode = 'start';

  /** Input queue: chunks[head] from headOffset on is the first unconsumed octet. */
  private chunks: Buffer[] = [];
  private head = 0;
  private headOffset = 0;
  private available = 0;

  /** Line scan cursor, ahead of the consumed position by `scanned` octets (none of them LF). */
  private scanChunk = 0;
  private scanOffset = 0;
  private scanned = 0;

  private cmd: CommandInProgress | null = null;

  private literalSize = 0;
  private literalBinary = false;
  private literalBuf: Buffer = EMPTY;
  private literalFill = 0;

  private discardRemaining = 0;
  /** The last octets of the line being discarded, and whether earlier ones were dropped. */
  private tail: Buffer = EMPTY;
  private tailTruncated = false;

  constructor(limits: ParserLimits) {
    this.limits = limits;
  }

  /** Octets held: received but not yet returned in an event or discarded. */
  get buffered(): number {
    return this.available + (this.mode === 'literal' ? this.literalFill : 0);
  }

  /** In line mode, next() returns each CRLF-terminated line as is (between commands only). */
  setLineMode(on: boolean): void {
    this.lineMode = on;
  }

  /**
   * Hands back the octets received but not yet consumed, and forgets them. Between commands only:
   * after COMPRESS (RFC 4978 §3) what the client sent next is compressed and must be inflated first.
   */
  takeUnconsumed(): Buffer {
    if (this.available === 0) return EMPTY;
    const rest = Buffer.from(this.peek(this.available));
    this.skip(this.available);
    return rest;
  }

  /** Up to `limit` of the octets received but not yet consumed, left in place (a look ahead). */
  peekUnconsumed(limit: number): Buffer {
    if (this.available === 0) return EMPTY;
    return this.peek(Math.min(limit, this.available));
  }

  push(chunk: Buffer): void {
    if (this.mode === 'dead' || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  next(): ParserEvent | null {
    for (;;) {
      switch (this.mode) {
        case 'dead':
          return null;

        case 'discard-literal': {
          const n = Math.min(this.discardRemaining, this.available);
          this.skip(n);
          this.discardRemaining -= n;
          if (this.discardRemaining > 0) return null;
          this.startDiscardingLine();
          continue;
        }

        case 'discard-line': {
          if (!this.discardThroughLineEnd()) return null;
          const announced = trailingLiteral(this.tail, this.tailTruncated);
          if (announced && !announced.sync) {
            if (announced.size > this.limits.maxLiteralSize) {
              return this.fatal(null, 'Non-synchronizing literal too large');
            }
            this.discardRemaining = announced.size;
            this.mode = 'discard-literal';
          } else {
            this.mode = 'start';
          }
          continue;
        }

        case 'literal': {
          if (!this.collectLiteral()) return null;
          const cmd = this.cmd!;
          const value = this.literalBuf;
          this.literalBuf = EMPTY;
          this.literalFill = 0;
          cmd.stack[cmd.stack.length - 1].items.push({
            type: 'string',
            value,
            literal: true,
            binary: this.literalBinary,
          });
          cmd.afterToken = true;
          this.mode = 'segment';
          continue;
        }

        case 'start':
        case 'segment': {
          const starting = this.mode === 'start';
          const budget = this.limits.maxCommandSize - (starting ? 0 : this.cmd!.size);
          const line = this.findLine(Math.min(this.limits.maxLineLength, budget - 2));
          if (line === INCOMPLETE) return null;
          if (line === TOO_LONG) return this.lineTooLong(starting, budget - 2 < this.limits.maxLineLength);
          if (starting) {
            if (this.lineMode) return { kind: 'line', line: Buffer.from(line) };
            // Stray empty lines between commands carry nothing; skipping them is harmless.
            if (line.length === 0) continue;
            this.cmd = { phase: 'tag', tag: null, name: '', stack: [{ kind: 'root', items: [] }], afterToken: false, size: 0 };
          }
          const cmd = this.cmd!;
          cmd.size += line.length + 2;
          const outcome = this.parseSegment(cmd, line);
          if (outcome.kind === 'complete') {
            this.mode = 'start';
            this.cmd = null;
            const command: ParsedCommand = { tag: cmd.tag!, name: cmd.name, args: cmd.stack[0].items };
            return { kind: 'command', command };
          }
          if (outcome.kind === 'error') return this.syntaxError(cmd, line, outcome.text);
          const event = this.literalAnnounced(cmd, outcome);
          if (event) return event;
          continue;
        }
      }
    }
  }

  // ---- command-level decisions -------------------------------------------------------------

  /** The event a literal announcement causes; undefined when parsing simply goes on (LITERAL+). */
  private literalAnnounced(
    cmd: CommandInProgress,
    literal: { size: number; sync: boolean; binary: boolean },
  ): ParserEvent | undefined {
    const tooBig =
      literal.size > this.limits.maxLiteralSize
        ? 'Literal too large'
        : cmd.size + literal.size > this.limits.maxCommandSize
          ? 'Command too large'
          : null;
    if (tooBig) {
      this.cmd = null;
      // RFC 7888 §4: the octets of a refused non-synchronizing literal are already on their way.
      if (!literal.sync) return this.fatal(cmd.tag, tooBig);
      this.mode = 'start';
      return { kind: 'error', tag: cmd.tag, text: tooBig, code: 'TOOBIG', fatal: false };
    }
    cmd.size += literal.size;
    this.literalSize = literal.size;
    this.literalBinary = literal.binary;
    this.literalBuf = EMPTY;
    this.literalFill = 0;
    this.mode = 'literal';
    return literal.sync ? { kind: 'continue' } : undefined;
  }

  private syntaxError(cmd: CommandInProgress, line: Buffer, text: string): ParserEvent {
    this.cmd = null;
    this.mode = 'start';
    const announced = trailingLiteral(line, false);
    if (announced && !announced.sync) {
      if (announced.size > this.limits.maxLiteralSize) return this.fatal(cmd.tag, 'Non-synchronizing literal too large');
      this.discardRemaining = announced.size;
      this.mode = 'discard-literal';
    }
    return { kind: 'error', tag: cmd.tag, text, code: null, fatal: false };
  }

  private lineTooLong(starting: boolean, commandLimited: boolean): ParserEvent {
    const tag = starting ? (this.lineMode ? null : this.peekTag()) : this.cmd!.tag;
    this.cmd = null;
    this.startDiscardingLine();
    const text = commandLimited ? 'Command too large' : 'Line too long';
    return { kind: 'error', tag, text, code: 'TOOBIG', fatal: false };
  }

  private startDiscardingLine(): void {
    this.mode = 'discard-line';
    this.tail = EMPTY;
    this.tailTruncated = false;
  }

  private fatal(tag: string | null, text: string): ParserEvent {
    this.mode = 'dead';
    this.cmd = null;
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.available = 0;
    this.literalBuf = EMPTY;
    this.literalFill = 0;
    return { kind: 'error', tag, text, code: 'TOOBIG', fatal: true };
  }

  /** The tag at the start of an over-long line, if the first octets hold a valid one. */
  private peekTag(): string | null {
    const prefix = this.peek(Math.min(this.available, 80));
    let p = 0;
    while (p < prefix.length && TAG_CHAR[prefix[p]]) p++;
    return p > 0 && p < prefix.length && prefix[p] === SP ? prefix.toString('latin1', 0, p) : null;
  }

  // ---- tokenising one line segment ----------------------------------------------------------

  private parseSegment(cmd: CommandInProgress, line: Buffer): SegmentOutcome {
    const end = line.length;
    let p = 0;

    if (cmd.phase === 'tag') {
      while (p < end && TAG_CHAR[line[p]]) p++;
      if (p === 0 || (p < end && line[p] !== SP)) return { kind: 'error', text: 'Invalid tag' };
      cmd.tag = line.toString('latin1', 0, p);
      if (p === end) return { kind: 'error', text: 'Missing command name' };
      p++;
      let start = p;
      while (p < end && NAME_CHAR[line[p]]) p++;
      if (p === start || (p < end && line[p] !== SP)) return { kind: 'error', text: 'Invalid command name' };
      let name = line.toString('latin1', start, p).toUpperCase();
      if (name === 'UID') {
        // RFC 9051 §6.4.9: UID prefixes COPY, MOVE, FETCH, SEARCH, STORE, EXPUNGE.
        if (p === end) return { kind: 'error', text: 'Missing command after UID' };
        start = ++p;
        while (p < end && NAME_CHAR[line[p]]) p++;
        if (p === start || (p < end && line[p] !== SP)) return { kind: 'error', text: 'Invalid command name after UID' };
        name = `UID ${line.toString('latin1', start, p).toUpperCase()}`;
      }
      cmd.name = name;
      cmd.phase = 'args';
      cmd.afterToken = false;
    }

    const stack = cmd.stack;
    const maxDepth = this.limits.maxDepth;
    let top = stack[stack.length - 1];
    let afterToken = cmd.afterToken;

    while (p < end) {
      const b = line[p];
      if (b === SP) {
        // Lenient on repeated and trailing spaces; a token still needs one before it.
        afterToken = false;
        p++;
        continue;
      }
      if (b === RPAREN) {
        if (top.kind !== 'list') return { kind: 'error', text: "Unexpected ')'" };
        stack.pop();
        top = stack[stack.length - 1];
        afterToken = true;
        p++;
        continue;
      }
      if (b === RBRACKET && top.kind === 'section') {
        const owner = top.owner!;
        stack.pop();
        top = stack[stack.length - 1];
        p++;
        if (p < end && line[p] === LT) {
          const close = line.indexOf(GT, p);
          const partial = close === -1 ? null : parsePartial(line, p + 1, close);
          if (!partial) return { kind: 'error', text: 'Invalid partial range' };
          owner.partial = partial;
          p = close + 1;
        }
        afterToken = true;
        continue;
      }
      if (afterToken) return { kind: 'error', text: 'Missing space between arguments' };

      if (b === LPAREN) {
        if (stack.length > maxDepth) return { kind: 'error', text: 'Too deeply nested' };
        const list: Token = { type: 'list', items: [] };
        top.items.push(list);
        top = { kind: 'list', items: list.items };
        stack.push(top);
        p++;
        continue;
      }

      if (b === DQUOTE) {
        const close = findQuoteEnd(line, p + 1);
        if (close < 0) return { kind: 'error', text: close === -1 ? 'Unterminated quoted string' : 'Invalid character in quoted string' };
        top.items.push({ type: 'string', value: unquote(line, p + 1, close), literal: false, binary: false });
        p = close + 1;
        afterToken = true;
        continue;
      }

      if (b === LBRACE || (b === TILDE && p + 1 < end && line[p + 1] === LBRACE)) {
        const announced = parseLiteralAnnouncement(line, p);
        if (!announced) return { kind: 'error', text: 'Invalid literal announcement' };
        cmd.afterToken = false;
        return announced;
      }

      const start = p;
      const inSection = top.kind === 'section';
      while (p < end) {
        const c = line[p];
        if (ATOM_STOP[c] || (c === RBRACKET && inSection)) break;
        if (c === LBRACKET && SECTION_NAMES.has(line.toString('latin1', start, p).toUpperCase())) break;
        p++;
      }
      if (p === start) return { kind: 'error', text: 'Invalid character' };
      const token: Extract<Token, { type: 'atom' }> = { type: 'atom', value: line.toString('utf8', start, p) };
      top.items.push(token);
      if (p < end && line[p] === LBRACKET) {
        if (stack.length > maxDepth) return { kind: 'error', text: 'Too deeply nested' };
        token.section = [];
        top = { kind: 'section', items: token.section, owner: token };
        stack.push(top);
        p++;
        afterToken = false;
        continue;
      }
      afterToken = true;
    }

    cmd.afterToken = afterToken;
    if (stack.length > 1) return { kind: 'error', text: top.kind === 'list' ? "Missing ')'" : "Missing ']'" };
    return COMPLETE;
  }

  // ---- input queue ---------------------------------------------------------------------------

  /**
   * The next line without its CRLF (or bare LF), consumed; INCOMPLETE when no line end has
   * arrived yet; TOO_LONG (nothing consumed) when the line has more than `limit` octets.
   */
  private findLine(limit: number): Buffer | typeof INCOMPLETE | typeof TOO_LONG {
    const chunks = this.chunks;
    while (this.scanChunk < chunks.length) {
      const chunk = chunks[this.scanChunk];
      const lf = chunk.indexOf(LF, this.scanOffset);
      if (lf === -1) {
        this.scanned += chunk.length - this.scanOffset;
        this.scanChunk++;
        this.scanOffset = 0;
        if (this.scanned > limit + 1) return TOO_LONG;
        continue;
      }
      const length = this.scanned + (lf - this.scanOffset);
      if (length > limit + 1) return TOO_LONG;
      // The octet before LF is in this chunk, or it is the last one of the previous chunk.
      const beforeLf = length === 0 ? -1 : lf > 0 ? chunk[lf - 1] : chunks[this.scanChunk - 1].at(-1);
      const contentLength = beforeLf === CR ? length - 1 : length;
      if (contentLength > limit) return TOO_LONG;
      return this.take(length + 1).subarray(0, contentLength);
    }
    return INCOMPLETE;
  }

  /** Moves up to the missing literal octets from the input into the literal buffer. */
  private collectLiteral(): boolean {
    const missing = this.literalSize - this.literalFill;
    const n = Math.min(missing, this.available);
    if (n > 0) {
      if (this.literalBuf.length < this.literalFill + n) {
        // Grow with what arrives, never ahead of it: an announced size alone allocates nothing.
        const capacity = Math.min(this.literalSize, Math.max(this.literalFill + n, this.literalBuf.length * 2, 4096));
        const grown = Buffer.allocUnsafe(capacity);
        this.literalBuf.copy(grown, 0, 0, this.literalFill);
        this.literalBuf = grown;
      }
      this.copyOut(this.literalBuf, this.literalFill, n);
      this.literalFill += n;
    }
    if (this.literalFill < this.literalSize) return false;
    if (this.literalBuf.length !== this.literalSize) this.literalBuf = this.literalBuf.subarray(0, this.literalSize);
    return true;
  }

  /** Drops input up to and including the next LF, keeping the last octets before it in `tail`. */
  private discardThroughLineEnd(): boolean {
    while (this.available > 0) {
      const chunk = this.chunks[this.head];
      const lf = chunk.indexOf(LF, this.headOffset);
      const end = lf === -1 ? chunk.length : lf;
      this.rememberTail(chunk, this.headOffset, end);
      if (lf === -1) {
        this.skip(chunk.length - this.headOffset);
        continue;
      }
      this.skip(lf + 1 - this.headOffset);
      if (this.tail.length > 0 && this.tail[this.tail.length - 1] === CR) this.tail = this.tail.subarray(0, this.tail.length - 1);
      return true;
    }
    return false;
  }

  private rememberTail(source: Buffer, start: number, end: number): void {
    if (end - start >= TAIL_KEEP) {
      this.tailTruncated ||= end - start > TAIL_KEEP || this.tail.length > 0;
      this.tail = Buffer.from(source.subarray(end - TAIL_KEEP, end));
      return;
    }
    if (end === start) return;
    const joined = Buffer.concat([this.tail, source.subarray(start, end)]);
    if (joined.length > TAIL_KEEP) {
      this.tailTruncated = true;
      this.tail = joined.subarray(joined.length - TAIL_KEEP);
    } else {
      this.tail = joined;
    }
  }

  /** The next n octets, consumed: a view when they lie in one chunk, else a copy. */
  private take(n: number): Buffer {
    const chunk = this.chunks[this.head];
    if (chunk && chunk.length - this.headOffset >= n) {
      const view = chunk.subarray(this.headOffset, this.headOffset + n);
      this.skip(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, 0, n);
    return out;
  }

  /** Up to n octets from the consumed position, without consuming them. */
  private peek(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    let offset = this.headOffset;
    for (let i = this.head; i < this.chunks.length && need > 0; i++) {
      const chunk = this.chunks[i];
      const part = chunk.subarray(offset, offset + need);
      parts.push(part);
      need -= part.length;
      offset = 0;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Copies the next n (≤ available) octets into target at offset and consumes them. */
  private copyOut(target: Buffer, offset: number, n: number): void {
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[this.head];
      const count = Math.min(n - written, chunk.length - this.headOffset);
      chunk.copy(target, offset + written, this.headOffset, this.headOffset + count);
      written += count;
      this.skip(count);
    }
  }

  /** Consumes n (≤ available) octets and resets the line scan to the new position. */
  private skip(n: number): void {
    this.available -= n;
    let remaining = n;
    while (remaining > 0) {
      const chunk = this.chunks[this.head];
      const left = chunk.length - this.headOffset;
      if (remaining < left) {
        this.headOffset += remaining;
        break;
      }
      remaining -= left;
      this.head++;
      this.headOffset = 0;
    }
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
      this.headOffset = 0;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    this.scanChunk = this.head;
    this.scanOffset = this.headOffset;
    this.scanned = 0;
  }
}

// ---- lexical helpers ---------------------------------------------------------------------------

/**
 * Index of the closing DQUOTE of a quoted string starting at `from` (after the opening one),
 * -1 when the line ends first, -2 on a character not allowed in a quoted string (NUL, CR, or a
 * backslash not followed by DQUOTE or backslash; RFC 9051 §9 `quoted`).
 */
function findQuoteEnd(line: Buffer, from: number): number {
  for (let p = from; p < line.length; p++) {
    const c = line[p];
    if (c === DQUOTE) return p;
    if (c === BACKSLASH) {
      const escaped = line[p + 1];
      if (escaped === undefined) return -1;
      if (escaped !== DQUOTE && escaped !== BACKSLASH) return -2;
      p++;
    } else if (c === 0 || c === CR) {
      return -2;
    }
  }
  return -1;
}

/** The content of a validated quoted string, escapes removed, as a fresh Buffer. */
function unquote(line: Buffer, start: number, end: number): Buffer {
  const firstEscape = line.indexOf(BACKSLASH, start);
  if (firstEscape === -1 || firstEscape >= end) return Buffer.from(line.subarray(start, end));
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let p = start; p < end; p++) {
    const c = line[p];
    if (c === BACKSLASH) p++;
    out[n++] = line[p];
  }
  return out.subarray(0, n);
}

/** `{n}`, `{n+}`, `{n-}`, `~{n}`, `~{n+}` ending the line at `from`; null when malformed. */
function parseLiteralAnnouncement(
  line: Buffer,
  from: number,
): { kind: 'literal'; size: number; sync: boolean; binary: boolean } | null {
  let p = from;
  const binary = line[p] === TILDE;
  if (binary) p++;
  p++;
  const digitsStart = p;
  while (p < line.length && line[p] >= 0x30 && line[p] <= 0x39) p++;
  if (p === digitsStart) return null;
  const digitsEnd = p;
  let sync = true;
  if (line[p] === PLUS || line[p] === MINUS) {
    sync = false;
    p++;
  }
  if (line[p] !== RBRACE || p + 1 !== line.length) return null;
  return { kind: 'literal', size: parseSize(line, digitsStart, digitsEnd), sync, binary };
}

/** `partial = "<" number "." nz-number ">"` (RFC 9051 §9), also `<number>` as in responses. */
function parsePartial(line: Buffer, start: number, end: number): [number, number | undefined] | null {
  const dot = line.indexOf(DOT, start);
  const originEnd = dot === -1 || dot > end ? end : dot;
  if (!allDigits(line, start, originEnd)) return null;
  const origin = parseSize(line, start, originEnd);
  if (!Number.isSafeInteger(origin)) return null;
  if (originEnd === end) return [origin, undefined];
  if (!allDigits(line, originEnd + 1, end)) return null;
  const length = parseSize(line, originEnd + 1, end);
  if (!Number.isSafeInteger(length) || length === 0) return null;
  return [origin, length];
}

function allDigits(line: Buffer, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let p = start; p < end; p++) if (line[p] < 0x30 || line[p] > 0x39) return false;
  return true;
}

/** A decimal size; Infinity when it has too many digits to matter (or to be exact). */
function parseSize(line: Buffer, start: number, end: number): number {
  let p = start;
  while (p < end - 1 && line[p] === 0x30) p++;
  if (end - p > MAX_SIZE_DIGITS) return Infinity;
  return Number(line.toString('latin1', p, end));
}

/**
 * The literal a (CR-stripped) line ends with, if any. `truncated`: only the line's last octets
 * are given, so digits reaching the start may have lost their "{": that is a size too large for
 * any limit.
 */
function trailingLiteral(text: Buffer, truncated: boolean): { size: number; sync: boolean } | null {
  if (text.length < 3 || text[text.length - 1] !== RBRACE) return null;
  const match = TRAILING_LITERAL.exec(text.toString('latin1'));
  if (!match) return null;
  const sync = match[3] === '';
  if (match[1] === '') return truncated ? { size: Infinity, sync } : null;
  const digits = Buffer.from(match[2], 'latin1');
  return { size: parseSize(digits, 0, digits.length), sync };
}
