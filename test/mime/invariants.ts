/**
 * Structural invariants of a parse result, shared by the golden and robustness tests.
 * Returns a list of problems (empty when all hold) so a test can assert it is empty.
 */
import { findPart, sectionBytes } from '../../src/mime/index.js';
import type { MimeNode, ParsedMessage } from '../../src/mime/types.js';

export function offsetProblems(parsed: ParsedMessage, rawLength: number): string[] {
  const problems: string[] = [];
  const walk = (node: MimeNode, start: number, end: number, name: string): void => {
    const ok = start <= node.headerStart && node.headerStart <= node.bodyStart &&
      node.bodyStart <= node.bodyEnd && node.bodyEnd <= end;
    if (!ok) problems.push(`${name}: ${node.headerStart}/${node.bodyStart}/${node.bodyEnd} not within ${start}..${end}`);
    let previousEnd = node.bodyStart;
    node.children.forEach((child, i) => {
      if (child.headerStart < previousEnd) problems.push(`${name}.${i + 1} overlaps its previous sibling`);
      previousEnd = child.bodyEnd;
      walk(child, node.bodyStart, node.bodyEnd, `${name}.${i + 1}`);
    });
    if (node.message) walk(node.message.root, node.bodyStart, node.bodyEnd, `${name}.msg`);
  };
  if (parsed.root.headerStart !== 0 || parsed.root.bodyEnd !== rawLength) problems.push('root does not span the message');
  walk(parsed.root, 0, rawLength, 'root');
  return problems;
}

/** Every part path of the message, in the numbering of RFC 9051 §6.4.5. */
export function partPaths(parsed: ParsedMessage): number[][] {
  const paths: number[][] = [];
  const partsOf = (node: MimeNode): MimeNode[] =>
    node.contentType.type === 'multipart' && node.children.length > 0 ? node.children : [node];
  const visit = (node: MimeNode, path: number[]): void => {
    paths.push(path);
    if (node.contentType.type === 'multipart' && node.children.length > 0) {
      node.children.forEach((child, i) => visit(child, [...path, i + 1]));
    } else if (node.message) {
      partsOf(node.message.root).forEach((child, i) => visit(child, [...path, i + 1]));
    }
  };
  partsOf(parsed.root).forEach((child, i) => visit(child, [i + 1]));
  return paths;
}

/** True when the header block ends with its blank line (or is only the blank line). */
function endsWithBlankLine(block: Buffer): boolean {
  const text = block.toString('latin1');
  return text === '\r\n' || text === '\n' || /\r?\n\r?\n$/.test(text);
}

/**
 * Sections must slice consistently with the tree: BODY[] is the message; HEADER and MIME are
 * the stored header (completed with a blank line when it lacks one) and TEXT or the part body
 * is what follows it; for an encapsulated message HEADER and TEXT are its header and body.
 */
export function sectionProblems(raw: Buffer, parsed: ParsedMessage): string[] {
  const problems: string[] = [];
  const checkHeader = (name: string, block: Buffer | null, node: MimeNode): void => {
    const stored = raw.subarray(node.headerStart, node.bodyStart);
    if (!block) problems.push(`${name}: missing`);
    else if (!block.subarray(0, stored.length).equals(stored)) problems.push(`${name}: not the stored header`);
    else if (!endsWithBlankLine(block)) problems.push(`${name}: no blank line`);
    else if (block.length !== stored.length && endsWithBlankLine(stored)) problems.push(`${name}: blank line added twice`);
  };
  const whole = sectionBytes(raw, parsed, { part: [], text: null });
  if (!whole || !whole.equals(raw)) problems.push('BODY[] is not the whole message');
  checkHeader('HEADER', sectionBytes(raw, parsed, { part: [], text: 'HEADER' }), parsed.root);
  const text = sectionBytes(raw, parsed, { part: [], text: 'TEXT' });
  if (!text || !text.equals(raw.subarray(parsed.root.bodyStart))) problems.push('TEXT is not the rest of the message');
  for (const part of partPaths(parsed)) {
    const name = part.join('.');
    const node = findPart(parsed, part);
    const body = sectionBytes(raw, parsed, { part, text: null });
    if (!node || !body) {
      problems.push(`${name}: missing part`);
      continue;
    }
    if (!body.equals(raw.subarray(node.bodyStart, node.bodyEnd))) problems.push(`${name}: body is not the part body`);
    checkHeader(`${name}.MIME`, sectionBytes(raw, parsed, { part, text: 'MIME' }), node);
    const innerHeader = sectionBytes(raw, parsed, { part, text: 'HEADER' });
    const innerText = sectionBytes(raw, parsed, { part, text: 'TEXT' });
    if ((node.message === null) !== (innerHeader === null) || (node.message === null) !== (innerText === null)) {
      problems.push(`${name}: HEADER/TEXT exist exactly for encapsulated messages`);
    }
    if (node.message && innerHeader && innerText) {
      checkHeader(`${name}.HEADER`, innerHeader, node.message.root);
      if (!innerText.equals(raw.subarray(node.message.root.bodyStart, node.message.root.bodyEnd))) {
        problems.push(`${name}.TEXT: not the encapsulated body`);
      }
    }
  }
  return problems;
}
