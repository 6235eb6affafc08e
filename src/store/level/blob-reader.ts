/**
 * The read side of blobs (a message's bytes, shared by every copy): header and body bytes, the
 * prepared SEARCH records (mime/search-index.ts) and the SORT/THREAD summaries.
 *
 * Invariants: a blob's content never changes once written, so whatever is derived from it may be
 * kept in memory for as long as the blob exists. The SEARCH fields are kept so, packed and
 * bounded (search-field-cache.ts): they enter the cache when read and when the batch that writes
 * the blob is durable (`written`, called by the committer), and leave it with the blob.
 * Blobs stored before a record kind existed get theirs computed on read, never written back:
 * reads never write.
 */
import { StoreError } from '../../errors.js';
import { searchFields, searchText, type SearchFields } from '../../mime/search-index.js';
import { summarizeMessage, type MessageSummary } from '../../mime/summary.js';
import type { BatchOp } from './committer.js';
import type { Sublevels } from './keys.js';
import { SearchFieldCache } from './search-field-cache.js';

/** Blobs whose SEARCH fields are kept in memory. */
const MAX_CACHED_SEARCH_FIELDS = 400_000;

export class BlobReader {
  private readonly searchFieldCache = new SearchFieldCache(MAX_CACHED_SEARCH_FIELDS);

  constructor(private readonly s: Sublevels) {}

  async readBlob(blobId: string, part: 'header' | 'full'): Promise<Buffer> {
    const header = await this.s.blobHeads.get(blobId);
    if (!header) throw new StoreError('not-found', `Blob ${blobId} does not exist`);
    if (part === 'header') return header;
    const body = await this.s.blobBodies.get(blobId);
    return body && body.length > 0 ? Buffer.concat([header, body]) : header;
  }

  async readBlobs(blobIds: string[], part: 'header' | 'full'): Promise<Array<Buffer | null>> {
    if (blobIds.length === 0) return [];
    const [heads, bodies] = await Promise.all([
      this.s.blobHeads.getMany(blobIds),
      part === 'full' ? this.s.blobBodies.getMany(blobIds) : null,
    ]);
    return heads.map((header, i) => {
      if (!header) return null;
      const body = bodies?.[i];
      return body && body.length > 0 ? Buffer.concat([header, body]) : header;
    });
  }

  /**
   * Kept in memory once read: a blob's bytes never change, so neither do its fields. Blobs stored
   * before these records existed get theirs computed from the header block (not written back:
   * reads never write).
   */
  async getSearchFields(blobIds: string[]): Promise<Array<SearchFields | null>> {
    const result = blobIds.map((id) => this.searchFieldCache.get(id) ?? null);
    const missing = blobIds.filter((_, i) => result[i] === null);
    if (missing.length === 0) return result;
    const stored = await this.s.blobSearchFields.getMany(missing);
    const unprepared = missing.filter((_, i) => stored[i] === undefined);
    const heads = unprepared.length > 0 ? await this.s.blobHeads.getMany(unprepared) : [];
    const computed = new Map(unprepared.map((id, i) => [id, heads[i] ? searchFields(heads[i]!) : null]));
    const found = new Map(missing.map((id, i) => [id, stored[i] ?? computed.get(id) ?? null]));
    this.searchFieldCache.set(found);
    return blobIds.map((id, i) => result[i] ?? found.get(id) ?? null);
  }

  /**
   * A durable batch's new blobs: their SEARCH fields go into the cache as they are written, so
   * that a mailbox filled by this process (delivery, APPEND, import) is searched without reads;
   * a deleted blob's leave it.
   */
  written(ops: readonly BatchOp[]): void {
    let written: Map<string, SearchFields | null> | null = null;
    for (const op of ops) {
      if (op.sublevel !== this.s.blobSearchFields) continue;
      if (op.type === 'put') (written ??= new Map()).set(op.key as string, op.value as SearchFields);
      else this.searchFieldCache.delete(op.key as string);
    }
    if (written) this.searchFieldCache.set(written);
  }

  /** Blobs stored before search texts existed get theirs computed from the message (not written back). */
  async readSearchText(blobIds: string[]): Promise<Array<Buffer | null>> {
    if (blobIds.length === 0) return [];
    const stored = await this.s.blobSearchText.getMany(blobIds);
    const unprepared = blobIds.filter((_, i) => stored[i] === undefined);
    if (unprepared.length === 0) return stored as Buffer[];
    const [raws, trees] = await Promise.all([this.readBlobs(unprepared, 'full'), this.s.blobParsed.getMany(unprepared)]);
    const computed = new Map(unprepared.map((id, i) => [id, raws[i] && trees[i] ? searchText(raws[i]!, trees[i]!) : null]));
    return blobIds.map((id, i) => stored[i] ?? computed.get(id) ?? null);
  }

  /**
   * Summaries (SORT/THREAD keys) of stored blobs, by blob id; unknown ids are skipped. One small
   * record per blob; a blob stored before summaries existed gets one computed from its header
   * and MIME tree (not written back: reads never write).
   */
  async getSummaries(blobIds: string[]): Promise<Map<string, MessageSummary>> {
    const unique = [...new Set(blobIds)];
    const stored = await this.s.blobSummaries.getMany(unique);
    const summaries = new Map<string, MessageSummary>();
    const missing: string[] = [];
    unique.forEach((id, i) => {
      const summary = stored[i];
      if (summary) summaries.set(id, summary);
      else missing.push(id);
    });
    if (missing.length > 0) {
      const [heads, trees] = await Promise.all([this.s.blobHeads.getMany(missing), this.s.blobParsed.getMany(missing)]);
      missing.forEach((id, i) => {
        const head = heads[i];
        const parsed = trees[i];
        if (head && parsed) summaries.set(id, summarizeMessage(head, parsed));
      });
    }
    return summaries;
  }
}
