/**
 * ENVELOPE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) of a message or of an encapsulated
 * message/rfc822, and the Date header as a timestamp for SEARCH SENT* (RFC 9051 §6.4.4).
 *
 * Invariants:
 * - Field order: date subject from sender reply-to to cc bcc in-reply-to message-id.
 * - Date, Subject, In-Reply-To and Message-ID are NIL when absent and "" when empty; they are
 *   the raw header text, unfolded, never RFC 2047 decoded (servers send the header as is).
 * - From/To/Cc/Bcc are NIL when absent or holding no address; Sender and Reply-To fall back to
 *   From when absent or empty.
 * - The first occurrence of a field is used.
 */
import { parseAddressList } from './address.js';
import { fieldValue, type HeaderField } from './headers.js';
import type { SExp } from './types.js';

const ENVELOPE_FIELDS = new Set([
  'date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'in-reply-to', 'message-id',
]);

/** First value of each envelope field present in the header. */
function envelopeValues(raw: Buffer, fields: HeaderField[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const field of fields) {
    if (ENVELOPE_FIELDS.has(field.name) && !values.has(field.name)) {
      values.set(field.name, fieldValue(raw, field));
    }
  }
  return values;
}

function trimmed(values: Map<string, string>, name: string): string | null {
  const value = values.get(name);
  return value === undefined ? null : value.trim();
}

export interface EnvelopeResult {
  envelope: SExp;
  sentDate: number | null;
}

export function buildEnvelope(raw: Buffer, fields: HeaderField[]): EnvelopeResult {
  const values = envelopeValues(raw, fields);
  const addresses = (name: string): SExp => {
    const value = values.get(name);
    return value === undefined ? null : parseAddressList(value);
  };
  const from = addresses('from');
  const date = trimmed(values, 'date');
  const envelope: SExp = [
    date,
    trimmed(values, 'subject'),
    from,
    addresses('sender') ?? from,
    addresses('reply-to') ?? from,
    addresses('to'),
    addresses('cc'),
    addresses('bcc'),
    trimmed(values, 'in-reply-to'),
    trimmed(values, 'message-id'),
  ];
  return { envelope, sentDate: date === null ? null : parseDate(date) };
}

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

/** RFC 5322 §4.3 obsolete zones (military zones other than Z are treated as +0000, per §4.3). */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0, edt: -240, est: -300, cdt: -300, cst: -360, mdt: -360, mst: -420,
  pdt: -420, pst: -480,
};

const DATE_RE =
  /(\d{1,2})\s*[-\s]\s*([a-z]{3})[a-z]*\.?\s*[-\s]\s*(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?(?:\.\d+)?\s*([+-]\d{2}:?\d{2}|[a-z]{1,5})?/i;

/**
 * Parses an RFC 5322 date-time (§3.3, with the obsolete forms of §4.3) to epoch milliseconds;
 * null when it cannot be read. Falls back to the JS parser for ISO-like dates.
 */
export function parseDate(text: string): number | null {
  const m = DATE_RE.exec(text);
  if (m) {
    const day = Number(m[1]);
    const month = MONTHS[m[2].toLowerCase()];
    let year = Number(m[3]);
    if (m[3].length === 2) year += year < 50 ? 2000 : 1900;
    else if (m[3].length === 3) year += 1900;
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    const second = m[6] === undefined ? 0 : Number(m[6]);
    if (month !== undefined && day >= 1 && day <= 31 && hour < 24 && minute < 60 && second <= 60) {
      const offset = zoneOffsetMinutes(m[7]);
      const utc = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
      return utc - offset * 60_000;
    }
  }
  const fallback = Date.parse(text);
  return Number.isNaN(fallback) ? null : fallback;
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (zone === undefined) return 0;
  const numeric = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (numeric) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3]);
    return numeric[1] === '-' ? -minutes : minutes;
  }
  return ZONES[zone.toLowerCase()] ?? 0;
}
