/**
 * A client of the gateway protocol (plugins/README.md, "Gateway protocol") for out-of-process
 * telephony gateways: POST a signed `deliver` document, accept only a signed `response` about the
 * same message. Written from the protocol description alone, with node:crypto, as a gateway in
 * any language would be; the server's own implementation is src/gateways/protocol.ts.
 *
 * Invariants: the response must carry a valid HMAC-SHA256 with the same key, the same messageId,
 * type "response", a time within `maxSkewMs` and a payload matching its digest; anything else is
 * an error (temporary: the sender retries), never a silent success.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const FIELDS = ['type', 'gateway', 'messageId', 'medium', 'sender', 'recipient', 'time', 'nonce', 'payloadDigest'] as const;

type Meta = Record<(typeof FIELDS)[number], string | number>;

function hmac(meta: Meta, key: string): string {
  const text = ['BRIDGEHEAD-GW1', ...FIELDS.map((field) => String(meta[field]))].join('\n');
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(text, 'utf8').digest('hex');
}

export interface SignedPostOptions {
  url: string;
  gateway: string;
  key: string;
  timeoutMs: number;
  maxSkewMs: number;
}

export interface DeliverRequest {
  messageId: string;
  medium: string;
  sender: string;
  recipient: string;
  payload: unknown;
}

/** Sends a `deliver` document; resolves with the verified response payload. */
export async function postDeliver(options: SignedPostOptions, request: DeliverRequest): Promise<Record<string, unknown>> {
  const payload = JSON.stringify(request.payload);
  const meta: Meta = {
    type: 'deliver',
    gateway: options.gateway,
    messageId: request.messageId,
    medium: request.medium,
    sender: request.sender,
    recipient: request.recipient,
    time: Date.now(),
    nonce: randomBytes(18).toString('base64url'),
    payloadDigest: createHash('sha256').update(payload, 'utf8').digest('hex'),
  };
  const response = await fetch(options.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ meta, payload, signature: hmac(meta, options.key) }),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await response.text();
  let document: { meta?: Meta; payload?: unknown; signature?: unknown };
  try {
    document = JSON.parse(text) as typeof document;
  } catch {
    throw new Error(`gateway answered ${response.status} without a signed response`);
  }
  const answer = document.meta;
  if (!answer || typeof document.payload !== 'string' || typeof document.signature !== 'string') {
    throw new Error(`gateway answered ${response.status} without a signed response`);
  }
  const expected = Buffer.from(hmac(answer, options.key), 'hex');
  const given = Buffer.from(document.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('gateway response has a bad signature');
  if (createHash('sha256').update(document.payload, 'utf8').digest('hex') !== answer.payloadDigest) throw new Error('gateway response payload does not match its digest');
  if (answer.type !== 'response' || answer.messageId !== request.messageId) throw new Error('gateway response is not about this message');
  if (Math.abs(Date.now() - Number(answer.time)) > options.maxSkewMs) throw new Error('gateway response is outside the time window');
  const result = JSON.parse(document.payload) as Record<string, unknown>;
  if (!response.ok || result.status !== 'accepted') throw new Error(`gateway did not accept the message: ${String(result.error ?? response.status)}`);
  return result;
}
