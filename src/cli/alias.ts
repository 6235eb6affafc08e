/** `bridgehead alias add|list|remove <address> <target...>`: forwarding addresses. */
import { runAdmin } from './control-client.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type SubCommand } from './common.js';

const help = `Usage: bridgehead alias <add|list|remove> [address] [target...] [--config FILE]

Aliases deliver mail for an address to one or more targets.

  bridgehead alias add team@example.org alice@example.org bob@example.org
                                            one-to-many alias (adds targets to an existing alias)
  bridgehead alias add '*@example.org' alice@example.org
                                            catch-all: every unknown address of the domain
  bridgehead alias list                     list aliases and their targets
  bridgehead alias remove team@example.org bob@example.org
                                            remove one target (or the whole alias without targets)

Subaddressing needs no alias: mail to alice+anything@example.org is delivered to alice@example.org.`;

export const aliasCommand: SubCommand = {
  name: 'alias',
  summary: 'add, list or remove aliases and catch-alls',
  help,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...configOption, ...helpOption });
    if (values.help) return print(io, help), 0;
    const [action, address, ...targets] = positionals;
    const config = configFrom(values, io);
    switch (action) {
      case 'add':
        if (!address || targets.length === 0) throw new UsageError('alias add needs an address and at least one target');
        await runAdmin(config, { op: 'alias.add', args: { address, targets } });
        print(io, `${address.toLowerCase()} → ${targets.map((target) => target.toLowerCase()).join(', ')}`);
        return 0;
      case 'remove':
        if (!address) throw new UsageError('alias remove needs an address');
        if (!(await runAdmin(config, { op: 'alias.remove', args: { address, targets } }))) {
          throw new Error(`no such alias${targets.length ? ' target' : ''}: ${address}`);
        }
        print(io, `removed ${targets.length ? `${targets.join(', ')} from ` : ''}alias ${address.toLowerCase()}`);
        return 0;
      case 'list': {
        const aliases = (await runAdmin(config, { op: 'alias.list', args: {} })) as Array<{ address: string; targets: string[] }>;
        if (aliases.length > 0) print(io, aliases.map((alias) => `${alias.address} → ${alias.targets.join(', ')}`).join('\n'));
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action: alias ${action}` : 'alias needs an action: add, list or remove');
    }
  },
};
