/**
 * The MIME module: parse once at delivery into a tree with byte offsets (RFC 2045/2046/5322),
 * then render ENVELOPE and BODYSTRUCTURE (RFC 9051 §7.5.2) and slice BODY[section]
 * (RFC 9051 §6.4.5) without re-parsing. Content decoding (charsets, QP, base64, RFC 2047) is
 * for SEARCH only and uses libmime / libqp.
 */
export type { ParsedMessage, MimeNode, SExp, SectionSpec, ContentType, Disposition } from './types.js';
export { parseMessage, MAX_DEPTH } from './parse.js';
export { bodyStructure } from './bodystructure.js';
export { sectionBytes, findPart } from './section.js';
export { headerFields, headerValues, decodeHeaderValue } from './headers.js';
export { textContent } from './text.js';
export { normalizeLineEndings } from './normalize.js';
export { parseDate } from './envelope.js';
