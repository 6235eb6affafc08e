/**
 * Realistic MIME messages shared by the client transcript tests (k9, apple-mail, roundcube):
 * what those clients meet in a real mailbox. Each is CRLF-terminated RFC 5322 text with
 * non-ASCII headers as RFC 2047 encoded words and parameters as RFC 2231 (`filename*`).
 */
import { USER, type Harness } from './harness.js';

/** multipart/alternative: text/plain + text/html, both quoted-printable UTF-8. */
export const ALTERNATIVE = [
  'Return-Path: <joerg@remote.example>',
  'From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@remote.example>',
  'To: Alice <alice@example.org>',
  'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=',
  'Date: Mon, 23 Nov 2026 09:15:00 +0100',
  'Message-ID: <alt-1@remote.example>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=UTF-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Sch=C3=B6ne Gr=C3=BC=C3=9Fe!',
  '',
  '--b1',
  'Content-Type: text/html; charset=UTF-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<p>Sch=C3=B6ne Gr=C3=BC=C3=9Fe!</p>',
  '',
  '--b1--',
  '',
].join('\r\n');

/** multipart/mixed: text/plain + a PDF whose name needs RFC 2231 encoding. */
export const ATTACHMENT = [
  'From: Bob <bob@remote.example>',
  'To: alice@example.org',
  'Subject: Invoice',
  'Date: Mon, 23 Nov 2026 10:00:00 +0000',
  'Message-ID: <att-1@remote.example>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b2"',
  '',
  '--b2',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'See attached.',
  '',
  '--b2',
  'Content-Type: application/pdf; name="Rechnung.pdf"',
  'Content-Transfer-Encoding: base64',
  "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf",
  '',
  'JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK',
  '',
  '--b2--',
  '',
].join('\r\n');

/** multipart/mixed with a forwarded message (message/rfc822) as attachment. */
export const FORWARD = [
  'From: Carol <carol@remote.example>',
  'To: alice@example.org',
  'Subject: Fwd: Lunch',
  'Date: Mon, 23 Nov 2026 11:00:00 +0000',
  'Message-ID: <fwd-1@remote.example>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b3"',
  '',
  '--b3',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'Forwarding this.',
  '',
  '--b3',
  'Content-Type: message/rfc822',
  'Content-Disposition: attachment; filename="Lunch.eml"',
  '',
  'From: Dave <dave@remote.example>',
  'To: carol@remote.example',
  'Subject: Lunch',
  'Date: Sun, 22 Nov 2026 12:00:00 +0000',
  'Message-ID: <lunch@remote.example>',
  '',
  'Noon?',
  '',
  '--b3--',
  '',
].join('\r\n');

/** A plain text message replying in a thread. */
export const REPLY = [
  'From: Alice <alice@example.org>',
  'To: =?UTF-8?Q?J=C3=B6rg?= <joerg@remote.example>',
  'Subject: Re: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=',
  'Date: Mon, 23 Nov 2026 12:00:00 +0000',
  'Message-ID: <reply-1@example.org>',
  'In-Reply-To: <alt-1@remote.example>',
  'References: <alt-1@remote.example>',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'Danke!',
  '',
].join('\r\n');

/** Raw UTF-8 in headers (RFC 6532) and in a parameter, as some mobile clients send it. */
export const RAW_UTF8 = [
  'From: Zoë <zoe@remote.example>',
  'To: alice@example.org',
  'Subject: Café ☕ morgen?',
  'Date: Mon, 23 Nov 2026 13:00:00 +0000',
  'Message-ID: <raw-1@remote.example>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b4"',
  '',
  '--b4',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Bis morgen, Zoë',
  '',
  '--b4',
  'Content-Type: text/plain; charset=utf-8; name="Grüße.txt"',
  'Content-Disposition: attachment; filename="Grüße.txt"',
  '',
  'Hallo',
  '',
  '--b4--',
  '',
].join('\r\n');

/** One parsed IMAP value, the way positional clients (K-9, Roundcube) see it: NIL is null. */
export type ImapValue = string | null | ImapValue[];

/**
 * Parses one parenthesized IMAP value (a BODYSTRUCTURE, an ENVELOPE) from `text` at `start`,
 * quoted strings, atoms, numbers and NIL; literals are not expected in these tests' structures.
 */
export function parseImapList(text: string, start = text.indexOf('(')): ImapValue[] {
  let at = start;
  const value = (): ImapValue => {
    while (text[at] === ' ') at++;
    if (text[at] === '(') {
      at++;
      const list: ImapValue[] = [];
      for (;;) {
        while (text[at] === ' ') at++;
        if (text[at] === ')') {
          at++;
          return list;
        }
        if (at >= text.length) throw new Error('unterminated list');
        list.push(value());
      }
    }
    if (text[at] === '"') {
      let out = '';
      for (at++; text[at] !== '"'; at++) out += text[at] === '\\' ? text[++at] : text[at];
      at++;
      return out;
    }
    const atom = /^[^\s()"]+/.exec(text.slice(at))![0];
    at += atom.length;
    return atom === 'NIL' ? null : atom;
  };
  return value() as ImapValue[];
}

/** Every fixture, in the order the tests deliver them (UIDs 1 to 5). */
export const MESSAGES = [ALTERNATIVE, ATTACHMENT, FORWARD, REPLY, RAW_UTF8];
/** INTERNALDATE of the delivered fixtures. */
export const DELIVERED_AT = Date.UTC(2026, 10, 23, 12, 0, 0);
export const octets = (text: string): number => Buffer.byteLength(text);
export const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** What BODY[HEADER.FIELDS (names)] holds: the matching header lines in order, then the blank line. */
export function headerFields(raw: string, names: string): string {
  const wanted = new Set(names.toLowerCase().split(' '));
  const header = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n');
  const lines = header.filter((line) => wanted.has(line.slice(0, line.indexOf(':')).toLowerCase()));
  return `${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
}

/** Delivers MESSAGES to USER's INBOX at DELIVERED_AT. */
export async function deliverAll(h: Harness): Promise<void> {
  for (const raw of MESSAGES) await h.store.append(USER, 'INBOX', Buffer.from(raw), { internalDate: DELIVERED_AT });
}

export async function uidValidity(h: Harness, mailbox: string): Promise<number> {
  return (await h.store.getMailbox(USER, mailbox))!.uidValidity;
}

/**
 * The reply to SELECT or EXAMINE of an INBOX holding the five fixtures, all \\Recent in this
 * IMAP4rev1 session, nothing changed since delivery (RFC 3501 §6.3.1, §6.3.2).
 */
export function fixtureInboxOpened(tag: string, uidValidity: number, options: { readOnly: boolean }): string[] {
  const command = options.readOnly ? 'EXAMINE' : 'SELECT';
  return [
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    options.readOnly
      ? '* OK [PERMANENTFLAGS ()] No permanent flags permitted'
      : '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted',
    `* ${MESSAGES.length} EXISTS`,
    `* ${MESSAGES.length} RECENT`,
    '* OK [UNSEEN 1] First unseen',
    `* OK [UIDVALIDITY ${uidValidity}] UIDs valid`,
    `* OK [UIDNEXT ${MESSAGES.length + 1}] Predicted next UID`,
    `* OK [HIGHESTMODSEQ ${MESSAGES.length + 1}] Highest`,
    `${tag} OK [${options.readOnly ? 'READ-ONLY' : 'READ-WRITE'}] ${command} completed`,
  ];
}
