/**
 * Messages the stress clients APPEND: small (under 4 KB), each with its own Message-ID, in a few
 * shapes (plain text, multipart/alternative, multipart/mixed with an attachment, a forwarded
 * message/rfc822), so ENVELOPE and BODYSTRUCTURE have something to get wrong; some repeat a
 * field, fold it and write its name in odd case, for HEADER.FIELDS. CRLF line ends.
 */

const NAMES = ['Alice Example <alice@bench.test>', '"Bob, Jr." <bob@bench.test>', 'carol@bench.test', '=?UTF-8?Q?J=C3=B6rg?= <jorg@bench.test>'];
const SUBJECTS = ['Quarterly numbers', 'Re: lunch?', 'Fwd: the plan', '=?UTF-8?B?w4RyZ2VyIMO8YmVyIMOEcGZlbA==?=', 'Status update'];

export function makeMessage(seed: number, n: number, random: () => number): Buffer {
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const id = `<stress-${seed}-${n}@bench.test>`;
  const date = new Date(Date.UTC(2025, 0, 1) + n * 61_000).toUTCString().replace('GMT', '+0000');
  const headers = [`From: ${pick(NAMES)}`, `To: ${pick(NAMES)}`, `Subject: ${pick(SUBJECTS)} ${n}`, `Date: ${date}`, `Message-ID: ${id}`, 'MIME-Version: 1.0'];
  if (random() < 0.3) headers.push(`Cc: ${pick(NAMES)}`, `In-Reply-To: <stress-${seed}-${Math.max(0, n - 1)}@bench.test>`);
  // A repeated field, one folded, and a name in odd case: HEADER.FIELDS must keep them as they are.
  if (random() < 0.4) headers.push(`X-Stress-Trace: hop 1 of ${n}`, `x-STRESS-trace: hop 2;\r\n\tfolded onto a second line`);
  // A name that is a prefix of another, an empty value, white space before the colon (RFC 5322 §4.5.3 obsolete syntax).
  if (random() < 0.3) headers.splice(2, 0, `X-Stress: ${n}`, 'X-Empty:', 'X-Spaced : before the colon');
  const text = Array.from({ length: 2 + Math.floor(random() * 20) }, (_, line) => `Line ${line} of message ${n}: the quick brown fox.`).join('\r\n');
  const shape = Math.floor(random() * 4);
  let body: string;
  if (shape === 0) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 7bit');
    body = text;
  } else if (shape === 1) {
    headers.push('Content-Type: multipart/alternative; boundary="alt-b"');
    body = ['--alt-b', 'Content-Type: text/plain; charset=us-ascii', '', text, '--alt-b', 'Content-Type: text/html; charset=us-ascii', '', `<p>${text}</p>`, '--alt-b--', ''].join('\r\n');
  } else if (shape === 2) {
    headers.push('Content-Type: multipart/mixed; boundary="mix-b"');
    const attachment = Buffer.from(`attachment ${n} `.repeat(20)).toString('base64').replace(/.{76}/g, '$&\r\n');
    body = [
      '--mix-b', 'Content-Type: text/plain', '', text,
      '--mix-b', 'Content-Type: application/octet-stream; name="a.bin"', 'Content-Disposition: attachment; filename="a.bin"', 'Content-Transfer-Encoding: base64', '', attachment,
      '--mix-b--', '',
    ].join('\r\n');
  } else {
    headers.push('Content-Type: multipart/mixed; boundary="fwd-b"');
    body = [
      '--fwd-b', 'Content-Type: text/plain', '', 'Forwarded below.',
      '--fwd-b', 'Content-Type: message/rfc822', '', `From: ${pick(NAMES)}`, `Subject: inner ${n}`, `Message-ID: <inner-${seed}-${n}@bench.test>`, '', text,
      '--fwd-b--', '',
    ].join('\r\n');
  }
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8');
}
