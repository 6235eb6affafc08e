/**
 * SORT ordering, pure (RFC 5256 §2.2, §2.4, §3): the sent date and its fallbacks, the
 * i;ascii-casemap comparator on UTF-8 octets, REVERSE and the sequence-number tie-break, and
 * when summaries are needed at all.
 */
import t from 'tap';
import { casemap, needsSummaries, sentDate, sortMessages, type SortCriterion, type SortInput } from '../../../src/imap/sort/order.js';
import type { MessageMeta, MessageSummary } from '../../../src/store/types.js';

function meta(uid: number, fields: Partial<MessageMeta> = {}): MessageMeta {
  return { uid, modseq: uid, flags: [], internalDate: uid * 1000, size: 100, blobId: `b${uid}`, savedAt: 0, ...fields };
}

function summary(fields: Partial<MessageSummary>): MessageSummary {
  return {
    version: 1, sentDate: null, baseSubject: '', replyOrForward: false, fromMailbox: '', toMailbox: '', ccMailbox: '',
    fromDisplay: '', toDisplay: '', messageId: null, references: [], ...fields,
  };
}

const criteria = (...keys: string[]): SortCriterion[] =>
  keys.map((key) => (key.startsWith('-') ? { key: key.slice(1) as SortCriterion['key'], reverse: true } : { key: key as SortCriterion['key'], reverse: false }));

const order = (messages: SortInput[], ...keys: string[]) => sortMessages(messages, criteria(...keys)).map((message) => message.seq);

t.test('sent date: meta first, then the summary of an older record, then INTERNALDATE', async (t) => {
  t.equal(sentDate({ seq: 1, meta: meta(1, { sentDate: 5 }) }), 5);
  t.equal(sentDate({ seq: 1, meta: meta(1, { sentDate: null }) }), 1000, 'no Date header: INTERNALDATE');
  t.equal(sentDate({ seq: 1, meta: meta(1), summary: summary({ sentDate: 7 }) }), 7, 'older record: the summary');
  t.equal(sentDate({ seq: 1, meta: meta(1), summary: summary({}) }), 1000);
  t.equal(sentDate({ seq: 1, meta: meta(1) }), 1000);
});

t.test('needsSummaries', async (t) => {
  const fresh = [{ seq: 1, meta: meta(1, { sentDate: 1 }) }];
  const old = [{ seq: 1, meta: meta(1) }];
  t.equal(needsSummaries(criteria('DATE', 'ARRIVAL', 'SIZE'), fresh), false, 'SORT (DATE) reads nothing more');
  t.equal(needsSummaries(criteria('DATE'), old), true);
  t.equal(needsSummaries(criteria('ARRIVAL'), old), false);
  for (const key of ['SUBJECT', 'FROM', 'TO', 'CC', 'DISPLAYFROM', 'DISPLAYTO']) t.equal(needsSummaries(criteria(key), fresh), true, key);
});

t.test('i;ascii-casemap: ASCII letters fold, other text compares by UTF-8 octets', async (t) => {
  t.equal(casemap('abc Straße'), Buffer.from('ABC STRAßE').toString('latin1'));
  const subjects = ['zeta', 'Émile', 'alpha', 'ALPHA', '\u{1F600} smile', '\uFF21 fullwidth', 'beta'];
  const messages = subjects.map((baseSubject, i) => ({ seq: i + 1, meta: meta(i + 1), summary: summary({ baseSubject }) }));
  // alpha and ALPHA tie (kept in sequence order); U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80)
  // by octets, although as UTF-16 code units the surrogate D83D would come first.
  t.same(order(messages, 'SUBJECT'), [3, 4, 7, 1, 2, 6, 5]);
});

t.test('REVERSE applies to one criterion; ties go by sequence number, never reversed', async (t) => {
  const messages = [
    { seq: 1, meta: meta(1, { size: 10, sentDate: 3 }) },
    { seq: 2, meta: meta(2, { size: 20, sentDate: 3 }) },
    { seq: 3, meta: meta(3, { size: 10, sentDate: 1 }) },
    { seq: 4, meta: meta(4, { size: 20, sentDate: 3 }) },
  ];
  t.same(order(messages, 'SIZE', '-DATE'), [1, 3, 2, 4]);
  t.same(order(messages, '-SIZE', 'DATE'), [2, 4, 3, 1]);
  t.same(order(messages, '-DATE'), [1, 2, 4, 3]);
  t.same(order(messages, '-ARRIVAL'), [4, 3, 2, 1]);
});
