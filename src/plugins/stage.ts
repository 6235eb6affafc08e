/**
 * The plugin part of the pipeline's DATA step: `data` hooks (which may change headers), then
 * `route` for each recipient, turned into a plan the pipeline carries out: which recipients
 * the server routes as it would without plugins, and which go to mailboxes, the outbound queue or
 * gateways because a plugin said so (gateway recipients are queued too: src/plugins/gateways.ts).
 *
 * Invariants:
 * - With no data or route hooks the plan is the identity: the message bytes are the very same
 *   buffer and every recipient is routed by default.
 * - A refusing verdict from either hook refuses the whole message (SMTP has one reply after
 *   DATA); it is thrown as a PluginVerdictError.
 * - A mailbox target must name an existing local account; otherwise the route is a plugin
 *   failure (tempfail), never a silent drop.
 */
import type { Logger } from '../log.js';
import type { DeliveryTarget } from '../store/types.js';
import type { GatewayRecipientTarget } from './gateways.js';
import { enforceDecision, type HookEnvelope, type HookSession, type PluginHost, PluginMessage } from './host.js';
import { PLUGIN_FAILURE_TEXT, PluginVerdictError } from './verdicts.js';

export interface MessagePlan {
  /** The message as data hooks left it (without trace fields). */
  message: Buffer;
  /** Recipients the pipeline routes itself (local resolution, relay rules). */
  byDefault: string[];
  /** Mailbox targets plugins chose. */
  mailboxes: DeliveryTarget[];
  /** Addresses plugins sent to the outbound queue. */
  relay: string[];
  /** Gateway recipients plugins chose. */
  gateways: GatewayRecipientTarget[];
  /** Tells the stored hooks; call once the message is durable. */
  stored(info: { accounts: string[]; gateways: string[]; relayed: string[] }): void;
}

export async function planMessage(input: {
  plugins: PluginHost;
  session: HookSession;
  envelope: HookEnvelope;
  id: string;
  message: Buffer;
  /** Whether a local account exists (mailbox targets must name one). */
  accountExists: (account: string) => Promise<boolean>;
  log: Logger;
}): Promise<MessagePlan> {
  const { plugins, session, envelope, id } = input;
  const plan: MessagePlan = {
    message: input.message,
    byDefault: [...envelope.to],
    mailboxes: [],
    relay: [],
    gateways: [],
    stored: (info) => plugins.stored({ messageId: id, envelope, ...info }),
  };
  if (!plugins.has('data') && !plugins.has('route')) return plan;

  const { decision, message } = await plugins.data(session, envelope, id, input.message);
  enforceDecision(decision);
  plan.message = message.raw;
  if (!plugins.has('route')) return plan;

  plan.byDefault = [];
  for (const recipient of envelope.to) {
    const routed = await plugins.route(session, envelope, message, recipient);
    const verdict = routed.verdict;
    if (verdict.kind === 'continue' || verdict.kind === 'accept') {
      plan.byDefault.push(recipient);
      continue;
    }
    if (verdict.kind !== 'route') throw new PluginVerdictError(verdict, routed.plugin);
    for (const target of verdict.targets) {
      switch (target.kind) {
        case 'default':
          plan.byDefault.push(recipient);
          break;
        case 'mailbox':
          if (!(await input.accountExists(target.account))) {
            input.log.error({ evt: 'plugin.hook-failed', plugin: routed.plugin, hook: 'route', reason: 'bad-result', msgid: id }, 'route to a mailbox of an account that does not exist');
            throw new PluginVerdictError({ kind: 'tempfail', text: PLUGIN_FAILURE_TEXT }, null);
          }
          plan.mailboxes.push({ account: target.account, mailbox: target.mailbox });
          break;
        case 'relay':
          plan.relay.push(target.address ?? recipient);
          break;
        case 'gateway':
          plan.gateways.push({ gateway: target.gateway, recipient, number: target.address });
          break;
      }
    }
  }
  return plan;
}

export { PluginMessage };
