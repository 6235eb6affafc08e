/**
 * Named SMTP replies the pipeline needs beyond those in src/errors.ts (RFC 5321 §4.2.3 codes,
 * RFC 3463 enhanced codes). Kept here until the lead folds them into `Smtp`.
 */
import { SmtpError } from '../errors.js';

export const PipelineReplies = {
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
} as const;
