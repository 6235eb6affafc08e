/**
 * The MIME tree computed once at delivery (RFC 2045/2046/5322) and cached in the message
 * record. All offsets are byte offsets into the stored message (CRLF line endings), so that
 * FETCH BODY[section] is a slice and BODYSTRUCTURE/ENVELOPE render without re-parsing.
 */

/**
 * A neutral S-expression, rendered by the IMAP writer: null → NIL, number → number,
 * string → quoted string (or literal when it is not safe to quote), array → parenthesised list.
 * ENVELOPE and BODYSTRUCTURE are produced in this form (RFC 9051 §7.5.2).
 */
export type SExp = null | number | string | SExp[];

export interface ContentType {
  /** Lower-cased, e.g. "text". Defaults per RFC 2045 §5.2: text/plain; charset=us-ascii. */
  type: string;
  /** Lower-cased, e.g. "plain". */
  subtype: string;
  /** Parameters in order of appearance; names lower-cased; values decoded (RFC 2231 joined). */
  params: Array<[string, string]>;
}

export interface Disposition {
  /** Lower-cased, e.g. "attachment". */
  value: string;
  params: Array<[string, string]>;
}

export interface MimeNode {
  /** Offset of the first header byte of this part (for the root, 0). */
  headerStart: number;
  /** Offset of the first byte of the body, i.e. just after the blank line ending the header
   * (equal to headerStart when the part has no header). */
  bodyStart: number;
  /** Offset just past the last body byte (exclusive). For multipart children, this excludes the
   * CRLF that precedes the next boundary line (RFC 2046 §5.1.1). */
  bodyEnd: number;
  /** Number of lines in the body (for TEXT and MESSAGE/RFC822 in BODYSTRUCTURE): line feeds,
   * plus one for a last line without a line break. 0 for a multipart that has children. */
  lines: number;
  contentType: ContentType;
  disposition: Disposition | null;
  /** Content-ID, Content-Description, Content-Transfer-Encoding (upper-cased, default "7BIT"),
   * Content-MD5, Content-Language (list), Content-Location; null when absent. */
  id: string | null;
  description: string | null;
  encoding: string;
  md5: string | null;
  language: string[] | null;
  location: string | null;
  /** Children of a multipart, in order. Empty for non-multipart parts, and for a multipart left
   * opaque beyond the nesting limit (mime/parse.ts MAX_DEPTH). */
  children: MimeNode[];
  /** For message/rfc822 (and message/global): the encapsulated message's root node and envelope.
   * null when the part is transfer-encoded (base64/QP) or beyond the nesting limit. */
  message: { envelope: SExp; root: MimeNode } | null;
}

export interface ParsedMessage {
  /** Version of this structure, bumped when the layout changes so old records can be re-indexed. */
  version: 1;
  root: MimeNode;
  /** ENVELOPE of the top-level message as an SExp (RFC 9051 §7.5.2). */
  envelope: SExp;
  /** Date header parsed to epoch ms, or null when absent/unparsable (SEARCH SENTBEFORE etc). */
  sentDate: number | null;
}

/** A section specification (RFC 9051 §6.4.5): part path plus optional text specifier. */
export interface SectionSpec {
  /** Part numbers, e.g. [1, 2] for "1.2"; [] for the whole message. */
  part: number[];
  /** null for the part's body (BODY[] or BODY[1.2]). */
  text: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME' | null;
  /** Field names for HEADER.FIELDS(.NOT), as given by the client. */
  fields?: string[];
}
