import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer } from './harness.js';

t.test('another session\'s changes are announced at NOOP, in order', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  await a.command('a1 SELECT INBOX');
  await appendMessage(b, 'b1', 'INBOX', sampleMessage('One'));
  await appendMessage(b, 'b2', 'INBOX', sampleMessage('Two'));
  await b.command('b3 SELECT INBOX');
  await b.command('b4 STORE 1 +FLAGS.SILENT (\\Seen)');
  await b.command('b5 STORE 2 +FLAGS.SILENT (\\Deleted)');
  await b.command('b6 EXPUNGE');
  t.same(await a.command('a2 NOOP'), [
    '* 2 EXISTS',
    '* 2 RECENT',
    '* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))',
    '* 2 FETCH (UID 2 FLAGS (\\Deleted \\Recent))',
    '* 2 EXPUNGE',
    'a2 OK NOOP completed',
  ]);
  t.same(await a.command('a3 NOOP'), ['a3 OK NOOP completed'], 'each change is announced once');
  t.same(await b.command('b7 NOOP'), ['b7 OK NOOP completed'], 'B is not told about its own changes again');
});

t.test('EXPUNGE is held back during FETCH, STORE and SEARCH, not during UID commands', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  for (const subject of ['One', 'Two', 'Three']) await appendMessage(b, `p${subject}`, 'INBOX', sampleMessage(subject));
  await a.command('a1 SELECT INBOX');
  await b.command('b1 SELECT INBOX');
  await b.command('b2 STORE 1 +FLAGS.SILENT (\\Deleted)');
  await b.command('b3 EXPUNGE');
  await b.command('b4 STORE 2 +FLAGS.SILENT (\\Flagged)');
  // A still sees 3 messages: FETCH must not renumber them under its feet (RFC 3501 §7.4.1).
  t.same(await a.command('a2 FETCH 1:3 (UID)'), [
    '* 1 FETCH (UID 1)',
    '* 2 FETCH (UID 2)',
    '* 3 FETCH (UID 3)',
    '* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))',
    '* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent))',
    'a2 OK FETCH completed',
  ]);
  t.same(await a.command('a3 SEARCH ALL'), ['* SEARCH 1 2 3', 'a3 OK SEARCH completed']);
  t.same(await a.command('a4 STORE 3 +FLAGS (\\Seen)'), ['* 3 FETCH (FLAGS (\\Flagged \\Seen \\Recent))', 'a4 OK STORE completed']);
  t.same(await a.command('a5 FETCH 1 BODY.PEEK[]'), ['a5 NO [EXPUNGEISSUED] Some of the requested messages no longer exist']);
  t.same(await a.command('a6 UID FETCH 2 (FLAGS)'), ['* 1 EXPUNGE', '* 1 FETCH (UID 2 FLAGS (\\Recent))', 'a6 OK UID FETCH completed']);
  t.same(await a.command('a7 NOOP'), ['a7 OK NOOP completed']);
});

t.test('IDLE pushes changes at once', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  await appendMessage(b, 'b0', 'INBOX', sampleMessage('Zero'));
  await a.command('a1 SELECT INBOX');
  a.sendLine('a2 IDLE');
  t.equal(await a.readLine(), '+ idling');
  await appendMessage(b, 'b1', 'INBOX', sampleMessage('One'));
  t.equal(await a.readLine(), '* 2 EXISTS');
  t.equal(await a.readLine(), '* 2 RECENT', 'new mail changes the RECENT count too (RFC 3501 §7.3.2)');
  await b.command('b2 SELECT INBOX');
  await b.command('b3 STORE 2 +FLAGS.SILENT (\\Seen)');
  t.equal(await a.readLine(), '* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))');
  await b.command('b4 STORE 1 +FLAGS.SILENT (\\Deleted)');
  t.equal(await a.readLine(), '* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))');
  await b.command('b5 EXPUNGE');
  t.equal(await a.readLine(), '* 1 EXPUNGE');
  a.sendLine('DONE');
  t.same(await a.until('a2'), ['a2 OK IDLE terminated']);
  t.same(await a.command('a3 UID FETCH 1:* (FLAGS)'), ['* 1 FETCH (UID 2 FLAGS (\\Seen \\Recent))', 'a3 OK UID FETCH completed']);
});

t.test('changes queued before IDLE are sent when it starts', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  await a.command('a1 SELECT INBOX');
  await appendMessage(b, 'b1', 'INBOX', sampleMessage('One'));
  a.sendLine('a2 IDLE');
  t.equal(await a.readLine(), '+ idling');
  t.equal(await a.readLine(), '* 1 EXISTS');
  t.equal(await a.readLine(), '* 1 RECENT');
  a.sendLine('done');
  t.same(await a.until('a2'), ['a2 OK IDLE terminated'], 'DONE in any case');
});

t.test('IDLE errors and disconnects', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  t.same(await c.command('a IDLE'), ['a BAD Log in first']);
  const a = await h.loggedIn();
  a.sendLine('b IDLE');
  t.equal(await a.readLine(), '+ idling', 'allowed without a selected mailbox');
  a.sendLine('c NOOP');
  t.same(await a.until('b'), ['b BAD Expected DONE to end IDLE']);
  t.same(await a.command('d NOOP'), ['d OK NOOP completed'], 'the session goes on');
  await a.command('e SELECT INBOX');
  a.sendLine('f IDLE');
  t.equal(await a.readLine(), '+ idling');
  const before = h.server.connections;
  a.destroy(); // Thunderbird quits in the middle of IDLE (CLIENTS.md §5)
  for (let i = 0; i < 50 && h.server.connections === before; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(h.server.connections, before - 1);
  const b = await h.loggedIn();
  await appendMessage(b, 'g', 'INBOX', sampleMessage('After'));
  t.same(await b.command('h NOOP'), ['h OK NOOP completed'], 'the server carries on');
});

t.test('STORE .SILENT still reports a change another session made meanwhile (RFC 9051 §6.4.6 Note)', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  await appendMessage(a, 'a0', 'INBOX', sampleMessage('One'));
  await a.command('a1 SELECT INBOX');
  await b.command('b1 SELECT INBOX');
  await b.command('b2 STORE 1 +FLAGS.SILENT (\\Flagged)');
  t.same(await a.command('a2 STORE 1 +FLAGS.SILENT (\\Seen)'), ['* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))', 'a2 OK STORE completed']);
  t.same(await a.command('a3 NOOP'), ['a3 OK NOOP completed'], 'told once');
  t.same(await a.command('a4 STORE 1 +FLAGS.SILENT (\\Answered)'), ['a4 OK STORE completed'], 'no surprise: silent');
});

t.test('a message expunged while UID FETCH reads is skipped without an error (RFC 9051 §6.4.9)', async (t) => {
  const h = await startServer(t);
  const a = await h.loggedIn();
  for (const subject of ['One', 'Two']) await appendMessage(a, `p${subject}`, 'INBOX', sampleMessage(subject));
  await a.command('a1 SELECT INBOX');
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  // Another session's expunge lands between the command's start and its read of the records.
  const getMessages = h.store.getMessages.bind(h.store);
  let expungeFirst = true;
  h.store.getMessages = async (mailboxId, uids) => {
    if (expungeFirst) {
      expungeFirst = false;
      await h.store.storeFlags(inbox.id, [1], { op: 'add', flags: ['\\Deleted'] });
      await h.store.expunge(inbox.id, [1]);
    }
    return getMessages(mailboxId, uids);
  };
  const reply = await a.command('a2 UID FETCH 1:2 (UID ENVELOPE)');
  t.match(reply.at(-1), /^a2 OK UID FETCH completed$/);
  t.ok(reply.some((line) => line.startsWith('* 2 FETCH (UID 2 ENVELOPE')), 'the other message is answered');
  t.notOk(reply.some((line) => line.startsWith('* 1 FETCH (UID 1 ENVELOPE')), 'the expunged one is not');
  t.ok(reply.some((line) => line === '* 1 EXPUNGE'), 'its EXPUNGE ends the UID command');
});
