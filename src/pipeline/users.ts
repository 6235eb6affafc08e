/**
 * User management: local domains, accounts and aliases, for the command line, the control socket
 * and the web console. Every input is validated and normalised here (see address.ts: lower-case,
 * IDN domains as punycode, RFC 5321 §4.1.2 syntax and length limits), so the store only ever
 * holds canonical addresses and recipient resolution can compare strings.
 *
 * Invariants kept:
 * - accounts and aliases live only at local domains; a domain with accounts or aliases cannot be
 *   removed;
 * - one address is either an account or an alias, never both; "*@domain" is a domain's
 *   catch-all alias and never an account;
 * - alias targets are valid mailboxes (local or remote), never a catch-all, never the alias itself.
 *
 * Errors a person should read are UserError with a short message; anything else is a bug or an
 * I/O failure and propagates as is.
 */
import { StoreError } from '../errors.js';
import type { Store } from '../store/types.js';
import { normalizeDomain, parseMailbox, type Mailbox } from './address.js';
import { hashPassword } from './passwords.js';
import { scramCredentialsFor } from './scram.js';
import { ProfileManager } from './profiles.js';

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export interface UserManagerOptions {
  /** scrypt cost as log2(N), passed to hashPassword; tests lower it for speed. */
  passwordHashLogN?: number;
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;
/** Bound on one alias's fan-out, so a typo cannot create a mail bomb. */
export const MAX_ALIAS_TARGETS = 1000;

const CATCH_ALL_LOCAL = '*';

export class UserManager {
  private readonly store: Store;
  private readonly passwordHashLogN: number | undefined;

  /** Phone and fax numbers and notification rules of accounts (profiles.ts). */
  readonly profiles: ProfileManager;

  constructor(store: Store, options: UserManagerOptions = {}) {
    this.store = store;
    this.passwordHashLogN = options.passwordHashLogN;
    this.profiles = new ProfileManager(store);
  }

  async addDomain(domain: string): Promise<void> {
    const name = domainArgument(domain);
    if (await this.store.hasDomain(name)) throw new UserError(`domain ${name} exists`);
    await this.store.addDomain(name);
  }

  /** Refuses while the domain still has accounts or aliases; false when it was not a local domain. */
  async removeDomain(domain: string): Promise<boolean> {
    const name = domainArgument(domain);
    if (!(await this.store.hasDomain(name))) return false;
    const users = (await this.store.listAccounts()).filter((account) => domainOf(account.address) === name);
    if (users.length > 0) {
      throw new UserError(`domain ${name} still has ${users.length} user${users.length === 1 ? '' : 's'}; remove them first`);
    }
    const aliases = (await this.store.listAliases()).filter((alias) => domainOf(alias.address) === name);
    if (aliases.length > 0) {
      throw new UserError(`domain ${name} still has ${aliases.length} alias${aliases.length === 1 ? '' : 'es'}; remove them first`);
    }
    return this.store.removeDomain(name);
  }

  async listDomains(): Promise<string[]> {
    return (await this.store.listDomains()).sort();
  }

  async addUser(address: string, password: string): Promise<void> {
    const mailbox = await this.localMailbox(address);
    if (mailbox.local === CATCH_ALL_LOCAL) throw new UserError(`invalid address: ${address}: "*" is reserved for catch-all aliases`);
    checkPassword(password);
    if (await this.store.getAccount(mailbox.address)) throw new UserError(`user ${mailbox.address} exists`);
    if (await this.store.getAlias(mailbox.address)) throw new UserError(`${mailbox.address} is an alias; remove the alias first`);
    const passwordHash = await hashPassword(password, this.passwordHashLogN);
    try {
      await this.store.createAccount(mailbox.address, passwordHash, { scram: await scramCredentialsFor(password) });
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'exists') throw new UserError(`user ${mailbox.address} exists`);
      throw error;
    }
  }

  async setPassword(address: string, password: string): Promise<void> {
    const mailbox = addressArgument(address);
    checkPassword(password);
    if (!(await this.store.getAccount(mailbox.address))) throw new UserError(`no such user: ${mailbox.address}`);
    const passwordHash = await hashPassword(password, this.passwordHashLogN);
    await this.store.setPasswordHash(mailbox.address, passwordHash, { scram: await scramCredentialsFor(password) });
  }

  /**
   * Sets the account's storage quota when `quotaBytes` is given (null: the configured default,
   * 0: no limit; pipeline/quota.ts) and returns the account's own setting and its usage.
   */
  async quota(address: string, quotaBytes?: number | null): Promise<{ address: string; quotaBytes: number | null; usedBytes: number }> {
    const mailbox = addressArgument(address);
    if (!(await this.store.getAccount(mailbox.address))) throw new UserError(`no such user: ${mailbox.address}`);
    if (quotaBytes !== undefined) await this.store.setQuota(mailbox.address, quotaBytes);
    const account = (await this.store.getAccount(mailbox.address))!;
    const usedBytes = (await this.store.listMailboxes(mailbox.address)).reduce((sum, box) => sum + box.size, 0);
    return { address: account.address, quotaBytes: account.quotaBytes, usedBytes };
  }

  async removeUser(address: string): Promise<boolean> {
    return this.store.deleteAccount(addressArgument(address).address);
  }

  /** Account addresses, sorted; only those at `domain` when given. */
  async listUsers(domain?: string): Promise<string[]> {
    const filter = domain === undefined ? null : domainArgument(domain);
    return (await this.store.listAccounts())
      .map((account) => account.address)
      .filter((address) => filter === null || domainOf(address) === filter)
      .sort();
  }

  /** Adds targets to the alias (creating it); "*@domain" is the domain's catch-all. */
  async addAlias(address: string, targets: string[]): Promise<void> {
    const mailbox = await this.localMailbox(address);
    if (targets.length === 0) throw new UserError('an alias needs at least one target');
    if (targets.length > MAX_ALIAS_TARGETS) throw new UserError(`an alias has at most ${MAX_ALIAS_TARGETS} targets`);
    const normalized = [...new Set(targets.map((target) => targetArgument(target)))];
    if (normalized.includes(mailbox.address)) throw new UserError(`alias ${mailbox.address} cannot target itself`);
    if (await this.store.getAccount(mailbox.address)) throw new UserError(`${mailbox.address} is a user; an alias cannot have the same address`);
    const existing = await this.store.getAlias(mailbox.address);
    if (existing && new Set([...existing.targets, ...normalized]).size > MAX_ALIAS_TARGETS) {
      throw new UserError(`an alias has at most ${MAX_ALIAS_TARGETS} targets`);
    }
    await this.store.addAlias(mailbox.address, normalized);
  }

  /** Removes the given targets, or the whole alias when `targets` is empty; false when nothing matched. */
  async removeAlias(address: string, targets: string[]): Promise<boolean> {
    const mailbox = addressArgument(address);
    return this.store.removeAlias(mailbox.address, targets.map((target) => targetArgument(target)));
  }

  async listAliases(): Promise<Array<{ address: string; targets: string[] }>> {
    return (await this.store.listAliases())
      .map((alias) => ({ address: alias.address, targets: [...alias.targets] }))
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  /** An address (or catch-all) at a domain this server is final destination for. */
  private async localMailbox(address: string): Promise<Mailbox> {
    const mailbox = addressArgument(address);
    if (!(await this.store.hasDomain(mailbox.domain))) throw new UserError(`domain ${mailbox.domain} is not a local domain`);
    return mailbox;
  }
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

function domainArgument(domain: string): string {
  const result = normalizeDomain(String(domain).trim());
  if (!result.ok) throw new UserError(`invalid domain: ${domain}: ${result.reason}`);
  return result.domain;
}

/** A mailbox given as an argument: valid syntax, and a domain name rather than an address literal.
 * "*" is atext, so "*@domain" (a catch-all) passes; callers decide where it is allowed. */
function addressArgument(address: string): Mailbox {
  const parsed = parseMailbox(String(address).trim());
  if (!parsed.ok) throw new UserError(`invalid address: ${address}: ${parsed.reason}`);
  if (parsed.mailbox.domainIsLiteral) throw new UserError(`invalid address: ${address}: address literals are not supported`);
  return parsed.mailbox;
}

function targetArgument(target: string): string {
  const mailbox = addressArgument(target);
  if (mailbox.local === CATCH_ALL_LOCAL) throw new UserError(`invalid alias target: ${target}: a catch-all cannot be a target`);
  return mailbox.address;
}

function checkPassword(password: string): void {
  if (typeof password !== 'string') throw new UserError('password must be a string');
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) throw new UserError(`password too short: at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) throw new UserError(`password too long: at most ${PASSWORD_MAX_LENGTH} characters`);
}
