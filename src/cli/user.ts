/** `bridgehead user add|passwd|list|remove <address>`: mail accounts. */
import { runAdmin } from './control-client.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type SubCommand } from './common.js';
import { readNewPassword } from './prompt.js';
import { runUserQuotaAction } from './user-quota.js';
import { runUserProfileAction } from './user-set.js';

const help = `Usage: bridgehead user <add|passwd|list|remove|quota|set|show> [address] [options]

Manage mail accounts. The address's domain must be a local domain (bridgehead domain add).
A new account gets the mailboxes INBOX, Drafts, Sent, Trash, Junk and Archive.

  bridgehead user add alice@example.org      create an account; prompts for the password
  bridgehead user passwd alice@example.org   change the password
  bridgehead user list [domain]              list accounts, optionally of one domain
  bridgehead user remove alice@example.org   delete the account and all its mail
  bridgehead user set alice@example.org --phone +4915112345678 --fax ... --notify sms:boss@example.org
                                             numbers and notification rules for the gateways
  bridgehead user show alice@example.org     show them ('bridgehead user set --help' for details)
  bridgehead user quota alice@example.org 2G show or set the storage quota (size, none or default)

Options:
  --password-stdin   read the password from the first line of standard input instead of a
                     prompt, e.g.  printf '%s\\n' "$PW" | bridgehead user add a@example.org --password-stdin
  -c, --config FILE  configuration file (default: $BRIDGEHEAD_CONFIG, else ./config.json)

Passwords are never taken from the command line, where other users could see them.`;

export const userCommand: SubCommand = {
  name: 'user',
  summary: 'add, list or remove accounts; passwords, quotas, gateway profiles',
  help,
  async run(argv, io) {
    if (argv[0] === 'set' || argv[0] === 'show') return runUserProfileAction(argv, io);
    if (argv[0] === 'quota') return runUserQuotaAction(argv, io);
    const { values, positionals } = parse(argv, {
      ...configOption,
      ...helpOption,
      'password-stdin': { type: 'boolean' },
    });
    if (values.help) return print(io, help), 0;
    const [action, address, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]} (passwords are never taken from arguments)`);
    const config = configFrom(values, io);
    const fromStdin = values['password-stdin'] === true;
    switch (action) {
      case 'add':
      case 'passwd': {
        if (!address) throw new UsageError(`user ${action} needs an address`);
        const password = await readNewPassword(io, { fromStdin });
        await runAdmin(config, { op: action === 'add' ? 'user.add' : 'user.passwd', args: { address, password } });
        print(io, action === 'add' ? `added user ${address.toLowerCase()}` : `changed the password of ${address.toLowerCase()}`);
        return 0;
      }
      case 'remove':
        if (!address) throw new UsageError('user remove needs an address');
        if (!(await runAdmin(config, { op: 'user.remove', args: { address } }))) throw new Error(`no such user: ${address}`);
        print(io, `removed user ${address.toLowerCase()}`);
        return 0;
      case 'list': {
        const users = (await runAdmin(config, { op: 'user.list', args: { domain: address ?? '' } })) as string[];
        if (users.length > 0) print(io, users.join('\n'));
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action: user ${action}` : 'user needs an action: add, passwd, list, remove, quota, set or show');
    }
  },
};
