/**
 * SORT, UID SORT, SORT=DISPLAY and ESORT transcripts (RFC 5256 §3 examples, RFC 5957, RFC 5267).
 * The mailbox is built so that `SORT (SUBJECT REVERSE DATE) UTF-8 ALL` answers the RFC's
 * `* SORT 5 3 4 1 2`: messages 5, 3 and 4 share the base subject "alpha" (newest first), 1 and 2
 * share "beta".
 */
import t from 'tap';
import { USER, startServer, type TestContext } from './harness.js';

interface Spec {
  subject: string;
  date: string | null;
  from: string;
  to: string;
  cc?: string;
  body?: string;
  internal: number;
}

function build(spec: Spec): Buffer {
  const lines = [`From: ${spec.from}`, `To: ${spec.to}`, `Subject: ${spec.subject}`];
  if (spec.cc) lines.push(`Cc: ${spec.cc}`);
  if (spec.date) lines.push(`Date: ${spec.date}`);
  return Buffer.from([...lines, '', spec.body ?? 'Hello', ''].join('\r\n'));
}

const SPECS: Spec[] = [
  { subject: 'Re: beta', date: 'Thu, 04 Mar 2021 09:00:00 +0000', from: '"Zed" <zed@example.org>', to: 'carol@example.org', internal: 5, body: 'x'.repeat(300) },
  { subject: 'beta', date: 'Mon, 01 Mar 2021 09:00:00 +0100', from: 'Anna <yves@example.org>', to: '=?UTF-8?Q?=C3=89mile?= <emile@example.org>', cc: 'bob@example.org', internal: 4 },
  { subject: '[list] Re: alpha', date: 'Wed, 03 Mar 2021 09:00:00 +0000', from: 'mallory@example.org', to: 'Dave <dave@example.org>', cc: 'alice@example.org', internal: 3, body: 'x'.repeat(100) },
  { subject: 'alpha (fwd)', date: null, from: '"" <bob@example.org>', to: 'beth@example.org', internal: 2 },
  { subject: 'Fwd: ALPHA', date: 'Fri, 05 Mar 2021 09:00:00 +0000', from: 'Carl <carl@example.org>', to: 'adam@example.org', internal: 1, body: 'x'.repeat(200) },
];

/** Internal dates: message n arrived on 2 Mar 2021 plus `internal` hours; message 4 has no Date header. */
async function sortMailbox(t: TestContext) {
  const h = await startServer(t);
  for (const spec of SPECS) await h.store.append(USER, 'INBOX', build(spec), { internalDate: Date.UTC(2021, 2, 2) + spec.internal * 3_600_000 });
  const c = await h.loggedIn();
  await c.command('s SELECT INBOX');
  return { h, c };
}

t.test('SORT criteria (RFC 5256 §3)', async (t) => {
  const { c } = await sortMailbox(t);
  t.same(await c.command('A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL'), ['* SORT 5 3 4 1 2', 'A283 OK SORT completed']);
  t.same(await c.command('A284 SORT (SUBJECT) US-ASCII TEXT "not in mailbox"'), ['* SORT', 'A284 OK SORT completed']);
  t.same(await c.command('a1 SORT (SUBJECT) UTF-8 ALL'), ['* SORT 3 4 5 1 2', 'a1 OK SORT completed'], 'ties by sequence number');
  // Message 4 has no Date header: its INTERNALDATE (2 Mar 02:00) is its sent date; message 2's
  // Date is 1 Mar 08:00 in UTC.
  t.same(await c.command('a2 SORT (DATE) UTF-8 ALL'), ['* SORT 2 4 3 1 5', 'a2 OK SORT completed']);
  t.same(await c.command('a3 SORT (REVERSE DATE) UTF-8 ALL'), ['* SORT 5 1 3 4 2', 'a3 OK SORT completed']);
  t.same(await c.command('a4 SORT (ARRIVAL) UTF-8 ALL'), ['* SORT 5 4 3 2 1', 'a4 OK SORT completed']);
  t.same(await c.command('a5 SORT (SIZE) UTF-8 ALL'), ['* SORT 4 2 3 5 1', 'a5 OK SORT completed']);
  t.same(await c.command('a6 SORT (REVERSE SIZE) UTF-8 ALL'), ['* SORT 1 5 3 2 4', 'a6 OK SORT completed']);
  // FROM, TO and CC compare the first address's local part.
  t.same(await c.command('a7 SORT (FROM) UTF-8 ALL'), ['* SORT 4 5 3 2 1', 'a7 OK SORT completed']);
  t.same(await c.command('a8 SORT (TO) UTF-8 ALL'), ['* SORT 5 4 1 3 2', 'a8 OK SORT completed']);
  t.same(await c.command('a9 SORT (CC) UTF-8 ALL'), ['* SORT 1 4 5 3 2', 'a9 OK SORT completed'], 'no Cc sorts first');
  t.same(await c.command('a10 SORT (CC FROM) UTF-8 ALL'), ['* SORT 4 5 1 3 2', 'a10 OK SORT completed']);
  t.same(await c.command('a11 SORT (DATE) UTF-8 SUBJECT alpha'), ['* SORT 4 3 5', 'a11 OK SORT completed']);
});

t.test('SORT=DISPLAY (RFC 5957)', async (t) => {
  const { c } = await sortMailbox(t);
  // Display names: Zed, Anna, (none: mallory@example.org), (empty: bob@example.org), Carl.
  t.same(await c.command('a1 SORT (DISPLAYFROM) UTF-8 ALL'), ['* SORT 2 4 5 3 1', 'a1 OK SORT completed']);
  // To: carol@..., Émile (decoded, sorts after ASCII), Dave, beth@..., adam@...
  t.same(await c.command('a2 SORT (DISPLAYTO) UTF-8 ALL'), ['* SORT 5 4 1 3 2', 'a2 OK SORT completed']);
  t.same(await c.command('a3 SORT (REVERSE DISPLAYFROM) UTF-8 ALL'), ['* SORT 1 3 5 4 2', 'a3 OK SORT completed']);
});

t.test('UID SORT, ESORT and errors', async (t) => {
  const { h, c } = await sortMailbox(t);
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  await h.store.storeFlags(inbox.id, [2], { op: 'add', flags: ['\\Deleted'] });
  await h.store.expunge(inbox.id, [2]);
  await c.command('n NOOP');
  // Now sequence numbers 1-4 hold UIDs 1, 3, 4, 5.
  t.same(await c.command('a1 UID SORT (DATE) UTF-8 ALL'), ['* SORT 4 3 1 5', 'a1 OK UID SORT completed']);
  t.same(await c.command('a2 SORT (DATE) UTF-8 ALL'), ['* SORT 3 2 1 4', 'a2 OK SORT completed']);
  // RFC 5267 §3: ESORT answers with ESEARCH, ALL in sorted order; MIN and MAX are numbers.
  t.same(await c.command('a3 SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL'), [
    '* ESEARCH (TAG "a3") MIN 1 MAX 4 ALL 3,2,1,4 COUNT 4',
    'a3 OK SORT completed',
  ]);
  t.same(await c.command('a4 UID SORT RETURN (ALL) (REVERSE ARRIVAL) UTF-8 ALL'), ['* ESEARCH (TAG "a4") UID ALL 1,3:5', 'a4 OK UID SORT completed']);
  t.same(await c.command('a5 SORT RETURN (COUNT) (DATE) UTF-8 SUBJECT nothing'), ['* ESEARCH (TAG "a5") COUNT 0', 'a5 OK SORT completed']);
  t.same(await c.command('a6 SORT RETURN (SAVE) (DATE) UTF-8 SUBJECT alpha'), ['a6 OK SORT completed']);
  t.same(await c.command('a7 UID SEARCH $'), ['* SEARCH 3 4 5', 'a7 OK UID SEARCH completed']);
  t.same(await c.command('a8 SORT (DATE) UTF-8 MODSEQ 1'), ['* OK [HIGHESTMODSEQ 8] Highest', '* SORT 3 2 1 4 (MODSEQ 6)', 'a8 OK SORT completed']);
  t.match((await c.command('b1 SORT (DATE) KOI8-R ALL'))[0], /^b1 NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
  t.same(await c.command('b2 SORT (DATE) ALL'), ['b2 BAD Missing charset or search keys']);
  t.same(await c.command('b3 SORT (SPEED) UTF-8 ALL'), ['b3 BAD Unknown sort key SPEED']);
  t.same(await c.command('b4 SORT (DATE REVERSE) UTF-8 ALL'), ['b4 BAD REVERSE must be followed by a sort key']);
  t.same(await c.command('b5 SORT () UTF-8 ALL'), ['b5 BAD SORT needs a list of sort criteria']);
  t.same(await c.command('b6 SORT DATE UTF-8 ALL'), ['b6 BAD SORT needs a list of sort criteria']);
});
