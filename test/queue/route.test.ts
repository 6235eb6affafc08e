import t from 'tap';
import { Router, type Resolver } from '../../src/queue/route.js';
import { route, startPeer, startQueue } from './helpers.js';

const dnsError = (code: string) => Object.assign(new Error(`query ${code}`), { code });

/** A resolver answering from a table; names not in it do not exist. */
function tableResolver(table: { mx?: Record<string, Array<{ exchange: string; priority: number }> | string>; a?: Record<string, string[]>; aaaa?: Record<string, string[]> }): Resolver {
  const lookup = async <T>(map: Record<string, T | string> | undefined, name: string): Promise<T> => {
    const value = map?.[name];
    if (value === undefined) throw dnsError('ENOTFOUND');
    if (typeof value === 'string') throw dnsError(value);
    return value;
  };
  return {
    resolveMx: (domain) => lookup(table.mx, domain),
    resolve4: (host) => lookup(table.a, host).catch((error) => (table.aaaa?.[host] ? Promise.reject(dnsError('ENODATA')) : Promise.reject(error))),
    resolve6: (host) => lookup(table.aaaa, host).catch((error) => (table.a?.[host] ? Promise.reject(dnsError('ENODATA')) : Promise.reject(error))),
  };
}

t.test('Router: routes first, "*" as smarthost, then MX by preference with AAAA before A', async (t) => {
  const resolver = tableResolver({
    mx: { 'example.net': [{ exchange: 'mx2.example.net', priority: 20 }, { exchange: 'mx1.example.net', priority: 10 }] },
    a: { 'mx1.example.net': ['192.0.2.1'], 'mx2.example.net': ['192.0.2.2'] },
    aaaa: { 'mx1.example.net': ['2001:db8::1'] },
  });
  const routed = new Router({ routes: { 'inner.test': route(2525, { tls: 'required-starttls', user: 'u', password: 'p' }) }, resolver });
  const inner = await routed.nextHop('inner.test');
  t.match(inner, { ok: true, value: { destination: 'route:inner.test', kind: 'route', tls: 'required-starttls', auth: { user: 'u', pass: 'p' }, hosts: [{ host: '127.0.0.1', port: 2525 }] } });
  const mx = await routed.nextHop('example.net');
  t.match(mx, { ok: true, value: { destination: 'mx:example.net', kind: 'mx', tls: 'starttls', auth: null, hosts: [{ host: 'mx1.example.net', port: 25 }, { host: 'mx2.example.net', port: 25 }] } });
  if (!mx.ok) throw new Error('unreachable');
  const addresses = await routed.addresses(mx.value);
  t.same(addresses, { ok: true, value: [
    { host: 'mx1.example.net', ip: '2001:db8::1', port: 25 },
    { host: 'mx1.example.net', ip: '192.0.2.1', port: 25 },
    { host: 'mx2.example.net', ip: '192.0.2.2', port: 25 },
  ] });
  const smarthost = new Router({ routes: { '*': route(587, { host: 'smtp.provider.test' }) }, resolver });
  t.match(await smarthost.nextHop('anything.test'), { ok: true, value: { destination: 'route:*', hosts: [{ host: 'smtp.provider.test', port: 587 }] } });
});

t.test('Router: implicit MX, null MX, missing domain, DNS trouble', async (t) => {
  const resolver = tableResolver({
    mx: { 'nomx.test': 'ENODATA', 'null.test': [{ exchange: '', priority: 0 }], 'broken.test': 'ESERVFAIL', 'noaddr.test': [{ exchange: 'mx.noaddr.test', priority: 0 }] },
    a: { 'nomx.test': ['192.0.2.9'] },
  });
  const router = new Router({ routes: {}, resolver });
  const implicit = await router.nextHop('nomx.test');
  t.match(implicit, { ok: true, value: { hosts: [{ host: 'nomx.test', port: 25 }] } }, 'no MX: the domain itself (RFC 5321 §5.1)');
  t.match(await router.nextHop('null.test'), { ok: false, permanent: true, reply: { code: 556, enhanced: '5.1.10' } }, 'RFC 7505');
  t.match(await router.nextHop('missing.test'), { ok: false, permanent: true, reply: { code: 550, enhanced: '5.1.2' } });
  t.match(await router.nextHop('broken.test'), { ok: false, permanent: false, reply: { enhanced: '4.4.3' } }, 'SERVFAIL is temporary');
  const noaddr = await router.nextHop('noaddr.test');
  if (!noaddr.ok) throw new Error('expected a hop');
  t.match(await router.addresses(noaddr.value), { ok: false, permanent: true, reply: { enhanced: '5.4.4' } });
  const flaky = new Router({ routes: {}, resolver: { ...resolver, resolve4: async () => Promise.reject(dnsError('ETIMEOUT')), resolve6: async () => Promise.reject(dnsError('ETIMEOUT')) } });
  t.match(await flaky.addresses(noaddr.value), { ok: false, permanent: false }, 'a timeout is temporary');
});

t.test('MX delivery: the first MX is down, the second takes the message; null MX bounces at once', async (t) => {
  const peer = await startPeer(t);
  // Both MX hosts are loopback addresses: nothing listens on 127.0.0.2 at the peer's port.
  const resolver = tableResolver({
    mx: { 'remote.test': [{ exchange: 'mx1.remote.test', priority: 10 }, { exchange: 'mx2.remote.test', priority: 20 }], 'null.test': [{ exchange: '.', priority: 0 }] },
    a: { 'mx1.remote.test': ['127.0.0.2'], 'mx2.remote.test': ['127.0.0.1'] },
  });
  const h = await startQueue(t, { resolver, mxPort: peer.port });
  await h.enqueue({ to: ['bob@remote.test', 'someone@null.test'] });
  await h.until(() => h.events.some((event) => event.type === 'removed'), 'removal');
  const attempts = h.events.filter((event) => event.type === 'attempt');
  t.match(attempts[0], { host: 'mx1.remote.test', ip: '127.0.0.2', reply: { code: null } }, 'first MX refused');
  t.match(attempts[1], { host: 'mx2.remote.test', ip: '127.0.0.1', reply: { code: 250 } }, 'second MX delivered');
  t.equal(peer.accepted().length, 1);
  t.match(h.events.find((event) => event.type === 'failed'), { recipient: 'someone@null.test', reason: 'permanent', reply: { code: 556, enhanced: '5.1.10' } });
  t.equal(h.dsns.length, 1, 'a bounce for the null-MX recipient');
});
