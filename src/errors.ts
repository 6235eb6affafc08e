/**
 * Errors that carry protocol meaning. Front ends turn them into replies; nothing else
 * inspects their text. SMTP codes per RFC 5321 §4.2 with enhanced codes per RFC 3463;
 * IMAP response kinds per RFC 9051 §7.1.
 */

/** An SMTP reply: basic code, enhanced status code and text. */
export class SmtpError extends Error {
  readonly code: number;
  readonly enhanced: string;
  constructor(code: number, enhanced: string, text: string) {
    super(text);
    this.name = 'SmtpError';
    this.code = code;
    this.enhanced = enhanced;
  }
  /** The reply line as smtp-server sends it: "550 5.1.1 text". */
  get reply(): string {
    return `${this.code} ${this.enhanced} ${this.message}`;
  }
}

/** Named SMTP replies used across the pipeline (RFC 5321 §4.2.3, RFC 3463). */
export const Smtp = {
  unknownUser: () => new SmtpError(550, '5.1.1', 'Mailbox unavailable: no such user here'),
  relayDenied: () => new SmtpError(550, '5.7.1', 'Relay access denied'),
  senderNotOwned: () => new SmtpError(553, '5.7.1', 'Sender address is not owned by the authenticated user'),
  authRequired: () => new SmtpError(530, '5.7.0', 'Authentication required'),
  relayUnavailable: () =>
    new SmtpError(451, '4.3.0', 'Relay to remote domains is not enabled on this server yet; message not accepted'),
  tooBig: (max: number) => new SmtpError(552, '5.3.4', `Message exceeds the maximum size of ${max} bytes`),
  tempFailure: (text = 'Temporary local failure, please try again later') => new SmtpError(451, '4.3.0', text),
  badSyntax: (text: string) => new SmtpError(501, '5.5.4', text),
  tooManyRecipients: () => new SmtpError(452, '4.5.3', 'Too many recipients'),
  /** RFC 3463 §3.2 X.1.3 "Bad destination mailbox address syntax". */
  badRecipientSyntax: (reason: string) => new SmtpError(501, '5.1.3', `Bad recipient address syntax: ${reason}`),
  /** RFC 3463 §3.2 X.1.7 "Bad sender's mailbox address syntax". */
  badSenderSyntax: (reason: string) => new SmtpError(501, '5.1.7', `Bad sender address syntax: ${reason}`),
  /** RFC 5321 §6.3 loop detection by counting Received headers; RFC 3463 X.4.6 "Routing loop detected". */
  loopDetected: (count: number) =>
    new SmtpError(554, '5.4.6', `Routing loop detected: the message carries ${count} Received headers`),
  /** RFC 4954 §6: 454 4.7.0 when authentication cannot be attempted right now. */
  authThrottled: () => new SmtpError(454, '4.7.0', 'Too many failed authentication attempts, try again later'),
  /** RFC 4954 §6: 535 5.7.8 for wrong credentials. */
  authFailed: () => new SmtpError(535, '5.7.8', 'Authentication credentials invalid'),
  /** RFC 3207 §4: AUTH before STARTTLS where TLS is required. */
  tlsRequired: () => new SmtpError(530, '5.7.0', 'Must issue a STARTTLS command first'),
  /** DMARC p=reject failure; RFC 3463 X.7.1 "delivery not authorized, message refused". */
  dmarcReject: (domain: string) =>
    new SmtpError(550, '5.7.1', `Message rejected: it fails the DMARC policy (p=reject) of ${domain}`),
  /** RFC 7372 §3.2 X.7.23 "SPF validation failed". */
  spfReject: (domain: string) =>
    new SmtpError(550, '5.7.23', `Message rejected: ${domain} does not designate this client as a permitted sender (SPF fail)`),
  /** RFC 7372 §3.2 X.7.24 "SPF validation error": a temporary DNS failure. */
  spfTempfail: () => new SmtpError(451, '4.7.24', 'SPF could not be checked (temporary DNS failure), try again later'),
  /** RFC 3463 X.7.0: DKIM or DMARC could not be evaluated for now. */
  authTempfail: (what: string) =>
    new SmtpError(451, '4.7.0', `${what} could not be checked (temporary DNS failure), try again later`),
  verifierFailed: () => new SmtpError(451, '4.7.0', 'Message authentication could not be completed, try again later'),
} as const;

/** IMAP status responses (RFC 9051 §7.1). `code` is a response code without brackets, e.g. "TRYCREATE". */
export type ImapStatus = 'NO' | 'BAD';

export class ImapError extends Error {
  readonly status: ImapStatus;
  readonly code: string | null;
  constructor(status: ImapStatus, text: string, code: string | null = null) {
    super(text);
    this.name = 'ImapError';
    this.status = status;
    this.code = code;
  }
}

export const imapBad = (text: string, code: string | null = null) => new ImapError('BAD', text, code);
export const imapNo = (text: string, code: string | null = null) => new ImapError('NO', text, code);

/** Errors from the store, in mail terms; front ends map them to protocol errors. */
export type StoreErrorKind =
  | 'exists'
  | 'not-found'
  | 'invalid'
  | 'over-quota'
  | 'inferior-exists'
  | 'protected';

export class StoreError extends Error {
  readonly kind: StoreErrorKind;
  constructor(kind: StoreErrorKind, text: string) {
    super(text);
    this.name = 'StoreError';
    this.kind = kind;
  }
}
