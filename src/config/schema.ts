/**
 * The configuration schema: every key of config.json with its type, range, default and meaning.
 * One declaration serves validation (with the key's path in every error), defaults, and the
 * documentation table in the README (`bridgehead config --describe`).
 */

export type SchemaNode =
  | { kind: 'object'; description: string; fields: Record<string, SchemaNode> }
  | { kind: 'integer'; description: string; min: number; max: number; default: number }
  | { kind: 'string'; description: string; default: string; pattern?: RegExp; patternText?: string }
  | { kind: 'boolean'; description: string; default: boolean }
  | { kind: 'path'; description: string; default: string | null }
  | { kind: 'enum'; description: string; values: readonly string[]; default: string };

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
  auth: { failureDelayMs: number; maxFailures: number; windowSeconds: number; cacheTtlSeconds: number };
  shutdownTimeoutSeconds: number;
}

export interface ListenerConfig {
  enabled: boolean;
  host: string;
  port: number;
}
