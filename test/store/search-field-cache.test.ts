/**
 * The packed SEARCH field cache (store/level/search-field-cache.ts): what comes out reads exactly
 * like what went in, whatever the values hold, and the cache stays within its bound.
 */
import t from 'tap';
import { SEARCH_FIELDS, type SearchFields } from '../../src/mime/search-index.js';
import { SearchFieldCache } from '../../src/store/level/search-field-cache.js';

const fields = (values: Partial<SearchFields>): SearchFields => ({ from: [], to: [], cc: [], bcc: [], subject: [], ...values });
const plain = (read: SearchFields | null) => (read ? Object.fromEntries(SEARCH_FIELDS.map((field) => [field, read[field]])) : null);

t.test('every field reads back as stored', async (t) => {
  const cache = new SearchFieldCache(100);
  const cases: Record<string, SearchFields> = {
    typical: fields({ from: ['alice <alice@example.org>'], to: ['bob <bob@example.org>', 'carol@example.org'], subject: ['quarterly budget'] }),
    none: fields({}),
    'only the last field': fields({ subject: ['x'] }),
    'only the first field': fields({ from: ['a@b'] }),
    'non-latin text': fields({ from: ['jürgen <j@example.org>'], subject: ['会議の議事録 🚀'] }),
    'an empty value (a Subject: with nothing after it) differs from no value': fields({ subject: [''] }),
    'values holding the separators': fields({ to: ['a\x1eb', 'c'], subject: ['d\x1fe'] }),
  };
  cache.set(new Map(Object.entries(cases)));
  for (const [name, stored] of Object.entries(cases)) t.same(plain(cache.get(name)), stored, name);
  t.equal(cache.get('unknown'), null);
  t.same(cache.get('typical')!.to, ['bob <bob@example.org>', 'carol@example.org'], 'one field read alone');
  t.same(cache.get('none')!.cc, [], 'no value: an empty list');
});

t.test('a null entry is not kept; delete drops one; the oldest go first when full', async (t) => {
  const cache = new SearchFieldCache(10);
  cache.set(new Map([['gone', null]]));
  t.equal(cache.size, 0);
  cache.set(new Map(Array.from({ length: 10 }, (_, i) => [`b${i}`, fields({ subject: [`s${i}`] })])));
  cache.delete('b9');
  t.equal(cache.get('b9'), null);
  cache.set(new Map([['new', fields({ subject: ['n'] })]]));
  t.equal(cache.size, 10, 'within the bound');
  cache.set(new Map([['newer', fields({ subject: ['m'] })]]));
  t.ok(cache.size <= 10, 'still within the bound');
  t.equal(cache.get('b0'), null, 'the oldest was dropped');
  t.same(cache.get('newer')?.subject, ['m']);
  t.same(cache.get('new')?.subject, ['n']);
});
