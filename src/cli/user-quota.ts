/**
 * `bridgehead user quota <address> [size|none|default]`: shows or sets an account's storage quota
 * (pipeline/quota.ts). Reached through `bridgehead user` (user.ts).
 */
import { parseQuotaSize } from '../pipeline/quota.js';
import { runAdmin } from './control-client.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type CommandIo } from './common.js';

export const userQuotaHelp = `Usage: bridgehead user quota <address> [size|none|default]

Show or set a user's storage quota: all their mailboxes together. Mail that would go over it
is refused (SMTP 452, or 552 when the message alone is larger; IMAP NO [OVERQUOTA]).

  size     e.g. 500M, 2G, 1T (powers of 1024) or a number of octets
  none     no limit for this user
  default  the server's default, quota.defaultBytes in the configuration

  -c, --config FILE  configuration file

Example:
  bridgehead user quota alice@example.org 2G`;

/** Runs `user quota ...` (argv starts with the action). */
export async function runUserQuotaAction(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parse(argv, { ...configOption, ...helpOption });
  if (values.help) return print(io, userQuotaHelp), 0;
  const [, address, size, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (!address) throw new UsageError('user quota needs an address');
  let quota: number | null | undefined;
  if (size !== undefined) {
    try {
      quota = parseQuotaSize(size);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const config = configFrom(values, io);
  const result = (await runAdmin(config, { op: 'user.quota', args: quota === undefined ? { address } : { address, quota } })) as {
    address: string;
    quotaBytes: number | null;
    usedBytes: number;
  };
  const limit =
    result.quotaBytes === null
      ? `default (${config.quota.defaultBytes === 0 ? 'no limit' : formatSize(config.quota.defaultBytes)})`
      : result.quotaBytes === 0
        ? 'none'
        : formatSize(result.quotaBytes);
  print(io, [`user:  ${result.address}`, `quota: ${limit}`, `used:  ${formatSize(result.usedBytes)}`].join('\n'));
  return 0;
}

/** Octets in the largest binary unit that keeps the figure at least 1, e.g. "1.5 GiB". */
export function formatSize(bytes: number): string {
  const units = ['octets', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} octets` : `${Number(value.toFixed(2))} ${units[unit]}`;
}
