/**
 * INTERNALDATE keeps the zone APPEND gave it (RFC 9051 §2.3.3): FETCH shows it as given, SEARCH
 * BEFORE/ON/SINCE compare the date as INTERNALDATE shows it, "disregarding time and timezone"
 * (RFC 9051 §6.4.4), as Dovecot does (imaptest's search-intdate, re-expressed here with our own
 * messages around two daylight-saving changes). COPY, MOVE and a restart keep the zone; messages
 * without one (delivered, or appended without a date-time) show +0000.
 */
import t from 'tap';
import { formatDateTime } from '../../src/imap/fetch/index.js';
import { ImapServer } from '../../src/imap/server.js';
import { silentLogger } from '../../src/log.js';
import { Authenticator } from '../../src/pipeline/auth.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import {
  DEFAULT_LIMITS,
  PASSWORD,
  TranscriptClient,
  USER,
  sampleMessage,
  startServer,
  testCertificate,
  type TestContext,
} from './harness.js';

/** APPENDs `sampleMessage(subject)` with a date-time (LITERAL+) and returns the tagged reply. */
async function appendAt(c: TranscriptClient, tag: string, mailbox: string, dateTime: string, subject = tag): Promise<string> {
  const message = sampleMessage(subject);
  const reply = await c.command(`${tag} APPEND ${mailbox} "${dateTime}" {${Buffer.byteLength(message)}+}\r\n${message}`);
  return reply[reply.length - 1];
}

/** The INTERNALDATE of messages 1:* in the selected mailbox, in sequence order. */
async function internalDates(c: TranscriptClient, tag: string): Promise<string[]> {
  const reply = await c.command(`${tag} FETCH 1:* (INTERNALDATE)`);
  if (!reply[reply.length - 1].startsWith(`${tag} OK`)) throw new Error(`FETCH failed: ${reply.join(' | ')}`);
  return reply.slice(0, -1).map((line) => /INTERNALDATE "([^"]+)"/.exec(line)![1]);
}

/** The untagged SEARCH line of `SEARCH criteria`. */
async function search(c: TranscriptClient, tag: string, criteria: string): Promise<string> {
  const reply = await c.command(`${tag} SEARCH ${criteria}`);
  if (reply.length !== 2 || reply[1] !== `${tag} OK SEARCH completed`) throw new Error(`SEARCH failed: ${reply.join(' | ')}`);
  return reply[0];
}

t.test('FETCH INTERNALDATE shows the zone APPEND gave; SEARCH uses that date', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  // Messages 1-3 are the same instant (24-Mar-2007 22:00 UTC) given in three zones.
  const given = [
    '25-Mar-2007 00:00:00 +0200',
    '24-Mar-2007 14:00:00 -0800',
    '24-Mar-2007 22:00:00 +0000',
    '01-Jan-2000 00:00:00 -0330',
    ' 1-Jan-2000 00:00:00 +0530',
    '01-Jan-2000 00:00:00 -0000',
  ];
  for (const [i, dateTime] of given.entries()) t.match(await appendAt(c, `a${i}`, 'INBOX', dateTime), /OK \[APPENDUID/);
  await c.command('s SELECT INBOX');
  t.same(await internalDates(c, 'f'), [
    '25-Mar-2007 00:00:00 +0200',
    '24-Mar-2007 14:00:00 -0800',
    '24-Mar-2007 22:00:00 +0000',
    '01-Jan-2000 00:00:00 -0330',
    '01-Jan-2000 00:00:00 +0530',
    '01-Jan-2000 00:00:00 +0000',
  ]);
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  const stored = await h.store.listMessages(inbox.id);
  t.same(
    stored.map((meta) => [meta.internalDate, meta.internalZone]),
    [
      [Date.UTC(2007, 2, 24, 22), 120],
      [Date.UTC(2007, 2, 24, 22), -480],
      [Date.UTC(2007, 2, 24, 22), undefined],
      [Date.UTC(2000, 0, 1, 3, 30), -210],
      [Date.UTC(1999, 11, 31, 18, 30), 330],
      [Date.UTC(2000, 0, 1), undefined],
    ],
    'the instant is kept as before; +0000 stores no zone',
  );

  t.equal(await search(c, 'b', 'ON 25-Mar-2007'), '* SEARCH 1');
  t.equal(await search(c, 'c', 'ON 24-Mar-2007'), '* SEARCH 2 3');
  t.equal(await search(c, 'd', 'BEFORE 25-Mar-2007'), '* SEARCH 2 3 4 5 6');
  t.equal(await search(c, 'e', 'SINCE 25-Mar-2007'), '* SEARCH 1');
  t.equal(await search(c, 'g', 'ON 1-Jan-2000'), '* SEARCH 4 5 6', 'the +0530 message is 31-Dec-1999 in UTC');
  t.equal(await search(c, 'h', 'ON 31-Dec-1999'), '* SEARCH');
  t.equal(await search(c, 'i', 'NOT SINCE 1-Jan-2000'), '* SEARCH');
  t.equal(await search(c, 'j', 'SINCE 24-Mar-2007 BEFORE 25-Mar-2007'), '* SEARCH 2 3');
  t.same(await c.command('k UID SEARCH ON 25-Mar-2007'), ['* SEARCH 1', 'k OK UID SEARCH completed']);
  t.same(await c.command('l SEARCH RETURN (MIN MAX COUNT) ON 24-Mar-2007'), ['* ESEARCH (TAG "l") MIN 2 MAX 3 COUNT 2', 'l OK SEARCH completed']);
  t.same(
    await c.command('m SEARCH SENTON 3-Mar-2026 ON 25-Mar-2007'),
    ['* SEARCH 1', 'm OK SEARCH completed'],
    'the Date header keys are not affected',
  );
});

t.test('MULTIAPPEND keeps each message its zone', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  const [one, two] = [sampleMessage('One'), sampleMessage('Two')];
  const reply = await c.command(
    `a APPEND INBOX "07-Nov-2021 01:30:00 -0700" {${one.length}+}\r\n${one} (\\Seen) "07-Nov-2021 01:30:00 -0800" {${two.length}+}\r\n${two}`,
  );
  t.match(reply[reply.length - 1], /^a OK \[APPENDUID \d+ 1:2\]/);
  await c.command('s SELECT INBOX');
  t.same(await internalDates(c, 'f'), ['07-Nov-2021 01:30:00 -0700', '07-Nov-2021 01:30:00 -0800']);
  t.equal(await search(c, 'b', 'ON 7-Nov-2021'), '* SEARCH 1 2');
});

t.test('the search-intdate cases: days across two daylight-saving changes', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  const given = [
    // Central Europe, 28-Mar-2021: +0100 becomes +0200 at 02:00.
    '27-Mar-2021 23:00:00 +0100',
    '28-Mar-2021 00:00:00 +0100',
    '28-Mar-2021 01:00:00 +0100',
    '28-Mar-2021 03:00:00 +0200',
    '28-Mar-2021 23:30:00 +0200',
    '29-Mar-2021 00:00:00 +0200',
    // US Pacific, 7-Nov-2021: -0700 becomes -0800 at 02:00 (01:00-02:00 happens twice).
    '06-Nov-2021 23:59:59 -0700',
    '07-Nov-2021 00:00:00 -0700',
    '07-Nov-2021 01:30:00 -0700',
    '07-Nov-2021 01:30:00 -0800',
    '07-Nov-2021 23:00:00 -0800',
    '08-Nov-2021 00:00:00 -0800',
  ];
  for (const [i, dateTime] of given.entries()) t.match(await appendAt(c, `a${i}`, 'INBOX', dateTime), /OK \[APPENDUID/);
  await c.command('s SELECT INBOX');
  t.same(await internalDates(c, 'f'), given);

  const cases: Array<[string, string]> = [
    ['BEFORE 27-Mar-2021', ''],
    ['BEFORE 28-Mar-2021', ' 1'],
    ['BEFORE 29-Mar-2021', ' 1 2 3 4 5'],
    ['BEFORE 30-Mar-2021', ' 1 2 3 4 5 6'],
    ['ON 26-Mar-2021', ''],
    ['ON 27-Mar-2021', ' 1'],
    ['ON 28-Mar-2021', ' 2 3 4 5'],
    ['ON 29-Mar-2021', ' 6'],
    ['1:6 SINCE 27-Mar-2021', ' 1 2 3 4 5 6'],
    ['1:6 SINCE 28-Mar-2021', ' 2 3 4 5 6'],
    ['1:6 SINCE 29-Mar-2021', ' 6'],
    ['1:6 SINCE 30-Mar-2021', ''],
    ['7:* BEFORE 6-Nov-2021', ''],
    ['7:* BEFORE 7-Nov-2021', ' 7'],
    ['7:* BEFORE 8-Nov-2021', ' 7 8 9 10 11'],
    ['7:* BEFORE 9-Nov-2021', ' 7 8 9 10 11 12'],
    ['7:* ON 5-Nov-2021', ''],
    ['7:* ON 6-Nov-2021', ' 7'],
    ['7:* ON 7-Nov-2021', ' 8 9 10 11'],
    ['7:* ON 8-Nov-2021', ' 12'],
    ['7:* SINCE 6-Nov-2021', ' 7 8 9 10 11 12'],
    ['7:* SINCE 7-Nov-2021', ' 8 9 10 11 12'],
    ['7:* SINCE 8-Nov-2021', ' 12'],
    ['7:* SINCE 9-Nov-2021', ''],
  ];
  for (const [i, [criteria, found]] of cases.entries()) t.equal(await search(c, `q${i}`, criteria), `* SEARCH${found}`, criteria);
});

t.test('COPY and MOVE keep the zone', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  t.match(await appendAt(c, 'a', 'INBOX', '25-Mar-2007 00:00:00 +0200'), /OK/);
  t.match(await appendAt(c, 'b', 'INBOX', '24-Mar-2007 14:00:00 -0800'), /OK/);
  await c.command('s SELECT INBOX');
  t.match((await c.command('c COPY 1:2 Archive')).at(-1), /^c OK \[COPYUID/);
  t.match((await c.command('d MOVE 1:2 Trash')).at(-1), /^d OK MOVE completed/);
  for (const mailbox of ['Archive', 'Trash']) {
    await c.command(`e EXAMINE ${mailbox}`);
    t.same(await internalDates(c, 'f'), ['25-Mar-2007 00:00:00 +0200', '24-Mar-2007 14:00:00 -0800'], mailbox);
    t.equal(await search(c, 'g', 'ON 25-Mar-2007'), '* SEARCH 1', mailbox);
    t.equal(await search(c, 'h', 'ON 24-Mar-2007'), '* SEARCH 2', mailbox);
  }
});

t.test('messages without a given zone show +0000', async (t) => {
  const h = await startServer(t);
  const c = await h.loggedIn();
  const delivered = Date.UTC(2024, 5, 30, 23, 30);
  await h.store.deliver(Buffer.from(sampleMessage('Delivered')), [{ account: USER, mailbox: 'INBOX' }], { internalDate: delivered });
  const message = sampleMessage('No date-time');
  t.match((await c.command(`a APPEND INBOX {${message.length}+}\r\n${message}`)).at(-1), /^a OK/);
  await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage('Store API')), { internalDate: delivered, internalZone: 60 });
  await c.command('s SELECT INBOX');
  const dates = await internalDates(c, 'f');
  t.equal(dates[0], '30-Jun-2024 23:30:00 +0000');
  t.match(dates[1], /^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d \+0000$/, 'APPEND without a date-time: now, +0000');
  t.equal(dates[2], '01-Jul-2024 00:30:00 +0100');
  t.equal(await search(c, 'b', 'ON 30-Jun-2024'), '* SEARCH 1');
  t.equal(await search(c, 'c', 'ON 1-Jul-2024'), '* SEARCH 3');

  for (const internalZone of [0.5, 6000, -6000, Number.NaN]) {
    const options = { internalDate: delivered, internalZone };
    const invalid = { name: 'StoreError', kind: 'invalid', message: 'Invalid internal date zone' };
    await t.rejects(h.store.append(USER, 'INBOX', Buffer.from(message), options), invalid, `zone ${internalZone} is refused`);
    await t.rejects(h.store.appendMessages(USER, 'INBOX', [{ raw: Buffer.from(message), options }]), invalid, `zone ${internalZone} is refused in a batch`);
  }
  t.equal((await h.store.getMailbox(USER, 'INBOX'))!.messages, 3);
});

t.test('a restart keeps the zone', async (t) => {
  const path = t.testdir();
  const closers: Array<() => unknown> = [];
  const firstRun: TestContext = { testdir: () => path, teardown: (fn) => closers.push(fn) };
  t.teardown(async () => {
    for (const close of closers.splice(0)) await close();
  });
  const first = await startServer(firstRun);
  const c = await first.loggedIn();
  t.match(await appendAt(c, 'a', 'INBOX', '25-Mar-2007 00:00:00 +0200'), /OK/);
  t.match(await appendAt(c, 'b', 'INBOX', '24-Mar-2007 14:00:00 -0800'), /OK/);
  for (const close of closers.splice(0)) await close();

  const again = await serve(t, await openStore({ path }));
  await again.command('s SELECT INBOX');
  t.same(await internalDates(again, 'f'), ['25-Mar-2007 00:00:00 +0200', '24-Mar-2007 14:00:00 -0800']);
  t.equal(await search(again, 'g', 'ON 25-Mar-2007'), '* SEARCH 1');
});

/**
 * An IMAP server on an existing store (whose accounts the harness made) and a client logged in
 * to it; the teardown closes all three.
 */
async function serve(t: TestContext, store: Store): Promise<TranscriptClient> {
  t.teardown(() => store.close());
  const auth = new Authenticator(store, { failureDelayMs: 0, maxFailures: 100, windowMs: 60_000, cacheTtlMs: 60_000 });
  const server = new ImapServer({
    host: '127.0.0.1',
    port: 0,
    implicitTls: true,
    tls: await testCertificate(),
    store,
    auth,
    log: silentLogger(),
    hostname: 'mail.example.org',
    limits: DEFAULT_LIMITS,
  });
  const port = await server.listen();
  t.teardown(() => server.close());
  const client = await TranscriptClient.connect(port, { tls: true });
  t.teardown(() => client.destroy());
  const reply = await client.command(`L1 LOGIN ${USER} "${PASSWORD}"`);
  if (!reply[reply.length - 1].startsWith('L1 OK')) throw new Error(`login failed: ${reply.join(' | ')}`);
  return client;
}

t.test('formatDateTime renders the local time and the zone', async (t) => {
  const instant = Date.UTC(1999, 11, 31, 23, 15, 7);
  t.equal(formatDateTime(instant), '31-Dec-1999 23:15:07 +0000');
  t.equal(formatDateTime(instant, 45), '01-Jan-2000 00:00:07 +0045');
  t.equal(formatDateTime(instant, -210), '31-Dec-1999 19:45:07 -0330');
  t.equal(formatDateTime(instant, 5999), '05-Jan-2000 03:14:07 +9959');
  t.equal(formatDateTime(instant, -5999), '27-Dec-1999 19:16:07 -9959');
});
