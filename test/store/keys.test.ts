/**
 * Pure helpers of the LevelDB store: key layouts sort numerically, flag normalisation
 * (RFC 9051 §2.3.2), mailbox name normalisation (RFC 9051 §5.1).
 */
import t from 'tap';
import {
  changeKey,
  changesSinceRange,
  inferiorsRange,
  mailboxNameKey,
  mailboxRange,
  messageKey,
  modseqFromChangeKey,
  uidFromMessageKey,
} from '../../src/store/level/keys.js';
import { applyFlagOperation, normalizeFlags, sameFlags } from '../../src/store/level/flags.js';
import { normalizeMailboxName, superiorNames } from '../../src/store/level/names.js';

t.test('message and change keys sort in numeric order and stay inside their mailbox range', async (t) => {
  const uids = [1, 2, 9, 10, 255, 256, 65536, 0xffffffff];
  const keys = uids.map((uid) => messageKey('00000000000a', uid));
  t.same([...keys].sort(), keys);
  t.same(keys.map(uidFromMessageKey), uids);
  const range = mailboxRange('00000000000a');
  t.ok(keys.every((key) => key > range.gt && key < range.lt));
  t.notOk(messageKey('00000000000b', 1) < range.lt, 'the next mailbox is outside');

  const modseqs = [1, 15, 16, 2 ** 32, 2 ** 53 - 1];
  const changeKeys = modseqs.map((modseq) => changeKey('00000000000a', modseq));
  t.same([...changeKeys].sort(), changeKeys);
  t.same(changeKeys.map(modseqFromChangeKey), modseqs);
  const since = changesSinceRange('00000000000a', 15);
  t.same(changeKeys.filter((key) => key > since.gt && key < since.lt).map(modseqFromChangeKey), [16, 2 ** 32, 2 ** 53 - 1]);
});

t.test('inferiorsRange covers "name/..." only', async (t) => {
  const range = inferiorsRange('a@x', 'Work');
  const inside = (name: string) => {
    const key = mailboxNameKey('a@x', name);
    return key > range.gt && key < range.lt;
  };
  t.ok(inside('Work/a'));
  t.ok(inside('Work/a/b'));
  t.notOk(inside('Work'));
  t.notOk(inside('Workshop'));
  t.notOk(inside('Work.x'));
  t.notOk(mailboxNameKey('a@xy', 'Work/a') < range.lt && mailboxNameKey('a@xy', 'Work/a') > range.gt);
});

t.test('normalizeFlags: canonical system flags, no \\Recent, keywords deduplicated case-insensitively', async (t) => {
  t.same(normalizeFlags(['\\SEEN', '\\answered', '\\Recent', 'Work', 'WORK', '$Label1', '\\seen']), [
    '\\Seen',
    '\\Answered',
    'Work',
    '$Label1',
  ]);
  t.same(normalizeFlags(undefined), []);
  t.throws(() => normalizeFlags(['\\Unknown']), { name: 'StoreError', kind: 'invalid' });
  for (const bad of ['', 'two words', 'paren(', 'star*', 'quote"', 'brace{', 'bracket]', 'ümlaut']) {
    t.throws(() => normalizeFlags([bad]), { name: 'StoreError', kind: 'invalid' }, `refuses ${JSON.stringify(bad)}`);
  }
});

t.test('applyFlagOperation and sameFlags', async (t) => {
  t.same(applyFlagOperation(['\\Seen', 'Work'], 'add', ['work', '\\Flagged']), ['\\Seen', 'Work', '\\Flagged']);
  t.same(applyFlagOperation(['\\Seen', 'Work'], 'remove', ['WORK']), ['\\Seen']);
  t.same(applyFlagOperation(['\\Seen'], 'set', ['\\Draft']), ['\\Draft']);
  t.ok(sameFlags(['\\Seen', 'Work'], ['work', '\\Seen']));
  t.notOk(sameFlags(['\\Seen'], ['\\Seen', 'x']));
  t.notOk(sameFlags(['\\Seen', 'a'], ['\\Seen', 'b']));
});

t.test('mailbox names', async (t) => {
  t.equal(normalizeMailboxName('inbox'), 'INBOX');
  t.equal(normalizeMailboxName('InBoX/Sub'), 'INBOX/Sub');
  t.equal(normalizeMailboxName('Sub/inbox'), 'Sub/inbox');
  t.equal(normalizeMailboxName('Entwürfe'), 'Entwürfe');
  for (const bad of ['', '/a', 'a/', 'a//b', 'a\u0000b', 'tab\there']) {
    t.throws(() => normalizeMailboxName(bad), { name: 'StoreError', kind: 'invalid' }, `refuses ${JSON.stringify(bad)}`);
  }
  t.same(superiorNames('a/b/c'), ['a', 'a/b']);
  t.same(superiorNames('a'), []);
});
