/**
 * Storage quotas per account: one quota root per account holding all its mailboxes (RFC 9208
 * §3.1.1 STORAGE), its limit the account's own `quotaBytes` or the configured default, its usage
 * the sum of the size counters of the account's mailboxes (the store keeps them exact).
 *
 * Enforced before anything is stored: SMTP delivery (pipeline/index.ts: 452 4.2.2 while over,
 * 552 5.2.2 when the message alone is larger than the quota, RFC 3463 X.2.2) and IMAP APPEND,
 * COPY (NO [OVERQUOTA], RFC 5530). MOVE within an account changes no usage and is not checked.
 *
 * Invariants:
 * - `Account.quotaBytes`: null means "the configured default applies", 0 means "no limit", any
 *   other number is the account's own limit in octets. A default of null is no limit.
 * - A check reads the durable counters and then the write happens: concurrent deliveries to one
 *   account may each pass and overshoot the limit by what was in flight. That is the usual soft
 *   quota of mail servers; the next delivery is refused.
 * - SMTP has one reply to DATA for all recipients: when one local account cannot take the
 *   message, the whole transaction gets that account's reply (452, or 552 when the message can
 *   never fit it), so nobody gets a copy and the sender retries or bounces it as a whole.
 * - Messages the server makes itself (DSNs to a local sender) are not checked: they are small
 *   and losing them would hide delivery failures.
 */
import { StoreError } from '../errors.js';
import type { Account, Store } from '../store/types.js';

export interface QuotaOptions {
  /** Limit in octets for accounts without their own; null for no limit. */
  defaultBytes: number | null;
}

export interface QuotaUsage {
  usedBytes: number;
  /** null: no limit. */
  limitBytes: number | null;
}

/** A delivery or APPEND/COPY that would take the account over its quota (StoreError 'over-quota'). */
export class QuotaExceededError extends StoreError {
  /** The message alone is larger than the whole quota: retrying cannot help (SMTP 552 5.2.2). */
  readonly permanent: boolean;
  constructor(text: string, options: { permanent: boolean }) {
    super('over-quota', text);
    this.name = 'QuotaExceededError';
    this.permanent = options.permanent;
  }
}

export class Quotas {
  private readonly store: Store;
  private readonly defaultBytes: number | null;

  constructor(store: Store, options: QuotaOptions) {
    this.store = store;
    this.defaultBytes = options.defaultBytes;
  }

  /** The account's limit in octets, or null when it has none. */
  limitOf(account: Account): number | null {
    if (account.quotaBytes === null || account.quotaBytes === undefined) return this.defaultBytes;
    return account.quotaBytes === 0 ? null : account.quotaBytes;
  }

  /** Usage and limit of an account; null when there is no such account. */
  async usage(address: string): Promise<QuotaUsage | null> {
    const account = await this.store.getAccount(address);
    if (!account) return null;
    const mailboxes = await this.store.listMailboxes(account.address);
    const usedBytes = mailboxes.reduce((sum, mailbox) => sum + mailbox.size, 0);
    return { usedBytes, limitBytes: this.limitOf(account) };
  }

  /** Throws QuotaExceededError unless `bytes` more fit in the account's quota. */
  async checkRoom(address: string, bytes: number): Promise<void> {
    const account = await this.store.getAccount(address);
    if (!account) return;
    const limit = this.limitOf(account);
    if (limit === null) return;
    if (bytes > limit) throw new QuotaExceededError(`The message is larger than the quota of ${limit} octets`, { permanent: true });
    const usage = await this.usage(account.address);
    if (usage && usage.usedBytes + bytes > limit) {
      throw new QuotaExceededError(`Quota exceeded: ${usage.usedBytes} of ${limit} octets used`, { permanent: false });
    }
  }
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * A quota as an administrator writes it: "500M", "2G", "1048576" (octets; K/M/G/T are powers of
 * 1024, an optional trailing "B" or "iB" is allowed), "none" for no limit (stored as 0) or
 * "default" for the configured default (stored as null). Throws on anything else.
 */
export function parseQuotaSize(text: string): number | null {
  const value = text.trim();
  if (/^none$/i.test(value)) return 0;
  if (/^default$/i.test(value)) return null;
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(value);
  if (!match) throw new Error(`invalid quota: ${text} (use e.g. 500M, 2G, none or default)`);
  const bytes = Math.round(Number(match[1]) * UNITS[match[2].toUpperCase()]);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`invalid quota: ${text} (a positive size; "none" for no limit)`);
  return bytes;
}
