/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), the server side: the verifier kept per account, and the
 * checks of one exchange. Pure functions over strings; the protocol front end (IMAP AUTHENTICATE)
 * carries the messages and the Authenticator throttles failures.
 *
 *   C: n,,n=user,r=<client nonce>                         client-first-message
 *   S: r=<client nonce><server nonce>,s=<salt>,i=<count>  server-first-message
 *   C: c=biws,r=<nonce>,p=<proof>                         client-final-message
 *   S: v=<server signature>                               server-final-message
 *
 * Invariants:
 * - The account keeps StoredKey and ServerKey (RFC 5802 §3), never the salted password: a stolen
 *   store lets nobody log in without a dictionary attack, and that attack costs `iterations`
 *   PBKDF2 rounds per guess. The memory-hard scrypt hash (passwords.ts) still guards PLAIN and
 *   LOGIN; SCRAM data exists only for accounts whose password was set after it was introduced.
 * - Channel binding is not offered (no -PLUS mechanism): a client flag "p=" is refused, "y" and
 *   "n" are accepted (RFC 5802 §6). Authorization identities other than the user are refused.
 * - Passwords are prepared with SASLprep (RFC 4013) as far as Node offers it: non-ASCII spaces
 *   become U+0020, "commonly mapped to nothing" characters are removed, NFKC; prohibited
 *   characters (controls) make the password unusable for SCRAM.
 * - Proofs are compared in constant time.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ScramCredentials } from '../store/types.js';

/** PBKDF2 rounds for new verifiers; RFC 7677 §4 asks for at least 4096. */
export const SCRAM_ITERATIONS = 10_000;
const KEY_LENGTH = 32;

/** A malformed or refused SCRAM message; `text` is safe to show, never holds secrets. */
export class ScramError extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'ScramError';
  }
}

/** RFC 4013 SASLprep, as far as Unicode normalisation in JS allows (see the module comment). */
export function saslPrep(password: string): string {
  const mapped = password
    .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ')
    .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '')
    .normalize('NFKC');
  if (/[\u0000-\u001F\u007F-\u009F\uFFF9-\uFFFD\uE000-\uF8FF]/.test(mapped)) throw new ScramError('Password contains prohibited characters');
  return mapped;
}

function hmac(key: Buffer, text: string | Buffer): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(saslPrep(password), salt, iterations, KEY_LENGTH, 'sha256', (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** The verifier for a password (RFC 5802 §3): salt, iteration count, StoredKey, ServerKey. */
export async function deriveScramCredentials(
  password: string,
  options: { iterations?: number; salt?: Buffer } = {},
): Promise<ScramCredentials> {
  const salt = options.salt ?? randomBytes(16);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const salted = await saltedPassword(password, salt, iterations);
  const clientKey = hmac(salted, 'Client Key');
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: sha256(clientKey).toString('base64'),
    serverKey: hmac(salted, 'Server Key').toString('base64'),
  };
}

/** The verifier for a new password, or null when SASLprep refuses it (SCRAM is then unavailable). */
export async function scramCredentialsFor(password: string): Promise<ScramCredentials | null> {
  try {
    return await deriveScramCredentials(password);
  } catch (error) {
    if (error instanceof ScramError) return null;
    throw error;
  }
}

/** Stand-in verifier for unknown users and accounts without SCRAM data, stable per name, so the
 * server-first-message does not reveal which accounts exist (RFC 5802 §9). */
const FAKE_KEY = randomBytes(32);
export function fakeScramCredentials(username: string): ScramCredentials {
  const seed = hmac(FAKE_KEY, username.toLowerCase());
  return {
    salt: seed.subarray(0, 16).toString('base64'),
    iterations: SCRAM_ITERATIONS,
    storedKey: hmac(seed, 'stored').toString('base64'),
    serverKey: hmac(seed, 'server').toString('base64'),
  };
}

export interface ClientFirst {
  /** "n,," or "y,," (with an authzid: "n,a=user,"), echoed base64 in the client-final "c=". */
  gs2Header: string;
  username: string;
  clientNonce: string;
  /** client-first-message-bare, part of the AuthMessage. */
  bare: string;
}

/** `saslname`: "=2C" is ",", "=3D" is "=", any other "=" is an error (RFC 5802 §5.1). */
function decodeSaslName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new ScramError('Invalid username encoding');
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Printable ASCII except ",", the nonce alphabet (RFC 5802 §7 `printable`). */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export function parseClientFirst(message: string): ClientFirst {
  const match = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/.exec(message);
  if (!match) throw new ScramError('Invalid client-first-message');
  if (match[1].startsWith('p=')) throw new ScramError('Channel binding is not supported');
  const bare = match[3];
  const fields = bare.split(',');
  if (fields[0]?.startsWith('m=')) throw new ScramError('Mandatory extensions are not supported');
  if (!fields[0]?.startsWith('n=') || !fields[1]?.startsWith('r=')) throw new ScramError('Invalid client-first-message');
  const username = decodeSaslName(fields[0].slice(2));
  const clientNonce = fields[1].slice(2);
  const extensionsValid = fields.slice(2).every((field) => /^[A-Za-z]=/.test(field));
  if (username === '' || !NONCE.test(clientNonce) || !extensionsValid) throw new ScramError('Invalid client-first-message');
  if (match[2] !== undefined) {
    const authzid = decodeSaslName(match[2].slice(2));
    if (authzid.toLowerCase() !== username.toLowerCase()) throw new ScramError('Acting as another user is not allowed');
  }
  return { gs2Header: `${match[1]},${match[2] ?? ''},`, username, clientNonce, bare };
}

/** A fresh server nonce: base64 has no ",". */
export function newServerNonce(): string {
  return randomBytes(18).toString('base64');
}

export function serverFirstMessage(first: ClientFirst, serverNonce: string, credentials: ScramCredentials): string {
  return `r=${first.clientNonce}${serverNonce},s=${credentials.salt},i=${credentials.iterations}`;
}

export type ScramOutcome = { ok: true; serverFinal: string } | { ok: false; reason: 'invalid-proof' };

/**
 * Checks the client-final-message (RFC 5802 §3, §5.1): the channel-binding echo, the combined
 * nonce, and the proof against StoredKey. On success returns the server-final-message.
 */
export function checkClientFinal(
  message: string,
  exchange: { first: ClientFirst; serverFirst: string; nonce: string; credentials: ScramCredentials },
): ScramOutcome {
  const proofAt = message.lastIndexOf(',p=');
  if (proofAt < 0) throw new ScramError('Invalid client-final-message');
  const withoutProof = message.slice(0, proofAt);
  const fields = withoutProof.split(',');
  if (!fields[0]?.startsWith('c=') || !fields[1]?.startsWith('r=')) throw new ScramError('Invalid client-final-message');
  if (Buffer.from(fields[0].slice(2), 'base64').toString('latin1') !== exchange.first.gs2Header) {
    throw new ScramError('Channel binding data does not match');
  }
  if (fields[1].slice(2) !== exchange.nonce) throw new ScramError('Nonce does not match');
  const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
  const authMessage = `${exchange.first.bare},${exchange.serverFirst},${withoutProof}`;
  const storedKey = Buffer.from(exchange.credentials.storedKey, 'base64');
  const clientSignature = hmac(storedKey, authMessage);
  if (proof.length !== clientSignature.length) return { ok: false, reason: 'invalid-proof' };
  const clientKey = Buffer.alloc(proof.length);
  for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ clientSignature[i];
  if (!timingSafeEqual(sha256(clientKey), storedKey)) return { ok: false, reason: 'invalid-proof' };
  const serverSignature = hmac(Buffer.from(exchange.credentials.serverKey, 'base64'), authMessage);
  return { ok: true, serverFinal: `v=${serverSignature.toString('base64')}` };
}
