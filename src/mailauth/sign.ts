/**
 * Outbound DKIM signing (RFC 6376 §5) with the key of the From domain, for the queue's delivery
 * code: `signer(raw, fromDomain)` returns the message with a DKIM-Signature header prepended, or
 * the same bytes when the domain (or a parent domain, which still aligns under DMARC's relaxed
 * mode, RFC 7489 §3.1.1) has no key.
 *
 * Invariants:
 * - Relaxed/relaxed canonicalization, rsa-sha256 or ed25519-sha256 as the key dictates, mailauth's
 *   default signed header list (From, To, Subject, Date, Message-ID, MIME headers ...).
 * - A key that exists but cannot be read or used throws: the queue defers the message and the
 *   admin sees the error, rather than mail leaving unsigned and failing DMARC silently.
 * - Keys are re-read when their `active` file changes (one stat per candidate domain per
 *   message), so a rotation by the command line takes effect without a restart.
 */
import { dkimSign } from 'mailauth';
import type { Logger } from '../log.js';
import { normalizeDomain } from '../pipeline/address.js';
import { DkimKeyStore, type DkimKey } from './keys.js';

export type DkimSigner = (raw: Buffer, fromDomain: string) => Promise<Buffer>;

export interface DkimSignerOptions {
  dataDir: string;
  log: Logger;
  /** Signature time (t=); injectable for tests. */
  now?: () => Date;
}

interface CachedKey {
  version: number;
  key: DkimKey;
}

export function createDkimSigner(options: DkimSignerOptions): DkimSigner {
  const keys = new DkimKeyStore(options.dataDir);
  const log = options.log.child({ component: 'dkim-sign' });
  const now = options.now ?? (() => new Date());
  const cache = new Map<string, CachedKey>();

  const keyFor = async (domain: string): Promise<DkimKey | null> => {
    for (const candidate of candidateDomains(domain)) {
      const version = await keys.activeVersion(candidate);
      if (version === null) {
        cache.delete(candidate);
        continue;
      }
      const cached = cache.get(candidate);
      if (cached && cached.version === version) return cached.key;
      const selector = await keys.activeSelector(candidate);
      if (!selector) continue;
      const key = await keys.read(candidate, selector);
      cache.set(candidate, { version, key });
      return key;
    }
    return null;
  };

  return async (raw, fromDomain) => {
    const key = await keyFor(fromDomain);
    if (!key) return raw;
    // mailauth signs what `signatureData` lists; its top-level key fields are only a type-level
    // convenience that the signer does not read.
    const signature = { signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey };
    const result = await dkimSign(raw, {
      ...signature,
      signatureData: [signature],
      canonicalization: 'relaxed/relaxed',
      signTime: now(),
    });
    if (result.errors.length > 0 || !/^DKIM-Signature:/i.test(result.signatures)) {
      const reason = result.errors.map(describeSignError).join('; ') || 'no signature produced';
      log.error({ evt: 'dkim.sign-failed', domain: key.domain, selector: key.selector, reason }, 'DKIM signing failed');
      throw new Error(`DKIM signing for ${key.domain} failed: ${reason}`);
    }
    log.debug({ evt: 'dkim.signed', domain: key.domain, selector: key.selector }, 'message signed');
    const header = result.signatures.endsWith('\r\n') ? result.signatures : `${result.signatures}\r\n`;
    return Buffer.concat([Buffer.from(header, 'latin1'), raw]);
  };
}

/** mailauth reports errors as { err, selector, signingDomain } records, not Error objects. */
function describeSignError(error: unknown): string {
  const inner = (error as { err?: unknown }).err ?? error;
  return inner instanceof Error ? inner.message : String(inner);
}

/** The domain and its parents down to two labels: a.b.example.org → a.b.example.org, b.example.org, example.org. */
function candidateDomains(domain: string): string[] {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.').filter(Boolean);
  const candidates: string[] = [];
  for (let start = 0; labels.length - start >= 2; start++) {
    const candidate = labels.slice(start).join('.');
    // A From domain that is not a valid name cannot have a key (and must not become a path).
    if (normalizeDomain(candidate).ok) candidates.push(candidate);
  }
  return candidates;
}
