/**
 * The SEARCH key tree: what parseSearchRequest produces and matchesSearch evaluates.
 * Keys per RFC 3501 §6.4.4 and RFC 9051 §6.4.4, MODSEQ per RFC 7162 §3.1.5, OLDER/YOUNGER per
 * RFC 5032, `$` per RFC 5182.
 *
 * Invariants: strings are already decoded to JS strings (the search charset is UTF-8 or its
 * subset US-ASCII); dates are whole days since the epoch (the key's calendar date counted as a
 * UTC day), because SEARCH compares dates "disregarding time and timezone": match.ts compares
 * them with the message's date in its own zone.
 */
import type { SequenceSet } from '../protocol/sequence.js';

export type { SequenceSet };

export type DateComparison = 'before' | 'on' | 'since';

export type SearchKey =
  /** ALL (and SAVEDATESUPPORTED). */
  | { kind: 'all' }
  /** RECENT: \Recent in this session (SearchContext.isRecent). NEW and OLD are built from it. */
  | { kind: 'recent' }
  /** A parenthesised list, or the top-level keys: all must match. */
  | { kind: 'and'; keys: SearchKey[] }
  | { kind: 'or'; left: SearchKey; right: SearchKey }
  | { kind: 'not'; key: SearchKey }
  /** ANSWERED/UNANSWERED, DELETED, DRAFT, FLAGGED, SEEN and their UN- forms; KEYWORD/UNKEYWORD. */
  | { kind: 'flag'; flag: string; present: boolean }
  /** A bare sequence set (message sequence numbers); `text` keeps the set as the client wrote it. */
  | { kind: 'sequence'; set: SequenceSet; text: string }
  /** UID <sequence-set>. */
  | { kind: 'uid'; set: SequenceSet; text: string }
  /** `$` or `UID $` (RFC 5182): the saved search result, resolved by the caller's context. */
  | { kind: 'saved' }
  /** FROM, TO, CC, BCC, SUBJECT (field lower-cased) and HEADER <field> <string>. */
  | { kind: 'header'; field: string; value: string }
  /** BODY <string>: the decoded text of the body. */
  | { kind: 'body'; value: string }
  /** TEXT <string>: header or body. */
  | { kind: 'text'; value: string }
  /** BEFORE/ON/SINCE (internal date), SENTBEFORE/SENTON/SENTSINCE (Date header), SAVEDBEFORE/SAVEDON/SAVEDSINCE (save date, RFC 8514). */
  | { kind: 'date'; field: 'internal' | 'sent' | 'saved'; op: DateComparison; day: number }
  /** LARGER n (size > n) and SMALLER n (size < n), in octets (RFC822.SIZE). */
  | { kind: 'size'; op: 'larger' | 'smaller'; size: number }
  /** MODSEQ [entry type] n: modseq >= n (RFC 7162 §3.1.5). The entry is kept but not used: we keep one modseq per message. */
  | { kind: 'modseq'; modseq: number; entry?: { name: string; type: 'priv' | 'shared' | 'all' } }
  /** OLDER n / YOUNGER n seconds, against the internal date (RFC 5032). */
  | { kind: 'age'; op: 'older' | 'younger'; seconds: number };

/**
 * How much of a message the store must read, cumulative like FETCH's: meta ⊂ parsed ⊂ header ⊂
 * full. 'header' hands the header block as raw, 'full' the whole message.
 */
export type SearchNeeds = 'meta' | 'parsed' | 'header' | 'full';

export interface SearchRequest {
  /** Upper-cased: "UTF-8" or "US-ASCII". */
  charset: string;
  key: SearchKey;
  needs: SearchNeeds;
  /**
   * Whether matching needs the MIME tree (SENT* keys, BODY, TEXT). Header keys alone do not, so
   * a caller at the 'header' level may skip loading it.
   */
  needsParsed: boolean;
  /** ESEARCH RETURN options, upper-cased (RFC 4731 §3.1); `RETURN ()` means (ALL). Absent for plain SEARCH. */
  returnOptions?: string[];
  /** A MODSEQ key is present: the reply carries the highest modseq (RFC 7162 §3.1.5). */
  usesModseq: boolean;
  /** `$` is used: the caller must supply the saved result (RFC 5182 §2.1). */
  usesSaved: boolean;
}

export interface SearchContext {
  maxSeq: number;
  maxUid: number;
  /** epoch ms for OLDER/YOUNGER; defaults to Date.now(). */
  now?: number;
  /** UIDs of the saved search result for `$` (RFC 5182); absent means no saved result, so `$` matches nothing. */
  savedUids?: ReadonlySet<number>;
  /** Whether a UID is \Recent in this session (RFC 3501 §2.3.2); absent means none is. */
  isRecent?: (uid: number) => boolean;
}
