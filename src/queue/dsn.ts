/**
 * Delivery status notifications (RFC 3464) for the outbound queue: failure (bounce), delay and
 * success notices, each a multipart/report (RFC 6522) with
 *   1. a text/plain part a person can read: what happened, per recipient, with the remote reply;
 *   2. a message/delivery-status part: per-message fields (Reporting-MTA, Original-Envelope-Id,
 *      Arrival-Date) and per-recipient fields (Original-Recipient, Final-Recipient, Action,
 *      Status, Remote-MTA, Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until);
 *   3. the original: the whole message (message/rfc822) when RET=FULL was asked, else its
 *      header (text/rfc822-headers, RFC 6522 §4), the default RFC 3461 §4.3 leaves to us.
 *
 * Invariants:
 * - A DSN has the null reverse-path (RFC 3461 §6.2, RFC 5321 §4.5.5) and is never itself
 *   answered with a DSN; its sender is MAILER-DAEMON@<hostname>.
 * - ENVID and ORCPT are shown xtext-decoded (RFC 3464 §2.2.1, §2.3.1).
 * - Lines are CRLF; header values are ASCII (a non-ASCII address is put in as UTF-8, which the
 *   message/global-delivery-status of RFC 6533 would label properly; left for later).
 */
import { randomBytes } from 'node:crypto';
import type { QueueReply } from '../store/types.js';
import { decodeXtext } from './xtext.js';

export type DsnKind = 'failure' | 'delay' | 'success';

export interface DsnRecipient {
  address: string;
  /** ORCPT as received ("rfc822;xtext"), or null. */
  orcpt: string | null;
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
  /** RFC 3463 status, e.g. "5.1.1". */
  status: string;
  /** The reply that decided it, if a remote gave one (Diagnostic-Code). */
  reply: QueueReply | null;
  remoteMta: string | null;
  lastAttemptAt: number | null;
  willRetryUntil?: number | null;
}

export interface DsnInput {
  kind: DsnKind;
  /** This server (Reporting-MTA, the From domain). */
  hostname: string;
  /** Where the notice goes: the original reverse-path. */
  to: string;
  /** The original message's id (pipeline id) for the text and the Message-ID. */
  messageId: string;
  envid: string | null;
  ret: 'FULL' | 'HDRS' | null;
  arrivalDate: number;
  now: number;
  recipients: DsnRecipient[];
  /** The original message bytes (only its header block is used unless ret is FULL). */
  original: Buffer;
}

/** RFC 5322 §3.3 date-time in UTC. */
export function rfc5322Date(time: number): string {
  return new Date(time).toUTCString().replace(/GMT$/, '+0000');
}

/** The enhanced status to report for a recipient whose reply has none. */
export function statusFor(reply: QueueReply | null, action: DsnRecipient['action']): string {
  if (reply?.enhanced) return reply.enhanced;
  if (action === 'delivered' || action === 'relayed') return '2.0.0';
  if (action === 'delayed') return '4.0.0';
  if (reply?.code && reply.code >= 500) return '5.0.0';
  return action === 'failed' ? '4.4.7' : '4.0.0';
}

const SUBJECTS: Record<DsnKind, string> = {
  failure: 'Undelivered Mail Returned to Sender',
  delay: 'Delayed Mail (still being retried)',
  success: 'Successful Mail Delivery Report',
};

function headerBlock(message: Buffer): Buffer {
  const crlf = message.indexOf('\r\n\r\n');
  if (crlf >= 0) return message.subarray(0, crlf + 2);
  const lf = message.indexOf('\n\n');
  if (lf >= 0) return message.subarray(0, lf + 1);
  return message;
}

function ensureCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

function diagnostic(reply: QueueReply): string {
  const enhanced = reply.enhanced ? `${reply.enhanced} ` : '';
  const text = reply.text.replace(/[\r\n]+/g, ' ');
  // RFC 3464 §2.3.6: diagnostic-type "smtp" carries an SMTP reply; anything else is our words.
  return reply.code !== null ? `smtp; ${reply.code} ${enhanced}${text}` : `X-Bridgehead; ${enhanced}${text}`;
}

function humanText(input: DsnInput): string {
  const lines: string[] = [];
  const where = `This is the mail system at ${input.hostname}.`;
  switch (input.kind) {
    case 'failure':
      lines.push(where, '', 'Your message could not be delivered to one or more recipients.', 'It is attached below. The reasons:', '');
      break;
    case 'delay':
      lines.push(where, '', 'Your message has not been delivered yet to the recipients below.', 'It is still being retried; you need not send it again.', '');
      break;
    case 'success':
      lines.push(where, '', 'Your message was delivered to the recipients below, as you asked to be told.', '');
  }
  for (const recipient of input.recipients) {
    const reply = recipient.reply ? ` (${recipient.remoteMta ? `${recipient.remoteMta} said: ` : ''}${recipient.reply.code ?? ''} ${recipient.reply.enhanced ?? ''} ${recipient.reply.text})`.replace(/\s+/g, ' ') : '';
    const until = recipient.willRetryUntil ? `; retried until ${rfc5322Date(recipient.willRetryUntil)}` : '';
    lines.push(`<${recipient.address}>: ${recipient.action}${reply}${until}`);
  }
  lines.push('', `Message id: ${input.messageId}`);
  return lines.join('\r\n');
}

function deliveryStatus(input: DsnInput): string {
  const perMessage = [`Reporting-MTA: dns; ${input.hostname}`, `X-Bridgehead-Queue-ID: ${input.messageId}`];
  if (input.envid) perMessage.push(`Original-Envelope-Id: ${decodeXtext(input.envid)}`);
  perMessage.push(`Arrival-Date: ${rfc5322Date(input.arrivalDate)}`);
  const blocks = [perMessage.join('\r\n')];
  for (const recipient of input.recipients) {
    const fields: string[] = [];
    if (recipient.orcpt) {
      const semicolon = recipient.orcpt.indexOf(';');
      const type = semicolon > 0 ? recipient.orcpt.slice(0, semicolon) : 'rfc822';
      fields.push(`Original-Recipient: ${type}; ${decodeXtext(recipient.orcpt.slice(semicolon + 1))}`);
    }
    fields.push(`Final-Recipient: rfc822; ${recipient.address}`);
    fields.push(`Action: ${recipient.action}`);
    fields.push(`Status: ${recipient.status}`);
    if (recipient.remoteMta) fields.push(`Remote-MTA: dns; ${recipient.remoteMta}`);
    if (recipient.reply) fields.push(`Diagnostic-Code: ${diagnostic(recipient.reply)}`);
    if (recipient.lastAttemptAt) fields.push(`Last-Attempt-Date: ${rfc5322Date(recipient.lastAttemptAt)}`);
    if (recipient.willRetryUntil) fields.push(`Will-Retry-Until: ${rfc5322Date(recipient.willRetryUntil)}`);
    blocks.push(fields.join('\r\n'));
  }
  return `${blocks.join('\r\n\r\n')}\r\n`;
}

/** The complete DSN message (RFC 5322 bytes, CRLF), ready to be submitted with MAIL FROM:<>. */
export function composeDsn(input: DsnInput): { raw: Buffer; messageIdHeader: string } {
  const boundary = `bh-${randomBytes(12).toString('hex')}`;
  const messageIdHeader = `<${input.messageId}.${input.kind}.${randomBytes(4).toString('hex')}@${input.hostname}>`;
  const full = input.ret === 'FULL';
  const header = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.hostname}>`,
    `To: <${input.to}>`,
    `Subject: ${SUBJECTS[input.kind]}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: ${messageIdHeader}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ].join('\r\n');
  const original = full ? input.original : headerBlock(input.original);
  const parts = [
    Buffer.from(
      `${header}\r\n\r\nThis is a MIME-encapsulated delivery status notification.\r\n\r\n` +
        `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Description: Notification\r\n\r\n` +
        `${ensureCrlf(humanText(input))}\r\n\r\n` +
        `--${boundary}\r\nContent-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n\r\n` +
        `${deliveryStatus(input)}\r\n` +
        `--${boundary}\r\nContent-Type: ${full ? 'message/rfc822' : 'text/rfc822-headers'}\r\n` +
        `Content-Description: ${full ? 'Undelivered message' : 'Undelivered message headers'}\r\n\r\n`,
      'utf8',
    ),
    original,
    Buffer.from(`${original.length > 0 && original[original.length - 1] === 0x0a ? '' : '\r\n'}\r\n--${boundary}--\r\n`, 'utf8'),
  ];
  return { raw: Buffer.concat(parts), messageIdHeader };
}
