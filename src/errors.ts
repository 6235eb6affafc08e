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
