/**
 * One acceptance through every target a message's recipients were routed to (pipeline/target.ts,
 * STYLE.md habit 6): start each target → add its recipients → run the bodies → commit all, or
 * abort all.
 *
 * Invariants:
 * - Every recipient is added before any body runs, so a refused recipient stops the message
 *   before anything is written.
 * - Bodies of reversible targets (the queue) run before those that cannot be undone (the mailbox
 *   store), so when a body fails every target written so far can still be aborted: the message is
 *   refused whole and the client's retry finds nothing half delivered.
 * - Commits run only once every body resolved; a commit that throws is logged and the others
 *   still run (every body is durable by then: the message is accepted).
 */
import type { Logger } from '../../log.js';
import type { MessageTarget, TargetDelivery, TargetMessage, TargetRecipient } from '../target.js';

export interface RoutedRecipients {
  target: MessageTarget;
  recipients: TargetRecipient[];
}

/** Resolves once the message is durable at every target; throws (after aborting) otherwise. */
export async function deliverToTargets(message: TargetMessage, routed: readonly RoutedRecipients[], raw: Buffer, log: Logger): Promise<void> {
  const used = routed.filter((route) => route.recipients.length > 0);
  const ordered = [...used.filter((route) => route.target.reversible), ...used.filter((route) => !route.target.reversible)];
  const started: Array<{ name: string; delivery: TargetDelivery }> = [];
  try {
    for (const { target, recipients } of ordered) {
      const delivery = target.start(message);
      started.push({ name: target.name, delivery });
      for (const recipient of recipients) await delivery.addRecipient(recipient);
    }
    for (const { delivery } of started) await delivery.body(raw);
  } catch (error) {
    for (const { name, delivery } of [...started].reverse()) {
      await delivery.abort().catch((abortError: unknown) => log.error({ evt: 'pipeline.abort-failed', target: name, err: abortError }, 'target abort failed'));
    }
    throw error;
  }
  for (const { name, delivery } of started) {
    await delivery.commit().catch((commitError: unknown) => log.error({ evt: 'pipeline.commit-failed', target: name, err: commitError }, 'target commit failed after the message was durable'));
  }
}
