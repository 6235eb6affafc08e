/**
 * `bridgehead user set|show <address>`: a user's phone and fax numbers and notification rules
 * (unified messaging, pipeline/profiles.ts). Reached through `bridgehead user` (user.ts), which
 * hands these two actions here because their options differ from add/passwd/list/remove.
 */
import { runAdmin } from './control-client.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type CommandIo } from './common.js';
import type { UserProfile } from '../store/types.js';

export const userSetHelp = `Usage: bridgehead user set <address> [--phone NUMBER] [--fax NUMBER] [--notify RULE]...
       bridgehead user show <address>

Set or show a user's numbers for the SMS, fax and voice gateways, and notification rules.
Numbers are international (E.164), e.g. +4915112345678; "none" removes one. Mail from the
gateways to the user (an SMS to their phone, a fax to their fax number) lands in their INBOX.

  --phone NUMBER   mobile number: incoming SMS and voicemail for it go to this user
  --fax NUMBER     fax number: incoming faxes for it go to this user
  --notify RULE    gateway:sender[,sender...]: new mail from these senders is also announced
                   through that gateway to the user's phone, e.g.
                     --notify sms:boss@example.org,@partner.example   (an SMS per such mail)
                     --notify voice:*                                 (a call for every mail)
                   Repeat for several rules; the rules given replace the old ones;
                   --notify none removes them all.
  -c, --config FILE  configuration file

Example:
  bridgehead user set alice@example.org --phone +4915112345678 --notify sms:boss@example.org`;

/** Runs `user set ...` or `user show ...` (argv starts with the action). */
export async function runUserProfileAction(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...configOption,
    ...helpOption,
    phone: { type: 'string' },
    fax: { type: 'string' },
    notify: { type: 'string', multiple: true },
  });
  if (values.help) return print(io, userSetHelp), 0;
  const [action, address, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (!address) throw new UsageError(`user ${action} needs an address`);
  const config = configFrom(values, io);
  if (action === 'show') {
    if (values.phone !== undefined || values.fax !== undefined || values.notify !== undefined) {
      throw new UsageError('user show takes no --phone, --fax or --notify');
    }
    print(io, formatProfile((await runAdmin(config, { op: 'user.show', args: { address } })) as UserProfile));
    return 0;
  }
  const args: Record<string, unknown> = { address };
  if (values.phone !== undefined) args.phone = noneIsNull(values.phone);
  if (values.fax !== undefined) args.fax = noneIsNull(values.fax);
  if (values.notify !== undefined) args.notify = values.notify.length === 1 && values.notify[0] === 'none' ? null : values.notify;
  if (Object.keys(args).length === 1) throw new UsageError('user set needs --phone, --fax or --notify');
  const profile = (await runAdmin(config, { op: 'user.set', args })) as UserProfile;
  print(io, formatProfile(profile));
  return 0;
}

function noneIsNull(value: string): string | null {
  return value.toLowerCase() === 'none' ? null : value;
}

export function formatProfile(profile: UserProfile): string {
  const rules = profile.notify.map((rule) => `${rule.gateway}:${rule.senders.join(',')}`);
  return [
    `user:   ${profile.address}`,
    `phone:  ${profile.phone ?? '-'}`,
    `fax:    ${profile.fax ?? '-'}`,
    `notify: ${rules.length > 0 ? rules.join(' ') : '-'}`,
  ].join('\n');
}
