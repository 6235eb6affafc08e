/**
 * `bridgehead domain dkim <domain> [--selector S] [--algorithm rsa|ed25519] [--rotate | --show]`:
 * creates the domain's DKIM signing key and prints the DNS TXT record to publish (RFC 6376 §3.6.1).
 * Called by domain.ts. Keys are files under <dataDir>/dkim (src/mailauth/keys.ts), so this works
 * the same whether the server runs or not, and a running server signs with a new key at once.
 */
import { createPrivateKey } from 'node:crypto';
import { defaultSelector, DkimKeyStore, dnsRecord, type DkimAlgorithm, type DkimKey } from '../mailauth/keys.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type CommandIo } from './common.js';

export const dkimHelp = `Usage: bridgehead domain dkim <domain> [--selector S] [--algorithm rsa|ed25519] [--rotate | --show] [--config FILE]

Creates the DKIM key that signs outbound mail from <domain> and prints the DNS TXT record to publish.

  bridgehead domain dkim example.org            create the key (once) and print its record
  bridgehead domain dkim example.org --show     print the record of the active key again
  bridgehead domain dkim example.org --rotate   make a new key under a new selector and make it active

  --selector S      selector name (default: bh<YYYYMMDD>)
  --algorithm A     rsa (default, 2048 bits: every verifier accepts it) or ed25519 (RFC 8463;
                    not yet verified everywhere, so publish it beside an RSA key, not instead)

After a rotation, keep the old record published for a few days (mail in flight was signed with it),
then remove it. Keys are kept in <dataDir>/dkim/<domain>/<selector>.key, readable by the owner only.`;

/** True when the sub-command's first positional argument is "dkim" (options may come first). */
export function isDkimInvocation(argv: string[]): boolean {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--config' || arg === '-c') {
      index++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg === 'dkim';
  }
  return false;
}

const dkimOptions = {
  ...configOption,
  ...helpOption,
  selector: { type: 'string' },
  algorithm: { type: 'string' },
  rotate: { type: 'boolean' },
  show: { type: 'boolean' },
} as const;

export async function runDkim(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parse(argv, dkimOptions);
  if (values.help) return print(io, dkimHelp), 0;
  const [action, domain, ...extra] = positionals;
  if (action !== 'dkim') throw new UsageError('expected: domain dkim <domain>');
  if (!domain) throw new UsageError('domain dkim needs a domain');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (values.show && (values.rotate || values.selector || values.algorithm)) {
    throw new UsageError('--show takes no --rotate, --selector or --algorithm');
  }
  const algorithm = values.algorithm ?? 'rsa';
  if (algorithm !== 'rsa' && algorithm !== 'ed25519') throw new UsageError(`--algorithm must be rsa or ed25519, not ${algorithm}`);

  const config = configFrom(values, io);
  const keys = new DkimKeyStore(config.dataDir);
  const active = await keys.active(domain);

  if (values.show) {
    if (!active) throw new Error(`${domain} has no DKIM key; create one with: bridgehead domain dkim ${domain}`);
    print(io, describe(active, 'active key'));
    return 0;
  }
  if (active && !values.rotate) {
    if (values.selector && values.selector.toLowerCase() !== active.selector) {
      throw new UsageError(`${active.domain} already signs with selector ${active.selector}; add --rotate to switch to a new key`);
    }
    print(io, `${active.domain} already has a DKIM key; --rotate makes a new one.\n\n${describe(active, 'active key')}`);
    return 0;
  }

  const selector = values.selector ?? (await freeSelector(keys, domain, defaultSelector(new Date())));
  const created = await keys.create(domain, { selector, algorithm: algorithm as DkimAlgorithm });
  const lines = [describe(created, active ? 'new active key' : 'new key')];
  lines.push('', `Publish this record; outbound mail from ${created.domain} is signed with it from now on.`);
  if (active) {
    lines.push(`Keep the old record (${active.selector}._domainkey.${active.domain}) for a few days, then remove it.`);
  }
  print(io, lines.join('\n'));
  return 0;
}

function describe(key: DkimKey, what: string): string {
  const record = dnsRecord(key);
  const bits = createPrivateKey(key.privateKey).asymmetricKeyDetails?.modulusLength;
  const size = key.algorithm === 'rsa' ? `rsa ${bits ?? ''}`.trim() : 'ed25519';
  return [
    `${key.domain}: ${what}, selector ${key.selector}, ${size}`,
    '',
    record.zoneLine,
    '',
    `name:  ${record.name}`,
    `value: ${record.value}`,
  ].join('\n');
}

/** The default selector, or it with "-2", "-3" ... when a key of the same day exists. */
async function freeSelector(keys: DkimKeyStore, domain: string, base: string): Promise<string> {
  const taken = new Set(await keys.selectors(domain));
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix++) if (!taken.has(`${base}-${suffix}`)) return `${base}-${suffix}`;
}
