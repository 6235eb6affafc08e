/**
 * The DNS resolver: static records first (and only, for listed names or staticOnly), node's
 * shapes and error codes, a real server on loopback for network answers, the cache (answers and
 * non-existence, never failures), shared concurrent queries, and real timeouts.
 */
import t from 'tap';
import { createResolver } from '../../src/dns/resolver.js';
import { dnsConfig, startDnsServer } from './helpers.js';

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
};

t.test('static records answer in the shapes of dns.promises.resolve', async (t) => {
  const resolver = createResolver(
    dnsConfig({
      static: {
        'Example.ORG.': { TXT: ['v=spf1 ip4:127.0.0.1 -all'], MX: ['10 MX1.example.org', '20 mx2.example.org.'], A: ['192.0.2.1'] },
        'null.example': { MX: ['0 .'] },
      },
    }),
  );
  const { resolve } = resolver;
  t.same(await resolve('example.org', 'TXT'), [['v=spf1 ip4:127.0.0.1 -all']]);
  t.same(await resolver.resolveTxt('example.org'), [['v=spf1 ip4:127.0.0.1 -all']], 'per-type names answer the same');
  t.same(await resolver.resolveMx('example.org'), [{ priority: 10, exchange: 'mx1.example.org' }, { priority: 20, exchange: 'mx2.example.org' }]);
  t.same(await resolver.resolve4('example.org'), ['192.0.2.1']);
  t.equal(await codeOf(resolver.resolve6('example.org')), 'ENODATA');
  t.same(await resolve('EXAMPLE.org.', 'MX'), [{ priority: 10, exchange: 'mx1.example.org' }, { priority: 20, exchange: 'mx2.example.org' }], 'names are case-insensitive, trailing dot ignored');
  t.same(await resolve('example.org', 'A'), ['192.0.2.1']);
  t.same(await resolve('null.example', 'MX'), [{ priority: 0, exchange: '' }], 'null MX (RFC 7505) as node reports it');
  t.equal(await codeOf(resolve('example.org', 'AAAA')), 'ENODATA', 'a listed name answers only from the static records');
  t.equal(await codeOf(resolve('other.example', 'TXT')), 'ENOTFOUND', 'staticOnly: unlisted names do not exist');

  const first = await resolve('example.org', 'MX');
  first.pop();
  t.equal((await resolve('example.org', 'MX')).length, 2, 'callers get copies');
});

t.test('malformed static records stop start-up with the entry named', async (t) => {
  t.throws(() => createResolver(dnsConfig({ static: { 'a.example': { MX: ['mx.example'] } } })), /a\.example\.MX\[0\]/);
  t.throws(() => createResolver(dnsConfig({ static: { 'a.example': { SRV: ['x'] } as never } })), /unsupported type/);
});

t.test('network answers are cached up to cacheSeconds; failures are not', async (t) => {
  const server = await startDnsServer(t, { 'net.example': { TXT: ['hello', 'x'.repeat(300)], A: ['192.0.2.7'] } });
  let now = 1_000_000;
  const { resolve } = createResolver(dnsConfig({ servers: [server.address], staticOnly: false, cacheSeconds: 30 }), { now: () => now });

  const txt = await resolve('net.example', 'TXT');
  t.same(txt.map((chunks) => chunks.join('')).sort(), ['hello', 'x'.repeat(300)], 'TXT over 255 octets arrives in character-strings');
  t.same(await resolve('net.example', 'A'), ['192.0.2.7']);
  await resolve('net.example', 'TXT');
  t.equal(server.queries.filter((query) => query.name === 'net.example').length, 2, 'second TXT lookup came from the cache');

  t.equal(await codeOf(resolve('missing.example', 'TXT')), 'ENOTFOUND');
  t.equal(await codeOf(resolve('missing.example', 'TXT')), 'ENOTFOUND');
  t.equal(server.queries.filter((query) => query.name === 'missing.example').length, 1, 'NXDOMAIN is cached too');

  now += 31_000;
  await resolve('net.example', 'TXT');
  t.equal(server.queries.filter((query) => query.name === 'net.example').length, 3, 'expired entries are asked again');

  await Promise.all([resolve('burst.example', 'A').catch(() => null), resolve('burst.example', 'A').catch(() => null)]);
  t.equal(server.queries.filter((query) => query.name === 'burst.example').length, 1, 'concurrent identical queries share one request');
});

t.test('a server that does not answer is a timeout (temporary), never cached', async (t) => {
  const server = await startDnsServer(t, {}, { silent: true });
  const { resolve } = createResolver(dnsConfig({ servers: [server.address], staticOnly: false, timeoutMs: 50, tries: 1, cacheSeconds: 60 }));
  t.equal(await codeOf(resolve('slow.example', 'TXT')), 'ETIMEOUT');
  const before = server.queries.length;
  t.equal(await codeOf(resolve('slow.example', 'TXT')), 'ETIMEOUT');
  t.ok(server.queries.length > before, 'the second lookup asked again');
});
