/**
 * THREAD algorithms of RFC 5256 §3 (ORDEREDSUBJECT and REFERENCES) and the THREAD response
 * syntax of §4, pure: messages with their thread keys in, a forest of threads out.
 *
 * Invariants:
 * - "Sent date" order is the RFC 5256 §2.2 date, ties broken by sequence number; a dummy (a
 *   message known only by reference) sorts as its first child.
 * - Subjects are base subjects already folded by the i;ascii-casemap comparator (equal keys are
 *   equal subjects); an empty base subject never groups messages.
 * - REFERENCES follows the steps of §3 in order; step numbers are quoted in the code. No link is
 *   made that would create a loop, so every thread is a finite tree.
 * - Output (§4): `(a b c)` is a chain, a node with several children lists each in parentheses
 *   after it, `(3 6 (4 23)(44 7 96))`; a dummy root is its children's lists, `((1)(2))`.
 */

export interface ThreadInput {
  /** What the response shows: sequence number, or UID for UID THREAD. */
  id: number;
  seq: number;
  /** RFC 5256 §2.2 sent date, epoch ms. */
  date: number;
  /** Base subject, case-folded. */
  subject: string;
  replyOrForward: boolean;
  messageId: string | null;
  /** Ancestor msg-ids, oldest first. */
  references: readonly string[];
}

/** A thread node: a message, or (message null) a dummy standing for a message not in the result. */
export interface ThreadNode {
  message: ThreadInput | null;
  children: ThreadNode[];
}

/** Sent-date order with the sequence number as tie-breaker; a dummy sorts as its first child. */
function compareNodes(a: ThreadNode, b: ThreadNode): number {
  const x = firstMessage(a);
  const y = firstMessage(b);
  if (!x || !y) return x ? -1 : y ? 1 : 0;
  return x.date - y.date || x.seq - y.seq;
}

function firstMessage(node: ThreadNode): ThreadInput | null {
  let current: ThreadNode | undefined = node;
  while (current && !current.message) current = current.children[0];
  return current?.message ?? null;
}

/**
 * ORDEREDSUBJECT (RFC 5256 §3): messages grouped by base subject, each group in sent-date order;
 * the first message of a group is the root, all others are its children; threads in the order
 * of their first message's sent date.
 */
export function orderedSubjectThreads(messages: ThreadInput[]): ThreadNode[] {
  const sorted = [...messages].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.date - b.date || a.seq - b.seq));
  const threads: ThreadNode[] = [];
  let current: ThreadNode | null = null;
  for (const message of sorted) {
    const node: ThreadNode = { message, children: [] };
    if (current && current.message!.subject === message.subject) current.children.push(node);
    else {
      current = node;
      threads.push(node);
    }
  }
  return threads.sort(compareNodes);
}

interface Container extends ThreadNode {
  children: Container[];
  parent: Container | null;
}

/** REFERENCES (RFC 5256 §3). */
export function referenceThreads(messages: ThreadInput[]): ThreadNode[] {
  const table = new Map<string, Container>();
  const containerFor = (id: string): Container => {
    let container = table.get(id);
    if (!container) {
      container = { message: null, children: [], parent: null };
      table.set(id, container);
    }
    return container;
  };

  // Step 1: link messages by their references, in mailbox order.
  for (const message of [...messages].sort((a, b) => a.seq - b.seq)) {
    // A missing Message-ID, or one an earlier message already has, gets a unique one.
    let id = message.messageId;
    if (id === null || table.get(id)?.message) id = `\u0000${message.seq}`;
    const container = containerFor(id);
    container.message = message;
    // 1A: each reference is the parent of the next, unless the child already has a parent.
    for (let i = 0; i + 1 < message.references.length; i++) {
      const parent = containerFor(message.references[i]);
      const child = containerFor(message.references[i + 1]);
      if (!child.parent && !wouldLoop(parent, child)) link(parent, child);
    }
    // 1B: the last reference is the message's parent; a message without references has none.
    if (container.parent) unlink(container);
    const last = message.references[message.references.length - 1];
    if (last !== undefined) {
      const parent = containerFor(last);
      if (!wouldLoop(parent, container)) link(parent, container);
    }
  }

  // Steps 2 and 3: the root set; the table is no longer needed.
  let roots = [...table.values()].filter((container) => !container.parent);

  // Step 4: prune dummies.
  roots = prune(roots);

  // Step 5: sort the top level; a dummy's children first, so it sorts as its first child.
  for (const root of roots) if (!root.message) root.children.sort(compareNodes);
  roots.sort(compareNodes);

  // Step 6: gather top-level threads with the same base subject.
  roots = mergeBySubject(roots);

  // Step 7: sort every set of siblings, deepest first.
  sortSiblings(roots);
  return roots;
}

function link(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

function unlink(child: Container): void {
  const parent = child.parent;
  if (!parent) return;
  parent.children.splice(parent.children.indexOf(child), 1);
  child.parent = null;
}

/** Making `parent` the parent of `child` would loop: they are the same, or parent descends from child. */
function wouldLoop(parent: Container, child: Container): boolean {
  // Only a node with children has descendants: the common case (a new message) costs nothing.
  if (child.children.length === 0) return parent === child;
  for (let node: Container | null = parent; node; node = node.parent) if (node === child) return true;
  return false;
}

/**
 * Step 4: a dummy without children goes; a dummy with children is replaced by them, except at
 * the top level, where only a single child is promoted. Children are pruned before their
 * parents (post-order), without recursion: a thread can be as deep as the mailbox is large.
 */
function prune(roots: Container[]): Container[] {
  for (const container of postOrder(roots)) container.children = pruneSiblings(container.children, container, { root: false });
  return pruneSiblings(roots, null, { root: true });
}

/** One level of step 4; the siblings' own children are already pruned. */
function pruneSiblings(siblings: Container[], parent: Container | null, options: { root: boolean }): Container[] {
  const out: Container[] = [];
  for (const container of siblings) {
    if (container.message) {
      out.push(container);
    } else if (container.children.length === 0) {
      continue;
    } else if (!options.root || container.children.length === 1) {
      for (const child of container.children) {
        child.parent = parent;
        out.push(child);
      }
    } else {
      out.push(container);
    }
  }
  return out;
}

/** Every node under `roots`, each after all of its descendants. */
function postOrder<T extends ThreadNode>(roots: T[]): T[] {
  const order: T[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    order.push(node);
    for (const child of node.children) stack.push(child as T);
  }
  return order.reverse();
}

function subjectOf(container: Container): ThreadInput | null {
  return container.message ?? container.children[0]?.message ?? null;
}

/** Step 6 (A to C). */
function mergeBySubject(roots: Container[]): Container[] {
  const table = new Map<string, Container>();
  for (const root of roots) {
    const subject = subjectOf(root)?.subject ?? '';
    if (subject === '') continue;
    const held = table.get(subject);
    if (
      !held ||
      (!root.message && held.message) ||
      (held.message?.replyOrForward && root.message && !root.message.replyOrForward)
    ) {
      table.set(subject, root);
    }
  }
  const removed = new Set<Container>();
  const replaced = new Map<Container, Container>();
  for (const root of roots) {
    const subject = subjectOf(root)?.subject ?? '';
    if (subject === '') continue;
    const held = table.get(subject)!;
    if (held === root) continue;
    if (!held.message && !root.message) {
      // Both dummies: one gets the other's children.
      for (const child of root.children) link(held, child);
      root.children = [];
      removed.add(root);
    } else if (!held.message) {
      link(held, root);
      removed.add(root);
    } else if (!root.message) {
      link(root, held);
      removed.add(held);
      table.set(subject, root);
    } else if (!held.message.replyOrForward && root.message.replyOrForward) {
      link(held, root);
      removed.add(root);
    } else {
      // Neither or both are replies: siblings under a new dummy, which takes the held one's place.
      const dummy: Container = { message: null, children: [], parent: null };
      replaced.set(held, dummy);
      link(dummy, held);
      link(dummy, root);
      removed.add(root);
      table.set(subject, dummy);
    }
  }
  return roots.filter((root) => !removed.has(root)).map((root) => replaced.get(root) ?? root);
}

/** Step 7: children before parents, so a dummy sorts by its already sorted first child. */
function sortSiblings(roots: ThreadNode[]): void {
  for (const node of postOrder(roots)) node.children.sort(compareNodes);
  roots.sort(compareNodes);
}

/**
 * The THREAD response data (RFC 5256 §4): one parenthesised list per thread. A node with one
 * child continues the chain (`a b`), a node with several lists each child in parentheses
 * (`a (b)(c)`), a dummy lists only its children. Built with an explicit stack: threads may be
 * arbitrarily deep.
 */
export function formatThreads(threads: ThreadNode[]): string {
  const out: string[] = [];
  type Step = string | ThreadNode;
  const stack: Step[] = [];
  for (let i = threads.length - 1; i >= 0; i--) stack.push(')', threads[i], '(');
  while (stack.length > 0) {
    const step = stack.pop()!;
    if (typeof step === 'string') {
      out.push(step);
      continue;
    }
    const pieces: Step[] = [];
    if (step.message) {
      pieces.push(String(step.message.id));
      if (step.children.length === 1) pieces.push(' ', step.children[0]);
      else if (step.children.length > 1) pieces.push(' ');
    }
    if (!step.message || step.children.length > 1) for (const child of step.children) pieces.push('(', child, ')');
    for (let i = pieces.length - 1; i >= 0; i--) stack.push(pieces[i]);
  }
  return out.join('');
}
