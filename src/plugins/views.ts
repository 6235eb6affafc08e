/**
 * The read-only views of sessions and envelopes that plugin contexts carry (api.ts SessionView,
 * EnvelopeView): copies, frozen, so no plugin can change what the server or another plugin sees.
 */
import type { EnvelopeView, SessionView } from './api.js';
import type { HookEnvelope, HookSession } from './host.js';

/** The frozen session plugins see. */
export function sessionView(session: HookSession): SessionView {
  return Object.freeze({
    id: session.id,
    role: session.role,
    remoteAddress: session.remoteAddress,
    heloName: session.heloName,
    user: session.user,
    secure: session.secure,
    gateway: session.gateway ?? null,
  });
}

/** The frozen envelope plugins see. */
export function envelopeView(envelope: HookEnvelope): EnvelopeView {
  return Object.freeze({ from: envelope.from, to: Object.freeze([...envelope.to]) });
}
