/**
 * DKIM signing keys, one folder per domain under `<dataDir>/dkim/`:
 *
 *   <dataDir>/dkim/<domain>/<selector>.key   PKCS#8 PEM private key, mode 0600
 *   <dataDir>/dkim/<domain>/active           the selector that signs now
 *
 * Files rather than store records: the command line creates keys whether or not the server runs
 * (LevelDB admits one process), and the signer sees a new active key at once (it checks the
 * `active` file's mtime on each use). Old keys stay on disk after a rotation, so their DNS
 * records can be kept until mail signed with them has been verified, then removed.
 *
 * Invariants: folders are 0700 and keys 0600 from the first byte (written to a temporary file
 * with that mode, then renamed); a selector is never overwritten; domain and selector are checked
 * DNS names before they become paths, so no name escapes the folder.
 *
 * RFC 6376 §3.6.1 (key record: v=DKIM1; k=; p=), RFC 8463 §4.2 (Ed25519: p= is the raw 32-byte
 * key), RFC 6376 §3.3.3 (RSA keys of 1024 to 4096 bits; 2048 is what verifiers expect today).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { normalizeDomain } from '../pipeline/address.js';

export type DkimAlgorithm = 'rsa' | 'ed25519';

export interface DkimKey {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  /** PKCS#8 PEM. Never logged. */
  privateKey: string;
}

export interface DkimDnsRecord {
  /** Owner name, e.g. "bh20260305._domainkey.example.org". */
  name: string;
  /** The TXT value as one string. */
  value: string;
  /** A zone-file line, the value split into character-strings of at most 255 octets (RFC 1035 §3.3.14). */
  zoneLine: string;
}

const RSA_BITS = 2048;
const SELECTOR = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const TXT_CHUNK = 250;

const generate = promisify(generateKeyPair);

export function dkimFolder(dataDir: string): string {
  return join(dataDir, 'dkim');
}

/** Lower-case ASCII domain, or an Error saying why not. */
export function checkDomain(domain: string): string {
  const normalized = normalizeDomain(domain.trim());
  if (!normalized.ok) throw new Error(`not a domain: ${domain} (${normalized.reason})`);
  return normalized.domain;
}

export function checkSelector(selector: string): string {
  const lower = selector.toLowerCase();
  if (!SELECTOR.test(lower)) throw new Error(`not a valid selector: ${selector} (letters, digits and hyphens, dot-separated)`);
  return lower;
}

/** The default selector for a key made at `date`: "bh" + YYYYMMDD, so rotations sort by age. */
export function defaultSelector(date: Date): string {
  return `bh${date.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

export class DkimKeyStore {
  readonly folder: string;

  constructor(dataDir: string) {
    this.folder = dkimFolder(dataDir);
  }

  private domainFolder(domain: string): string {
    return join(this.folder, checkDomain(domain));
  }

  /** The active key of a domain, or null when it has none. */
  async active(domain: string): Promise<DkimKey | null> {
    const selector = await this.activeSelector(domain);
    return selector ? this.read(domain, selector) : null;
  }

  async activeSelector(domain: string): Promise<string | null> {
    try {
      const text = await readFile(join(this.domainFolder(domain), 'active'), 'utf8');
      return checkSelector(text.trim());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** mtime of the `active` file (ms), or null without one: the signer's cache key. */
  async activeVersion(domain: string): Promise<number | null> {
    try {
      return (await stat(join(this.domainFolder(domain), 'active'))).mtimeMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async read(domain: string, selector: string): Promise<DkimKey> {
    const name = checkDomain(domain);
    const privateKey = await readFile(join(this.domainFolder(name), `${checkSelector(selector)}.key`), 'utf8');
    return { domain: name, selector: checkSelector(selector), algorithm: algorithmOf(createPrivateKey(privateKey)), privateKey };
  }

  /** Selectors with a key on disk, sorted. */
  async selectors(domain: string): Promise<string[]> {
    try {
      const files = await readdir(this.domainFolder(domain));
      return files.filter((file) => file.endsWith('.key')).map((file) => file.slice(0, -4)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Generates a key under a new selector and makes it the active one. Refuses an existing
   * selector: a published key must never silently change under the same name.
   */
  async create(domain: string, options: { selector: string; algorithm: DkimAlgorithm }): Promise<DkimKey> {
    const name = checkDomain(domain);
    const selector = checkSelector(options.selector);
    const folder = this.domainFolder(name);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const keyPath = join(folder, `${selector}.key`);
    if ((await this.selectors(name)).includes(selector)) throw new Error(`${name} already has a key with selector ${selector}`);
    const { privateKey } =
      options.algorithm === 'rsa'
        ? await generate('rsa', { modulusLength: RSA_BITS, publicExponent: 0x10001 })
        : await generate('ed25519', {});
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await writePrivate(keyPath, pem, { exclusive: true });
    await writePrivate(join(folder, 'active'), `${selector}\n`, { exclusive: false });
    return { domain: name, selector, algorithm: options.algorithm, privateKey: pem };
  }
}

/** Writes with mode 0600 from the start; `exclusive` refuses to replace an existing file. */
async function writePrivate(path: string, text: string, options: { exclusive: boolean }): Promise<void> {
  if (options.exclusive) {
    await writeFile(path, text, { mode: 0o600, flag: 'wx' });
    return;
  }
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, path);
}

function algorithmOf(key: KeyObject): DkimAlgorithm {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ed25519') return key.asymmetricKeyType;
  throw new Error(`unsupported DKIM key type: ${key.asymmetricKeyType}`);
}

/** The TXT record that publishes a key's public half. */
export function dnsRecord(key: DkimKey): DkimDnsRecord {
  const publicKey = createPublicKey(key.privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  // RSA: the SubjectPublicKeyInfo, as every signer publishes it; Ed25519: the bare 32-byte key
  // that ends the SPKI (RFC 8463 §4.2).
  const p = (key.algorithm === 'ed25519' ? der.subarray(der.length - 32) : der).toString('base64');
  const value = `v=DKIM1; k=${key.algorithm}; p=${p}`;
  const chunks: string[] = [];
  for (let offset = 0; offset < value.length; offset += TXT_CHUNK) chunks.push(`"${value.slice(offset, offset + TXT_CHUNK)}"`);
  const name = `${key.selector}._domainkey.${key.domain}`;
  return { name, value, zoneLine: `${name}. IN TXT ${chunks.join(' ')}` };
}
