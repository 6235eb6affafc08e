/**
 * What SEARCH matches against, computed once at delivery (like the MIME tree) so that searching
 * a large mailbox reads small prepared records instead of decoding every message again
 * (RFC 9051 §6.4.4: string keys are case-insensitive substring matches on decoded text).
 *
 * - Search fields: the decoded, folded values of From, To, Cc, Bcc and Subject, every occurrence
 *   (the header keys clients use; HEADER with any other field still reads the header block),
 *   plus for the address fields each address's `mailbox@host` where the text lacks it.
 * - Search text: the decoded, folded header text, one LF, then the decoded, folded text of the
 *   body's text parts, as UTF-8. Folding turns every white-space run (LF included) into one
 *   space, so neither half holds an LF and no folded needle can match across the two: TEXT
 *   searches the whole buffer, BODY the part after the LF.
 *
 * Invariants: `foldForSearch` is THE normalisation of haystacks and needles alike (case folded,
 * white-space runs as one space); matching on UTF-8 octets equals matching on the strings,
 * because UTF-8 is self-synchronising. Pure: no I/O, never throws on malformed input.
 */
import { parseAddressList } from './address.js';
import { decodeHeaderValue, headerValues } from './headers.js';
import { textParts } from './text.js';
import type { ParsedMessage } from './types.js';

/** Header fields whose folded values are kept per message (lower-case names). */
export const SEARCH_FIELDS = ['from', 'to', 'cc', 'bcc', 'subject'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];
export type SearchFields = Record<SearchField, string[]>;

const LF = 0x0a;

/** Case folded, every white-space run read as one space: for haystacks and needles alike. */
export function foldForSearch(text: string): string {
  return text.replace(/\s+/g, ' ').toLowerCase();
}

export function isSearchField(field: string): field is SearchField {
  return (SEARCH_FIELDS as readonly string[]).includes(field);
}

/** Folded decoded values of the search fields, from the header block. */
export function searchFields(header: Buffer): SearchFields {
  const fields = {} as SearchFields;
  for (const field of SEARCH_FIELDS) fields[field] = searchFieldValues(headerValues(header, field), field);
  return fields;
}

const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['from', 'to', 'cc', 'bcc']);

/**
 * Folded decoded values of one search field. FROM/TO/CC/BCC match "the envelope structure's
 * field" (RFC 9051 §6.4.4), so each address also adds its `mailbox@host` as the ENVELOPE gives
 * it when the header text does not hold it as such (`<user (note)@ host>`, obsolete routes).
 */
export function searchFieldValues(rawValues: string[], field: string): string[] {
  const values = rawValues.map((value) => foldForSearch(decodeHeaderValue(value)));
  if (!ADDRESS_FIELDS.has(field)) return values;
  for (const raw of rawValues) {
    for (const address of parseAddressList(raw) ?? []) {
      const [, , mailbox, host] = address as (string | null)[];
      if (typeof mailbox !== 'string' || mailbox === '' || typeof host !== 'string') continue;
      const spec = foldForSearch(host === '' ? mailbox : `${mailbox}@${host}`);
      if (!values.some((value) => value.includes(spec))) values.push(spec);
    }
  }
  return values;
}

/** The whole header, unfolded, each field decoded, then folded. */
export function searchHeaderText(header: Buffer): string {
  return foldForSearch(
    header
      .toString('utf8')
      .replace(/\r?\n(?=[ \t])/g, '')
      .split(/\r?\n/)
      .map((line) => decodeHeaderValue(line))
      .join('\n'),
  );
}

/** Parts compared with each other for containment at most (the comparison is quadratic). */
const MAX_DEDUPLICATED_PARTS = 16;

/**
 * Folded header text, LF, folded body text, as UTF-8. `raw` is the whole message. A text part
 * whose folded text occurs within another part's (the text/plain alternative of an HTML part,
 * typically) is left out: every needle it matches, the other part matches too.
 */
export function searchText(raw: Buffer, parsed: ParsedMessage): Buffer {
  const header = raw.subarray(0, Math.min(parsed.root.bodyStart, raw.length));
  let parts = textParts(raw, parsed).map(foldForSearch);
  if (parts.length > 1 && parts.length <= MAX_DEDUPLICATED_PARTS) {
    parts = parts.filter((part, i) => !parts.some((other, j) => j !== i && other.includes(part) && (other.length > part.length || j < i)));
  }
  return Buffer.from(`${searchHeaderText(header)}\n${foldForSearch(parts.join('\n'))}`, 'utf8');
}

/** Whether a folded needle occurs in a search text: anywhere ('text') or in the body part. */
export function searchTextContains(text: Buffer, foldedNeedle: Buffer, where: 'text' | 'body'): boolean {
  const start = where === 'text' ? 0 : text.indexOf(LF) + 1;
  if (foldedNeedle.length === 0) return true;
  return text.indexOf(foldedNeedle, start) >= 0;
}
