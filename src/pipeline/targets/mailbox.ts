/**
 * The local mailbox target (pipeline/target.ts): final delivery into the store. Recipients bring
 * the mailboxes their copies go to (an INBOX, a quarantine Junk folder, a plugin's folder); body
 * adds Return-Path (RFC 5321 §4.4: final delivery records the reverse-path there), checks every
 * account's quota, then stores the bytes once for all mailboxes in one synced batch that also
 * holds the audit trail's `stored` steps.
 *
 * Invariants:
 * - One copy per (account, mailbox), whatever the number of recipients that lead there.
 * - Stored mail is visible at once and cannot be taken back: `reversible` is false, so the
 *   pipeline runs this body last; `abort` has nothing to undo, `commit` nothing left to do.
 * - The bytes the pipeline hands over begin with a Received field naming the message's new id,
 *   so no stored blob holds them (`freshBytes`: the store skips looking for one to share).
 */
import type { Delivered, DeliveryTarget, Store } from '../../store/types.js';
import type { Quotas } from '../quota.js';
import type { MessageTarget, TargetDelivery, TargetMessage, TargetRecipient } from '../target.js';

export class MailboxTarget implements MessageTarget {
  readonly name = 'mailbox';
  readonly reversible = false;

  constructor(private readonly options: { store: Store; quotas: Quotas }) {}

  start(message: TargetMessage): MailboxDelivery {
    return new MailboxDelivery(this.options, message);
  }
}

export class MailboxDelivery implements TargetDelivery {
  /** The copies stored by body, in the order of `mailboxes`. */
  delivered: Delivered[] = [];
  private readonly targets: DeliveryTarget[] = [];

  constructor(
    private readonly options: { store: Store; quotas: Quotas },
    private readonly message: TargetMessage,
  ) {}

  /** The mailboxes the copies go to, each once. */
  get mailboxes(): readonly DeliveryTarget[] {
    return this.targets;
  }

  async addRecipient(recipient: TargetRecipient): Promise<void> {
    for (const target of recipient.mailboxes ?? []) {
      if (!this.targets.some((known) => known.account === target.account && known.mailbox === target.mailbox)) this.targets.push(target);
    }
  }

  async body(raw: Buffer): Promise<void> {
    if (this.targets.length === 0) return;
    const stored = Buffer.concat([Buffer.from(`Return-Path: <${this.message.from}>\r\n`, 'utf8'), raw]);
    for (const account of new Set(this.targets.map((target) => target.account))) await this.options.quotas.checkRoom(account, stored.length);
    this.delivered = await this.options.store.deliver(stored, this.targets, {
      trail: this.message.trail?.deliveryTrail(this.targets),
      freshBytes: true,
    });
  }

  async commit(): Promise<void> {
    // Stored mail is visible from the moment body resolved.
  }

  async abort(): Promise<void> {
    // Body runs last: when anything failed, nothing of this target was written.
  }
}
