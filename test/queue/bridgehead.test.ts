/**
 * Two Bridgehead instances on loopback: an edge that accepts mail for an inner domain on its MX
 * and forwards it through `routes` to the inner server, as in the bridgehead role. Also
 * submission through the edge with local and remote recipients in one message, and a bounce
 * from the inner server landing in the local sender's INBOX on the edge.
 */
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Test } from 'tap';
import t from 'tap';
import type { TestServer } from '../support/app.js';
import { startTestServer } from '../support/app.js';
import type { Store } from '../../src/store/index.js';

const PASSWORD = 'edge and inner password';
const quiet = { mailauth: { enabled: false }, dns: { staticOnly: true } };

async function inbox(store: Store, account: string): Promise<Buffer[]> {
  const mailbox = await store.getMailbox(account, 'INBOX');
  if (!mailbox) return [];
  const messages = await store.listMessages(mailbox.id);
  return Promise.all(messages.map((meta) => store.readBlob(meta.blobId, 'full')));
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function pair(t: Test): Promise<{ inner: TestServer; edge: TestServer }> {
  const inner = await startTestServer(t, undefined, { hostname: 'inner.example.test', ...quiet });
  await inner.app.users.addDomain('inner.test');
  await inner.app.users.addUser('bob@inner.test', PASSWORD);
  const edge = await startTestServer(t, undefined, {
    hostname: 'edge.example.test',
    ...quiet,
    relayDomains: ['inner.test'],
    routes: { 'inner.test': { host: '127.0.0.1', port: inner.port('smtp.mx'), tls: 'starttls' } },
  });
  await edge.app.users.addDomain('edge.test');
  await edge.app.users.addUser('alice@edge.test', PASSWORD);
  return { inner, edge };
}

t.test('the edge MX accepts mail for the inner domain and forwards it through its route', async (t) => {
  const { inner, edge } = await pair(t);
  const delivered: string[] = [];
  edge.app.queue.events.on('queue', (event) => {
    if (event.type === 'delivered') delivered.push(event.messageId);
  });
  const outside = nodemailer.createTransport({ host: '127.0.0.1', port: edge.port('smtp.mx'), secure: false, tls: { rejectUnauthorized: false } });
  const info = await outside.sendMail({ from: 'someone@outside.test', to: 'bob@inner.test', subject: 'Through the bridgehead', text: 'Hello Bob' });
  const id = /id (\w+)/.exec(info.response)?.[1];
  t.ok(id, `250 names the id: ${info.response}`);
  await until(async () => (await inbox(inner.app.store, 'bob@inner.test')).length === 1, 'delivery to the inner server');
  const [raw] = await inbox(inner.app.store, 'bob@inner.test');
  const mail = await simpleParser(raw);
  t.equal(mail.subject, 'Through the bridgehead');
  const received = mail.headers.get('received') as string[];
  t.equal(received.length, 2, 'one Received from each server');
  t.match(received[0], /by inner\.example\.test .*with ESMTPS/, 'edge → inner over STARTTLS');
  t.match(received[1], new RegExp(`by edge\\.example\\.test .*id ${id}`));
  t.equal(raw.toString().match(/^Return-Path:/gm)?.length, 1, 'only the final delivery adds Return-Path');
  await until(async () => delivered.includes(id!), 'the delivered event');
  t.same(await edge.app.store.queue.list({ limit: 10 }), [], 'the edge queue is empty');

  const refused = await outside.sendMail({ from: 'someone@outside.test', to: 'victim@elsewhere.test', subject: 'relay?', text: 'no' }).catch((error: { responseCode?: number; response?: string }) => error);
  t.match(refused, { responseCode: 550, response: /5\.7\.1 Relay access denied/ }, 'other domains stay refused');
});

t.test('submission: local and remote recipients in one message; a remote 550 bounces into the sender\'s INBOX', async (t) => {
  const { inner, edge } = await pair(t);
  const submit = nodemailer.createTransport({
    host: '127.0.0.1', port: edge.port('smtp.submission'), secure: false, requireTLS: true,
    tls: { rejectUnauthorized: false }, auth: { user: 'alice@edge.test', pass: PASSWORD },
  });
  await submit.sendMail({ from: 'alice@edge.test', to: ['bob@inner.test', 'alice@edge.test'], subject: 'Mixed', text: 'to both' });
  await until(async () => (await inbox(inner.app.store, 'bob@inner.test')).length === 1, 'remote copy');
  t.equal((await inbox(edge.app.store, 'alice@edge.test')).length, 1, 'local copy stored at once');

  const info = await submit.sendMail({ from: 'alice@edge.test', to: 'nobody@inner.test', subject: 'Lost letter', text: 'anyone there?' });
  const id = /id (\w+)/.exec(info.response)?.[1];
  await until(async () => (await inbox(edge.app.store, 'alice@edge.test')).length === 2, 'the bounce');
  const bounce = await simpleParser((await inbox(edge.app.store, 'alice@edge.test'))[1]);
  t.equal(bounce.subject, 'Undelivered Mail Returned to Sender');
  t.match(bounce.text, 'Final-Recipient: rfc822; nobody@inner.test');
  t.match(bounce.text, 'Action: failed');
  t.match(bounce.text, 'Status: 5.1.1');
  t.match(bounce.text, /Diagnostic-Code: smtp; 550 5\.1\.1 /);
  t.match(bounce.text, `X-Bridgehead-Queue-ID: ${id}`);
  t.match(bounce.attachments[0]?.content.toString() ?? '', 'Subject: Lost letter', 'original headers returned');
  t.match(bounce.headers.get('return-path'), { value: [{ address: '' }] }, 'the bounce has the null sender');
});
