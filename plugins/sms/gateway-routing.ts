/**
 * Routing shared by the sms, fax and voice gateways: which recipients are theirs, who may use
 * them, and the route target. A gateway address is `<E.164 number>@<gateway domain>`, e.g.
 * "+4915112345678@sms.example.com" (ITU-T E.164: "+", country code, at most 15 digits).
 *
 * Invariants (never an open gateway): a recipient at a gateway domain is accepted only from an
 * authenticated sender or a sender listed in `allowedSenders`; anyone else gets 550 5.7.1 at
 * RCPT, so MX mail from the Internet cannot make the server send SMS, faxes or calls.
 */
import { target, verdict, type RcptToContext, type RouteContext, type RouteResult, type HookResult } from '../../src/plugins/api.js';

export const E164 = /^\+[1-9]\d{1,14}$/;

export interface GatewayRoutingConfig {
  domains: string[];
  allowedSenders: string[];
}

/** The local part and domain when `address` is at one of `domains`, else null. */
export function atGatewayDomain(address: string, domains: readonly string[]): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const domain = address.slice(at + 1).toLowerCase();
  return domains.includes(domain) ? { local: address.slice(0, at), domain } : null;
}

/** Whether an unauthenticated sender is allowed: listed as an address or as "@domain". */
export function senderAllowed(from: string, allowed: readonly string[]): boolean {
  if (from === '') return false;
  const address = from.toLowerCase();
  const domain = address.slice(address.lastIndexOf('@'));
  return allowed.includes(address) || allowed.includes(domain);
}

/** The rcptTo and route hooks of a gateway plugin named `gateway`. */
export function gatewayRoutingHooks<C extends GatewayRoutingConfig>(gateway: string, what: string) {
  return {
    rcptTo(ctx: RcptToContext<C>): HookResult {
      const address = atGatewayDomain(ctx.to, ctx.config.domains);
      if (!address) return verdict.continue();
      if (!ctx.session.user && !senderAllowed(ctx.from, ctx.config.allowedSenders)) {
        ctx.log.info({ evt: `${gateway}.sender-refused`, role: ctx.session.role, from: ctx.from }, 'gateway use refused: not authenticated');
        return verdict.reject(550, '5.7.1', `Only authenticated users may send ${what}`);
      }
      if (!E164.test(address.local)) {
        return verdict.reject(550, '5.1.3', `Address ${what} as +<international number>@${address.domain}`);
      }
      return verdict.accept();
    },
    route(ctx: RouteContext<C>): RouteResult {
      const address = atGatewayDomain(ctx.recipient, ctx.config.domains);
      if (!address) return verdict.continue();
      return verdict.route(target.gateway(gateway, address.local));
    },
  };
}
