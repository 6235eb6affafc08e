import t from 'tap';
import { appendMessage, sampleMessage, startServer } from './harness.js';

t.test('ID', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  const reply = '* ID ("name" "Bridgehead" "vendor" "Bridgehead")';
  t.same(await c.command('a ID NIL'), [reply, 'a OK ID completed'], 'allowed before login');
  t.same(await c.command('b ID ()'), [reply, 'b OK ID completed']);
  t.same(await c.command('c ID ("name" "Thunderbird" "version" "153.7.0")'), [reply, 'c OK ID completed']);
  t.same(await c.command('d ID ("name" NIL)'), [reply, 'd OK ID completed']);
  t.same(await c.command('e ID ("name")'), ['e BAD ID list must hold field/value pairs']);
  t.same(await c.command('f ID'), ['f BAD Missing arguments']);
  t.same(await c.command('g ID name'), ['g BAD ID expects NIL or a parenthesised list']);
});

t.test('ENABLE', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  t.same(await c.command('a ENABLE UTF8=ACCEPT'), ['a BAD Log in first']);
  const d = await h.loggedIn();
  t.same(await d.command('b ENABLE X-UNKNOWN'), ['* ENABLED', 'b OK ENABLE completed'], 'unsupported: OK, not listed');
  t.same(await d.command('c ENABLE CONDSTORE UTF8=ACCEPT X-UNKNOWN'), ['* ENABLED CONDSTORE UTF8=ACCEPT', 'c OK ENABLE completed']);
  t.same(await d.command('d ENABLE'), ['d BAD Missing arguments']);
  await d.command('e SELECT INBOX');
  t.same(await d.command('f ENABLE UTF8=ACCEPT'), ['f BAD ENABLE is not allowed in the selected state']);
});

t.test('UTF8=ACCEPT switches mailbox names from modified UTF-7 to UTF-8', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a CREATE "Entw&APw-rfe"'), ['a OK CREATE completed']);
  t.same(await c.command('b LIST "" "Entw*"'), ['* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"', 'b OK LIST completed']);
  t.ok(await h.store.getMailbox('alice@example.org', 'Entwürfe'), 'stored as UTF-8');
  t.same(await c.command('c CREATE "bad&-name&Jjo"'), ['c NO [CANNOT] Mailbox name is not valid mUTF-7'], 'well formed, but not a name: NO, in the words Dovecot uses');
  await c.command('d ENABLE UTF8=ACCEPT');
  t.same(await c.command('e LIST "" "Entw*"'), ['* LIST (\\HasNoChildren) "/" "Entwürfe"', 'e OK LIST completed']);
  t.same(await c.command('f STATUS "Entwürfe" (MESSAGES)'), ['* STATUS "Entwürfe" (MESSAGES 0)', 'f OK STATUS completed']);
  // RFC 6855 §4: APPEND UTF8 (~{n}) with literal8.
  const message = sampleMessage('Grüße');
  const size = Buffer.byteLength(message);
  t.same(await c.command(`g APPEND "Entwürfe" UTF8 (~{${size}+}\r\n${message})`), [
    `g OK [APPENDUID ${(await h.store.getMailbox('alice@example.org', 'Entwürfe'))!.uidValidity} 1] APPEND completed`,
  ]);
});

t.test('APPEND UTF8 needs UTF8=ACCEPT enabled', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.same(await c.command('a APPEND INBOX UTF8 (~{3+}\r\nabc)'), ['a BAD APPEND UTF8 needs ENABLE UTF8=ACCEPT']);
  const uidValidity = (await h.store.getMailbox('alice@example.org', 'INBOX'))!.uidValidity;
  // A bare literal8 is BINARY's APPEND (RFC 3516 §4.4), which needs no ENABLE.
  t.same(await c.command('b APPEND INBOX ~{3+}\r\nabc'), [`b OK [APPENDUID ${uidValidity} 1] APPEND completed`]);
  t.same(await appendMessage(c, 'c', 'INBOX', sampleMessage()), [`c OK [APPENDUID ${uidValidity} 2] APPEND completed`]);
});

t.test('NAMESPACE', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  t.same(await c.command('a NAMESPACE'), ['a BAD Log in first']);
  const d = await h.loggedIn();
  t.same(await d.command('b NAMESPACE'), ['* NAMESPACE (("" "/")) NIL NIL', 'b OK NAMESPACE completed']);
  t.same(await d.command('c NAMESPACE x'), ['c BAD Too many arguments']);
});
