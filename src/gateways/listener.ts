/**
 * The gateway protocol listener: HTTP+JSON endpoints through which gateways running out of
 * process (on this machine or others) hand in messages from their medium and acknowledge what
 * they were given (protocol.ts; documented in plugins/README.md, "Gateway protocol").
 *
 *   POST /v1/inbound   a message from the medium for a user: meta.sender is the caller or
 *                      sending phone, meta.recipient the user's number (or address)
 *   POST /v1/ack       delivered / read / failed for a message the server handed over:
 *                      meta.messageId is the server's message id
 *
 * Every answer to a verified request is a signed `response` document about the same message:
 * 200 { status: "accepted", messageId? }, 422 { status: "rejected", error } (permanent),
 * 503 { status: "rejected", error, temporary: true } (retry later).
 *
 * Invariants: a request whose signature, time or nonce does not verify gets 401 with the failure
 * name, is logged (gateway name and remote address, never the key) and changes nothing;
 * malformed JSON gets 400; bodies over `maxRequestBytes` get 413 without being read further.
 * With `nonces` (the store's gateway state) every accepted nonce is written durably before the
 * request acts, and the nonces still within their window are read back at `listen`, so a replay
 * is refused after a restart too; when that write fails the request gets 503 and does nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewaysConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { GatewayAckStatus, InboundMessage, InboundResult } from '../plugins/api.js';
import type { GatewayStateStore } from '../store/types.js';
import { checkShape, signDocument, Verifier, type SignedDocument } from './protocol.js';

const E164 = /^\+[1-9]\d{1,14}$/;
const ACK_STATUSES: readonly GatewayAckStatus[] = ['delivered', 'read', 'failed'];
const MIN_KEY_LENGTH = 32;

/** What the listener needs of the server: the runtime's inbound and audit paths. */
export interface GatewayListenerHandlers {
  deliverInbound(via: { peer: string; medium: string }, message: InboundMessage): Promise<InboundResult>;
  ack(ack: { messageId: string; gateway: string; recipient: string; status: GatewayAckStatus; reference?: string; detail?: string; at: Date }): Promise<void>;
}

export interface GatewayListenerOptions {
  config: GatewaysConfig;
  handlers: GatewayListenerHandlers;
  log: Logger;
  /** Clock for the time window; tests inject one. */
  now?: () => number;
  /** Where accepted nonces are kept across restarts; absent: in this process only. */
  nonces?: GatewayStateStore | null;
}

/** The gateway state space of one peer's nonces. */
const nonceSpace = (peer: string) => `gateway-protocol/${peer}`;

class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class GatewayListener {
  private readonly options: GatewayListenerOptions;
  private readonly server: Server;
  private readonly verifier: Verifier;
  private readonly keys: Map<string, Buffer>;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(options: GatewayListenerOptions) {
    this.options = options;
    this.log = options.log.child({ component: 'gateway-listener' });
    this.now = options.now ?? Date.now;
    this.keys = new Map();
    for (const [name, peer] of Object.entries(options.config.peers)) {
      if (peer.key.length < MIN_KEY_LENGTH) throw new Error(`gateways.peers.${name}.key: at least ${MIN_KEY_LENGTH} characters are required`);
      this.keys.set(name, Buffer.from(peer.key, 'utf8'));
    }
    this.verifier = new Verifier({ keys: this.keys, maxSkewMs: options.config.maxSkewSeconds * 1000, now: this.now });
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => {
        this.log.error({ evt: 'gateway.request-error', err: error.message }, 'gateway request failed');
        if (!response.headersSent) send(response, 500, { error: 'internal error' });
      });
    });
    this.server.requestTimeout = 120_000;
  }

  async listen(): Promise<number> {
    const { host, port } = this.options.config.listener;
    if (this.options.nonces) {
      for (const peer of this.keys.keys()) {
        for (const entry of await this.options.nonces.list(nonceSpace(peer), this.now())) this.verifier.remember(peer, entry.key, entry.expiresAt);
      }
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeIdleConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const expectedType = path === '/v1/inbound' ? 'inbound' : path === '/v1/ack' ? 'ack' : null;
    if (!expectedType) return send(response, 404, { error: 'unknown endpoint; use POST /v1/inbound or /v1/ack' });
    if (request.method !== 'POST') return send(response, 405, { error: 'use POST' });
    let document: SignedDocument;
    try {
      const shape = checkShape(JSON.parse(await readBody(request, this.options.config.maxRequestBytes)));
      if (!shape.ok) throw new HttpFailure(400, shape.reason);
      document = shape.document;
    } catch (error) {
      if (error instanceof HttpFailure) return send(response, error.status, { error: error.message });
      return send(response, 400, { error: 'body is not JSON' });
    }
    const { meta } = document;
    const verification = this.verifier.verify(document);
    if (!verification.ok) {
      this.log.warn(
        { evt: 'gateway.auth-failed', failure: verification.failure, gateway: meta.gateway, type: meta.type, remote: request.socket.remoteAddress },
        'gateway request refused',
      );
      return send(response, 401, { error: verification.failure });
    }
    if (this.options.nonces) {
      try {
        await this.options.nonces.put(nonceSpace(meta.gateway), meta.nonce, true, this.now() + this.verifier.nonceLifetimeMs);
      } catch (error) {
        this.log.error({ evt: 'gateway.nonce-not-recorded', gateway: meta.gateway, err: (error as Error).message }, 'could not record the nonce; request refused for now');
        return this.answer(response, document, 503, { status: 'rejected', error: 'temporary failure, please try again', temporary: true });
      }
    }
    if (meta.type !== expectedType) return this.answer(response, document, 422, { status: 'rejected', error: `${path} takes ${expectedType} documents` });
    let payload: Record<string, unknown>;
    try {
      const parsed = JSON.parse(document.payload) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      payload = parsed as Record<string, unknown>;
    } catch {
      return this.answer(response, document, 422, { status: 'rejected', error: 'payload is not a JSON object' });
    }
    this.log.info({ evt: 'gateway.request', gateway: meta.gateway, type: meta.type, medium: meta.medium, msgid: meta.messageId }, 'gateway request');
    if (meta.type === 'ack') return this.onAck(response, document, payload);
    return this.onInbound(response, document, payload);
  }

  private async onAck(response: ServerResponse, document: SignedDocument, payload: Record<string, unknown>): Promise<void> {
    const status = payload.status as GatewayAckStatus;
    if (!ACK_STATUSES.includes(status)) return this.answer(response, document, 422, { status: 'rejected', error: `payload.status must be one of ${ACK_STATUSES.join(', ')}` });
    await this.options.handlers.ack({
      messageId: document.meta.messageId,
      gateway: document.meta.gateway,
      recipient: document.meta.recipient,
      status,
      reference: typeof payload.reference === 'string' ? payload.reference.slice(0, 200) : undefined,
      detail: typeof payload.detail === 'string' ? payload.detail.slice(0, 200) : undefined,
      at: new Date(document.meta.time),
    });
    return this.answer(response, document, 200, { status: 'accepted' });
  }

  private async onInbound(response: ServerResponse, document: SignedDocument, payload: Record<string, unknown>): Promise<void> {
    const { meta } = document;
    const peer = this.options.config.peers[meta.gateway];
    if (meta.medium !== peer.medium) return this.answer(response, document, 422, { status: 'rejected', error: `this gateway carries ${peer.medium}, not ${meta.medium}` });
    const attachments: NonNullable<InboundMessage['attachments']> = [];
    for (const item of Array.isArray(payload.attachments) ? payload.attachments : []) {
      const attachment = item as Record<string, unknown>;
      if (typeof attachment.data !== 'string' || typeof attachment.contentType !== 'string') {
        return this.answer(response, document, 422, { status: 'rejected', error: 'each attachment needs contentType and data (base64)' });
      }
      attachments.push({
        filename: typeof attachment.filename === 'string' ? attachment.filename : 'attachment',
        contentType: attachment.contentType,
        content: Buffer.from(attachment.data, 'base64'),
      });
    }
    const sender = meta.sender;
    const label = { sms: 'SMS', fax: 'Fax', voice: 'Voicemail' }[peer.medium];
    const result = await this.options.handlers.deliverInbound({ peer: meta.gateway, medium: peer.medium }, {
      from: E164.test(sender) ? `${sender}@${peer.domain}` : `${peer.medium}@${peer.domain}`,
      to: meta.recipient,
      subject: typeof payload.subject === 'string' ? payload.subject : `${label} from ${sender}`,
      text: typeof payload.text === 'string' ? payload.text : '',
      attachments,
      date: new Date(meta.time),
      headers: { 'X-Bridgehead-Gateway': meta.gateway, 'X-Bridgehead-Gateway-Id': meta.messageId },
    });
    if (result.ok) return this.answer(response, document, 200, { status: 'accepted', messageId: result.messageId });
    return this.answer(response, document, result.temporary ? 503 : 422, { status: 'rejected', error: result.reply, temporary: result.temporary });
  }

  /** A signed response about the request's message. */
  private answer(response: ServerResponse, request: SignedDocument, status: number, payload: Record<string, unknown>): void {
    const key = this.keys.get(request.meta.gateway) as Buffer;
    const { gateway, messageId, medium, sender, recipient } = request.meta;
    send(response, status, signDocument({ type: 'response', gateway, messageId, medium, sender, recipient }, payload, key, this.now()));
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpFailure(413, `body larger than ${limit} octets`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpFailure(413, `body larger than ${limit} octets`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
