/**
 * Mail → the words of an SMS: who it is from, the subject, and the plain-text body without
 * quoted replies and signature, whitespace collapsed, cut to a number of characters.
 *
 * Invariants: the result never holds a line break run longer than one newline or a space run
 * longer than one space (every character costs on a phone); it is at most `maxLength` code points.
 */

export interface SmsTextInput {
  /** The sender to name, or null to leave it out. */
  from: string | null;
  subject: string;
  text: string;
  maxLength: number;
}

/** Lines of a reply that are the quoted original ("> ..." and the "On ... wrote:" line before it). */
const QUOTE_INTRO = /^(on .+wrote:|am .+schrieb .+:|le .+a écrit :)$/i;

export function smsText(input: SmsTextInput): string {
  const lines = input.text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    // RFC 3676 §4.3: "-- " starts the signature.
    if (line === '-- ') break;
    if (line.startsWith('>')) continue;
    kept.push(line);
  }
  while (kept.length > 0 && QUOTE_INTRO.test(kept[kept.length - 1].trim())) kept.pop();
  const body = kept.join('\n').replace(/[ \t\u00a0]+/g, ' ').replace(/ ?\n[\n ]*/g, '\n').trim();
  const subject = input.subject.replace(/\s+/g, ' ').trim();
  const head = [input.from, subject].filter((part): part is string => Boolean(part)).join(': ');
  const full = head && body ? `${head}\n${body}` : head || body;
  const chars = [...full];
  return chars.length <= input.maxLength ? full : chars.slice(0, input.maxLength).join('');
}
