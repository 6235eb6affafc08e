/**
 * The capability list a session advertises (RFC 9051 §7.2.2), in the greeting, in CAPABILITY and
 * in the [CAPABILITY] code of a successful login.
 *
 * Invariants:
 * - Only what is fully implemented is advertised: clients switch extensions on without asking
 *   (CLIENTS.md §0). No CONDSTORE, QRESYNC, BINARY, COMPRESS, ESEARCH, LIST-STATUS, IMAP4rev2.
 * - Before TLS on a plain port (RFC 9051 §6.2.1, §11.1): STARTTLS and LOGINDISABLED, and no AUTH=
 *   mechanism, because none may be used until the connection is protected; after STARTTLS the
 *   client asks again (RFC 3501 §6.2.1) and sees AUTH=PLAIN AUTH=LOGIN.
 */

export interface CapabilityContext {
  authenticated: boolean;
  /** TLS is active on the connection (implicit TLS or after STARTTLS). */
  secure: boolean;
  /** APPEND size limit in octets (RFC 7889 APPENDLIMIT). */
  appendLimit: number;
}

/** Mechanisms for AUTHENTICATE (RFC 4616 PLAIN; LOGIN as every mail client knows it). */
export const SASL_MECHANISMS = ['PLAIN', 'LOGIN'] as const;

/** Extensions that ENABLE can switch on (RFC 5161); anything else is accepted and not listed. */
export const ENABLEABLE = ['UTF8=ACCEPT'] as const;

export function capabilities(context: CapabilityContext): string[] {
  if (!context.authenticated) {
    const list = ['IMAP4rev1', 'SASL-IR', 'LITERAL+', 'ID', 'ENABLE', 'IDLE'];
    if (context.secure) list.push(...SASL_MECHANISMS.map((mechanism) => `AUTH=${mechanism}`));
    else list.push('STARTTLS', 'LOGINDISABLED');
    return list;
  }
  return [
    'IMAP4rev1',
    'LITERAL+',
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
  ];
}
