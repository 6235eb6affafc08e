/**
 * HTTP transport for SMS gateways with a "send" URL, compatible with Kannel's sendsms interface
 * (Kannel User's Guide, "SMS Push (send-sms) CGI interface"), plus a small listener for what such
 * a gateway calls back: delivery reports (Kannel dlr-url, %d = 1 delivered, 2 failed, 4 queued,
 * 8 SMSC accepted, 16 SMSC rejected) and incoming messages (Kannel sms-service get-url with
 * %p sender, %P receiver, %a text).
 *
 * Invariants:
 * - Every placeholder value put into the URL template is percent-encoded (RFC 3986 §2.1), so a
 *   text cannot add parameters.
 * - Callbacks are accepted only with the configured token (compared in constant time); without a
 *   token configured the listener does not start. The token is never logged.
 * - An incoming message is answered 200 only after it is stored; a temporary failure answers 503
 *   so the gateway retries. The answer body is empty: Kannel would send a non-empty body back to
 *   the phone as a reply (set `omit-empty = true` in its sms-service to be sure).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { SmsPlan } from './encoding.js';
import type { TransportLog, ReceiptState } from './smpp-transport.js';

export interface HttpSendRequest {
  /** Our message id, carried through the delivery report URL. */
  messageId: string;
  to: string;
  from: string;
  plan: SmsPlan;
}

/** Kannel coding: 0 default alphabet, 2 UCS-2. */
const KANNEL_CODING = { gsm7: '0', ucs2: '2' } as const;

/** Fills a URL template: {to} {from} {text} {coding} {charset} {maxParts} {id} {dlrUrl}. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? encodeURIComponent(values[name]) : whole);
}

export interface HttpTransportOptions {
  urlTemplate: string;
  /** Base URL of our callback listener as the gateway reaches it, e.g. "http://10.0.0.5:13080"; null: no reports. */
  callbackBase: string | null;
  token: string | null;
  timeoutMs: number;
}

export class HttpSendError extends Error {
  readonly temporary: boolean;
  constructor(message: string, temporary: boolean) {
    super(message);
    this.name = 'HttpSendError';
    this.temporary = temporary;
  }
}

/** Sends one SMS (all its parts: the gateway splits) through the URL template. */
export async function httpSend(options: HttpTransportOptions, request: HttpSendRequest): Promise<void> {
  const dlrUrl = options.callbackBase && options.token
    ? `${options.callbackBase.replace(/\/$/, '')}/sms/dlr?token=${encodeURIComponent(options.token)}&id=${encodeURIComponent(request.messageId)}&to=${encodeURIComponent(request.to)}&status=%d&answer=%A`
    : '';
  const url = fillTemplate(options.urlTemplate, {
    to: request.to,
    from: request.from,
    text: request.plan.text,
    coding: KANNEL_CODING[request.plan.coding],
    charset: 'UTF-8',
    maxParts: String(request.plan.parts.length),
    id: request.messageId,
    dlrUrl,
  });
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (error) {
    throw new HttpSendError(`SMS gateway unreachable: ${(error as Error).message}`, true);
  }
  const body = (await response.text()).slice(0, 200).replace(/\s+/g, ' ').trim();
  if (!response.ok) throw new HttpSendError(`SMS gateway answered ${response.status} ${body}`, response.status >= 500 || response.status === 429);
}

/** Kannel DLR type (%d) → receipt state. */
export function kannelState(type: number): ReceiptState {
  if (type & 1) return 'delivered';
  if (type & (2 | 16)) return 'failed';
  if (type & (4 | 8)) return 'queued';
  return 'unknown';
}

export interface CallbackHandlers {
  report(report: { messageId: string; to: string; state: ReceiptState; detail: string }): Promise<void>;
  /** Resolves once stored; rejects with `temporary` set when the gateway should retry. */
  incoming(message: { from: string; to: string; text: string }): Promise<void>;
}

export interface CallbackListenerOptions {
  host: string;
  port: number;
  token: string;
  log: TransportLog;
}

const MAX_CALLBACK_BYTES = 64 * 1024;

/** The listener for delivery reports (/sms/dlr) and incoming messages (/sms/incoming). */
export class CallbackListener {
  private readonly server: Server;
  private readonly options: CallbackListenerOptions;

  constructor(options: CallbackListenerOptions, handlers: CallbackHandlers) {
    this.options = options;
    this.server = createServer((request, response) => {
      this.handle(request, handlers)
        .then((status) => response.writeHead(status).end())
        .catch((error: Error & { temporary?: boolean }) => {
          options.log.error({ evt: 'sms.http.callback-failed', err: error.message }, 'SMS callback failed');
          response.writeHead(error.temporary === false ? 400 : 503).end();
        });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, handlers: CallbackHandlers): Promise<number> {
    const url = new URL(request.url ?? '/', 'http://callback.invalid');
    const params = new URLSearchParams(url.search);
    if (request.method === 'POST') {
      for (const [key, value] of new URLSearchParams(await readBody(request))) params.set(key, value);
    }
    if (!this.tokenMatches(params.get('token') ?? '')) {
      this.options.log.warn({ evt: 'sms.http.bad-token', path: url.pathname, remote: request.socket.remoteAddress }, 'SMS callback with a wrong token refused');
      return 401;
    }
    if (url.pathname === '/sms/dlr') {
      const type = Number(params.get('status'));
      const messageId = params.get('id') ?? '';
      if (!messageId || !Number.isInteger(type)) return 400;
      await handlers.report({ messageId, to: params.get('to') ?? '', state: kannelState(type), detail: (params.get('answer') ?? '').slice(0, 200) });
      return 200;
    }
    if (url.pathname === '/sms/incoming') {
      const from = params.get('from') ?? '';
      const to = params.get('to') ?? '';
      if (!from || !to) return 400;
      await handlers.incoming({ from, to, text: params.get('text') ?? '' });
      return 200;
    }
    return 404;
  }

  private tokenMatches(given: string): boolean {
    const expected = Buffer.from(this.options.token);
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_CALLBACK_BYTES) throw Object.assign(new Error('callback body too large'), { temporary: false });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
