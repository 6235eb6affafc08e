/**
 * SORT criteria (RFC 5256 §3, DISPLAYFROM/DISPLAYTO from RFC 5957 §3) and the ordering they
 * define, pure: criteria tokens in, a comparison of messages out.
 *
 * Invariants:
 * - Strings compare with i;ascii-casemap (RFC 5256 §2.4 default; RFC 4790 §9.2): a-z fold to
 *   A-Z, then octets of the UTF-8 form compare, which is why non-ASCII keys are compared through
 *   their UTF-8 bytes and not as UTF-16 code units.
 * - DATE is the sent date in UTC, or INTERNALDATE when the Date header is missing or unreadable
 *   (RFC 5256 §2.2). A missing address or subject sorts as the empty string.
 * - REVERSE turns only the criterion after it around; when every criterion ties, the lower
 *   sequence number comes first (RFC 5256 §3), whatever REVERSE said.
 * - Keys are computed once per message, then indices are sorted: a 100,000-message SORT (DATE)
 *   compares numbers only. Address and subject keys come folded already (`SortKeys`, kept per
 *   blob by keys-cache.ts); a bare summary is folded here.
 */
import { imapBad } from '../../errors.js';
import type { MessageMeta, MessageSummary } from '../../store/types.js';
import type { Token } from '../protocol/types.js';

export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

const KEYS = new Set<string>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);

/** Keys read from the message summary; ARRIVAL and SIZE come from the message's meta. */
const SUMMARY_KEYS = new Set<SortKey>(['CC', 'FROM', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);

/** `sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"`, `sort-criterion = ["REVERSE" SP] sort-key`. */
export function parseSortCriteria(token: Token | undefined): SortCriterion[] {
  if (token?.type !== 'list' || token.items.length === 0) throw imapBad('SORT needs a list of sort criteria');
  const criteria: SortCriterion[] = [];
  let reverse = false;
  for (const item of token.items) {
    const name = item.type === 'atom' && !item.section && !item.partial ? item.value.toUpperCase() : '';
    if (name === 'REVERSE') {
      if (reverse) throw imapBad('REVERSE must be followed by a sort key');
      reverse = true;
    } else if (KEYS.has(name)) {
      criteria.push({ key: name as SortKey, reverse });
      reverse = false;
    } else {
      throw imapBad(`Unknown sort key ${name || '(not an atom)'}`);
    }
  }
  if (reverse) throw imapBad('REVERSE must be followed by a sort key');
  return criteria;
}

/**
 * A message's SORT and THREAD keys (RFC 5256 §2, §3; RFC 5957 §3) from its summary, with every
 * compared string already folded by `casemap`: comparing two keys is one `<`.
 */
export interface SortKeys {
  sentDate: number | null;
  subject: string;
  from: string;
  to: string;
  cc: string;
  displayFrom: string;
  displayTo: string;
  /** THREAD=REFERENCES needs these three as the summary has them (not folded). */
  replyOrForward: boolean;
  messageId: string | null;
  references: readonly string[];
}

/**
 * The keys of a summary. `intern` may map equal strings to one instance (subjects, addresses and
 * message ids repeat across a mailbox), which saves memory where keys are kept.
 */
export function sortKeysOf(summary: MessageSummary, intern: (text: string) => string = (text) => text): SortKeys {
  return {
    sentDate: summary.sentDate,
    subject: intern(casemap(summary.baseSubject)),
    from: intern(casemap(summary.fromMailbox)),
    to: intern(casemap(summary.toMailbox)),
    cc: intern(casemap(summary.ccMailbox)),
    displayFrom: intern(casemap(summary.fromDisplay)),
    displayTo: intern(casemap(summary.toDisplay)),
    replyOrForward: summary.replyOrForward,
    messageId: summary.messageId === null ? null : intern(summary.messageId),
    references: summary.references.length === 0 ? NO_REFERENCES : summary.references.map(intern),
  };
}

const NO_REFERENCES: readonly string[] = Object.freeze([]);

/** The keys of a message whose summary is unknown (its blob is missing): empty strings sort first. */
export const NO_SORT_KEYS: SortKeys = Object.freeze({
  sentDate: null,
  subject: '',
  from: '',
  to: '',
  cc: '',
  displayFrom: '',
  displayTo: '',
  replyOrForward: false,
  messageId: null,
  references: NO_REFERENCES,
});

/**
 * A message to sort: its sequence number, meta and, when a criterion needs them, its keys
 * (`keys`, or a `summary` to take them from).
 */
export interface SortInput {
  seq: number;
  meta: MessageMeta;
  summary?: MessageSummary;
  keys?: SortKeys;
}

/**
 * Whether the criteria need summaries for these messages: address and subject keys always,
 * DATE only for records stored before the sent date was kept in the meta.
 */
export function needsSummaries(criteria: SortCriterion[], messages: SortInput[]): boolean {
  if (criteria.some((criterion) => SUMMARY_KEYS.has(criterion.key))) return true;
  return criteria.some((criterion) => criterion.key === 'DATE') && messages.some((message) => message.meta.sentDate === undefined);
}

/** The messages in the order the criteria define (a new array). */
export function sortMessages<T extends SortInput>(messages: T[], criteria: SortCriterion[]): T[] {
  const folded = criteria.some((criterion) => SUMMARY_KEYS.has(criterion.key))
    ? messages.map((message) => message.keys ?? (message.summary ? sortKeysOf(message.summary) : NO_SORT_KEYS))
    : null;
  const keys = criteria.map((criterion) => messages.map((message, index) => sortKeyValue(criterion.key, message, folded?.[index] ?? NO_SORT_KEYS)));
  const order = messages.map((_, index) => index);
  order.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const x = keys[i][a];
      const y = keys[i][b];
      if (x === y) continue;
      const less = x < y ? -1 : 1;
      return criteria[i].reverse ? -less : less;
    }
    return messages[a].seq - messages[b].seq;
  });
  return order.map((index) => messages[index]);
}

function sortKeyValue(key: SortKey, message: SortInput, keys: SortKeys): number | string {
  switch (key) {
    case 'ARRIVAL':
      return message.meta.internalDate;
    case 'SIZE':
      return message.meta.size;
    case 'DATE':
      return sentDate(message);
    case 'CC':
      return keys.cc;
    case 'FROM':
      return keys.from;
    case 'TO':
      return keys.to;
    case 'SUBJECT':
      return keys.subject;
    case 'DISPLAYFROM':
      return keys.displayFrom;
    case 'DISPLAYTO':
      return keys.displayTo;
  }
}

/** RFC 5256 §2.2: the Date header in UTC, else INTERNALDATE. */
export function sentDate(message: SortInput): number {
  const stored = message.meta.sentDate !== undefined ? message.meta.sentDate : (message.keys?.sentDate ?? message.summary?.sentDate);
  return stored ?? message.meta.internalDate;
}

/**
 * i;ascii-casemap as a key that JavaScript's `<` orders correctly: ASCII letters upper-cased,
 * and non-ASCII text turned into its UTF-8 octets (one char per octet) so that code-unit order
 * is octet order.
 */
export function casemap(text: string): string {
  // ASCII text (the common case): toUpperCase changes exactly a-z there, natively.
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return text.toUpperCase();
  const folded = text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
  return Buffer.from(folded, 'utf8').toString('latin1');
}
