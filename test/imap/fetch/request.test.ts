import t from 'tap';
import { parseFetchRequest } from '../../../src/imap/fetch/request.js';
import { fetchArgs } from './tokens.js';

t.test('macros expand to their items (RFC 3501 §6.4.5)', async (t) => {
  const table: Array<[string, string[], string]> = [
    ['ALL', ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'], 'parsed'],
    ['fast', ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'], 'meta'],
    ['FULL', ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'], 'parsed'],
  ];
  for (const [text, labels, needs] of table) {
    const request = parseFetchRequest(fetchArgs(text));
    t.same(request.items.map((item) => item.label), labels, text);
    t.equal(request.needs, needs, `${text} needs`);
    t.equal(request.setsSeen, false, `${text} does not set \\Seen`);
  }
});

t.test('items, labels, needs and \\Seen', async (t) => {
  const table: Array<{ text: string; label: string; needs: string; seen: boolean; parsed: boolean }> = [
    { text: 'FLAGS', label: 'FLAGS', needs: 'meta', seen: false, parsed: false },
    { text: 'uid', label: 'UID', needs: 'meta', seen: false, parsed: false },
    { text: 'RFC822.SIZE', label: 'RFC822.SIZE', needs: 'meta', seen: false, parsed: false },
    { text: 'INTERNALDATE', label: 'INTERNALDATE', needs: 'meta', seen: false, parsed: false },
    { text: 'MODSEQ', label: 'MODSEQ', needs: 'meta', seen: false, parsed: false },
    { text: 'SAVEDATE', label: 'SAVEDATE', needs: 'meta', seen: false, parsed: false },
    { text: 'ENVELOPE', label: 'ENVELOPE', needs: 'parsed', seen: false, parsed: true },
    { text: 'BODY', label: 'BODY', needs: 'parsed', seen: false, parsed: true },
    { text: 'BODYSTRUCTURE', label: 'BODYSTRUCTURE', needs: 'parsed', seen: false, parsed: true },
    { text: 'RFC822', label: 'RFC822', needs: 'full', seen: true, parsed: false },
    { text: 'RFC822.HEADER', label: 'RFC822.HEADER', needs: 'header', seen: false, parsed: false },
    { text: 'RFC822.TEXT', label: 'RFC822.TEXT', needs: 'full', seen: true, parsed: false },
    { text: 'BODY[]', label: 'BODY[]', needs: 'full', seen: true, parsed: false },
    { text: 'BODY.PEEK[]', label: 'BODY[]', needs: 'full', seen: false, parsed: false },
    { text: 'body.peek[]<0.65536>', label: 'BODY[]<0>', needs: 'full', seen: false, parsed: false },
    { text: 'BODY[]<100.10>', label: 'BODY[]<100>', needs: 'full', seen: true, parsed: false },
    { text: 'BODY.PEEK[HEADER]', label: 'BODY[HEADER]', needs: 'header', seen: false, parsed: false },
    { text: 'BODY[header]', label: 'BODY[HEADER]', needs: 'header', seen: true, parsed: false },
    { text: 'BODY.PEEK[TEXT]<0.2048>', label: 'BODY[TEXT]<0>', needs: 'full', seen: false, parsed: false },
    {
      text: 'BODY.PEEK[HEADER.FIELDS (DATE SUBJECT)]',
      label: 'BODY[HEADER.FIELDS (DATE SUBJECT)]',
      needs: 'header',
      seen: false,
      parsed: false,
    },
    {
      text: 'BODY.PEEK[header.fields (date subject)]',
      label: 'BODY[HEADER.FIELDS (date subject)]',
      needs: 'header',
      seen: false,
      parsed: false,
    },
    {
      text: 'BODY.PEEK[HEADER.FIELDS.NOT (Received "X-Spam")]',
      label: 'BODY[HEADER.FIELDS.NOT (Received X-Spam)]',
      needs: 'header',
      seen: false,
      parsed: false,
    },
    { text: 'BODY[1]', label: 'BODY[1]', needs: 'full', seen: true, parsed: true },
    { text: 'BODY.PEEK[1.2.MIME]', label: 'BODY[1.2.MIME]', needs: 'full', seen: false, parsed: true },
    { text: 'BODY.PEEK[2.header]', label: 'BODY[2.HEADER]', needs: 'full', seen: false, parsed: true },
    { text: 'BODY.PEEK[2.TEXT]', label: 'BODY[2.TEXT]', needs: 'full', seen: false, parsed: true },
    {
      text: 'BODY.PEEK[3.HEADER.FIELDS (From)]<0.10>',
      label: 'BODY[3.HEADER.FIELDS (From)]<0>',
      needs: 'full',
      seen: false,
      parsed: true,
    },
    { text: 'BINARY[1]', label: 'BINARY[1]', needs: 'full', seen: true, parsed: true },
    { text: 'BINARY.PEEK[1.2]<10.5>', label: 'BINARY[1.2]<10>', needs: 'full', seen: false, parsed: true },
    { text: 'BINARY.PEEK[]', label: 'BINARY[]', needs: 'full', seen: false, parsed: false },
    { text: 'BINARY.SIZE[2]', label: 'BINARY.SIZE[2]', needs: 'full', seen: false, parsed: true },
  ];
  for (const row of table) {
    const request = parseFetchRequest(fetchArgs(row.text));
    t.equal(request.items.length, 1, `${row.text}: one item`);
    t.equal(request.items[0].label, row.label, `${row.text}: label`);
    t.equal(request.needs, row.needs, `${row.text}: needs`);
    t.equal(request.setsSeen, row.seen, `${row.text}: setsSeen`);
    t.equal(request.needsParsed, row.parsed, `${row.text}: needsParsed`);
  }
});

t.test('sections and partials are normalised', async (t) => {
  const [fields] = parseFetchRequest(fetchArgs('BODY.PEEK[HEADER.FIELDS (From To)]<5.20>')).items;
  t.same(fields, {
    name: 'BODY[]',
    section: { part: [], text: 'HEADER.FIELDS', fields: ['From', 'To'] },
    peek: true,
    partial: { start: 5, length: 20 },
    label: 'BODY[HEADER.FIELDS (From To)]<5>',
  });
  const [part] = parseFetchRequest(fetchArgs('BODY[1.2]')).items;
  t.same(part, { name: 'BODY[]', section: { part: [1, 2], text: null }, peek: false, label: 'BODY[1.2]' });
  const [binary] = parseFetchRequest(fetchArgs('BINARY.SIZE[3]')).items;
  t.same(binary, { name: 'BINARY.SIZE', section: { part: [3], text: null }, label: 'BINARY.SIZE[3]' });
});

t.test('a list answers each item once, in order; UID FETCH adds UID first', async (t) => {
  const tb = parseFetchRequest(
    fetchArgs('(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID)])'),
    { uid: true },
  );
  t.same(
    tb.items.map((item) => item.label),
    ['UID', 'RFC822.SIZE', 'FLAGS', 'BODY[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID)]'],
  );
  t.equal(tb.needs, 'header');
  t.equal(tb.needsParsed, false);

  const flagsOnly = parseFetchRequest(fetchArgs('(FLAGS)'), { uid: true });
  t.same(flagsOnly.items.map((item) => item.label), ['UID', 'FLAGS']);
  const plain = parseFetchRequest(fetchArgs('(FLAGS)'), { uid: false });
  t.same(plain.items.map((item) => item.label), ['FLAGS']);

  const duplicate = parseFetchRequest(fetchArgs('(FLAGS flags BODY.PEEK[] BODY[])'));
  t.same(duplicate.items.map((item) => item.label), ['FLAGS', 'BODY[]']);
  t.equal(duplicate.setsSeen, true, 'BODY[] next to BODY.PEEK[] still sets \\Seen');

  const mixed = parseFetchRequest(fetchArgs('(ENVELOPE BODY.PEEK[HEADER])'));
  t.equal(mixed.needs, 'header', 'header level includes the parsed level');
  t.equal(mixed.needsParsed, true);
  const full = parseFetchRequest(fetchArgs('(RFC822.HEADER BODY.PEEK[TEXT])'));
  t.equal(full.needs, 'full');
});

t.test('CHANGEDSINCE and VANISHED modifiers (RFC 7162 §3.1.4, §3.2.6)', async (t) => {
  const changed = parseFetchRequest(fetchArgs('(FLAGS) (CHANGEDSINCE 12345)'));
  t.equal(changed.changedSince, 12345);
  t.equal(changed.vanished, undefined);
  t.same(changed.items.map((item) => item.label), ['FLAGS', 'MODSEQ'], 'CHANGEDSINCE implies MODSEQ');

  const zero = parseFetchRequest(fetchArgs('(FLAGS) (CHANGEDSINCE 0)'));
  t.equal(zero.changedSince, 0, 'iPhone Mail sends CHANGEDSINCE 0');

  const vanished = parseFetchRequest(fetchArgs('(FLAGS MODSEQ) (changedsince 7 vanished)'), { uid: true });
  t.equal(vanished.changedSince, 7);
  t.equal(vanished.vanished, true);
  t.same(vanished.items.map((item) => item.label), ['UID', 'FLAGS', 'MODSEQ']);
});

t.test('bad syntax is BAD', async (t) => {
  const bad: Array<[string, { uid: boolean }?]> = [
    [''],
    ['()'],
    ['BOGUS'],
    ['(FLAGS BOGUS)'],
    ['(ALL)'],
    ['(FLAGS FAST)'],
    ['"FLAGS"'],
    ['(FLAGS "UID")'],
    ['BODY[BOGUS]'],
    ['BODY[HEADER.FIELDS]'],
    ['BODY[HEADER.FIELDS ()]'],
    ['BODY[HEADER.FIELDS (From:)]'],
    ['BODY[MIME]'],
    ['BODY[0]'],
    ['BODY[1.0]'],
    ['BODY[01]'],
    ['BODY[TEXT (From)]'],
    ['BINARY[BOGUS]'],
    ['BINARY[1.0]'],
    ['BINARY.SIZE[1]<0.10>'],
    ['FLAGS FLAGS'],
    ['(FLAGS) (CHANGEDSINCE)'],
    ['(FLAGS) (CHANGEDSINCE x)'],
    ['(FLAGS) (CHANGEDSINCE -1)'],
    ['(FLAGS) (CHANGEDSINCE 1 CHANGEDSINCE 2)'],
    ['(FLAGS) (BOGUS 1)'],
    ['(FLAGS) ()'],
    ['(FLAGS) (CHANGEDSINCE 1 VANISHED)'],
    ['(FLAGS) (VANISHED)', { uid: true }],
    ['(FLAGS) (CHANGEDSINCE 1) extra'],
  ];
  for (const [text, options] of bad) {
    const args = text === '' ? [] : fetchArgs(text);
    t.throws(() => parseFetchRequest(args, options), { name: 'ImapError', status: 'BAD' }, `BAD: ${text || '(nothing)'}`);
  }
});

t.test('a zero-length partial is BAD even if a parser lets it through', async (t) => {
  t.throws(
    () => parseFetchRequest([{ type: 'atom', value: 'BODY', section: [], partial: [0, 0] }]),
    { name: 'ImapError', status: 'BAD' },
  );
  t.throws(
    () => parseFetchRequest([{ type: 'atom', value: 'FLAGS', partial: [0, 10] }]),
    { name: 'ImapError', status: 'BAD' },
    'a partial on an item without section',
  );
});
