/**
 * FETCH logic, pure: request parsing (what to read, what to answer) and per-message rendering.
 * The FETCH command (src/imap/commands/fetch.ts) reads the store per `needs`, sets \Seen when
 * `setsSeen`, and writes what renderFetch returns. RFC 3501 §6.4.5 / §7.4.2, RFC 9051 §6.4.5 / §7.5.2.
 */
export { parseFetchRequest, parseSection, sectionLabel } from './request.js';
export type { FetchItem, FetchItemName, FetchNeeds, FetchRequest } from './request.js';
export { renderFetch, renderFlags, formatDateTime } from './render.js';
export type { FetchMessage, RenderFetchOptions } from './render.js';
export { decodeTransferEncoding, decodeQuotedPrintable } from './binary.js';
