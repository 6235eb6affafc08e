/**
 * Values exchanged between the IMAP byte-level code (parser, writer) and the commands.
 * Pure data: no I/O here. Grammar per RFC 9051 §9 (and RFC 3501 §9).
 */

/**
 * A token of a client command (RFC 9051 §9 `astring`, `string`, `list`...).
 * - atom: any atom, including NIL, numbers, sequence sets, flags (\Seen), and fetch attributes.
 *   A fetch attribute such as `BODY.PEEK[HEADER.FIELDS (From)]<0.100>` is ONE atom token with
 *   value "BODY.PEEK", `section` holding the tokens inside the brackets (here: atom HEADER.FIELDS
 *   and a list) and `partial` [0, 100]. `BODY[]` has section []. `<5>` alone gives [5, undefined].
 * - string: a quoted string or a literal ({n}, {n+}, {n-}); `binary` for literal8 (~{n}, RFC 3516).
 * - list: a parenthesised list.
 */
export type Token =
  | { type: 'atom'; value: string; section?: Token[]; partial?: [number, number | undefined] }
  | { type: 'string'; value: Buffer; literal: boolean; binary: boolean }
  | { type: 'list'; items: Token[] };

export interface ParsedCommand {
  tag: string;
  /** Upper-cased command name; UID commands are joined: "UID FETCH", "UID SEARCH", ... */
  name: string;
  args: Token[];
}

/** What the streaming parser hands to the connection, one at a time. */
export type ParserEvent =
  /** A complete command with all its literals. */
  | { kind: 'command'; command: ParsedCommand }
  /** A synchronizing literal {n} was announced and accepted: send "+ Ready for literal". */
  | { kind: 'continue' }
  /** A raw line while the parser is in line mode (IDLE's DONE, AUTHENTICATE responses). CRLF stripped. */
  | { kind: 'line'; line: Buffer }
  /**
   * A command that cannot be parsed or exceeds a limit. `tag` is known when the line started with
   * one. The rest of the command is discarded by the parser (as it arrives, for an over-long line). `fatal`: the stream cannot be resynchronised
   * (e.g. a non-synchronizing literal over the limit): send BYE and close.
   */
  | { kind: 'error'; tag: string | null; text: string; code: string | null; fatal: boolean };

export interface ParserLimits {
  /** Longest line of a command, in octets (CRLF excluded); each line between literals counts alone. */
  maxLineLength: number;
  /** Largest literal accepted, in octets (APPEND size limit is separate and enforced by APPEND). */
  maxLiteralSize: number;
  /** Total octets of one command including literals. */
  maxCommandSize: number;
  /** Deepest nesting of lists/sections. */
  maxDepth: number;
}

/**
 * A value to write in a response (RFC 9051 §4):
 * null → NIL; number → number; string → quoted string, or a literal when it has 8-bit
 * characters, CR, LF or is long; Buffer → literal; {atom} → written as is (flags, labels like
 * `BODY[HEADER.FIELDS (DATE)]`, keywords); {literal, binary} → literal (`~{n}` when binary);
 * array → parenthesised list; {raw} → bytes already serialized (e.g. by quoteOrLiteral with
 * utf8 after ENABLE UTF8=ACCEPT), written verbatim.
 */
export type ImapValue =
  | null
  | number
  | string
  | Buffer
  | { atom: string }
  | { literal: Buffer; binary?: boolean }
  | { raw: Buffer }
  | ImapValue[];

export const atom = (value: string): { atom: string } => ({ atom: value });
