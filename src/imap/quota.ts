/**
 * QUOTA responses (RFC 9208 §5.1): one quota root per account, named "" (the empty string, as in
 * RFC 9208's own examples), governing every mailbox of the account, with one resource, STORAGE,
 * counted in units of 1024 octets (§3.1.1). Accounts without a limit have no quota root, so
 * GETQUOTAROOT lists none and GETQUOTA "" is NO [NONEXISTENT].
 */
import type { QuotaUsage } from '../pipeline/quota.js';
import { atom, type ImapValue } from './protocol/types.js';
import type { Session } from './session.js';

/** The one quota root name. */
export const QUOTA_ROOT = '';

/** Usage and limit of the session's account when it has a limit; null when it has none. */
export async function limitedUsage(session: Session): Promise<(QuotaUsage & { limitBytes: number }) | null> {
  const usage = await session.context.quotas.usage(session.account);
  if (!usage || usage.limitBytes === null) return null;
  return { usedBytes: usage.usedBytes, limitBytes: usage.limitBytes };
}

/** `QUOTA "" (STORAGE used limit)`: usage rounded up, the limit down, so neither is flattered. */
export function quotaResponse(usage: { usedBytes: number; limitBytes: number }): ImapValue[] {
  return [atom('QUOTA'), QUOTA_ROOT, [atom('STORAGE'), Math.ceil(usage.usedBytes / 1024), Math.floor(usage.limitBytes / 1024)]];
}
