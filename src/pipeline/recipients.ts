/**
 * Recipient resolution: which local accounts, if any, an envelope address delivers to.
 *
 * Order for an address at a local domain (first match wins):
 *   1. an account with exactly that address;
 *   2. an alias with exactly that address, its targets expanded recursively (targets may be
 *      accounts, other aliases, or remote addresses);
 *   3. subaddressing: "user+tag@domain" is tried as "user@domain" (account, then alias);
 *   4. the domain's catch-all alias "*@domain";
 *   otherwise the address is unknown.
 *
 * The accounts of a local result are distinct and sorted.
 *
 * Invariants (never an open relay, RFC 5321 §3.6.1/§7.1):
 * - Only the domain after the last "@" of a syntactically valid Mailbox decides where mail
 *   goes. "user%remote@local" and a quoted '"a@b"@local' are local parts at the local domain
 *   and can only reach local accounts; source routes and trailing dots fail the syntax check;
 *   address literals ("[127.0.0.1]") are never local.
 * - Remote alias targets are not delivered yet (relay comes later): they are skipped with a
 *   log line, and an alias left with no local target resolves as unknown.
 * - Expansion stops at `maxDepth` levels and at any address already on the current path
 *   (alias loops), each with a log line; what was found up to there still counts.
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { parseMailbox, type Mailbox } from './address.js';

export type Resolution =
  | { kind: 'local'; accounts: string[] }
  | { kind: 'unknown-local' }
  | { kind: 'remote' }
  /** Not a valid RFC 5321 Mailbox; front ends answer with a syntax error. */
  | { kind: 'invalid'; reason: string };

export interface ResolveOptions {
  log?: Logger;
  /** How many alias levels are followed; default 10. */
  maxDepth?: number;
}

export const DEFAULT_ALIAS_DEPTH = 10;
/** Bound on the accounts one address may fan out to, so one alias cannot multiply a message without limit. */
export const MAX_EXPANDED_ACCOUNTS = 1000;

const catchAllOf = (domain: string) => `*@${domain}`;

export async function resolveRecipient(store: Store, address: string, options: ResolveOptions = {}): Promise<Resolution> {
  const parsed = parseMailbox(address);
  if (!parsed.ok) return { kind: 'invalid', reason: parsed.reason };
  const mailbox = parsed.mailbox;
  if (mailbox.domainIsLiteral) return { kind: 'remote' };
  const resolver = new Expansion(store, options);
  if (!(await resolver.isLocalDomain(mailbox.domain))) return { kind: 'remote' };
  await resolver.expand(mailbox, []);
  const accounts = [...resolver.accounts].sort();
  return accounts.length > 0 ? { kind: 'local', accounts } : { kind: 'unknown-local' };
}

class Expansion {
  readonly accounts = new Set<string>();
  private readonly store: Store;
  private readonly log: Logger | undefined;
  private readonly maxDepth: number;
  private readonly domains = new Map<string, boolean>();

  constructor(store: Store, options: ResolveOptions) {
    this.store = store;
    this.log = options.log;
    this.maxDepth = options.maxDepth ?? DEFAULT_ALIAS_DEPTH;
  }

  async isLocalDomain(domain: string): Promise<boolean> {
    let local = this.domains.get(domain);
    if (local === undefined) {
      local = await this.store.hasDomain(domain);
      this.domains.set(domain, local);
    }
    return local;
  }

  /** Expands a mailbox at a local domain; returns false when nothing at all matched it. */
  async expand(mailbox: Mailbox, path: string[]): Promise<boolean> {
    if (await this.expandExact(mailbox.address, path)) return true;
    const base = subaddressBase(mailbox);
    if (base !== null && (await this.expandExact(`${base}@${mailbox.domain}`, path))) return true;
    const catchAll = catchAllOf(mailbox.domain);
    if (path.includes(catchAll)) {
      this.log?.warn({ evt: 'recipient.alias-loop', address: mailbox.address, path }, 'catch-all loop, branch skipped');
      return true;
    }
    const alias = await this.store.getAlias(catchAll);
    if (!alias) return false;
    await this.expandTargets(alias.targets, [...path, catchAll]);
    return true;
  }

  private async expandExact(address: string, path: string[]): Promise<boolean> {
    if (path.includes(address)) {
      this.log?.warn({ evt: 'recipient.alias-loop', address, path }, 'alias loop, branch skipped');
      return true;
    }
    const account = await this.store.getAccount(address);
    if (account) {
      if (this.accounts.size < MAX_EXPANDED_ACCOUNTS) this.accounts.add(account.address);
      return true;
    }
    const alias = await this.store.getAlias(address);
    if (!alias) return false;
    await this.expandTargets(alias.targets, [...path, address]);
    return true;
  }

  private async expandTargets(targets: string[], path: string[]): Promise<void> {
    if (path.length > this.maxDepth) {
      this.log?.warn({ evt: 'recipient.alias-too-deep', path, maxDepth: this.maxDepth }, 'alias chain too deep, branch skipped');
      return;
    }
    for (const target of targets) {
      const parsed = parseMailbox(target);
      if (!parsed.ok || parsed.mailbox.local === '*') {
        this.log?.warn({ evt: 'recipient.alias-target-invalid', alias: path[path.length - 1], target }, 'invalid alias target skipped');
        continue;
      }
      const mailbox = parsed.mailbox;
      if (mailbox.domainIsLiteral || !(await this.isLocalDomain(mailbox.domain))) {
        this.log?.info(
          { evt: 'recipient.remote-target-skipped', alias: path[path.length - 1], target: mailbox.address },
          'remote alias target not delivered: relay is not enabled yet',
        );
        continue;
      }
      if (!(await this.expand(mailbox, path))) {
        this.log?.warn({ evt: 'recipient.alias-target-unknown', alias: path[path.length - 1], target: mailbox.address }, 'alias target does not exist');
      }
    }
  }
}

/** "user+tag" → "user" (RFC 5233 style subaddress); null when the address has no usable tag. */
function subaddressBase(mailbox: Mailbox): string | null {
  if (mailbox.localIsQuoted) return null;
  const plus = mailbox.local.indexOf('+');
  if (plus <= 0) return null;
  return mailbox.local.slice(0, plus);
}
