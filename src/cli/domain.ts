/** `bridgehead domain add|list|remove <domain>`: the domains this server receives mail for; `domain dkim` is in dkim.ts. */
import { runAdmin } from './control-client.js';
import { isDkimInvocation, runDkim } from './dkim.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type SubCommand } from './common.js';

const help = `Usage: bridgehead domain <add|list|remove|dkim> [domain] [--config FILE]

Manage the local domains: mail to addresses in them is delivered to local users and aliases.

  bridgehead domain add example.org      accept mail for example.org
  bridgehead domain list                 list local domains
  bridgehead domain remove example.org   stop accepting mail for it (refused while it has users)
  bridgehead domain dkim example.org     create its DKIM signing key and print the DNS record
                                         (bridgehead domain dkim --help: --show, --rotate, ...)

Works whether the server runs or not; a running server sees the change at once.`;

export const domainCommand: SubCommand = {
  name: 'domain',
  summary: 'add, list or remove local domains',
  help,
  async run(argv, io) {
    if (isDkimInvocation(argv)) return runDkim(argv, io);
    const { values, positionals } = parse(argv, { ...configOption, ...helpOption });
    if (values.help) return print(io, help), 0;
    const [action, domain, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
    const config = configFrom(values, io);
    switch (action) {
      case 'add':
        if (!domain) throw new UsageError('domain add needs a domain');
        await runAdmin(config, { op: 'domain.add', args: { domain } });
        print(io, `added domain ${domain.toLowerCase()}`);
        return 0;
      case 'remove':
        if (!domain) throw new UsageError('domain remove needs a domain');
        if (!(await runAdmin(config, { op: 'domain.remove', args: { domain } }))) {
          throw new Error(`no such domain: ${domain}`);
        }
        print(io, `removed domain ${domain.toLowerCase()}`);
        return 0;
      case 'list': {
        const domains = (await runAdmin(config, { op: 'domain.list', args: {} })) as string[];
        if (domains.length > 0) print(io, domains.join('\n'));
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action: domain ${action}` : 'domain needs an action: add, list, remove or dkim');
    }
  },
};
