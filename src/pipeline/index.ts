/**
 * The pipeline: the one path every message passes, whatever front end received it. Front ends
 * translate a protocol into these calls and the thrown SmtpError back into replies (STYLE.md
 * habit 4); every decision about senders, recipients and delivery is made here.
 *
 * Invariants:
 * - Never an open relay: MX accepts only recipients that resolve to local accounts; submission
 *   requires an authenticated user who owns the sender address, and relay to remote domains is
 *   refused with a temporary error until the outbound queue exists.
 * - `deliver` re-checks sender and recipients itself, so a front end that skipped a check cannot
 *   bypass it, and resolves only after the store has durably written the message (the SMTP 250
 *   is sent after that, DESIGN.md "Storage").
 * - One message id per accepted message (message-id.ts), in the Received header, in every log
 *   line about the message and in the reply.
 * - The stored bytes are the received bytes with Return-Path and Received prepended
 *   (RFC 5321 §4.4), nothing else changed; the bytes are stored once for all recipients.
 */
import { Smtp, SmtpError, StoreError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeliveryTarget, Store } from '../store/types.js';
import { normalizeDomain, parseMailbox } from './address.js';
import { newMessageId } from './message-id.js';
import { resolveRecipient, type Resolution } from './recipients.js';
import { PipelineReplies } from './replies.js';

export { newMessageId } from './message-id.js';

export interface SessionInfo {
  /** Connection id, for logs. */
  id: string;
  role: 'mx' | 'submission';
  remoteAddress: string;
  /** The HELO/EHLO argument as the client sent it. */
  heloName: string;
  /** The authenticated account, or null. */
  user: string | null;
  secure: boolean;
  tlsProtocol?: string;
  tlsCipher?: string;
}

export interface Envelope {
  /** Reverse-path without angle brackets; "" is the null sender. */
  from: string;
  to: string[];
}

export interface PipelineOptions {
  store: Store;
  log: Logger;
  /** This server's name, used in Received headers and for the bare "postmaster" recipient. */
  hostname: string;
  maxMessageSize: number;
  maxRecipients: number;
  /** More Received headers than this means a mail loop (RFC 5321 §6.3); default 50. */
  maxReceivedHeaders?: number;
}

export const DEFAULT_MAX_RECEIVED_HEADERS = 50;

export class Pipeline {
  readonly hostname: string;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxReceivedHeaders: number;
  private readonly store: Store;
  private readonly log: Logger;

  constructor(options: PipelineOptions) {
    this.store = options.store;
    this.log = options.log.child({ component: 'pipeline' });
    this.hostname = options.hostname;
    this.maxMessageSize = options.maxMessageSize;
    this.maxRecipients = options.maxRecipients;
    this.maxReceivedHeaders = options.maxReceivedHeaders ?? DEFAULT_MAX_RECEIVED_HEADERS;
  }

  /**
   * MAIL FROM. MX: any sender, including the null sender (RFC 5321 §4.5.5). Submission: the
   * authenticated user must own the address (RFC 6409 §6.1): it is their account, or it
   * resolves to them (an alias that targets them, their subaddress, a catch-all of theirs).
   */
  async checkSender(session: SessionInfo, address: string): Promise<void> {
    if (session.role === 'mx') return;
    if (!session.user) throw Smtp.authRequired();
    if (address === '') throw Smtp.senderNotOwned();
    const parsed = parseMailbox(address);
    if (!parsed.ok) throw PipelineReplies.badSenderSyntax(parsed.reason);
    if (!(await this.owns(session.user, parsed.mailbox.address))) {
      this.log.info({ evt: 'pipeline.sender-refused', cid: session.id, user: session.user, from: parsed.mailbox.address }, 'sender not owned');
      throw Smtp.senderNotOwned();
    }
  }

  /**
   * RCPT TO. Local recipients are accepted on both roles; unknown local ones get 550 5.1.1;
   * remote ones are relay: denied on MX (550 5.7.1), not yet available on submission (451 4.3.0).
   */
  async checkRecipient(session: SessionInfo, address: string): Promise<void> {
    await this.localAccountsFor(session, address);
  }

  /**
   * DATA. Checks the envelope again, adds the trace headers, stores the message once for every
   * local account the recipients resolve to (their INBOX), and returns its id once it is durable.
   */
  async deliver(session: SessionInfo, envelope: Envelope, message: Buffer): Promise<{ id: string }> {
    const id = newMessageId();
    const log = this.log.child({ msgid: id, cid: session.id });
    if (message.length > this.maxMessageSize) throw Smtp.tooBig(this.maxMessageSize);
    if (envelope.to.length === 0) throw Smtp.badSyntax('No recipients');
    if (envelope.to.length > this.maxRecipients) throw Smtp.tooManyRecipients();
    await this.checkSender(session, envelope.from);

    const received = countReceivedHeaders(message);
    if (received > this.maxReceivedHeaders) {
      log.warn({ evt: 'pipeline.loop', received }, 'mail loop detected');
      throw PipelineReplies.loopDetected(received);
    }

    const accounts = new Set<string>();
    for (const recipient of envelope.to) {
      for (const account of await this.localAccountsFor(session, recipient)) accounts.add(account);
    }
    log.info({ evt: 'pipeline.accepted', from: envelope.from, rcpts: envelope.to.length, accounts: accounts.size, size: message.length }, 'message accepted');

    const trace = traceHeaders({
      id,
      hostname: this.hostname,
      session,
      envelope,
      date: new Date(),
    });
    const raw = Buffer.concat([Buffer.from(trace, 'utf8'), message]);
    const targets: DeliveryTarget[] = [...accounts].map((account) => ({ account, mailbox: 'INBOX' }));
    try {
      await this.store.deliver(raw, targets);
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'over-quota') {
        log.warn({ evt: 'pipeline.over-quota' }, 'delivery refused: over quota');
        throw new SmtpError(452, '4.2.2', 'Mailbox full, try again later');
      }
      log.error({ evt: 'pipeline.store-failed', err: error }, 'delivery failed');
      throw Smtp.tempFailure();
    }
    log.info({ evt: 'pipeline.stored', accounts: targets.length, size: raw.length }, 'message stored');
    return { id };
  }

  /** Local accounts a recipient delivers to, or the SmtpError that refuses it for this role. */
  private async localAccountsFor(session: SessionInfo, address: string): Promise<string[]> {
    if (session.role === 'submission' && !session.user) throw Smtp.authRequired();
    const resolution = await this.resolve(address);
    switch (resolution.kind) {
      case 'local':
        return resolution.accounts;
      case 'unknown-local':
        throw Smtp.unknownUser();
      case 'remote':
        throw session.role === 'mx' ? Smtp.relayDenied() : Smtp.relayUnavailable();
      case 'invalid':
        throw PipelineReplies.badRecipientSyntax(resolution.reason);
    }
  }

  private resolve(address: string): Promise<Resolution> {
    // RFC 5321 §4.1.1.3: the domainless "postmaster" must be accepted; it means ours.
    const target = address.toLowerCase() === 'postmaster' ? `postmaster@${this.hostname}` : address;
    return resolveRecipient(this.store, target, { log: this.log });
  }

  private async owns(user: string, address: string): Promise<boolean> {
    if (address === user) return true;
    const resolution = await resolveRecipient(this.store, address, { log: this.log });
    return resolution.kind === 'local' && resolution.accounts.includes(user);
  }
}

/** Received headers in the header block (RFC 5321 §6.3 loop detection). */
export function countReceivedHeaders(message: Buffer): number {
  const header = headerBlock(message).toString('latin1');
  const matches = header.match(/(^|\n)Received[ \t]*:/gi);
  return matches ? matches.length : 0;
}

function headerBlock(message: Buffer): Buffer {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  const ends = [crlf, lf].filter((index) => index >= 0);
  return ends.length > 0 ? message.subarray(0, Math.min(...ends)) : message;
}

interface TraceInput {
  id: string;
  hostname: string;
  session: SessionInfo;
  envelope: Envelope;
  date: Date;
}

/**
 * Return-Path (RFC 5321 §4.4, final delivery) and the Received time stamp line (RFC 5321 §4.4
 * Stamp; protocol names per RFC 3848: ESMTP, ESMTPS with TLS, ESMTPSA with TLS and AUTH).
 * "for" names the recipient only when there is exactly one, so Bcc recipients are not revealed.
 */
export function traceHeaders(input: TraceInput): string {
  const { session } = input;
  const literal = addressLiteral(session.remoteAddress);
  const helo = heloDomain(session.heloName);
  const from = helo ? `${helo} (${literal})` : `${literal} (${literal})`;
  const protocol = `ESMTP${session.secure ? 'S' : ''}${session.user ? 'A' : ''}`;
  const lines = [`Received: from ${from}`, `\tby ${input.hostname} (Bridgehead) with ${protocol} id ${input.id}`];
  if (session.secure && (session.tlsProtocol || session.tlsCipher)) {
    lines.push(`\t(version=${session.tlsProtocol ?? 'unknown'} cipher=${session.tlsCipher ?? 'unknown'})`);
  }
  const date = rfc5322Date(input.date);
  if (input.envelope.to.length === 1) lines.push(`\tfor <${input.envelope.to[0]}>; ${date}`);
  else lines[lines.length - 1] += `; ${date}`;
  return `Return-Path: <${input.envelope.from}>\r\n${lines.join('\r\n')}\r\n`;
}

/** The HELO name when it is a Domain or an address literal, else null (it goes unrecorded). */
function heloDomain(helo: string): string | null {
  if (!helo) return null;
  if (/^\[[0-9A-Za-z:.]+\]$/.test(helo)) return helo;
  const domain = normalizeDomain(helo);
  return domain.ok ? domain.domain : null;
}

function addressLiteral(ip: string): string {
  return ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`;
}

/** RFC 5322 §3.3 date-time in UTC, e.g. "Thu, 05 Mar 2026 10:00:00 +0000". */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
