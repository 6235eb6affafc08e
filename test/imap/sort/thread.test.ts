/**
 * The THREAD algorithms (RFC 5256 §3) on hand-built inputs: the REFERENCES steps one by one
 * (links, loops, duplicate Message-IDs, pruning, subject merging) and the §4 output syntax.
 */
import t from 'tap';
import { formatThreads, orderedSubjectThreads, referenceThreads, type ThreadInput } from '../../../src/imap/sort/thread.js';

function input(seq: number, options: Partial<ThreadInput> & { subject?: string } = {}): ThreadInput {
  return {
    id: seq,
    seq,
    date: options.date ?? seq * 1000,
    subject: options.subject ?? `S${seq}`,
    replyOrForward: options.replyOrForward ?? false,
    messageId: options.messageId === undefined ? `<${seq}@x>` : options.messageId,
    references: options.references ?? [],
  };
}

const references = (messages: ThreadInput[]) => formatThreads(referenceThreads(messages));
const ordered = (messages: ThreadInput[]) => formatThreads(orderedSubjectThreads(messages));

t.test('REFERENCES: links from References, then from the last reference', async (t) => {
  t.equal(references([input(1), input(2, { references: ['<1@x>'] }), input(3, { references: ['<1@x>', '<2@x>'] })]), '(1 2 3)');
  t.equal(references([input(1), input(2, { references: ['<1@x>'] }), input(3, { references: ['<1@x>'] })]), '(1 (2)(3))');
  // 4's References say 1 → 2 → 3, but 3 already has a parent (1): 1A keeps existing links, and
  // 1B makes the last reference, 3, the parent of 4.
  t.equal(
    references([input(1), input(3, { references: ['<1@x>'] }), input(2, { references: ['<1@x>'] }), input(4, { references: ['<1@x>', '<2@x>', '<3@x>'] })]),
    '(1 (2)(3 4))',
  );
  // 1's References put 2 under a missing 5; 2's own References say its parent is a missing 7:
  // 1B breaks the first link, so 2 does not share 5 with 3.
  t.equal(
    references([input(1, { references: ['<5@x>', '<2@x>'] }), input(2, { references: ['<7@x>'] }), input(3, { references: ['<5@x>'] })]),
    '(2 1)(3)',
  );
  t.equal(references([]), '');
});

t.test('REFERENCES: no loops, duplicate and missing Message-IDs', async (t) => {
  // 1 says its parent is 2 and 2 says its parent is 1: the second link would loop.
  t.equal(references([input(1, { references: ['<2@x>'] }), input(2, { references: ['<1@x>'] })]), '(2 1)');
  t.equal(references([input(1, { references: ['<1@x>'] })]), '(1)', 'a message is not its own parent');
  // Two messages share <1@x>: the second gets its own id, so the reply attaches to the first.
  t.equal(references([input(1), input(2, { messageId: '<1@x>' }), input(3, { references: ['<1@x>'] })]), '(1 3)(2)');
  t.equal(references([input(1, { messageId: null }), input(2, { messageId: null })]), '(1)(2)');
});

t.test('REFERENCES: dummies are pruned, kept at the root only for several children', async (t) => {
  // 2 and 3 reply to a missing message: a dummy root with two children.
  t.equal(references([input(2, { references: ['<1@x>'] }), input(3, { references: ['<1@x>'] })]), '((2)(3))');
  // A missing message in the middle of a chain is spliced out.
  t.equal(references([input(1), input(3, { references: ['<1@x>', '<2@x>'] })]), '(1 3)');
  // A dummy with one child at the root gives way to the child.
  t.equal(references([input(3, { references: ['<1@x>', '<2@x>'] })]), '(3)');
});

t.test('REFERENCES: roots with the same base subject are gathered (step 6)', async (t) => {
  const subject = 'TOPIC';
  // A reply and its original, not linked by references: the reply becomes the original's child.
  t.equal(references([input(1, { subject, replyOrForward: true }), input(2, { subject })]), '(2 1)');
  // Two originals (or two replies) become siblings under a new dummy.
  t.equal(references([input(1, { subject }), input(2, { subject })]), '((1)(2))');
  t.equal(references([input(1, { subject, replyOrForward: true }), input(2, { subject, replyOrForward: true })]), '((1)(2))');
  // A dummy root takes a message root of the same subject as a child.
  t.equal(
    references([input(2, { subject, references: ['<0@x>'] }), input(3, { subject, references: ['<0@x>'] }), input(4, { subject })]),
    '((2)(3)(4))',
  );
  // Two dummy roots are merged into one.
  t.equal(
    references([
      input(2, { subject, references: ['<0@x>'] }),
      input(3, { subject, references: ['<0@x>'] }),
      input(4, { subject, references: ['<9@x>'] }),
      input(5, { subject, references: ['<9@x>'] }),
    ]),
    '((2)(3)(4)(5))',
  );
  t.equal(references([input(1, { subject: '' }), input(2, { subject: '' })]), '(1)(2)', 'empty subjects are never gathered');
});

t.test('REFERENCES: siblings and roots in sent-date order, ties by sequence number', async (t) => {
  t.equal(references([input(1, { date: 50 }), input(2, { date: 10 }), input(3, { date: 10 })]), '(2)(3)(1)');
  t.equal(
    references([input(1, { date: 0 }), input(2, { date: 30, references: ['<1@x>'] }), input(3, { date: 20, references: ['<1@x>'] })]),
    '(1 (3)(2))',
  );
});

t.test('ORDEREDSUBJECT', async (t) => {
  t.equal(
    ordered([input(1, { subject: 'B', date: 5 }), input(2, { subject: 'A', date: 9 }), input(3, { subject: 'B', date: 1 }), input(4, { subject: 'A', date: 7 })]),
    '(3 1)(4 2)',
  );
  t.equal(ordered([input(1, { subject: 'A' }), input(2, { subject: 'A' }), input(3, { subject: 'A' })]), '(1 (2)(3))');
  t.equal(ordered([]), '');
});

t.test('deep threads: no recursion limit, no quadratic cost for a chain', async (t) => {
  const count = 20_000;
  const chain = Array.from({ length: count }, (_, i) => input(i + 1, { subject: 'S', references: i > 0 ? [`<${i}@x>`] : [] }));
  const text = references(chain);
  t.equal(text, `(${chain.map((message) => message.id).join(' ')})`);
  // A comb: every message has a leaf child and a child that carries on.
  const comb = Array.from({ length: count }, (_, i) => {
    const seq = i + 1;
    const parent = seq <= 2 ? null : seq % 2 ? seq - 2 : seq - 1;
    return input(seq, { references: parent ? [`<${parent}@x>`] : [] });
  });
  const combText = references(comb);
  t.ok(combText.startsWith('(1 3 (4)(5 (6)(7 (8)'), combText.slice(0, 40));
  t.equal(new Set(combText.match(/\d+/g)).size, count, 'every message once');
});
