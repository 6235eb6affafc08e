/**
 * SMS text encoding: choose GSM 7-bit default alphabet or UCS-2, split into concatenated parts
 * with a User Data Header, and trim what does not fit.
 *
 * References: 3GPP TS 23.038 §6.2.1 (GSM 7-bit default alphabet and its extension table, reached
 * with ESC 0x1B), §5 (data coding scheme: 0x00 default alphabet, 0x08 UCS-2); 3GPP TS 23.040
 * §9.2.3.24.1 (concatenated short messages, 8-bit reference: IEI 0x00, length 3, ref, total,
 * sequence); SMPP 3.4 §5.2.19 (data_coding) and §5.2.12 (esm_class UDHI 0x40).
 *
 * Invariants:
 * - Over SMPP the default alphabet is sent unpacked, one septet per octet (SMPP 3.4 §5.2.19:
 *   the SMSC packs it for the air interface), so one GSM character is one octet and an extension
 *   character is two (ESC + code). A part never ends between ESC and its code.
 * - UCS-2 parts hold UTF-16BE code units; a part never ends inside a surrogate pair.
 * - One part holds 160 septets or 70 UCS-2 units; concatenated parts lose 6 octets to the UDH:
 *   153 septets or 67 units.
 * - When the text needs more than `maxParts` parts it is cut at the end of the last allowed part
 *   and ends with "..." so the reader sees it was shortened.
 */

/** 3GPP TS 23.038 §6.2.1: the default alphabet; index = septet value. ESC (0x1B) is a placeholder. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** 3GPP TS 23.038 §6.2.1.1: the extension table, reached by ESC + code. */
const GSM_EXTENSION: ReadonlyMap<string, number> = new Map([
  ['\f', 0x0a], ['^', 0x14], ['{', 0x28], ['}', 0x29], ['\\', 0x2f],
  ['[', 0x3c], ['~', 0x3d], [']', 0x3e], ['|', 0x40], ['€', 0x65],
]);

const GSM_ESCAPE = 0x1b;
const basicIndex = new Map<string, number>();
for (let index = 0; index < GSM_BASIC.length; index++) {
  if (index !== GSM_ESCAPE) basicIndex.set(GSM_BASIC[index], index);
}

export type SmsCoding = 'gsm7' | 'ucs2';

/** SMPP data_coding values (SMPP 3.4 §5.2.19). */
export const DATA_CODING: Record<SmsCoding, number> = { gsm7: 0x00, ucs2: 0x08 };

const SINGLE_CAPACITY: Record<SmsCoding, number> = { gsm7: 160, ucs2: 70 };
const PART_CAPACITY: Record<SmsCoding, number> = { gsm7: 153, ucs2: 67 };
const ELLIPSIS = '...';

export interface SmsPlan {
  coding: SmsCoding;
  dataCoding: number;
  /** The text actually sent (after trimming). */
  text: string;
  truncated: boolean;
  /** Payload of each part without UDH: unpacked septets (gsm7) or UTF-16BE (ucs2). */
  parts: Buffer[];
}

/** True when every character is in the GSM default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const char of text) if (!basicIndex.has(char) && !GSM_EXTENSION.has(char)) return false;
  return true;
}

/** The septets of one character (1 or 2), or null when it is not in the alphabet. */
function septetsOf(char: string): number[] | null {
  const basic = basicIndex.get(char);
  if (basic !== undefined) return [basic];
  const extension = GSM_EXTENSION.get(char);
  return extension === undefined ? null : [GSM_ESCAPE, extension];
}

/** Encoding units of one character: septets (gsm7) or UTF-16 code units (ucs2). */
function unitsOf(char: string, coding: SmsCoding): number[] {
  if (coding === 'gsm7') return septetsOf(char) ?? [];
  const units: number[] = [];
  for (let index = 0; index < char.length; index++) units.push(char.charCodeAt(index));
  return units;
}

function toBuffer(units: number[], coding: SmsCoding): Buffer {
  if (coding === 'gsm7') return Buffer.from(units);
  const buffer = Buffer.alloc(units.length * 2);
  units.forEach((unit, index) => buffer.writeUInt16BE(unit, index * 2));
  return buffer;
}

/**
 * Plans the SMS for `text`: coding, parts and the (possibly shortened) text. `maxParts` ≥ 1.
 * Characters are whole code points, so a part never splits an escape pair or a surrogate pair.
 */
export function planSms(text: string, options: { maxParts: number }): SmsPlan {
  const coding: SmsCoding = isGsm7(text) ? 'gsm7' : 'ucs2';
  const chars = [...text];
  const unitCounts = chars.map((char) => unitsOf(char, coding).length);
  const total = unitCounts.reduce((sum, count) => sum + count, 0);
  const maxParts = Math.max(1, options.maxParts);

  let kept = chars;
  let truncated = false;
  if (total > SINGLE_CAPACITY[coding]) {
    const capacity = maxParts === 1 ? SINGLE_CAPACITY[coding] : PART_CAPACITY[coding] * maxParts;
    if (total > capacity) {
      truncated = true;
      // Keep whole characters while they and the ellipsis fit.
      let used = ELLIPSIS.length;
      let count = 0;
      while (count < chars.length && used + unitCounts[count] <= capacity) used += unitCounts[count++];
      kept = [...chars.slice(0, count), ...ELLIPSIS];
    }
  }
  const finalText = kept.join('');
  const perPart = kept.reduce((sum, char) => sum + unitsOf(char, coding).length, 0) <= SINGLE_CAPACITY[coding]
    ? SINGLE_CAPACITY[coding]
    : PART_CAPACITY[coding];

  const parts: Buffer[] = [];
  let current: number[] = [];
  for (const char of kept) {
    const units = unitsOf(char, coding);
    if (current.length + units.length > perPart) {
      parts.push(toBuffer(current, coding));
      current = [];
    }
    current.push(...units);
  }
  if (current.length > 0 || parts.length === 0) parts.push(toBuffer(current, coding));
  return { coding, dataCoding: DATA_CODING[coding], text: finalText, truncated, parts };
}

/**
 * The concatenation UDH (3GPP TS 23.040 §9.2.3.24.1, 8-bit reference) for part `sequence`
 * (1-based) of `total`: UDHL 5, IEI 0x00, IEDL 3, reference, total, sequence.
 */
export function concatenationHeader(reference: number, total: number, sequence: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, sequence]);
}
