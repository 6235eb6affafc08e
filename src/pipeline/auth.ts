/**
 * Authentication for every front end (SMTP AUTH, IMAP LOGIN/AUTHENTICATE).
 *
 * - Verifies address + password against the account's scrypt hash.
 * - A short-lived cache of verified credentials keeps logins fast despite the KDF (as Dovecot's
 *   auth cache does). It is keyed by an HMAC of the credentials under a per-process random key,
 *   never the password itself, and an entry is valid only while the account's stored hash is the
 *   one it was verified against (a password change invalidates it at once).
 * - Failures are throttled per remote address and per account: every failure is answered after a
 *   delay, and past `maxFailures` within `windowMs` attempts are refused without checking.
 * - Passwords travel only under TLS (RFC 9051 §11.1, RFC 4954 §4), except, when the admin allows
 *   it, from this host itself (127.0.0.0/8, ::1): a webmail or a test tool on the same machine,
 *   which Dovecot also trusts. Nothing on the network can read loopback traffic.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../store/types.js';
import { verifyPassword } from './passwords.js';

export interface AuthContext {
  remoteAddress: string;
  /** 'smtp' | 'imap', for logs and counters. */
  protocol: string;
}

export type AuthResult =
  | { ok: true; account: string }
  | { ok: false; reason: 'bad-credentials' | 'rate-limited' };

export interface AuthOptions {
  /** Delay before answering a failed attempt, ms. */
  failureDelayMs: number;
  /** Failures per address (and per account) allowed within windowMs before refusing outright. */
  maxFailures: number;
  windowMs: number;
  /** How long a verified credential stays cached, ms. */
  cacheTtlMs: number;
  /** Passwords may be sent without TLS from the loopback addresses (see the module comment). */
  plaintextOnLoopback: boolean;
}

export const defaultAuthOptions: AuthOptions = {
  failureDelayMs: 1000,
  maxFailures: 10,
  windowMs: 15 * 60_000,
  cacheTtlMs: 5 * 60_000,
  plaintextOnLoopback: false,
};

interface FailureWindow {
  count: number;
  resetAt: number;
}

const CACHE_LIMIT = 10_000;

export class Authenticator {
  private readonly store: Store;
  private readonly options: AuthOptions;
  private readonly cacheKey = randomBytes(32);
  private readonly cache = new Map<string, { account: string; passwordHash: string; expires: number }>();
  private readonly failures = new Map<string, FailureWindow>();

  constructor(store: Store, options: Partial<AuthOptions> = {}) {
    this.store = store;
    this.options = { ...defaultAuthOptions, ...options };
  }

  /** Whether a connection may carry a password: under TLS, or from loopback when allowed. */
  acceptsPasswords(connection: { tls: boolean; remoteAddress: string | undefined }): boolean {
    return connection.tls || (this.options.plaintextOnLoopback && isLoopbackAddress(connection.remoteAddress));
  }

  async authenticate(username: string, password: string, context: AuthContext): Promise<AuthResult> {
    const address = username.trim().toLowerCase();
    const now = Date.now();
    if (this.isThrottled(`ip:${context.remoteAddress}`, now) || this.isThrottled(`user:${address}`, now)) {
      await delay(this.options.failureDelayMs);
      return { ok: false, reason: 'rate-limited' };
    }
    const account = await this.store.getAccount(address);
    const cacheKey = createHmac('sha256', this.cacheKey).update(address).update('\0').update(password).digest('base64');
    const cached = this.cache.get(cacheKey);
    if (account && cached && cached.expires > now && cached.passwordHash === account.passwordHash) {
      return { ok: true, account: account.address };
    }
    if (account && (await verifyPassword(password, account.passwordHash))) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(cacheKey, { account: account.address, passwordHash: account.passwordHash, expires: now + this.options.cacheTtlMs });
      return { ok: true, account: account.address };
    }
    this.recordFailure(`ip:${context.remoteAddress}`, now);
    this.recordFailure(`user:${address}`, now);
    await delay(this.options.failureDelayMs);
    return { ok: false, reason: 'bad-credentials' };
  }

  /**
   * For mechanisms that check a proof instead of a password (SCRAM, pipeline/scram.ts), which
   * call these two around their own check: whether attempts are refused for now (answered after
   * the failure delay, like authenticate()), and the failure to count (also delayed).
   */
  async refusesAttempts(username: string, context: AuthContext): Promise<boolean> {
    const address = username.trim().toLowerCase();
    const now = Date.now();
    if (!this.isThrottled(`ip:${context.remoteAddress}`, now) && !this.isThrottled(`user:${address}`, now)) return false;
    await delay(this.options.failureDelayMs);
    return true;
  }

  async countFailure(username: string, context: AuthContext): Promise<void> {
    const now = Date.now();
    this.recordFailure(`ip:${context.remoteAddress}`, now);
    this.recordFailure(`user:${username.trim().toLowerCase()}`, now);
    await delay(this.options.failureDelayMs);
  }

  private isThrottled(key: string, now: number): boolean {
    const window = this.failures.get(key);
    if (!window) return false;
    if (window.resetAt <= now) {
      this.failures.delete(key);
      return false;
    }
    return window.count >= this.options.maxFailures;
  }

  private recordFailure(key: string, now: number): void {
    const window = this.failures.get(key);
    if (!window || window.resetAt <= now) {
      if (this.failures.size >= CACHE_LIMIT) this.failures.clear();
      this.failures.set(key, { count: 1, resetAt: now + this.options.windowMs });
    } else {
      window.count++;
    }
  }
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** 127.0.0.0/8, ::1, and IPv4 loopback seen through an IPv6 socket (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
