/**
 * Names the store accepts: mailbox names, account addresses, domains.
 *
 * Mailbox names are full names with "/" as hierarchy delimiter (RFC 9051 §5.1). "INBOX" is
 * case-insensitive (RFC 9051 §5.1) and always stored and returned as "INBOX"; the same holds for
 * the first level of its inferiors ("inbox/x" is "INBOX/x"), so one account cannot hold both.
 * Empty hierarchy levels ("a//b", "/a") and control characters are refused.
 */
import { StoreError } from '../../errors.js';

export const DELIMITER = '/';
export const INBOX = 'INBOX';
const MAX_NAME_LENGTH = 1000;

/** Canonical form of a mailbox name, or StoreError 'invalid'. */
export function normalizeMailboxName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new StoreError('invalid', 'Mailbox name is empty');
  if (name.length > MAX_NAME_LENGTH) throw new StoreError('invalid', 'Mailbox name is too long');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new StoreError('invalid', 'Mailbox name contains a control character');
  const levels = name.split(DELIMITER);
  if (levels.some((level) => level.length === 0)) {
    throw new StoreError('invalid', 'Mailbox name has an empty hierarchy level');
  }
  if (levels[0].toUpperCase() === INBOX) levels[0] = INBOX;
  return levels.join(DELIMITER);
}

/** The names of the superiors of `name`, outermost first: "a/b/c" → ["a", "a/b"]. */
export function superiorNames(name: string): string[] {
  const levels = name.split(DELIMITER);
  const result: string[] = [];
  for (let i = 1; i < levels.length; i++) result.push(levels.slice(0, i).join(DELIMITER));
  return result;
}

/** Lower-cased account address; StoreError 'invalid' unless it looks like local@domain. */
export function normalizeAddress(address: string): string {
  const lower = typeof address === 'string' ? address.toLowerCase() : '';
  const at = lower.lastIndexOf('@');
  if (at <= 0 || at === lower.length - 1 || /[\s\u0000-\u001f\u007f]/.test(lower)) {
    throw new StoreError('invalid', 'Not a valid address');
  }
  return lower;
}

/** Lower-cased domain name; StoreError 'invalid' for empty names or ones with spaces or "@". */
export function normalizeDomain(domain: string): string {
  const lower = typeof domain === 'string' ? domain.toLowerCase() : '';
  if (lower.length === 0 || /[\s@\u0000-\u001f\u007f]/.test(lower)) throw new StoreError('invalid', 'Not a valid domain');
  return lower;
}
