/**
 * The outbound queue as a delivery target (pipeline/target.ts): the pipeline adds the remote and
 * gateway recipients of a message, hands over its bytes, and commits once every target of the
 * message has its body durable. The queue target wraps the remote target (smtp-client.ts) and
 * the gateway target (gateway-target.ts), which its delivery rounds drive later.
 *
 * body → the entry and bytes are written in one synced batch (group commit), held back from
 * the scheduler; commit → released (`queued` event) and scheduled at once; abort → removed.
 */
import type { MessageTarget, TargetDelivery, TargetMessage, TargetRecipient } from '../pipeline/target.js';
import type { QueueEntry } from '../store/types.js';
import type { OutboundQueue } from './queue.js';

export class QueueTarget implements MessageTarget {
  readonly name = 'queue';
  readonly reversible = true;

  constructor(private readonly queue: OutboundQueue) {}

  start(message: TargetMessage): TargetDelivery {
    return new QueueDelivery(this.queue, message);
  }
}

class QueueDelivery implements TargetDelivery {
  private readonly recipients: TargetRecipient[] = [];
  private entry: QueueEntry | null = null;
  private state: 'open' | 'written' | 'committed' | 'aborted' = 'open';

  constructor(
    private readonly queue: OutboundQueue,
    private readonly message: TargetMessage,
  ) {}

  async addRecipient(recipient: TargetRecipient): Promise<void> {
    if (this.state !== 'open') throw new Error('recipient added after the body');
    // The same address twice in one envelope is delivered once (per gateway, for gateway routes).
    if (this.recipients.some((known) => sameDestination(known, recipient))) return;
    this.recipients.push(recipient);
  }

  async body(raw: Buffer): Promise<void> {
    if (this.state !== 'open') throw new Error('body given twice');
    if (this.recipients.length === 0) throw new Error('no recipients for the queue');
    this.entry = await this.queue.accept(this.message, this.recipients, raw);
    this.state = 'written';
  }

  async commit(): Promise<void> {
    if (this.state !== 'written' || !this.entry) throw new Error('commit without a body');
    this.state = 'committed';
    this.queue.release(this.entry);
  }

  async abort(): Promise<void> {
    const written = this.state === 'written';
    this.state = 'aborted';
    if (written && this.entry) await this.queue.discard(this.entry);
  }
}

function sameDestination(a: TargetRecipient, b: TargetRecipient): boolean {
  if (a.address.toLowerCase() !== b.address.toLowerCase()) return false;
  return a.gateway?.name === b.gateway?.name && a.gateway?.number === b.gateway?.number;
}
