/**
 * SEARCH fields (mime/search-index.ts) of many blobs in memory, packed: one string per blob
 * instead of an object of five arrays of strings (about 210 octets per message instead of 570
 * on the 100,000-message benchmark INBOX), since the start-up warm-up keeps a large mailbox's
 * fields for good. A field's values are split out only when SEARCH reads that field.
 *
 * Invariants: what `get` returns reads exactly like what was stored (same fields, same values,
 * `[]` for none). Values that the packing could not tell apart (one holding a separator, an
 * empty value, which differs from no value) are kept unpacked. At most `maxEntries` blobs, the
 * oldest dropped first, a tenth at once so that eviction is not paid per message.
 */
import { SEARCH_FIELDS, type SearchField, type SearchFields } from '../../mime/search-index.js';

const FIELD_SEPARATOR = '\x1f';
const VALUE_SEPARATOR = '\x1e';

export class SearchFieldCache {
  private readonly entries = new Map<string, string | SearchFields>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(blobId: string): SearchFields | null {
    const entry = this.entries.get(blobId);
    if (entry === undefined) return null;
    return typeof entry === 'string' ? new PackedSearchFields(entry) : entry;
  }

  set(found: ReadonlyMap<string, SearchFields | null>): void {
    if (this.entries.size + found.size > this.maxEntries) {
      let drop = this.entries.size + found.size - this.maxEntries + this.maxEntries / 10;
      for (const id of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(id);
      }
    }
    for (const [id, fields] of found) if (fields) this.entries.set(id, pack(fields));
  }

  delete(blobId: string): void {
    this.entries.delete(blobId);
  }
}

function pack(fields: SearchFields): string | SearchFields {
  const packed: string[] = [];
  for (const field of SEARCH_FIELDS) {
    const values = fields[field];
    if (values.some((value) => value === '' || value.includes(FIELD_SEPARATOR) || value.includes(VALUE_SEPARATOR))) return fields;
    packed.push(values.join(VALUE_SEPARATOR));
  }
  return packed.join(FIELD_SEPARATOR);
}

const FIELD_INDEX = new Map<SearchField, number>(SEARCH_FIELDS.map((field, i) => [field, i]));

/** Reads like SearchFields; each field is split out of the packed string when read. */
class PackedSearchFields implements SearchFields {
  constructor(private readonly packed: string) {}

  get from(): string[] {
    return this.values('from');
  }

  get to(): string[] {
    return this.values('to');
  }

  get cc(): string[] {
    return this.values('cc');
  }

  get bcc(): string[] {
    return this.values('bcc');
  }

  get subject(): string[] {
    return this.values('subject');
  }

  private values(field: SearchField): string[] {
    let start = 0;
    for (let i = FIELD_INDEX.get(field)!; i > 0; i--) start = this.packed.indexOf(FIELD_SEPARATOR, start) + 1;
    const end = this.packed.indexOf(FIELD_SEPARATOR, start);
    const text = this.packed.slice(start, end === -1 ? undefined : end);
    return text === '' ? [] : text.split(VALUE_SEPARATOR);
  }
}
