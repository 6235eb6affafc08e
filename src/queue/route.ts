/**
 * Next-hop resolution: where mail for a recipient domain goes.
 *
 * Order (first match wins):
 *   1. `routes[domain]` from the config: a fixed host, port, TLS mode and optional AUTH
 *      (the bridgehead role: inner servers the outside cannot reach);
 *   2. `routes["*"]`: a smarthost for everything else;
 *   3. DNS: MX records by preference (RFC 5321 §5.1); no MX records → the domain itself as an
 *      implicit MX (its A/AAAA); a null MX (RFC 7505: one record, exchange ".") → permanent
 *      failure 556 5.1.10; a domain that does not exist → permanent failure 550 5.1.2.
 *
 * Every host name is turned into addresses through the injected resolver (AAAA first, then A:
 * IPv6 where it works, IPv4 otherwise), so tests never touch real DNS. DNS trouble (timeouts,
 * SERVFAIL) is temporary: the recipient is deferred, never bounced on a resolver hiccup.
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import type { RouteConfig, RouteTlsMode } from '../config/schema.js';
import type { QueueReply } from '../store/types.js';

export interface Resolver {
  resolveMx(domain: string): Promise<Array<{ exchange: string; priority: number }>>;
  resolve4(host: string): Promise<string[]>;
  resolve6(host: string): Promise<string[]>;
}

/** node:dns with a bounded timeout and retries. */
export function systemResolver(timeoutMs = 10_000): Resolver {
  const resolver = new dnsPromises.Resolver({ timeout: timeoutMs, tries: 2 });
  return {
    resolveMx: (domain) => resolver.resolveMx(domain),
    resolve4: (host) => resolver.resolve4(host),
    resolve6: (host) => resolver.resolve6(host),
  };
}

export interface NextHop {
  /** Key for per-destination limits and connection reuse: "route:<key>" or "mx:<domain>". */
  destination: string;
  kind: 'route' | 'mx';
  tls: RouteTlsMode;
  auth: { user: string; pass: string } | null;
  verifyCertificate: boolean;
  /** Host names (or IPs) in preference order, each with its port. */
  hosts: Array<{ host: string; port: number }>;
}

export interface HopAddress {
  host: string;
  ip: string;
  port: number;
}

export type Resolution<T> = { ok: true; value: T } | { ok: false; permanent: boolean; reply: QueueReply };

const fail = (permanent: boolean, code: number | null, enhanced: string, text: string): { ok: false; permanent: boolean; reply: QueueReply } => ({
  ok: false,
  permanent,
  reply: { code, enhanced, text },
});

/** DNS answers that say "there is nothing", as opposed to "could not find out". */
const DEFINITE_NEGATIVE = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME']);

export interface RouterOptions {
  routes: Record<string, RouteConfig>;
  resolver: Resolver;
  /** Port for MX hosts; 25 in production, a loopback port in tests. */
  mxPort?: number;
}

export class Router {
  private readonly routes: Record<string, RouteConfig>;
  private readonly resolver: Resolver;
  private readonly mxPort: number;

  constructor(options: RouterOptions) {
    this.routes = options.routes;
    this.resolver = options.resolver;
    this.mxPort = options.mxPort ?? 25;
  }

  /** The next hop for a (lower-case) recipient domain. */
  async nextHop(domain: string): Promise<Resolution<NextHop>> {
    const routeKey = domain in this.routes ? domain : '*' in this.routes ? '*' : null;
    if (routeKey !== null) {
      const route = this.routes[routeKey];
      return {
        ok: true,
        value: {
          destination: `route:${routeKey}`,
          kind: 'route',
          tls: route.tls,
          auth: route.user ? { user: route.user, pass: route.password } : null,
          verifyCertificate: route.verifyCertificate,
          hosts: [{ host: route.host, port: route.port }],
        },
      };
    }
    let records: Array<{ exchange: string; priority: number }>;
    try {
      records = await this.resolver.resolveMx(domain);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOTFOUND' || code === 'ENONAME') return fail(true, 550, '5.1.2', `Domain ${domain} does not exist (DNS ${code})`);
      if (code === 'ENODATA') records = [];
      else return fail(false, null, '4.4.3', `DNS lookup of MX ${domain} failed (${code || (error as Error).message})`);
    }
    // RFC 7505 §3: a null MX is one record of preference 0 and exchange "." (resolvers give "").
    if (records.length === 1 && (records[0].exchange === '' || records[0].exchange === '.')) {
      return fail(true, 556, '5.1.10', `Domain ${domain} does not accept mail (null MX, RFC 7505)`);
    }
    const usable = records.filter((record) => record.exchange !== '' && record.exchange !== '.');
    const hosts = usable.length > 0
      ? [...usable].sort((a, b) => a.priority - b.priority).map((record) => ({ host: record.exchange.replace(/\.$/, ''), port: this.mxPort }))
      : [{ host: domain, port: this.mxPort }];
    return {
      ok: true,
      value: { destination: `mx:${domain}`, kind: 'mx', tls: 'starttls', auth: null, verifyCertificate: false, hosts },
    };
  }

  /** Addresses to try for a hop, in order; definite "no address anywhere" is permanent. */
  async addresses(hop: NextHop): Promise<Resolution<HopAddress[]>> {
    const out: HopAddress[] = [];
    let definite = true;
    let lastError = '';
    for (const { host, port } of hop.hosts) {
      const literal = host.replace(/^\[(IPv6:)?/i, '').replace(/\]$/, '');
      if (isIP(literal)) {
        out.push({ host, ip: literal, port });
        continue;
      }
      const [v6, v4] = await Promise.allSettled([this.resolver.resolve6(host), this.resolver.resolve4(host)]);
      for (const result of [v6, v4]) {
        if (result.status === 'fulfilled') {
          for (const ip of result.value) out.push({ host, ip, port });
        } else {
          const code = (result.reason as NodeJS.ErrnoException).code ?? '';
          if (!DEFINITE_NEGATIVE.has(code)) definite = false;
          lastError = code || (result.reason as Error).message;
        }
      }
    }
    if (out.length > 0) return { ok: true, value: out };
    const names = hop.hosts.map((entry) => entry.host).join(', ');
    return definite
      ? fail(true, 550, '5.4.4', `No address found for ${names}`)
      : fail(false, null, '4.4.3', `DNS lookup of ${names} failed (${lastError})`);
  }
}

/** The server's shared resolver (src/dns/resolver.ts, `resolve(name, type)`) as the queue's Resolver. */
export function queueResolver(shared: { resolve(name: string, type: string): Promise<unknown[]> }): Resolver {
  return {
    resolveMx: async (domain) => (await shared.resolve(domain, 'MX')) as Array<{ exchange: string; priority: number }>,
    resolve4: async (host) => (await shared.resolve(host, 'A')) as string[],
    resolve6: async (host) => (await shared.resolve(host, 'AAAA')) as string[],
  };
}
