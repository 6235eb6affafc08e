import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer } from './harness.js';

const ONE = sampleMessage('One');
const TWO = sampleMessage('Two', 'Second body.');
const SIZE_ONE = Buffer.byteLength(ONE);
const SIZE_TWO = Buffer.byteLength(TWO);

async function mailbox(t: Parameters<typeof startServer>[0]) {
  const h = await startServer(t);
  const c = await h.loggedIn();
  await appendMessage(c, 'p1', 'INBOX', ONE, '\\Seen');
  await appendMessage(c, 'p2', 'INBOX', TWO);
  await c.command('p3 SELECT "INBOX"');
  return { h, c };
}

t.test('Thunderbird fetches', async (t) => {
  const { c } = await mailbox(t);
  t.same(await c.command('a UID fetch 1:* (FLAGS)'), [
    '* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))',
    '* 2 FETCH (UID 2 FLAGS (\\Recent))',
    'a OK UID FETCH completed',
  ]);
  const fields = (subject: string) => `From: Bob <bob@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.org>\r\n\r\n`;
  const label = 'BODY[HEADER.FIELDS (From Subject Message-ID)]';
  t.same(await c.command('b UID fetch 1:2 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From Subject Message-ID)])'), [
    `* 1 FETCH (UID 1 RFC822.SIZE ${SIZE_ONE} FLAGS (\\Seen \\Recent) ${label} {${fields('One').length}}\r\n${fields('One')})`,
    `* 2 FETCH (UID 2 RFC822.SIZE ${SIZE_TWO} FLAGS (\\Recent) ${label} {${fields('Two').length}}\r\n${fields('Two')})`,
    'b OK UID FETCH completed',
  ]);
  t.same(await c.command('c UID fetch 2 (UID RFC822.SIZE BODY.PEEK[]<0.65536>)'), [
    `* 2 FETCH (UID 2 RFC822.SIZE ${SIZE_TWO} BODY[]<0> {${SIZE_TWO}}\r\n${TWO})`,
    'c OK UID FETCH completed',
  ]);
  t.same(await c.command('d UID fetch 3:* (FLAGS)'), ['* 2 FETCH (UID 2 FLAGS (\\Recent))', 'd OK UID FETCH completed'], '3:* includes the last UID');
  t.same(await c.command('e UID FETCH 7,9 (FLAGS)'), ['e OK UID FETCH completed'], 'missing UIDs are ignored');
  t.same(await c.command('f FETCH 2 FLAGS'), ['* 2 FETCH (FLAGS (\\Recent))', 'f OK FETCH completed'], 'PEEK left \\Seen alone');
});

t.test('FETCH BODY[] sets \\Seen and reports FLAGS', async (t) => {
  const { c, h } = await mailbox(t);
  t.same(await c.command('a FETCH 2 BODY[TEXT]'), ['* 2 FETCH (BODY[TEXT] {14}\r\nSecond body.\r\n FLAGS (\\Seen \\Recent))', 'a OK FETCH completed']);
  t.same(await c.command('b FETCH 2 BODY[TEXT]'), ['* 2 FETCH (BODY[TEXT] {14}\r\nSecond body.\r\n)', 'b OK FETCH completed'], 'already seen');
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  t.same((await h.store.listMessages(inbox.id)).map((m) => m.flags), [['\\Seen'], ['\\Seen']]);
  t.same(await c.command('c FETCH 1 (FLAGS INTERNALDATE)').then((r) => r.length), 2);
});

t.test('FETCH errors', async (t) => {
  const { c } = await mailbox(t);
  t.same(await c.command('a FETCH 3 FLAGS'), ['a BAD Invalid message sequence number']);
  t.same(await c.command('b FETCH x FLAGS'), ['b BAD Invalid sequence set: x']);
  t.same(await c.command('c FETCH 1 (FLAGS'), ["c BAD Missing ')'"]);
  t.same(await c.command('d FETCH 1'), ['d BAD FETCH needs a sequence set and data items']);
  t.same(await c.command('e FETCH 1 BOGUS'), ['e BAD Unknown FETCH data item BOGUS']);
  t.same(await c.command('f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)'), ['f BAD VANISHED needs ENABLE QRESYNC first']);
  await c.command('g UNSELECT');
  await c.command('h CREATE Empty');
  await c.command('i SELECT Empty');
  t.same(await c.command('j FETCH 1:* FLAGS'), ['j BAD Invalid message sequence number'], '* in an empty mailbox (RFC 9051 §6.4.8)');
  t.same(await c.command('k UID FETCH 1:* FLAGS'), ['k OK UID FETCH completed']);
});
