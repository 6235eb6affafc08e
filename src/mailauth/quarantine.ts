/**
 * Where quarantined mail goes: each recipient's Junk mailbox, found by its special-use
 * attribute (RFC 6154 §2, \Junk) so that a user who renamed it still gets it there, else by the
 * name "Junk", else a new "Junk" with \Junk is created. Quarantined copies also carry the `$Junk`
 * keyword (IANA IMAP keywords registry), which clients' spam filters understand.
 *
 * Invariant: quarantine never loses a message and never puts it in INBOX; creating the mailbox
 * races safely with a concurrent delivery creating it too.
 */
import { StoreError } from '../errors.js';
import type { DeliveryTarget, Store } from '../store/types.js';

export const JUNK_MAILBOX = 'Junk';
export const JUNK_KEYWORD = '$Junk';

export async function junkTargets(store: Store, accounts: string[]): Promise<DeliveryTarget[]> {
  return Promise.all(accounts.map(async (account) => ({ account, mailbox: await junkMailboxOf(store, account), flags: [JUNK_KEYWORD] })));
}

async function junkMailboxOf(store: Store, account: string): Promise<string> {
  const mailboxes = await store.listMailboxes(account);
  const special = mailboxes.find((mailbox) => mailbox.specialUse === '\\Junk');
  if (special) return special.name;
  if (mailboxes.some((mailbox) => mailbox.name === JUNK_MAILBOX)) return JUNK_MAILBOX;
  try {
    await store.createMailbox(account, JUNK_MAILBOX, { specialUse: '\\Junk' });
  } catch (error) {
    if (!(error instanceof StoreError && error.kind === 'exists')) throw error;
  }
  return JUNK_MAILBOX;
}
