/**
 * Line-ending normalisation before storage: IMAP and RFC 5322 §2.1 messages use CRLF, while
 * local submitters and imports (mbox, Maildir) often carry bare LF or bare CR.
 *
 * Invariant: the result contains no bare LF and no bare CR; a message that already has none is
 * returned as the same Buffer (no copy), which is the common case for SMTP input.
 */

const LF = 0x0a;
const CR = 0x0d;

export function normalizeLineEndings(raw: Buffer): Buffer {
  let extra = 0;
  let pos = raw.indexOf(LF);
  while (pos >= 0) {
    if (pos === 0 || raw[pos - 1] !== CR) extra++;
    pos = raw.indexOf(LF, pos + 1);
  }
  pos = raw.indexOf(CR);
  while (pos >= 0) {
    if (pos + 1 >= raw.length || raw[pos + 1] !== LF) extra++;
    pos = raw.indexOf(CR, pos + 1);
  }
  if (extra === 0) return raw;

  const out = Buffer.allocUnsafe(raw.length + extra);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === LF) {
      if (i === 0 || raw[i - 1] !== CR) out[o++] = CR;
      out[o++] = LF;
    } else if (c === CR) {
      out[o++] = CR;
      if (i + 1 >= raw.length || raw[i + 1] !== LF) out[o++] = LF;
    } else {
      out[o++] = c;
    }
  }
  return out;
}
