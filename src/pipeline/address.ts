/**
 * Mailbox syntax and normalisation, shared by user management and recipient resolution.
 *
 * Grammar: RFC 5321 §4.1.2 (Mailbox = Local-part "@" ( Domain / address-literal ), Local-part =
 * Dot-string / Quoted-string) with the UTF-8 extension of RFC 6531 §3.3 (non-ASCII in atext and
 * qtext, U-labels in domains). Length limits: RFC 5321 §4.5.3.1.1 (local part 64 octets),
 * §4.5.3.1.2 (domain 255 octets) and the 256-octet path of §4.5.3.1.3, i.e. at most 254 octets
 * between the angle brackets.
 *
 * Invariants of a parsed mailbox:
 * - `domain` is lower-case ASCII: IDNs become punycode A-labels (UTS #46 through
 *   `node:url` domainToASCII); a trailing dot, empty or over-long labels, underscores and an
 *   all-numeric last label (which would read as an IPv4 address) are refused.
 * - `local` is lower-cased and canonical: a quoted local part whose content is a valid
 *   Dot-string is unquoted (RFC 5321 §4.1.2 "SHOULD NOT" quote needlessly); otherwise it keeps
 *   minimal quoting. So two spellings of one mailbox compare equal as strings.
 * - Source routes ("@a,@b:user@c") are not part of Mailbox; they are refused here. The SMTP
 *   front end strips them as RFC 5321 Appendix C asks before an address reaches the pipeline.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

export interface Mailbox {
  /** Canonical, lower-cased local part (quoted only when it must be). */
  local: string;
  /** Lower-cased ASCII domain, or a lower-cased address literal such as "[127.0.0.1]". */
  domain: string;
  /** `${local}@${domain}` */
  address: string;
  /** True when the domain is an address literal (RFC 5321 §4.1.3). */
  domainIsLiteral: boolean;
  /** True when the canonical local part is a Quoted-string. */
  localIsQuoted: boolean;
}

export type MailboxParse = { ok: true; mailbox: Mailbox } | { ok: false; reason: string };

const MAX_LOCAL_OCTETS = 64;
const MAX_DOMAIN_OCTETS = 255;
const MAX_ADDRESS_OCTETS = 254;
const MAX_LABEL_OCTETS = 63;

/** atext of RFC 5322 §3.2.3 plus UTF8-non-ascii (RFC 6531 §3.3). */
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+$/u;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/** A label as typed: letters, digits, hyphens and (for U-labels) non-ASCII characters. */
const TYPED_LABEL = /^[A-Za-z0-9\u0080-\u{10FFFF}](?:[A-Za-z0-9\-\u0080-\u{10FFFF}]*[A-Za-z0-9\u0080-\u{10FFFF}])?$/u;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const octets = (text: string) => Buffer.byteLength(text, 'utf8');

export function isDotString(text: string): boolean {
  return text.length > 0 && text.split('.').every((atom) => ATEXT.test(atom));
}

/**
 * Parses a mailbox as it appears between the angle brackets of MAIL FROM / RCPT TO, or as an
 * admin types it. Never throws.
 */
export function parseMailbox(input: string): MailboxParse {
  if (typeof input !== 'string' || input.length === 0) return { ok: false, reason: 'empty address' };
  if (CONTROL.test(input)) return { ok: false, reason: 'control characters are not allowed' };
  if (input.startsWith('@')) return { ok: false, reason: 'source routes are not accepted' };

  let rawLocal: string;
  let rest: string;
  let quoted = false;
  if (input.startsWith('"')) {
    const end = findClosingQuote(input);
    if (end < 0) return { ok: false, reason: 'unterminated quoted local part' };
    const content = unescapeQuoted(input.slice(1, end));
    if (content === null) return { ok: false, reason: 'invalid character in quoted local part' };
    rawLocal = content;
    quoted = true;
    rest = input.slice(end + 1);
    if (!rest.startsWith('@')) return { ok: false, reason: 'expected "@" after the quoted local part' };
    rest = rest.slice(1);
  } else {
    const at = input.indexOf('@');
    if (at < 0) return { ok: false, reason: 'missing "@"' };
    rawLocal = input.slice(0, at);
    rest = input.slice(at + 1);
    if (!isDotString(rawLocal)) return { ok: false, reason: 'invalid local part' };
  }
  if (rest.length === 0) return { ok: false, reason: 'missing domain' };

  const local = canonicalLocal(rawLocal.normalize('NFC').toLowerCase(), quoted);
  if (octets(local) > MAX_LOCAL_OCTETS) return { ok: false, reason: `local part longer than ${MAX_LOCAL_OCTETS} octets` };

  let domain: string;
  let domainIsLiteral = false;
  if (rest.startsWith('[')) {
    const literal = parseAddressLiteral(rest);
    if (literal === null) return { ok: false, reason: 'invalid address literal' };
    domain = literal;
    domainIsLiteral = true;
  } else {
    const normalized = normalizeDomain(rest);
    if (!normalized.ok) return normalized;
    domain = normalized.domain;
  }

  const address = `${local}@${domain}`;
  if (octets(address) > MAX_ADDRESS_OCTETS) return { ok: false, reason: `address longer than ${MAX_ADDRESS_OCTETS} octets` };
  return { ok: true, mailbox: { local, domain, address, domainIsLiteral, localIsQuoted: local.startsWith('"') } };
}

/** RFC 5321 §4.1.2 Domain → lower-case ASCII (A-labels). Address literals are not domains here. */
export function normalizeDomain(input: string): { ok: true; domain: string } | { ok: false; reason: string } {
  if (input.length === 0) return { ok: false, reason: 'empty domain' };
  if (input.endsWith('.')) return { ok: false, reason: 'domain must not end with a dot' };
  const typedLabels = input.split('.');
  if (!typedLabels.every((label) => TYPED_LABEL.test(label))) return { ok: false, reason: 'invalid domain' };
  const ascii = domainToASCII(input.normalize('NFC'));
  if (!ascii) return { ok: false, reason: 'invalid domain' };
  if (ascii.length > MAX_DOMAIN_OCTETS) return { ok: false, reason: `domain longer than ${MAX_DOMAIN_OCTETS} octets` };
  const labels = ascii.split('.');
  if (!labels.every((label) => label.length <= MAX_LABEL_OCTETS && LDH_LABEL.test(label))) {
    return { ok: false, reason: 'invalid domain' };
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return { ok: false, reason: 'invalid domain (numeric top-level label)' };
  return { ok: true, domain: ascii };
}

/** Index of the DQUOTE that closes the quoted string starting at 0, honouring quoted-pairs. */
function findClosingQuote(input: string): number {
  for (let i = 1; i < input.length; i++) {
    if (input[i] === '\\') i++;
    else if (input[i] === '"') return i;
  }
  return -1;
}

/** Content of a Quoted-string without the quotes → its value, or null when a character is not
 * allowed (qtextSMTP: %d32-33 / %d35-91 / %d93-126 / UTF8-non-ascii; quoted-pairSMTP: "\" %d32-126). */
function unescapeQuoted(content: string): string | null {
  let value = '';
  for (let i = 0; i < content.length; i++) {
    const char = content[i];
    const code = char.charCodeAt(0);
    if (char === '\\') {
      const next = content[i + 1];
      if (next === undefined || next.charCodeAt(0) < 32 || next.charCodeAt(0) > 126) return null;
      value += next;
      i++;
    } else if (char === '"' || code < 32 || code === 127) {
      return null;
    } else {
      value += char;
    }
  }
  return value;
}

function canonicalLocal(value: string, quoted: boolean): string {
  if (!quoted || isDotString(value)) return value;
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** RFC 5321 §4.1.3: "[" IPv4 / "IPv6:" IPv6 / General-address-literal "]", lower-cased. */
function parseAddressLiteral(input: string): string | null {
  if (!input.endsWith(']')) return null;
  const content = input.slice(1, -1);
  if (isIPv4(content)) return `[${content}]`;
  if (/^ipv6:/i.test(content)) return isIPv6(content.slice(5)) ? `[ipv6:${content.slice(5).toLowerCase()}]` : null;
  const general = /^([A-Za-z0-9-]*[A-Za-z0-9]):([\x21-\x5a\x5e-\x7e]+)$/.exec(content);
  if (general) return `[${content.toLowerCase()}]`;
  return null;
}
