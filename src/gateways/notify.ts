/**
 * Notification rules (pipeline/profiles.ts): "new mail from these senders → tell me through this
 * gateway". When a message lands in a user's INBOX (a store `append` event after delivery) and
 * one of their rules matches its sender, a short notice ("New mail from X: subject") goes to the
 * user's phone through the named gateway, as an ordinary gateway delivery (GatewayHub.prepare →
 * commit), so it is signed off, acknowledged and audited like any other.
 *
 * Invariants:
 * - Only new messages in INBOX count, and only unseen ones (an IMAP APPEND of a read message is
 *   not news); at most one notice per message and user, whatever the number of matching rules.
 * - The sender is the From header's address (what the user sees); a message from a gateway
 *   domain address (an incoming SMS, fax, voicemail) never causes a notice, so gateways cannot
 *   loop through each other.
 * - Failures are logged and dropped: a notice is a courtesy, the mail itself is already stored.
 */
import { simpleParser } from 'mailparser';
import type { Logger } from '../log.js';
import { ruleMatches } from '../pipeline/profiles.js';
import type { GatewayHub } from '../plugins/gateways.js';
import { PluginMessage } from '../plugins/host.js';
import type { Store, StoreEvent } from '../store/types.js';
import { newMessageId } from '../pipeline/message-id.js';

export interface NotifierOptions {
  store: Store;
  hub: GatewayHub;
  hostname: string;
  log: Logger;
}

const E164_LOCAL = /^\+[1-9]\d{1,14}@/;

export class Notifier {
  private readonly options: NotifierOptions;
  private readonly log: Logger;
  private readonly listener = (event: StoreEvent) => void this.onChange(event);
  /** Notices in flight, so close() can wait for them. */
  private pending = new Set<Promise<void>>();

  constructor(options: NotifierOptions) {
    this.options = options;
    this.log = options.log.child({ component: 'notify' });
  }

  start(): void {
    this.options.store.events.on('change', this.listener);
  }

  async close(): Promise<void> {
    this.options.store.events.off('change', this.listener);
    await Promise.allSettled([...this.pending]);
  }

  private onChange(event: StoreEvent): void {
    if (event.kind !== 'append') return;
    const work = this.handle(event).catch((error: Error) =>
      this.log.error({ evt: 'notify.failed', account: event.account, err: error.message }, 'notification not sent'));
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async handle(event: Extract<StoreEvent, { kind: 'append' }>): Promise<void> {
    const { store } = this.options;
    const profile = await store.getProfile(event.account);
    if (!profile || profile.notify.length === 0 || !profile.phone) return;
    const mailbox = await store.getMailboxById(event.mailboxId);
    if (!mailbox || mailbox.name !== 'INBOX') return;
    for (const meta of event.messages) {
      if (meta.flags.includes('\\Seen')) continue;
      const header = await simpleParser(await store.readBlob(meta.blobId, 'header'));
      const sender = (header.from?.value[0]?.address ?? '').toLowerCase();
      if (!sender || E164_LOCAL.test(sender)) continue;
      const rule = profile.notify.find((candidate) => ruleMatches(candidate, sender));
      if (!rule) continue;
      await this.send(rule.gateway, profile.phone, profile.address, sender, header.subject ?? '');
    }
  }

  private async send(gateway: string, number: string, account: string, sender: string, subject: string): Promise<void> {
    const state = this.options.hub.states().find((candidate) => candidate.name === gateway);
    if (!state?.available) {
      this.log.warn({ evt: 'notify.gateway-unavailable', gateway, account }, 'notification rule names a gateway that is not running');
      return;
    }
    const id = newMessageId();
    const from = `postmaster@${this.options.hostname}`;
    const text = `Subject: New mail from ${sender}\r\nFrom: <${from}>\r\nTo: <${account}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${subject}\r\n`;
    const raw = Buffer.from(text, 'utf8');
    const envelope = { from: '', to: [account] };
    const prepared = await this.options.hub.prepare({
      session: { id: `notify-${id}`, role: 'submission', remoteAddress: '127.0.0.1', heloName: 'localhost', user: account, secure: true },
      envelope,
      message: new PluginMessage(id, raw),
      raw,
      targets: [{ gateway, recipient: account, number }],
    });
    await prepared.commit();
    this.log.info({ evt: 'notify.sent', gateway, account, msgid: id }, 'new-mail notification sent');
  }
}
