/**
 * Medium → mail, the parts the gateways share: a gateway names the user an SMS, fax or voicemail
 * is for by the number it was sent to, and the server finds the account that holds that number
 * (pipeline/profiles.ts); messages from out-of-process gateways (listener.ts) take the same way
 * into the pipeline as those of in-process gateway plugins (src/plugins/gateways.ts).
 *
 * Invariants:
 * - A bare E.164 number is a recipient only in a gateway's session (`session.gateway` set): it
 *   stands for the account holding that number — the fax number first for a fax gateway, the
 *   phone number first for the others; a number nobody holds is 550 5.1.1. SMTP clients cannot
 *   use this: their sessions have no gateway.
 * - Everything else passes unchanged to the pipeline, which checks and stores as for MX mail.
 */
import { randomBytes } from 'node:crypto';
import { SmtpError } from '../errors.js';
import type { InboundMessage, InboundResult } from '../plugins/api.js';
import type { InboundPipeline } from '../plugins/gateways.js';
import type { HookSession } from '../plugins/host.js';
import type { NumberKind, Store } from '../store/types.js';
import { composeInboundMail } from './inbound-mail.js';

const E164 = /^\+[1-9]\d{1,14}$/;

/** The number kinds tried for a gateway (or a peer's medium), in order. */
function kindsFor(gateway: string): NumberKind[] {
  return gateway === 'fax' ? ['fax', 'phone'] : ['phone', 'fax'];
}

/** The account holding `number`, trying the kinds that fit the gateway; null when none does. */
export async function numberOwner(store: Store, gateway: string, number: string): Promise<string | null> {
  for (const kind of kindsFor(gateway)) {
    const owner = await store.findNumberOwner(kind, number);
    if (owner) return owner;
  }
  return null;
}

/**
 * The pipeline as gateways see it: bare E.164 recipients of gateway sessions are replaced by the
 * accounts that hold them. `mediumOf` maps a session's gateway name to its medium (default the
 * name itself, which is right for the built-in sms, fax and voice gateways).
 */
export function numberAwarePipeline(pipeline: InboundPipeline, store: Store, mediumOf: (gateway: string) => string = (gateway) => gateway): InboundPipeline {
  const resolve = async (session: HookSession, address: string): Promise<string> => {
    if (!session.gateway || !E164.test(address)) return address;
    const owner = await numberOwner(store, mediumOf(session.gateway), address);
    if (!owner) throw new SmtpError(550, '5.1.1', `No user here has the number ${address}`);
    return owner;
  };
  return {
    checkSender: (session, address) => pipeline.checkSender(session, address),
    checkRecipient: async (session, address) => pipeline.checkRecipient(session, await resolve(session, address)),
    deliver: async (session, envelope, message) => {
      const to: string[] = [];
      for (const recipient of envelope.to) to.push(await resolve(session, recipient));
      return pipeline.deliver(session, { from: envelope.from, to: [...new Set(to)] }, message);
    },
  };
}

/**
 * A message from an out-of-process gateway (a protocol peer) → the pipeline, as the gateway
 * `peer` carrying `medium`. The pipeline given should be number-aware.
 */
export async function deliverFromPeer(
  pipeline: InboundPipeline,
  via: { peer: string; medium: string },
  message: InboundMessage,
  options: { hostname: string },
): Promise<InboundResult> {
  const recipients = Array.isArray(message.to) ? message.to : [message.to];
  const session: HookSession = {
    id: `gw-${via.peer}-${randomBytes(4).toString('hex')}`,
    role: 'mx',
    remoteAddress: '127.0.0.1',
    heloName: 'localhost',
    user: null,
    secure: true,
    gateway: via.medium,
  };
  try {
    await pipeline.checkSender(session, message.from);
    for (const recipient of recipients) await pipeline.checkRecipient(session, recipient);
    const raw = await composeInboundMail(message, { to: recipients, hostname: options.hostname });
    const { id } = await pipeline.deliver(session, { from: message.from, to: recipients }, raw);
    return { ok: true, messageId: id };
  } catch (error) {
    if (error instanceof SmtpError) return { ok: false, temporary: error.code < 500, reply: error.reply };
    throw error;
  }
}
