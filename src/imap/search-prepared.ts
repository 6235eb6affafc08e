/**
 * SEARCH from prepared records: when every key of a program can be answered from the message's
 * meta, its prepared search fields (From, To, Cc, Bcc, Subject) and its prepared search text
 * (BODY, TEXT) — see mime/search-index.ts — matching reads only those small records, in large
 * batches, the next batch read while the current one is matched. A 100,000-message mailbox is
 * then searched without decoding a single message.
 *
 * Invariants: the answer is the one the general path (search-results.ts) gives, since both match
 * with the same normalisation (foldForSearch); a program with any other content key (HEADER of
 * another field, SENT* dates) returns null from preparedSources and takes the general path.
 */
import { isSearchField } from '../mime/search-index.js';
import type { SearchFields } from '../mime/search-index.js';
import { matchesSearch, type SearchKey, type SearchRequest } from './search/index.js';
import type { SearchContext } from './search/keys.js';
import type { ViewMessage } from './selected.js';
import type { Session } from './session.js';

export interface PreparedSources {
  fields: boolean;
  text: boolean;
}

/** Messages per read: search fields are ~200 octets, search texts a few KB. */
const FIELDS_BATCH = 2048;
const TEXT_BATCH = 128;
/**
 * Reads in flight while a batch is matched: the store decompresses and copies in its worker
 * threads, so several outstanding reads use more than one core.
 */
const READ_AHEAD = 3;

/** What prepared records a program needs, or null when some key needs the message itself. */
export function preparedSources(key: SearchKey): PreparedSources | null {
  const sources: PreparedSources = { fields: false, text: false };
  const visit = (k: SearchKey): boolean => {
    switch (k.kind) {
      case 'and':
        return k.keys.every(visit);
      case 'or':
        return visit(k.left) && visit(k.right);
      case 'not':
        return visit(k.key);
      case 'header':
        sources.fields = true;
        return isSearchField(k.field);
      case 'body':
      case 'text':
        sources.text = true;
        return true;
      case 'date':
        return k.field !== 'sent';
      default:
        return true;
    }
  };
  return visit(key) ? sources : null;
}

interface Batch {
  fields: Array<SearchFields | null> | null;
  texts: Array<Buffer | null> | null;
}

/** The view's messages matching the request, in sequence order, from prepared records only. */
export async function findPrepared(
  session: Session,
  request: SearchRequest,
  messages: ViewMessage[],
  context: SearchContext,
  sources: PreparedSources,
): Promise<ViewMessage[]> {
  const size = sources.text ? TEXT_BATCH : FIELDS_BATCH;
  const read = (start: number): Promise<Batch> | null => {
    if (start >= messages.length) return null;
    const blobIds = messages.slice(start, start + size).map((message) => message.meta.blobId);
    const pending = Promise.all([
      sources.fields ? session.store.getSearchFields(blobIds) : null,
      sources.text ? session.store.readSearchText(blobIds) : null,
    ]).then(([fields, texts]) => ({ fields, texts }));
    pending.catch(() => undefined);
    return pending;
  };
  const found: ViewMessage[] = [];
  const reads: Array<Promise<Batch> | null> = [];
  for (let ahead = 0; ahead < READ_AHEAD; ahead++) reads.push(read(ahead * size));
  for (let start = 0; start < messages.length; start += size) {
    const { fields, texts } = await reads.shift()!;
    reads.push(read(start + READ_AHEAD * size));
    const end = Math.min(messages.length, start + size);
    for (let i = start; i < end; i++) {
      const message = messages[i];
      const messageFields = fields?.[i - start];
      const text = texts?.[i - start];
      // A message whose blob is gone (expunged meanwhile) does not match a content key.
      if (messageFields === null || text === null) continue;
      const candidate = { seq: message.seq, meta: message.meta, fields: messageFields, text };
      if (matchesSearch(request.key, candidate, context)) found.push(message);
    }
  }
  return found;
}
