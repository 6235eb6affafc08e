/**
 * xtext (RFC 3461 §4): "+" followed by two upper-case hex digits encodes a byte; used by ENVID
 * and ORCPT. DSNs show the decoded values (RFC 3464 §2.2.1, §2.3.1).
 */
export function decodeXtext(text: string): string {
  return text.replace(/\+([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function encodeXtext(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((byte) => (byte >= 33 && byte <= 126 && byte !== 0x2b && byte !== 0x3d ? String.fromCharCode(byte) : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}
