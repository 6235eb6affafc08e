/**
 * The configuration schema: every key of config.json with its type, range, default and meaning.
 * One declaration serves validation (with the key's path in every error), defaults, and the
 * documentation table in the README (`bridgehead config --describe`).
 */

export type SchemaNode =
  /** `sections`: keys other than `fields` are kept unchecked for another validator (plugin config sections). */
  | { kind: 'object'; description: string; fields: Record<string, SchemaNode>; sections?: string }
  | { kind: 'integer'; description: string; min: number; max: number; default: number }
  | { kind: 'string'; description: string; default: string; pattern?: RegExp; patternText?: string }
  | { kind: 'boolean'; description: string; default: boolean }
  | { kind: 'path'; description: string; default: string | null }
  | { kind: 'enum'; description: string; values: readonly string[]; default: string }
  /** A list of strings, each matching `pattern`. */
  | { kind: 'list'; description: string; default: readonly string[]; pattern?: RegExp; patternText?: string }
  /** An object with free keys (matching `keyPattern`), each value checked against `value`. */
  | { kind: 'map'; description: string; keyPattern: RegExp; keyPatternText: string; value: SchemaNode; default: Record<string, never> };

const integer = (description: string, min: number, max: number, value: number): SchemaNode => ({
  kind: 'integer', description, min, max, default: value,
});
const port = (description: string, value: number) => integer(description, 1, 65535, value);
const host = (description: string): SchemaNode => ({
  kind: 'string', description, default: '127.0.0.1',
  pattern: /^[0-9A-Za-z.:_-]+$/, patternText: 'an IP address or host name',
});
const enabled = (what: string): SchemaNode => ({ kind: 'boolean', description: `Whether the ${what} listener runs.`, default: true });

const listener = (what: string, portNumber: number): SchemaNode => ({
  kind: 'object',
  description: `The ${what} listener.`,
  fields: {
    enabled: enabled(what),
    host: host(`Address the ${what} listener binds to; "0.0.0.0" or "::" for all interfaces.`),
    port: port(`TCP port of the ${what} listener.`, portNumber),
  },
});

export const configSchema = {
  kind: 'object',
  description: 'Bridgehead configuration.',
  fields: {
    hostname: {
      kind: 'string', description: 'This server\'s host name: greetings, Received headers, certificate name.',
      default: 'localhost', pattern: /^[0-9A-Za-z.-]+$/, patternText: 'a host name',
    },
    dataDir: { kind: 'path', description: 'Folder for the mail store, certificate and control socket (relative to the config file, or to the working directory without one).', default: 'data' },
    log: {
      kind: 'object', description: 'Logging (pino JSON lines on stdout).',
      fields: {
        level: { kind: 'enum', description: 'Least severe level logged.', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
      },
    },
    tls: {
      kind: 'object', description: 'TLS certificate for all listeners. Both null: a self-signed certificate is generated in dataDir/tls on first start.',
      fields: {
        cert: { kind: 'path', description: 'PEM certificate chain file.', default: null },
        key: { kind: 'path', description: 'PEM private key file.', default: null },
      },
    },
    smtp: {
      kind: 'object', description: 'SMTP: inbound MX and authenticated submission.',
      fields: {
        maxMessageSize: integer('Largest message accepted, in octets (SIZE, RFC 1870).', 1024, 2 ** 31 - 1, 26_214_400),
        maxRecipients: integer('Most recipients per message.', 1, 10_000, 100),
        maxConnections: integer('Most simultaneous connections per listener.', 1, 100_000, 200),
        idleTimeoutSeconds: integer('Close a connection silent for this long.', 10, 3600, 300),
        mx: listener('SMTP MX (port 25 in production)', 2525),
        submission: listener('submission with STARTTLS (port 587 in production)', 2587),
        submissions: listener('submission with implicit TLS (port 465 in production)', 2465),
      },
    },
    imap: {
      kind: 'object', description: 'IMAP access to mailboxes.',
      fields: {
        maxConnections: integer('Most simultaneous IMAP connections in all.', 1, 100_000, 2000),
        idleTimeoutSeconds: integer('Log out a connection silent for this long (RFC 9051 §5.4: at least 30 minutes).', 60, 86_400, 1800),
        maxLineLength: integer('Longest command line without literals, in octets.', 1024, 10_485_760, 65_536),
        maxLiteralSize: integer('Largest literal, in octets (APPEND is also bound by smtp.maxMessageSize).', 1024, 2 ** 31 - 1, 52_428_800),
        maxOutputBuffer: integer('Octets of replies queued for a client that does not read before it is disconnected.', 65_536, 2 ** 31 - 1, 16_777_216),
        imap: listener('IMAP with STARTTLS (port 143 in production)', 2143),
        imaps: listener('IMAP with implicit TLS (port 993 in production)', 2993),
      },
    },
    auth: {
      kind: 'object', description: 'Password checks shared by SMTP and IMAP.',
      fields: {
        failureDelayMs: integer('Delay before answering a failed login, ms.', 0, 60_000, 1000),
        maxFailures: integer('Failed logins per client address (and per account) before further attempts are refused for the window.', 1, 10_000, 10),
        windowSeconds: integer('Length of the failed-login window.', 1, 86_400, 900),
        cacheTtlSeconds: integer('How long a verified login is remembered (keyed hash, never the password).', 0, 86_400, 300),
        plaintextOnLoopback: {
          kind: 'boolean',
          description: 'Accept passwords without TLS from this host (127.0.0.0/8, ::1), for a webmail or a test tool on the same machine; other clients always need TLS.',
          default: false,
        },
      },
    },
    quota: {
      kind: 'object', description: 'Storage quotas (IMAP QUOTA, RFC 9208; enforced on delivery, APPEND and COPY).',
      fields: {
        defaultBytes: integer('Quota of accounts without their own (`bridgehead user quota`), in octets; 0 for no limit.', 0, Number.MAX_SAFE_INTEGER, 0),
      },
    },
    queue: {
      kind: 'object', description: 'Outbound queue: delivery of mail to other servers (src/queue).',
      fields: {
        retryInitialSeconds: integer('First retry delay after a temporary failure; doubles with each attempt.', 1, 86_400, 300),
        retryMaxSeconds: integer('Longest delay between two attempts.', 1, 604_800, 14_400),
        giveUpSeconds: integer('After this long in the queue a recipient still failing temporarily is bounced.', 60, 8_640_000, 432_000),
        delayNoticeSeconds: integer('Send a delay notice (DSN, action delayed) once a message has waited this long; 0 never.', 0, 8_640_000, 14_400),
        maxConnections: integer('Most simultaneous outbound SMTP sessions in all.', 1, 10_000, 100),
        maxConnectionsPerDestination: integer('Most simultaneous outbound SMTP sessions per destination (route or recipient domain).', 1, 1000, 10),
        connectTimeoutSeconds: integer('Time allowed to connect and receive the greeting.', 1, 600, 30),
        idleConnectionSeconds: integer('How long an idle outbound session is kept open for reuse.', 0, 600, 10),
      },
    },
    relayDomains: {
      kind: 'list', description: 'Domains whose mail the MX accepts and forwards (bridgehead role) to their route, though they are not local.',
      default: [], pattern: /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]+$/, patternText: 'a lower-case domain name',
    },
    routes: {
      kind: 'map', description: 'Next hop per recipient domain, "*" for all others (smarthost); without a route, MX records are used.',
      keyPattern: /^(\*|(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]+)$/, keyPatternText: '"*" or a lower-case domain name',
      default: {},
      value: {
        kind: 'object', description: 'A route.',
        fields: {
          host: { kind: 'string', description: 'Host name or IP address of the next hop.', default: 'localhost', pattern: /^[0-9A-Za-z.:_-]+$/, patternText: 'an IP address or host name' },
          port: port('TCP port of the next hop.', 25),
          tls: { kind: 'enum', description: 'none: plaintext; starttls: STARTTLS when offered; required-starttls: fail without STARTTLS; implicit: TLS from the first byte.', values: ['none', 'starttls', 'required-starttls', 'implicit'], default: 'starttls' },
          user: { kind: 'string', description: 'AUTH user name; empty for no AUTH.', default: '' },
          password: { kind: 'string', description: 'AUTH password (never logged).', default: '' },
          verifyCertificate: { kind: 'boolean', description: 'Whether the next hop\'s certificate must be valid for its name.', default: false },
        },
      },
    },
    plugins: {
      kind: 'object', description: 'Plugins (plugins/README.md). Every other key is one plugin\'s config section, `plugins.<name>`, checked by that plugin\'s own schema at start.',
      sections: 'the config section of an enabled plugin',
      fields: {
        enabled: {
          kind: 'list', description: 'Plugins to load, in the order their hooks run: a folder name under plugins/ or an npm package name.',
          default: [], pattern: /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/, patternText: 'a plugin folder or npm package name',
        },
        hookTimeoutMs: integer('How long one hook call may take before it counts as failed (the message is tempfailed, 451 4.3.0).', 10, 600_000, 10_000),
        directory: { kind: 'path', description: 'A folder of site-local plugins (<directory>/<name>/index.js), searched before plugins/ and npm packages; null for none.', default: null },
      },
    },
    dns: {
      kind: 'object', description: 'DNS lookups of mail authentication and the outbound queue (src/dns/resolver.ts).',
      fields: {
        servers: {
          kind: 'list', description: 'Name servers as "ip" or "ip:port" ("[ipv6]:port"); empty: the system\'s.',
          default: [], pattern: /^(\[[0-9A-Fa-f:.]+\](:\d{1,5})?|[0-9.]+(:\d{1,5})?|[0-9A-Fa-f:.]+)$/, patternText: 'an IP address with an optional port',
        },
        timeoutMs: integer('Timeout of one DNS try, ms; a lookup that times out is a temporary error.', 10, 60_000, 5000),
        tries: integer('DNS tries per lookup.', 1, 10, 2),
        cacheSeconds: integer('Longest time a DNS answer (or its absence) is reused; 0 disables the cache.', 0, 86_400, 30),
        static: {
          kind: 'map', description: 'Static records consulted before DNS (tests, air-gapped setups): { name: { TXT, MX, A, AAAA, CNAME, PTR, NS: [...] } }; a listed name answers only from here.',
          keyPattern: /^[0-9A-Za-z_*-]+(\.[0-9A-Za-z_*-]+)*\.?$/, keyPatternText: 'a DNS name',
          default: {},
          value: {
            kind: 'object', description: 'Records of one name; MX as "priority host".',
            fields: Object.fromEntries(['A', 'AAAA', 'MX', 'TXT', 'CNAME', 'PTR', 'NS'].map((type) => [type, { kind: 'list', description: `${type} records.`, default: [] } satisfies SchemaNode])),
          },
        },
        staticOnly: { kind: 'boolean', description: 'Answer only from dns.static: other names do not exist and no query leaves the machine.', default: false },
      },
    },
    mailauth: {
      kind: 'object', description: 'Inbound SPF, DKIM, DMARC and ARC verification on MX, and the policy for failures (src/mailauth).',
      fields: {
        enabled: { kind: 'boolean', description: 'Verify mail received on MX and add an Authentication-Results header.', default: true },
        trustedNetworks: {
          kind: 'list', description: 'Client networks (CIDR) whose mail is not verified, e.g. an edge server forwarding to this one.',
          default: ['127.0.0.0/8', '::1/128'], pattern: /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/, patternText: 'an IP address or network in CIDR notation',
        },
        dmarc: {
          kind: 'object', description: 'What to do with mail that fails DMARC, by the policy its domain publishes.',
          fields: {
            reject: { kind: 'enum', description: 'DMARC fail where the domain publishes p=reject: reject (550 5.7.1), quarantine (recipients\' Junk) or none.', values: ['reject', 'quarantine', 'none'], default: 'reject' },
            quarantine: { kind: 'enum', description: 'DMARC fail where the domain publishes p=quarantine.', values: ['reject', 'quarantine', 'none'], default: 'quarantine' },
          },
        },
        spf: {
          kind: 'object', description: 'What to do with mail whose SPF check fails, when DMARC did not pass.',
          fields: {
            fail: { kind: 'enum', description: 'SPF fail (-all): reject (550 5.7.23), quarantine or none.', values: ['reject', 'quarantine', 'none'], default: 'quarantine' },
            softfail: { kind: 'enum', description: 'SPF softfail (~all).', values: ['reject', 'quarantine', 'none'], default: 'none' },
          },
        },
      },
    },
    audit: {
      kind: 'object', description: 'The audit trail: every step of every accepted message (bridgehead audit).',
      fields: {
        retentionDays: integer('Days the story of a message is kept after it was accepted.', 1, 3650, 30),
      },
    },
    stats: {
      kind: 'object', description: 'Per-hour traffic counters (bridgehead stats).',
      fields: {
        retentionDays: integer('Days the hourly counters are kept.', 1, 3650, 400),
      },
    },
    gateways: {
      kind: 'object', description: 'The gateway protocol: signed HTTP+JSON for SMS, fax and voice gateways running out of process (plugins/README.md, "Gateway protocol").',
      fields: {
        listener: {
          kind: 'object', description: 'The gateway protocol listener (HTTP; put TLS in front of it when it leaves the machine).',
          fields: {
            enabled: { kind: 'boolean', description: 'Whether the gateway protocol listener runs.', default: false },
            host: host('Address the gateway protocol listener binds to.'),
            port: port('TCP port of the gateway protocol listener.', 2780),
          },
        },
        maxSkewSeconds: integer('Largest clock difference accepted in a signed request (replays are refused within this window by nonce).', 5, 3600, 300),
        maxRequestBytes: integer('Largest request body, in octets (faxes and recordings travel base64 encoded).', 1024, 2 ** 31 - 1, 36_000_000),
        peers: {
          kind: 'map', description: 'Gateways allowed to call the listener, by name (meta.gateway), each with its key.',
          keyPattern: /^[a-z0-9][a-z0-9-]{0,31}$/, keyPatternText: 'a gateway name (lower-case letters, digits, "-")',
          default: {},
          value: {
            kind: 'object', description: 'A gateway peer.',
            fields: {
              key: { kind: 'string', description: 'Shared HMAC-SHA256 key, at least 32 characters (never logged).', default: 'change me', pattern: /^.{32,}$/, patternText: 'at least 32 characters' },
              medium: { kind: 'enum', description: 'What the peer carries: incoming numbers are looked up as phone (sms, voice) or fax numbers.', values: ['sms', 'fax', 'voice'], default: 'sms' },
              domain: { kind: 'string', description: 'Gateway domain for the From address of messages it brings in (+number@domain), so replies go back through the gateway.', default: 'localhost', pattern: /^[0-9A-Za-z.-]+$/, patternText: 'a domain name' },
            },
          },
        },
      },
    },
    shutdownTimeoutSeconds: integer('On SIGTERM/SIGINT, how long in-flight transactions may take to finish.', 1, 600, 10),
  },
} as const satisfies SchemaNode;

/** The validated configuration, with every default filled in and paths made absolute. */
export interface Config {
  hostname: string;
  dataDir: string;
  log: { level: string };
  tls: { cert: string | null; key: string | null };
  smtp: {
    maxMessageSize: number;
    maxRecipients: number;
    maxConnections: number;
    idleTimeoutSeconds: number;
    mx: ListenerConfig;
    submission: ListenerConfig;
    submissions: ListenerConfig;
  };
  imap: {
    maxConnections: number;
    idleTimeoutSeconds: number;
    maxLineLength: number;
    maxLiteralSize: number;
    maxOutputBuffer: number;
    imap: ListenerConfig;
    imaps: ListenerConfig;
  };
  auth: { failureDelayMs: number; maxFailures: number; windowSeconds: number; cacheTtlSeconds: number; plaintextOnLoopback: boolean };
  quota: { defaultBytes: number };
  queue: QueueConfig;
  relayDomains: string[];
  routes: Record<string, RouteConfig>;
  plugins: PluginsConfig;
  dns: DnsConfig;
  mailauth: MailauthConfig;
  audit: { retentionDays: number };
  stats: { retentionDays: number };
  gateways: GatewaysConfig;
  shutdownTimeoutSeconds: number;
}

/** `gateways` of config.json: the gateway protocol listener (src/gateways/listener.ts). */
export interface GatewaysConfig {
  listener: ListenerConfig;
  maxSkewSeconds: number;
  maxRequestBytes: number;
  peers: Record<string, { key: string; medium: 'sms' | 'fax' | 'voice'; domain: string }>;
}

export type DnsStaticType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'CNAME' | 'PTR' | 'NS';

export interface DnsConfig {
  servers: string[];
  timeoutMs: number;
  tries: number;
  cacheSeconds: number;
  static: Record<string, Partial<Record<DnsStaticType, string[]>>>;
  staticOnly: boolean;
}

export type MailauthAction = 'reject' | 'quarantine' | 'none';

export interface MailauthConfig {
  enabled: boolean;
  trustedNetworks: string[];
  dmarc: { reject: MailauthAction; quarantine: MailauthAction };
  spf: { fail: MailauthAction; softfail: MailauthAction };
}

/** `plugins` of config.json; every other key is a plugin's section, validated by src/plugins/host.ts. */
export interface PluginsConfig {
  enabled: string[];
  hookTimeoutMs: number;
  directory: string | null;
  [section: string]: unknown;
}

export interface QueueConfig {
  retryInitialSeconds: number;
  retryMaxSeconds: number;
  giveUpSeconds: number;
  delayNoticeSeconds: number;
  maxConnections: number;
  maxConnectionsPerDestination: number;
  connectTimeoutSeconds: number;
  idleConnectionSeconds: number;
}

export type RouteTlsMode = 'none' | 'starttls' | 'required-starttls' | 'implicit';

export interface RouteConfig {
  host: string;
  port: number;
  tls: RouteTlsMode;
  /** Empty when the route needs no AUTH. */
  user: string;
  password: string;
  verifyCertificate: boolean;
}

export interface ListenerConfig {
  enabled: boolean;
  host: string;
  port: number;
}
