/**
 * The gateway protocol's signatures: how a request or an acknowledgement between Bridgehead and
 * an out-of-process gateway is signed and checked (documented for implementers in
 * plugins/README.md, "Gateway protocol"). Pure: no I/O, the clock is passed in.
 *
 * A document is `{ "meta": {...}, "payload": "<JSON text>", "signature": "<hex>" }`:
 * - meta: type, gateway, messageId, medium, sender, recipient, time (epoch ms), nonce and
 *   payloadDigest (hex SHA-256 of the payload text's UTF-8 bytes);
 * - payload: the content as a JSON *string*, so the digest is over exactly the characters sent
 *   and no canonical JSON is needed;
 * - signature: hex HMAC-SHA256 (RFC 2104, FIPS 180-4) with the gateway's key over the canonical
 *   meta text: "BRIDGEHEAD-GW1" and the nine meta values in the order above, joined by "\n".
 *
 * Invariants:
 * - The signature is checked first (constant-time compare); only a signed document may touch the
 *   nonce memory, so unsigned traffic cannot evict nonces or cause false replays.
 * - A document is accepted once: its time must be within `maxSkewMs` of now and its nonce not
 *   seen for this gateway within the window. Nonces are remembered for twice the window, so a
 *   replay is refused by the nonce or by its age, whichever comes first. The memory here is the
 *   process's; the listener keeps a durable copy and gives it back through `remember` at start.
 * - Meta values are single-line strings of bounded length; a document that breaks this is
 *   malformed (400), not a signature failure.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const PROTOCOL_TAG = 'BRIDGEHEAD-GW1';

export type DocumentType = 'inbound' | 'ack' | 'deliver' | 'response';
export const DOCUMENT_TYPES: readonly DocumentType[] = ['inbound', 'ack', 'deliver', 'response'];

export interface GatewayMeta {
  type: DocumentType;
  /** The gateway's name: selects the key. */
  gateway: string;
  messageId: string;
  /** "sms", "fax", "voice", ... */
  medium: string;
  sender: string;
  recipient: string;
  /** epoch ms when the document was made. */
  time: number;
  nonce: string;
  payloadDigest: string;
}

export interface SignedDocument {
  meta: GatewayMeta;
  payload: string;
  signature: string;
}

const META_FIELDS = ['type', 'gateway', 'messageId', 'medium', 'sender', 'recipient', 'time', 'nonce', 'payloadDigest'] as const;
const MAX_FIELD_LENGTH = 512;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;

export function digest(payload: string): string {
  return createHash('sha256').update(payload, 'utf8').digest('hex');
}

/** The text the HMAC is computed over. */
export function canonicalMeta(meta: GatewayMeta): string {
  return [PROTOCOL_TAG, ...META_FIELDS.map((field) => String(meta[field]))].join('\n');
}

export function sign(meta: GatewayMeta, key: Buffer): string {
  return createHmac('sha256', key).update(canonicalMeta(meta), 'utf8').digest('hex');
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** Builds a signed document: fills time, nonce and payloadDigest. */
export function signDocument(
  fields: Omit<GatewayMeta, 'time' | 'nonce' | 'payloadDigest'>,
  payload: unknown,
  key: Buffer,
  now: number = Date.now(),
): SignedDocument {
  const text = JSON.stringify(payload ?? {});
  const meta: GatewayMeta = { ...fields, time: now, nonce: newNonce(), payloadDigest: digest(text) };
  return { meta, payload: text, signature: sign(meta, key) };
}

export type ShapeCheck = { ok: true; document: SignedDocument } | { ok: false; reason: string };

/** Checks that a parsed JSON value has the document's shape (not its signature). */
export function checkShape(value: unknown): ShapeCheck {
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not a JSON object' };
  const { meta, payload, signature } = value as Record<string, unknown>;
  if (typeof meta !== 'object' || meta === null) return { ok: false, reason: 'meta missing' };
  if (typeof payload !== 'string') return { ok: false, reason: 'payload must be a JSON text in a string' };
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'signature must be 64 lower-case hex digits' };
  const record = meta as Record<string, unknown>;
  for (const field of META_FIELDS) {
    const item = record[field];
    if (field === 'time') {
      if (typeof item !== 'number' || !Number.isSafeInteger(item)) return { ok: false, reason: 'meta.time must be epoch milliseconds' };
      continue;
    }
    if (typeof item !== 'string' || item.length > MAX_FIELD_LENGTH || /[\r\n]/.test(item)) {
      return { ok: false, reason: `meta.${field} must be a single-line string` };
    }
  }
  if (!DOCUMENT_TYPES.includes(record.type as DocumentType)) return { ok: false, reason: `meta.type must be one of ${DOCUMENT_TYPES.join(', ')}` };
  if (!NONCE.test(record.nonce as string)) return { ok: false, reason: 'meta.nonce must be 16..128 characters of A-Z a-z 0-9 _ -' };
  const document: SignedDocument = {
    meta: Object.fromEntries(META_FIELDS.map((field) => [field, record[field]])) as unknown as GatewayMeta,
    payload,
    signature,
  };
  return { ok: true, document };
}

export type Verification =
  | { ok: true }
  | { ok: false; failure: 'unknown-gateway' | 'bad-signature' | 'bad-digest' | 'expired' | 'replayed' };

/**
 * Checks signature, payload digest, time window and nonce, in that order, and remembers the
 * nonce of an accepted document. One per listener (and one per client for responses).
 */
export class Verifier {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly maxSkewMs: number;
  private readonly now: () => number;
  /** gateway NUL nonce → time it may be forgotten. */
  private readonly seen = new Map<string, number>();

  constructor(options: { keys: ReadonlyMap<string, Buffer>; maxSkewMs: number; now?: () => number }) {
    this.keys = options.keys;
    this.maxSkewMs = options.maxSkewMs;
    this.now = options.now ?? Date.now;
  }

  /** How long an accepted nonce is remembered: twice the time window. */
  get nonceLifetimeMs(): number {
    return 2 * this.maxSkewMs;
  }

  /**
   * Remembers a nonce accepted earlier (by a previous process) until `until`. Call before the
   * first verify, in ascending `until` order: forgetting relies on the memory's order.
   */
  remember(gateway: string, nonce: string, until: number): void {
    if (until > this.now()) this.seen.set(`${gateway}\u0000${nonce}`, until);
  }

  verify(document: SignedDocument): Verification {
    const key = this.keys.get(document.meta.gateway);
    if (!key) return { ok: false, failure: 'unknown-gateway' };
    const expected = Buffer.from(sign(document.meta, key), 'hex');
    const given = Buffer.from(document.signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, failure: 'bad-signature' };
    if (digest(document.payload) !== document.meta.payloadDigest) return { ok: false, failure: 'bad-digest' };
    const now = this.now();
    if (Math.abs(now - document.meta.time) > this.maxSkewMs) return { ok: false, failure: 'expired' };
    this.forgetOld(now);
    const id = `${document.meta.gateway}\u0000${document.meta.nonce}`;
    if (this.seen.has(id)) return { ok: false, failure: 'replayed' };
    this.seen.set(id, now + this.nonceLifetimeMs);
    return { ok: true };
  }

  private forgetOld(now: number): void {
    for (const [id, until] of this.seen) {
      if (until >= now) break;
      this.seen.delete(id);
    }
  }
}
