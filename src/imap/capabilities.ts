/**
 * The capability list a session advertises (RFC 9051 §7.2.2), in the greeting, in CAPABILITY and
 * in the [CAPABILITY] code of a successful login.
 *
 * Invariants:
 * - Only what is fully implemented is advertised: clients switch extensions on without asking
 *   (CLIENTS.md §0). LITERAL+ and LITERAL- both (RFC 7888 §3, §4): non-synchronizing literals of
 *   any size up to the input limits are accepted, which is what LITERAL+ promises and more than
 *   LITERAL- does; a client that knows only LITERAL- keeps its own to 4096 octets and still gains
 *   the round trip. No QUOTASET: users cannot set quotas (commands/setquota.ts).
 * - Before TLS on a plain port (RFC 9051 §6.2.1, §11.1): STARTTLS and LOGINDISABLED, and no AUTH=
 *   mechanism, because none may be used until the connection is protected; after STARTTLS the
 *   client asks again (RFC 3501 §6.2.1) and sees AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256.
 *   From loopback with auth.plaintextOnLoopback on, a plain connection already accepts passwords:
 *   STARTTLS and the AUTH= mechanisms, no LOGINDISABLED.
 */

export interface CapabilityContext {
  authenticated: boolean;
  /**
   * Passwords may be sent: TLS is active (implicit TLS or after STARTTLS), or the admin allows
   * them from loopback (auth.plaintextOnLoopback, pipeline/auth.ts).
   */
  acceptsPasswords: boolean;
  /** STARTTLS may still be used (a plain listener, not upgraded yet). */
  startTls: boolean;
  /** APPEND size limit in octets (RFC 7889 APPENDLIMIT). */
  appendLimit: number;
}

/**
 * Mechanisms for AUTHENTICATE (RFC 4616 PLAIN; LOGIN as every mail client knows it; RFC 7677
 * SCRAM-SHA-256, for accounts whose password was set since SCRAM data is kept).
 */
export const SASL_MECHANISMS = ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'] as const;

/** Extensions that ENABLE can switch on (RFC 5161); anything else is accepted and not listed. */
export const ENABLEABLE = ['UTF8=ACCEPT', 'CONDSTORE', 'QRESYNC', 'IMAP4rev2'] as const;

/**
 * What this server adds for searching, sorting and resynchronising (RFC 7162 CONDSTORE/QRESYNC,
 * RFC 4731 ESEARCH, RFC 5182 SEARCHRES, RFC 5032 WITHIN, RFC 5256 SORT/THREAD, RFC 5957
 * SORT=DISPLAY, RFC 5267 ESORT).
 */
const SYNC_AND_SEARCH = [
  'CONDSTORE',
  'QRESYNC',
  'ESEARCH',
  'SEARCHRES',
  'WITHIN',
  'SORT',
  'SORT=DISPLAY',
  'ESORT',
  'THREAD=ORDEREDSUBJECT',
  'THREAD=REFERENCES',
];

/**
 * The extensions IMAP4rev2 builds in (RFC 9051 §1, Appendix E); LITERAL+ covers LITERAL-,
 * which is what rev2 requires (RFC 7888 §4). IMAP4rev2 is advertised only while every one of them is, because imapflow,
 * once it has enabled rev2, uses them without looking (CLIENTS.md §0).
 */
const REV2_INCLUDES = [
  'NAMESPACE', 'UNSELECT', 'UIDPLUS', 'ESEARCH', 'SEARCHRES', 'ENABLE', 'IDLE', 'SASL-IR', 'LIST-EXTENDED',
  'LIST-STATUS', 'MOVE', 'LITERAL+', 'BINARY', 'SPECIAL-USE', 'STATUS=SIZE',
];

export function capabilities(context: CapabilityContext): string[] {
  if (!context.authenticated) return preLoginCapabilities(context);
  const list = postLoginCapabilities(context);
  if (REV2_INCLUDES.every((name) => list.includes(name))) list.splice(1, 0, 'IMAP4rev2');
  return list;
}

function preLoginCapabilities(context: CapabilityContext): string[] {
  const list = ['IMAP4rev1', 'SASL-IR', 'LITERAL+', 'LITERAL-', 'ID', 'ENABLE', 'IDLE'];
  if (context.startTls) list.push('STARTTLS');
  if (context.acceptsPasswords) list.push(...SASL_MECHANISMS.map((mechanism) => `AUTH=${mechanism}`));
  else list.push('LOGINDISABLED');
  return list;
}

function postLoginCapabilities(context: CapabilityContext): string[] {
  return [
    'IMAP4rev1',
    'LITERAL+',
    'LITERAL-',
    'SASL-IR',
    'ID',
    'ENABLE',
    'IDLE',
    'NAMESPACE',
    'UIDPLUS',
    'MOVE',
    'UNSELECT',
    'CHILDREN',
    'LIST-EXTENDED',
    'SPECIAL-USE',
    'UTF8=ACCEPT',
    `APPENDLIMIT=${context.appendLimit}`,
    'COMPRESS=DEFLATE',
    'MULTIAPPEND',
    'BINARY',
    'QUOTA',
    'QUOTA=RES-STORAGE',
    'STATUS=SIZE',
    'SAVEDATE',
    'LIST-STATUS',
    'CREATE-SPECIAL-USE',
    ...SYNC_AND_SEARCH,
  ];
}
