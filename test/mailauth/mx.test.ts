/**
 * Mail authentication on the whole server: a DKIM key made by `bridgehead domain dkim`, its
 * printed record published as a static DNS record, a message signed by the app's signer and sent
 * to MX arrives with dkim, spf and dmarc pass in its stored Authentication-Results; DMARC
 * p=reject fails with 550 5.7.1 on the wire; p=quarantine lands in Junk; a DNS server that does
 * not answer gives 451; submission is not verified. DNS is static records plus a silent server
 * on loopback: nothing leaves the machine.
 */
import nodemailer from 'nodemailer';
import t from 'tap';
import type { Store } from '../../src/store/types.js';
import { cli, shortTempDir, startTestServer, writeTestConfig } from '../support/app.js';
import { startDnsServer } from './helpers.js';

const PASSWORD = 'correct horse battery staple';

async function messagesIn(store: Store, account: string, mailbox: string) {
  const found = await store.getMailbox(account, mailbox);
  if (!found) return [];
  const metas = await store.listMessages(found.id);
  return Promise.all(metas.map(async (meta) => ({ flags: meta.flags, raw: (await store.readBlob(meta.blobId, 'full')).toString('latin1') })));
}

function message(from: string, subject: string, extraHeaders = ''): Buffer {
  return Buffer.from(
    `${extraHeaders}From: ${from}\r\nTo: bob@example.test\r\nSubject: ${subject}\r\nDate: Thu, 05 Mar 2026 10:00:00 +0000\r\n` +
      `Message-ID: <${subject.replace(/\W/g, '')}@mx.test>\r\n\r\nHello Bob.\r\n`,
  );
}

t.test('MX verifies SPF, DKIM and DMARC and applies the policy', async (t) => {
  const dir = shortTempDir(t);
  const { configPath } = writeTestConfig(dir);
  const created = await cli(['domain', 'dkim', 'sender.example', '--selector', 'e2e', '--config', configPath]);
  t.equal(created.code, 0, created.stderr);
  const published = /\nvalue: (v=DKIM1;.*)\n/.exec(created.stdout)?.[1];
  t.ok(published, 'the command printed the record value');

  const silentDns = await startDnsServer(t, {}, { silent: true });
  const server = await startTestServer(t, dir, {
    dns: {
      servers: [silentDns.address],
      timeoutMs: 50,
      tries: 1,
      static: {
        'sender.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
        '_dmarc.sender.example': { TXT: ['v=DMARC1; p=reject'] },
        'e2e._domainkey.sender.example': { TXT: [published] },
        'spoofed.example': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
        '_dmarc.spoofed.example': { TXT: ['v=DMARC1; p=reject'] },
        'shady.example': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
        '_dmarc.shady.example': { TXT: ['v=DMARC1; p=quarantine'] },
      },
    },
    mailauth: { trustedNetworks: [] },
  });
  const { app } = server;
  await app.users.addDomain('example.test');
  await app.users.addUser('bob@example.test', PASSWORD);

  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('smtp.mx'), secure: false, ignoreTLS: true, name: 'client.sender.example' });
  t.teardown(() => mx.close());
  const send = (from: string, raw: Buffer) => mx.sendMail({ envelope: { from, to: ['bob@example.test'] }, raw });

  // Signed by the app's own signer (the queue's), with a forged Authentication-Results on top.
  const forged = 'Authentication-Results: mail.example.test; dkim=pass header.d=bank.example\r\n';
  const signed = await app.dkimSigner(message('Alice <alice@sender.example>', 'signed', forged), 'sender.example');
  const accepted = await send('alice@sender.example', signed);
  t.match(accepted.response, /^250 /);

  const [stored] = await messagesIn(app.store, 'bob@example.test', 'INBOX');
  t.ok(stored, 'delivered to INBOX');
  const header = stored.raw.slice(0, stored.raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const fields = header.split('\r\n').map((line) => line.slice(0, line.indexOf(':')));
  t.same(fields.slice(0, 4), ['Return-Path', 'Received', 'Authentication-Results', 'DKIM-Signature'], 'our trace fields on top, then the message');
  const results = header.split('\r\n')[2];
  t.match(results, /^Authentication-Results: mail\.example\.test; dkim=pass header\.i=@sender\.example header\.s=e2e header\.a=rsa-sha256 header\.b="?[\w+/]+"?;/);
  t.match(results, /; spf=pass \(mail\.example\.test: domain of alice@sender\.example designates 127\.0\.0\.1 as permitted sender\) smtp\.mailfrom=alice@sender\.example smtp\.helo=client\.sender\.example;/);
  t.match(results, /; dmarc=pass \(p=REJECT arc=none\) header\.from=sender\.example header\.d=sender\.example$/);
  t.notMatch(stored.raw, /bank\.example/, 'the forged Authentication-Results is gone');
  t.equal((stored.raw.match(/^Authentication-Results:/gm) ?? []).length, 1);

  const rejected = await send('ceo@spoofed.example', message('CEO <ceo@spoofed.example>', 'spoofed')).catch((error: { responseCode: number; response: string }) => error);
  t.match(rejected, { responseCode: 550, response: /^550 5\.7\.1 Message rejected: it fails the DMARC policy \(p=reject\) of spoofed\.example/ });

  await send('deals@shady.example', message('Deals <deals@shady.example>', 'shady'));
  const junk = await messagesIn(app.store, 'bob@example.test', 'Junk');
  t.equal(junk.length, 1, 'p=quarantine: delivered to Junk');
  t.match(junk[0].raw, /Authentication-Results: mail\.example\.test;[^]*dmarc=fail/);
  t.ok(junk[0].flags.includes('$Junk'), 'with the $Junk keyword');

  const timedOut = await send('someone@unreachable.example', message('someone@unreachable.example', 'timeout')).catch((error: { responseCode: number; response: string }) => error);
  t.match(timedOut, { responseCode: 451, response: /^451 4\.7\.0 DMARC could not be checked \(temporary DNS failure\)/ }, 'DNS timeout: tempfail, the sender retries');
  t.ok(silentDns.queries.some((query) => query.name === 'unreachable.example'), 'the lookup really went to the (silent) server');

  t.same((await messagesIn(app.store, 'bob@example.test', 'INBOX')).length, 1, 'nothing else reached INBOX');

  const submission = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.port('smtp.submissions'),
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'bob@example.test', pass: PASSWORD },
  });
  t.teardown(() => submission.close());
  await submission.sendMail({ envelope: { from: 'bob@example.test', to: ['bob@example.test'] }, raw: message('bob@example.test', 'note to self') });
  const inbox = await messagesIn(app.store, 'bob@example.test', 'INBOX');
  t.equal(inbox.length, 2);
  t.notMatch(inbox[1].raw, /Authentication-Results/, 'authenticated submission is not verified');
});

t.test('loopback is trusted by default: no verification, no header', async (t) => {
  const server = await startTestServer(t, shortTempDir(t), { dns: { staticOnly: true } });
  await server.app.users.addDomain('example.test');
  await server.app.users.addUser('bob@example.test', PASSWORD);
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('smtp.mx'), secure: false, ignoreTLS: true });
  t.teardown(() => mx.close());
  await mx.sendMail({ envelope: { from: 'x@nowhere.example', to: ['bob@example.test'] }, raw: message('x@nowhere.example', 'local') });
  const [stored] = await messagesIn(server.app.store, 'bob@example.test', 'INBOX');
  t.notMatch(stored.raw, /Authentication-Results/);
});
