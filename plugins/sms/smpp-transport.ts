/**
 * SMPP 3.4 transport: one ESME session to the SMSC, bound as transmitter or transceiver, that
 * submits the parts of an SMS and reports delivery receipts and mobile-originated messages.
 *
 * References: SMPP 3.4 §4.1 (bind_transmitter / bind_transceiver), §4.4 (submit_sm),
 * §4.6 (deliver_sm), §5.2.12 (esm_class: 0x04 SMSC delivery receipt, 0x40 UDHI),
 * §5.2.17 (registered_delivery), §5.2.5/5.2.6 (TON 1 international / NPI 1 E.164),
 * Appendix B (delivery receipt text "id:... stat:DELIVRD err:..."), §5.3.2.12 (receipted_message_id)
 * and §5.3.2.35 (message_state).
 *
 * Invariants:
 * - A submit waits for a bound session (up to `submitTimeoutMs`); a lost session is re-bound after
 *   `reconnectMs`, until close().
 * - A deliver_sm is answered only after its handler has finished: ESME_ROK when the message is
 *   kept (stored, or a part held for its siblings), ESME_RX_T_APPN (temporary) when storing
 *   failed, so the SMSC tries again and nothing is lost silently.
 * - Parts of a concatenated MO message are joined by (source, reference) in sequence order; a set
 *   still incomplete after `reassemblyMs` is delivered as far as it arrived, with a note.
 */
import { EventEmitter } from 'node:events';
import smpp, { type PDU, type Session } from 'smpp';
import { concatenationHeader, type SmsPlan } from './encoding.js';

export interface TransportLog {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface SmppTransportOptions {
  /** smpp://host:port or ssmpp://host:port (TLS). */
  url: string;
  systemId: string;
  password: string;
  systemType: string;
  bindMode: 'transmitter' | 'transceiver';
  enquireLinkMs: number;
  reconnectMs: number;
  submitTimeoutMs: number;
  reassemblyMs: number;
  log: TransportLog;
}

export type ReceiptState = 'delivered' | 'failed' | 'queued' | 'unknown';

export interface DeliveryReceipt {
  smscId: string;
  state: ReceiptState;
  /** The SMSC's own status word, e.g. DELIVRD, UNDELIV. */
  status: string;
  error: string | null;
}

export interface MobileOriginated {
  /** E.164 of the phone that sent it ("+" + digits), or the sender as given when not numeric. */
  from: string;
  /** The number it was sent to, E.164 when numeric. */
  to: string;
  text: string;
  /** False when parts of a concatenated message never arrived. */
  complete: boolean;
}

export interface SubmitRequest {
  to: string;
  from: string;
  plan: SmsPlan;
  /** Concatenation reference, 0..255. */
  reference: number;
  /** Called with each part's SMSC message id as soon as it is known: a receipt may follow at once. */
  onAccepted(smscId: string): void;
}

/** Handlers run before the deliver_sm is answered; a rejection answers ESME_RX_T_APPN. */
export interface SmppHandlers {
  receipt(receipt: DeliveryReceipt): Promise<void>;
  mobileOriginated(message: MobileOriginated): Promise<void>;
}

const ESM_CLASS_RECEIPT_MASK = 0x3c;
const ESM_CLASS_SMSC_RECEIPT = 0x04;
const ESM_CLASS_UDHI = 0x40;
const REGISTERED_DELIVERY_FINAL = 0x01;

/** SMPP 3.4 §5.2.28 message_state values. */
const MESSAGE_STATES: Record<number, string> = {
  1: 'ENROUTE', 2: 'DELIVRD', 3: 'EXPIRED', 4: 'DELETED', 5: 'UNDELIV', 6: 'ACCEPTD', 7: 'UNKNOWN', 8: 'REJECTD',
};

/** Address fields: E.164 numbers as TON 1/NPI 1 without "+", digits as unknown/E.164, names alphanumeric. */
export function smppAddress(value: string): { addr: string; ton: number; npi: number } {
  if (/^\+\d{1,15}$/.test(value)) return { addr: value.slice(1), ton: 1, npi: 1 };
  if (/^\d{1,21}$/.test(value)) return { addr: value, ton: 0, npi: 1 };
  return { addr: value.slice(0, 11), ton: 5, npi: 0 };
}

/** An address from the SMSC as E.164 when it is international (TON 1) or looks like one. */
export function e164FromSmpp(addr: string, ton: number): string {
  if (/^\d+$/.test(addr) && (ton === 1 || addr.length > 8)) return `+${addr}`;
  return addr;
}

export function receiptState(status: string): ReceiptState {
  switch (status.toUpperCase()) {
    case 'DELIVRD':
      return 'delivered';
    case 'EXPIRED':
    case 'DELETED':
    case 'UNDELIV':
    case 'REJECTD':
      return 'failed';
    case 'ENROUTE':
    case 'ACCEPTD':
      return 'queued';
    default:
      return 'unknown';
  }
}

/** Parses the receipt text of SMPP 3.4 Appendix B, preferring the TLVs when present. */
export function parseReceipt(pdu: PDU, text: string): DeliveryReceipt | null {
  const fields = new Map<string, string>();
  for (const match of text.matchAll(/(id|sub|dlvrd|submit date|done date|stat|err):\s*(\S+)/gi)) {
    fields.set(match[1].toLowerCase(), match[2]);
  }
  const smscId = typeof pdu.receipted_message_id === 'string' && pdu.receipted_message_id ? pdu.receipted_message_id : fields.get('id');
  if (!smscId) return null;
  const status = typeof pdu.message_state === 'number' && MESSAGE_STATES[pdu.message_state]
    ? MESSAGE_STATES[pdu.message_state]
    : (fields.get('stat') ?? 'UNKNOWN');
  const error = fields.get('err') ?? null;
  return { smscId, state: receiptState(status), status: status.toUpperCase(), error: error && error !== '000' ? error : null };
}

interface PendingParts {
  parts: Map<number, string>;
  total: number;
  to: string;
  timer: NodeJS.Timeout;
}

export class SmppTransport extends EventEmitter {
  private readonly options: SmppTransportOptions;
  private readonly handlers: SmppHandlers;
  private session: Session | null = null;
  private bound: Promise<Session> | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly pending = new Map<string, PendingParts>();

  constructor(options: SmppTransportOptions, handlers: SmppHandlers) {
    super();
    this.options = options;
    this.handlers = handlers;
  }

  /** Connects and binds; resolves once bound (the first submit also binds on demand). */
  start(): Promise<Session> {
    if (this.closed) return Promise.reject(new Error('SMPP transport closed'));
    this.bound ??= this.bind();
    return this.bound;
  }

  get isBound(): boolean {
    return this.session !== null;
  }

  private bind(): Promise<Session> {
    const { log } = this.options;
    return new Promise<Session>((resolve, reject) => {
      const session = smpp.connect({ url: this.options.url, auto_enquire_link_period: this.options.enquireLinkMs });
      let settled = false;
      const fail = (error: Error) => {
        if (!settled) {
          settled = true;
          this.bound = null;
          reject(error);
        }
      };
      session.on('error', (error: Error) => {
        log.warn({ evt: 'sms.smpp.error', err: error.message }, 'SMPP connection error');
        fail(error);
      });
      session.on('close', () => {
        if (this.session === session) this.session = null;
        this.bound = null;
        fail(new Error('SMPP connection closed before bind'));
        if (!this.closed) this.scheduleReconnect();
      });
      session.on('connect', () => {
        const bindOptions = { system_id: this.options.systemId, password: this.options.password, system_type: this.options.systemType, interface_version: 0x34 };
        const onBind = (pdu: PDU) => {
          if (pdu.command_status !== 0) {
            log.error({ evt: 'sms.smpp.bind-failed', status: pdu.command_status }, 'SMPP bind refused');
            fail(new Error(`SMPP bind refused (status ${pdu.command_status})`));
            session.close();
            return;
          }
          settled = true;
          this.session = session;
          log.info({ evt: 'sms.smpp.bound', mode: this.options.bindMode }, 'SMPP bound');
          resolve(session);
        };
        if (this.options.bindMode === 'transceiver') session.bind_transceiver(bindOptions, onBind);
        else session.bind_transmitter(bindOptions, onBind);
      });
      session.on('deliver_sm', (pdu: PDU) => this.onDeliver(session, pdu));
      session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
      session.on('unbind', (pdu: PDU) => {
        session.send(pdu.response());
        session.close();
      });
    });
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closed || this.bound) return;
      this.start().catch(() => undefined);
    }, this.options.reconnectMs);
    this.reconnectTimer.unref();
  }

  /** Submits every part; resolves with the SMSC's message id of each part, in order. */
  async submit(request: SubmitRequest): Promise<string[]> {
    const session = await withTimeout(this.start(), this.options.submitTimeoutMs, 'SMPP bind timed out');
    const source = smppAddress(request.from);
    const destination = smppAddress(request.to);
    const total = request.plan.parts.length;
    const ids: string[] = [];
    for (const [index, payload] of request.plan.parts.entries()) {
      const udh = total > 1 ? concatenationHeader(request.reference, total, index + 1) : null;
      const pdu = new smpp.PDU('submit_sm', {
        service_type: '',
        source_addr_ton: source.ton,
        source_addr_npi: source.npi,
        source_addr: source.addr,
        dest_addr_ton: destination.ton,
        dest_addr_npi: destination.npi,
        destination_addr: destination.addr,
        esm_class: udh ? ESM_CLASS_UDHI : 0,
        registered_delivery: REGISTERED_DELIVERY_FINAL,
        data_coding: request.plan.dataCoding,
        short_message: udh ? Buffer.concat([udh, payload]) : payload,
      });
      const response = await withTimeout(
        new Promise<PDU>((resolve, reject) => {
          const onResponse = (answer: PDU) => {
            // At once, not after an await: the receipt may be in the same read as this response.
            if (answer.command_status === 0) request.onAccepted(String(answer.message_id));
            resolve(answer);
          };
          if (!session.send(pdu, onResponse)) reject(new Error('SMPP session not writable'));
        }),
        this.options.submitTimeoutMs,
        'SMPP submit_sm timed out',
      );
      if (response.command_status !== 0) {
        throw new SmppSubmitError(response.command_status, `submit_sm refused with status 0x${response.command_status.toString(16)}`);
      }
      ids.push(String(response.message_id));
    }
    return ids;
  }

  private onDeliver(session: Session, pdu: PDU): void {
    const answer = (status: number) => session.send(pdu.response({ command_status: status }));
    this.handleDeliver(pdu)
      .then(() => answer(0))
      .catch((error: Error) => {
        this.options.log.error({ evt: 'sms.smpp.deliver-failed', err: error.message }, 'could not keep an incoming SMS; the SMSC will retry');
        answer(smpp.ESME_RX_T_APPN);
      });
  }

  private async handleDeliver(pdu: PDU): Promise<void> {
    const short = pdu.short_message as { message?: string | Buffer; udh?: Buffer[] } | Buffer | undefined;
    const payload = (pdu.message_payload as { message?: string } | undefined)?.message;
    const text = typeof payload === 'string' ? payload : messageText(short);
    if ((Number(pdu.esm_class) & ESM_CLASS_RECEIPT_MASK) === ESM_CLASS_SMSC_RECEIPT) {
      const receipt = parseReceipt(pdu, text);
      if (!receipt) {
        this.options.log.warn({ evt: 'sms.smpp.receipt-unparsable' }, 'delivery receipt without message id');
        return;
      }
      await this.handlers.receipt(receipt);
      return;
    }
    const from = e164FromSmpp(String(pdu.source_addr ?? ''), Number(pdu.source_addr_ton));
    const to = e164FromSmpp(String(pdu.destination_addr ?? ''), Number(pdu.dest_addr_ton));
    const concat = concatenationOf(short && !Buffer.isBuffer(short) ? short.udh : undefined);
    if (!concat || concat.total <= 1) {
      await this.handlers.mobileOriginated({ from, to, text, complete: true });
      return;
    }
    await this.collectPart({ from, to, text, concat });
  }

  private async collectPart(input: { from: string; to: string; text: string; concat: { reference: number; total: number; sequence: number } }): Promise<void> {
    const key = `${input.from}\u0000${input.to}\u0000${input.concat.reference}`;
    let entry = this.pending.get(key);
    if (!entry) {
      const timer = setTimeout(() => void this.flushParts(key, false), this.options.reassemblyMs);
      timer.unref();
      entry = { parts: new Map(), total: input.concat.total, to: input.to, timer };
      this.pending.set(key, entry);
    }
    entry.parts.set(input.concat.sequence, input.text);
    if (entry.parts.size >= entry.total) await this.flushParts(key, true);
  }

  private async flushParts(key: string, complete: boolean): Promise<void> {
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    clearTimeout(entry.timer);
    const from = key.slice(0, key.indexOf('\u0000'));
    const text = [...entry.parts.entries()].sort(([a], [b]) => a - b).map(([, part]) => part).join('');
    try {
      await this.handlers.mobileOriginated({ from, to: entry.to, text, complete });
    } catch (error) {
      // Parts already acknowledged to the SMSC: keep them for one more attempt at the next part or timeout.
      if (!complete) {
        this.options.log.error({ evt: 'sms.smpp.parts-lost', err: (error as Error).message }, 'incomplete SMS could not be stored');
        return;
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const key of [...this.pending.keys()]) await this.flushParts(key, false).catch(() => undefined);
    const session = this.session;
    this.session = null;
    if (!session) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => session.destroy(() => resolve()), 1000);
      timer.unref();
      session.unbind({}, () => {
        clearTimeout(timer);
        session.close(() => resolve());
      });
    });
  }
}

export class SmppSubmitError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SmppSubmitError';
    this.status = status;
  }
}

function messageText(short: { message?: string | Buffer } | Buffer | undefined): string {
  if (!short) return '';
  if (Buffer.isBuffer(short)) return short.toString('latin1');
  const message = short.message;
  return typeof message === 'string' ? message : (message?.toString('latin1') ?? '');
}

/** Concatenation info from the UDH information elements (IEI 0x00 8-bit or 0x08 16-bit reference). */
function concatenationOf(udh: Buffer[] | undefined): { reference: number; total: number; sequence: number } | null {
  for (const element of udh ?? []) {
    if (element[0] === 0x00 && element[1] === 3) return { reference: element[2], total: element[3], sequence: element[4] };
    if (element[0] === 0x08 && element[1] === 4) return { reference: element.readUInt16BE(2), total: element[4], sequence: element[5] };
  }
  return null;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
