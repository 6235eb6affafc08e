/**
 * SEARCH logic, pure: parsing into a key tree and matching one message at a time. The SEARCH
 * command (src/imap/commands/search.ts) reads each message per `needs`, resolves `$`, and builds
 * the SEARCH / ESEARCH reply. RFC 3501 §6.4.4, RFC 9051 §6.4.4, RFC 4731, RFC 5032, RFC 5182, RFC 7162.
 */
export { parseSearchRequest, parseSearchDate } from './parse.js';
export { matchesSearch } from './match.js';
export type { SearchMessage } from './match.js';
export type { SearchKey, SearchNeeds, SearchRequest, SearchContext, SequenceSet, DateComparison } from './keys.js';
