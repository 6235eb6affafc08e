/**
 * BODYSTRUCTURE and BODY (RFC 9051 §7.5.2, RFC 3501 §7.4.2) rendered from a parsed MimeNode
 * as a neutral SExp; the IMAP writer quotes it.
 *
 * Conventions (chosen once, applied everywhere):
 * - Media type, subtype, transfer encoding, parameter names and disposition type are sent
 *   upper-cased, as in the RFC examples (`("TEXT" "PLAIN" ("CHARSET" "US-ASCII") ...)`) and as
 *   Cyrus and Gmail send them; Dovecot keeps the header's case. The grammar treats them as
 *   case-insensitive and every client we target compares them so. Parameter values (boundary,
 *   charset, filename) keep their case.
 * - A text/* part without a charset parameter gets `"CHARSET" "us-ascii"` (RFC 2046 §4.1.2), the
 *   same value a part without Content-Type carries.
 * - A parameter value that is not 7-bit is sent as an RFC 2231 extended parameter
 *   (`"FILENAME*" "utf-8''R%C3%A9sum%C3%A9.pdf"`), as Dovecot does, so the structure stays 7-bit
 *   and lossless.
 * - Empty parameter lists are NIL. Content-Language is always a list.
 * - A part whose type promises structure it does not have — a multipart left opaque at the
 *   nesting limit, a message/rfc822 or message/global not descended into (transfer-encoded, or
 *   at the limit) — is sent as "APPLICATION" "OCTET-STREAM" with its own parameters: clients
 *   (K-9, imapflow) read BODYSTRUCTURE by position and would misread a MESSAGE/RFC822 without
 *   envelope or a MULTIPART without parts.
 */
import { hasParts, isEncapsulatedMessage } from './parse.js';
import type { Disposition, MimeNode, SExp } from './types.js';

type Param = [string, string];

export function bodyStructure(node: MimeNode, extended: boolean): SExp {
  return hasParts(node) ? multipart(node, extended) : singlePart(node, extended);
}

function multipart(node: MimeNode, extended: boolean): SExp {
  const out: SExp[] = node.children.map((child) => bodyStructure(child, extended));
  out.push(node.contentType.subtype.toUpperCase());
  if (extended) {
    out.push(params(node.contentType.params), disposition(node.disposition), node.language, node.location);
  }
  return out;
}

function singlePart(node: MimeNode, extended: boolean): SExp {
  const opaque = node.contentType.type === 'multipart' || (isEncapsulatedMessage(node.contentType) && !node.message);
  const type = opaque ? 'application' : node.contentType.type;
  const subtype = opaque ? 'octet-stream' : node.contentType.subtype;
  const isText = type === 'text';
  let typeParams = node.contentType.params;
  if (isText && !typeParams.some(([name]) => name === 'charset')) {
    typeParams = [...typeParams, ['charset', 'us-ascii']];
  }
  const out: SExp[] = [
    type.toUpperCase(),
    subtype.toUpperCase(),
    params(typeParams),
    node.id,
    node.description,
    node.encoding,
    Math.max(0, node.bodyEnd - node.bodyStart),
  ];
  if (node.message) {
    out.push(node.message.envelope, bodyStructure(node.message.root, extended), node.lines);
  } else if (isText) {
    out.push(node.lines);
  }
  if (extended) {
    out.push(node.md5, disposition(node.disposition), node.language, node.location);
  }
  return out;
}

function disposition(value: Disposition | null): SExp {
  return value === null ? null : [value.value.toUpperCase(), params(value.params)];
}

function params(list: Param[]): SExp {
  if (list.length === 0) return null;
  const out: SExp[] = [];
  for (const [name, value] of list) {
    if (isSevenBit(value)) {
      out.push(name.toUpperCase(), value);
    } else {
      out.push(`${name.toUpperCase()}*`, `utf-8''${rfc2231Encode(value)}`);
    }
  }
  return out;
}

function isSevenBit(value: string): boolean {
  return /^[\x20-\x7e\t]*$/.test(value);
}

/** RFC 2231 §7 extended-other-values: attribute-chars stay, everything else is %XX of UTF-8. */
function rfc2231Encode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte > 0x20 && byte < 0x7f && !"*'%()<>@,;:\\\"/[]?=".includes(ch)
      ? ch
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
