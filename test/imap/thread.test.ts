/**
 * THREAD and UID THREAD transcripts (RFC 5256 §3 ORDEREDSUBJECT and REFERENCES, §4 syntax).
 *
 * The mailbox: a "Meeting" discussion 1 ← 2 ← 3 and 1 ← 4; "Lunch" 5 with a reply 6 whose
 * parent is missing (a dummy, pruned, then joined to 5 by subject); "Other" 7; and 8 and 9,
 * replies to a message that is not there, which stay siblings under a dummy root.
 */
import t from 'tap';
import { USER, startServer, type TestContext } from './harness.js';

interface Spec {
  id: string;
  refs?: string;
  inReplyTo?: string;
  subject: string;
}

const SPECS: Spec[] = [
  { id: '<1@x>', subject: 'Meeting' },
  { id: '<2@x>', refs: '<1@x>', subject: 'Re: Meeting' },
  { id: '<3@x>', refs: '<1@x> <2@x>', subject: 'Re: Meeting' },
  { id: '<4@x>', inReplyTo: '<1@x>', subject: 'RE: [team] Meeting' },
  { id: '<5@x>', subject: 'Lunch' },
  { id: '<6@x>', refs: '<99@x>', subject: 'Re: Lunch' },
  { id: '<7@x>', subject: 'Other' },
  { id: '<8@x>', refs: '<98@x>', subject: 'Re: Topic' },
  { id: '<9@x>', refs: '<98@x>', subject: 'Re: Topic' },
];

async function threadMailbox(t: TestContext) {
  const h = await startServer(t);
  for (const [i, spec] of SPECS.entries()) {
    const lines = ['From: bob@example.org', 'To: alice@example.org', `Subject: ${spec.subject}`, `Message-ID: ${spec.id}`];
    lines.push(`Date: ${new Date(Date.UTC(2021, 2, 1 + i)).toUTCString()}`);
    if (spec.refs) lines.push(`References: ${spec.refs}`);
    if (spec.inReplyTo) lines.push(`In-Reply-To: ${spec.inReplyTo}`);
    await h.store.append(USER, 'INBOX', Buffer.from([...lines, '', 'Hello', ''].join('\r\n')));
  }
  const c = await h.loggedIn();
  await c.command('s SELECT INBOX');
  return { h, c };
}

t.test('THREAD ORDEREDSUBJECT and REFERENCES', async (t) => {
  const { c } = await threadMailbox(t);
  t.same(await c.command('A283 THREAD ORDEREDSUBJECT UTF-8 ALL'), ['* THREAD (1 (2)(3)(4))(5 6)(7)(8 9)', 'A283 OK THREAD completed']);
  t.same(await c.command('A284 THREAD ORDEREDSUBJECT US-ASCII TEXT "gewp"'), ['* THREAD', 'A284 OK THREAD completed']);
  t.same(await c.command('A285 THREAD REFERENCES UTF-8 ALL'), ['* THREAD (1 (2 3)(4))(5 6)(7)((8)(9))', 'A285 OK THREAD completed']);
  // Only matching messages are threaded: without 2, message 3's parent is a dummy that is pruned.
  t.same(await c.command('a1 THREAD REFERENCES UTF-8 NOT HEADER Message-ID <2@x>'), ['* THREAD (1 (3)(4))(5 6)(7)((8)(9))', 'a1 OK THREAD completed']);
  t.same(await c.command('a2 THREAD REFERENCES UTF-8 NOT SUBJECT meeting'), ['* THREAD (5 6)(7)((8)(9))', 'a2 OK THREAD completed']);
  t.same(await c.command('a3 THREAD ORDEREDSUBJECT UTF-8 SUBJECT lunch'), ['* THREAD (5 6)', 'a3 OK THREAD completed']);
  t.same(await c.command('a4 THREAD JWZ UTF-8 ALL'), ['a4 BAD Unknown threading algorithm JWZ']);
  t.match((await c.command('a5 THREAD REFERENCES KOI8-R ALL'))[0], /^a5 NO \[BADCHARSET/);
  t.same(await c.command('a6 THREAD REFERENCES'), ['a6 BAD Missing charset or search keys']);
});

t.test('UID THREAD answers UIDs', async (t) => {
  const { h, c } = await threadMailbox(t);
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  await h.store.expunge(inbox.id, [1]);
  await c.command('n NOOP');
  // Message 1 is gone: 2 and 4 lose their parent and become a dummy's children, joined by subject.
  t.same(await c.command('a1 UID THREAD REFERENCES UTF-8 ALL'), ['* THREAD ((2 3)(4))(5 6)(7)((8)(9))', 'a1 OK UID THREAD completed']);
  t.same(await c.command('a2 THREAD REFERENCES UTF-8 ALL'), ['* THREAD ((1 2)(3))(4 5)(6)((7)(8))', 'a2 OK THREAD completed']);
  t.same(await c.command('a3 UID THREAD ORDEREDSUBJECT UTF-8 ALL'), ['* THREAD (2 (3)(4))(5 6)(7)(8 9)', 'a3 OK UID THREAD completed']);
});
