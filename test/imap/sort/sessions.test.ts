/**
 * SORT and THREAD answer from keys shared by every session (src/imap/sort/keys-cache.ts): a
 * change made by another session (APPEND, EXPUNGE, MOVE) shows in the next SORT or THREAD of a
 * session whose keys are already warm, in the right place.
 */
import t from 'tap';
import { USER, appendMessage, startServer, type TestContext, type TranscriptClient } from '../harness.js';

function message(subject: string, id: string, refs = ''): string {
  const lines = ['From: Bob <bob@example.org>', 'To: Alice <alice@example.org>', `Subject: ${subject}`, `Message-ID: ${id}`];
  if (refs) lines.push(`References: ${refs}`);
  return [...lines, 'Date: Tue, 03 Mar 2026 10:00:00 +0000', '', 'Hello', ''].join('\r\n');
}

/** INBOX with UIDs 1..3: "charlie", "alpha", "echo"; two sessions with it selected. */
async function twoSessions(t: TestContext): Promise<{ a: TranscriptClient; b: TranscriptClient }> {
  const h = await startServer(t);
  for (const [i, subject] of ['charlie', 'alpha', 'echo'].entries()) {
    await h.store.append(USER, 'INBOX', Buffer.from(message(subject, `<${i + 1}@x>`)));
  }
  const a = await h.loggedIn();
  const b = await h.loggedIn();
  await a.command('a0 SELECT INBOX');
  await b.command('b0 SELECT INBOX');
  return { a, b };
}

/**
 * NOOP until the session announces `exists` messages: new mail joins a view once its \Recent
 * claim is done (selected.ts), which may be a moment after the other session's APPEND completed.
 */
async function announced(client: TranscriptClient, exists: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await client.command(`n${attempt} NOOP`)).includes(`* ${exists} EXISTS`)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never saw * ${exists} EXISTS`);
}

/** The untagged result line of a command (announcements of other changes filtered out). */
async function result(client: TranscriptClient, tag: string, command: string, name: 'SORT' | 'THREAD'): Promise<string> {
  const lines = await client.command(`${tag} ${command}`);
  t.match(lines[lines.length - 1], new RegExp(`^${tag} OK`));
  return lines.find((line) => line.startsWith(`* ${name}`)) ?? '';
}

t.test('SORT after APPEND, EXPUNGE and MOVE from another session', async (t) => {
  const { a, b } = await twoSessions(t);
  const sort = (tag: string) => result(a, tag, 'UID SORT (SUBJECT) UTF-8 ALL', 'SORT');
  t.equal(await sort('a1'), '* SORT 2 1 3', 'warm: keys of UIDs 1-3 cached');

  await appendMessage(b, 'b1', 'INBOX', message('bravo', '<4@x>'));
  await announced(a, 4);
  t.equal(await sort('a2'), '* SORT 2 4 1 3', 'appended message in its place');

  await b.command('b2 UID STORE 2 +FLAGS.SILENT (\\Deleted)');
  await b.command('b3 EXPUNGE');
  t.equal(await sort('a3'), '* SORT 4 1 3', 'expunged message gone');

  await b.command('b4 UID MOVE 1 Archive');
  t.equal(await sort('a4'), '* SORT 4 3', 'moved message gone from the source');
  t.equal(await result(a, 'a5', 'SORT (SUBJECT) UTF-8 ALL', 'SORT'), '* SORT 2 1', 'sequence numbers follow the view');

  await a.command('a6 SELECT Archive');
  await appendMessage(b, 'b5', 'Archive', message('Re: ALPHA', '<5@x>'));
  await announced(a, 2);
  t.equal(await result(a, 'a7', 'UID SORT (SUBJECT) UTF-8 ALL', 'SORT'), '* SORT 2 1', 'moved copy keeps its keys in the target');
});

t.test('THREAD after APPEND and EXPUNGE from another session', async (t) => {
  const { a, b } = await twoSessions(t);
  const thread = (tag: string) => result(a, tag, 'UID THREAD REFERENCES UTF-8 ALL', 'THREAD');
  t.equal(await thread('a1'), '* THREAD (1)(2)(3)');

  await appendMessage(b, 'b1', 'INBOX', message('Re: alpha', '<4@x>', '<2@x>'));
  await announced(a, 4);
  t.equal(await thread('a2'), '* THREAD (1)(2 4)(3)', 'the reply joins its parent');

  await b.command('b2 UID STORE 2 +FLAGS.SILENT (\\Deleted)');
  await b.command('b3 EXPUNGE');
  t.equal(await thread('a3'), '* THREAD (1)(3)(4)', 'the parent gone: the reply stands alone');
  t.equal(await result(a, 'a4', 'UID THREAD ORDEREDSUBJECT UTF-8 ALL', 'THREAD'), '* THREAD (1)(3)(4)');
});
