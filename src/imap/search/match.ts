/**
 * SEARCH evaluation: does one message match a key tree (RFC 3501 §6.4.4, RFC 9051 §6.4.4)?
 *
 * Invariants:
 * - String keys are case-insensitive substring matches on decoded text, white space runs read
 *   as one space: header values are RFC 2047-decoded (addresses match on the whole field,
 *   display name included), BODY on the decoded text parts, TEXT on the header and the body.
 * - Dates compare whole days "disregarding time and timezone": BEFORE/ON/SINCE the day of the
 *   internal date as INTERNALDATE shows it, in the zone APPEND gave (meta.internalZone, else
 *   UTC); SENT* the Date header in UTC (a message without a usable Date header matches no SENT*
 *   key); SAVED* the save date in UTC.
 * - A message is read lazily: headers and body text are decoded at most once per call, and
 *   only when a key asks for them, so `needs` from the parser is enough.
 */
import { decodeHeaderValue, headerValues, textContent } from '../../mime/index.js';
import { foldForSearch, isSearchField, searchFieldValues, searchHeaderText, searchTextContains, type SearchFields } from '../../mime/search-index.js';
import type { ParsedMessage } from '../../mime/types.js';
import type { MessageMeta } from '../../store/types.js';
import { matchesSequenceSet } from '../protocol/sequence.js';
import type { SearchContext, SearchKey } from './keys.js';

export interface SearchMessage {
  seq: number;
  meta: MessageMeta;
  parsed?: ParsedMessage;
  /** The header block ('header' needs) or the whole message ('full' needs). */
  raw?: Buffer;
  /** Prepared at delivery (mime/search-index.ts): used instead of `raw` for the keys they answer. */
  fields?: SearchFields;
  /** Prepared search text: answers BODY and TEXT without `raw` and `parsed`. */
  text?: Buffer;
}

const DAY_MS = 86_400_000;
const CRLF = Buffer.from('\r\n');
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export function matchesSearch(key: SearchKey, message: SearchMessage, context: SearchContext): boolean {
  return evaluate(key, new MessageView(message), context);
}

function evaluate(key: SearchKey, view: MessageView, context: SearchContext): boolean {
  const { meta } = view.message;
  switch (key.kind) {
    case 'all':
      return true;
    case 'recent':
      return context.isRecent?.(meta.uid) ?? false;
    case 'and':
      return key.keys.every((k) => evaluate(k, view, context));
    case 'or':
      return evaluate(key.left, view, context) || evaluate(key.right, view, context);
    case 'not':
      return !evaluate(key.key, view, context);
    case 'flag': {
      const wanted = key.flag.toLowerCase();
      return meta.flags.some((flag) => flag.toLowerCase() === wanted) === key.present;
    }
    case 'sequence':
      return matchesSequenceSet(key.set, view.message.seq, context.maxSeq);
    case 'uid':
      return matchesSequenceSet(key.set, meta.uid, context.maxUid);
    case 'saved':
      return context.savedUids?.has(meta.uid) ?? false;
    case 'header': {
      const needle = fold(key.value);
      return view.headerValues(key.field).some((value) => value.includes(needle));
    }
    case 'body':
      if (view.message.text) return searchTextContains(view.message.text, foldedNeedle(key), 'body');
      return view.bodyText().includes(fold(key.value));
    case 'text': {
      if (view.message.text) return searchTextContains(view.message.text, foldedNeedle(key), 'text');
      const needle = fold(key.value);
      return view.headerText().includes(needle) || view.bodyText().includes(needle);
    }
    case 'date': {
      // The internal date's day is the one INTERNALDATE shows, in the zone it was appended with.
      const epochMs =
        key.field === 'internal'
          ? meta.internalDate + (meta.internalZone ?? 0) * 60_000
          : key.field === 'saved'
            ? meta.savedAt
            : view.parsed().sentDate;
      if (epochMs === null) return false;
      const day = Math.floor(epochMs / DAY_MS);
      if (key.op === 'before') return day < key.day;
      if (key.op === 'on') return day === key.day;
      return day >= key.day;
    }
    case 'size':
      return key.op === 'larger' ? meta.size > key.size : meta.size < key.size;
    case 'modseq':
      return meta.modseq >= key.modseq;
    case 'age': {
      // RFC 5032: OLDER n and YOUNGER n partition the mailbox, so a message exactly n seconds old is OLDER.
      const cutoff = (context.now ?? Date.now()) - key.seconds * 1000;
      return key.op === 'older' ? meta.internalDate <= cutoff : meta.internalDate > cutoff;
    }
  }
}

/**
 * Normalisation for substring matches, applied to both the needle and the haystack: case folded,
 * and every run of white space (line breaks included) read as one space, so a phrase matches
 * across a wrapped line or the gap an HTML tag leaves.
 */
const fold = foldForSearch;

/** A BODY/TEXT key's needle as folded UTF-8, made once per key rather than once per message. */
const needles = new WeakMap<SearchKey, Buffer>();
function foldedNeedle(key: Extract<SearchKey, { value: string }>): Buffer {
  let needle = needles.get(key);
  if (!needle) {
    needle = Buffer.from(fold(key.value), 'utf8');
    needles.set(key, needle);
  }
  return needle;
}

/** Lazily decoded parts of one message, each computed at most once. */
class MessageView {
  private header?: Buffer;
  private headerTextCache?: string;
  private bodyTextCache?: string;
  private readonly fields = new Map<string, string[]>();

  constructor(readonly message: SearchMessage) {}

  parsed(): ParsedMessage {
    if (!this.message.parsed) throw new Error('SEARCH key needs the MIME tree; load it per request.needsParsed');
    return this.message.parsed;
  }

  /** Decoded, case-folded values of every occurrence of a field. */
  headerValues(field: string): string[] {
    if (this.message.fields && isSearchField(field)) return this.message.fields[field];
    let values = this.fields.get(field);
    if (values === undefined) {
      const raw = headerValues(this.headerBlock(), field);
      // The same values as the prepared records hold (address forms included), when not prepared.
      values = isSearchField(field) ? searchFieldValues(raw, field) : raw.map((value) => fold(decodeHeaderValue(value)));
      this.fields.set(field, values);
    }
    return values;
  }

  /** The whole header, unfolded, each field decoded, case-folded. */
  headerText(): string {
    this.headerTextCache ??= searchHeaderText(this.headerBlock());
    return this.headerTextCache;
  }

  /** Decoded text of the body's text parts, case-folded. */
  bodyText(): string {
    this.bodyTextCache ??= fold(textContent(this.raw(), this.parsed()));
    return this.bodyTextCache;
  }

  private headerBlock(): Buffer {
    if (this.header === undefined) {
      const raw = this.raw();
      const parsed = this.message.parsed;
      let length: number;
      if (parsed && parsed.root.bodyStart <= raw.length) length = parsed.root.bodyStart;
      else if (raw.subarray(0, 2).equals(CRLF)) length = 2;
      else {
        const end = raw.indexOf(CRLF_CRLF);
        length = end < 0 ? raw.length : end + 4;
      }
      this.header = raw.subarray(0, length);
    }
    return this.header;
  }

  private raw(): Buffer {
    if (!this.message.raw) throw new Error('SEARCH key needs the message bytes; read them per request.needs');
    return this.message.raw;
  }
}
