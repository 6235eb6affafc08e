/**
 * partners: accounts flagged as restricted (a child's, a kiosk's, a trainee's) may exchange mail
 * only with their configured partner addresses, in both directions.
 *
 * - A restricted account sending (authenticated as it, or with it as envelope sender) to an
 *   address that is not a partner: that recipient is refused at RCPT with 550 5.7.1.
 * - Mail to a restricted account from a sender that is not a partner: refused at RCPT with
 *   550 5.7.1, before the message is transferred.
 * - Everyone else is not concerned: the hook answers `continue`.
 *
 * The example plugin of plugins/README.md: it imports only the plugin API, validates its config
 * section with the schema builder, and is compiled by `npm run build` and tested in
 * test/plugins/partners.test.ts, so it cannot drift from the API.
 */
import { definePlugin, schema, verdict, type Infer, type RcptToContext } from '../../src/plugins/api.js';

const configSchema = schema.object({
  restricted: schema.array(schema.email(), {
    default: [],
    description: 'Restricted accounts (their addresses, lower-cased; list aliases of them too).',
  }),
  partners: schema.array(schema.email({ allowDomain: true }), {
    default: [],
    description: 'Addresses restricted accounts may exchange mail with; "@domain" allows a whole domain.',
  }),
  allowBounces: schema.boolean({
    default: true,
    description: 'Let delivery status notifications (null sender) reach restricted accounts.',
  }),
  text: schema.string({
    default: 'This account may only exchange mail with approved partners',
    pattern: /^[\x20-\x7e]{1,200}$/,
    patternText: 'printable ASCII text of at most 200 characters',
    description: 'Text of the 550 5.7.1 refusal.',
  }),
});

type PartnersConfig = Infer<typeof configSchema>;

/** Whether an address is a partner: listed itself, or its domain listed as "@domain". */
export function isPartner(address: string, partners: readonly string[]): boolean {
  const lower = address.toLowerCase();
  const at = lower.lastIndexOf('@');
  return partners.includes(lower) || (at > 0 && partners.includes(lower.slice(at)));
}

function isRestricted(address: string | null, config: PartnersConfig): boolean {
  return address !== null && config.restricted.includes(address.toLowerCase());
}

export default definePlugin({
  name: 'partners',
  configSchema,
  hooks: {
    rcptTo(ctx: RcptToContext<PartnersConfig>) {
      const { config, session, from, to } = ctx;
      const sender = session.user ?? (from === '' ? null : from);
      if ((isRestricted(session.user, config) || isRestricted(from, config)) && !isPartner(to, config.partners)) {
        ctx.log.info({ evt: 'partners.refused', direction: 'out', account: sender, to }, 'restricted account: recipient is not a partner');
        return verdict.reject(550, '5.7.1', config.text);
      }
      if (isRestricted(to, config)) {
        if (from === '' && config.allowBounces) return verdict.continue();
        if (!isPartner(from, config.partners)) {
          ctx.log.info({ evt: 'partners.refused', direction: 'in', account: to, from }, 'restricted account: sender is not a partner');
          return verdict.reject(550, '5.7.1', config.text);
        }
      }
      return verdict.continue();
    },
  },
});
