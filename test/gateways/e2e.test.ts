/**
 * Unified messaging end to end, as an admin and a user meet it: the sms gateway enabled in
 * config.json against a real SMPP server; `bridgehead user set` gives the user a phone number and
 * a notification rule; mail submitted to +number@sms.<domain> reaches the SMSC and its receipt
 * shows in `bridgehead audit`; an SMS to the user's phone lands in their INBOX; MX mail to the
 * gateway is refused; mail from a watched sender triggers an SMS notice.
 */
import nodemailer from 'nodemailer';
import t from 'tap';
import type { PDU } from 'smpp';
import { cli, startTestServer } from '../support/app.js';
import { eventually, inboxMessages } from './harness.js';
import { startSmsc } from './smsc.js';

const PASSWORD = 'correct horse battery staple';

t.test('mail → SMS with receipt in the audit trail, SMS → INBOX, notifications, MX refused', async (t) => {
  const smsc = await startSmsc(t);
  const server = await startTestServer(t, undefined, {
    plugins: {
      enabled: ['sms'],
      sms: { domains: ['sms.example.test'], sourceAddress: '+4915199999999', smpp: { url: `smpp://127.0.0.1:${smsc.port}`, password: 'secret' } },
    },
  });
  const config = ['--config', server.configPath];
  t.match(await cli(['domain', 'add', 'example.test', ...config]), { code: 0 });
  t.match(await cli(['user', 'add', 'me@example.test', '--password-stdin', ...config], { stdin: `${PASSWORD}\n` }), { code: 0 });

  const set = await cli(['user', 'set', 'me@example.test', '--phone', '+49 151 0000 0001', '--notify', 'sms:boss@partner.test,@alerts.test', ...config]);
  t.equal(set.code, 0, set.stderr);
  t.match(set.stdout, /phone: {2}\+4915100000001/);
  const shown = await cli(['user', 'show', 'me@example.test', ...config]);
  t.match(shown.stdout, /notify: sms:boss@partner\.test,@alerts\.test/);
  t.match(await cli(['user', 'set', 'me@example.test', '--phone', '12345', ...config]), { code: 1, stderr: /invalid phone number "12345"/ });

  const submission = nodemailer.createTransport({
    host: '127.0.0.1', port: server.port('smtp.submissions'), secure: true, tls: { rejectUnauthorized: false },
    auth: { user: 'me@example.test', pass: PASSWORD },
  });
  const info = await submission.sendMail({ from: 'me@example.test', to: '+4917612345678@sms.example.test', subject: 'Train', text: 'Arriving 18:05, platform 3.' });
  const id = /\b([0-9A-Za-z]{18})\b/.exec(info.response)?.[1];
  t.ok(id, `message id in "${info.response}"`);
  const submitted = await eventually(async () => smsc.submits[0], 'the SMSC to get the SMS');
  t.equal(submitted.destination_addr, '4917612345678');
  t.equal((submitted.short_message as { message: string }).message, 'me@example.test: Train\nArriving 18:05, platform 3.');

  const story = await eventually(async () => {
    const result = await cli(['audit', id as string, ...config]);
    return /gateway ack.*delivered/.test(result.stdout) ? result.stdout : undefined;
  }, 'the delivery receipt in bridgehead audit');
  t.match(story, /sms: <\+4917612345678> delivered/);
  t.match(story, /ref smsc-1/);

  const session = await smsc.session();
  const answer = await new Promise<PDU>((resolve) => session.deliver_sm(
    { source_addr: '4917612345678', source_addr_ton: 1, destination_addr: '4915100000001', dest_addr_ton: 1, short_message: 'OK, see you there' },
    resolve,
  ));
  t.equal(answer.command_status, 0);
  const [reply] = await eventually(async () => {
    const list = await inboxMessages(server.app.store, 'me@example.test');
    return list.length > 0 ? list : undefined;
  }, 'the SMS in the INBOX');
  t.equal(reply.from?.value[0].address, '+4917612345678@sms.example.test', 'a reply by mail goes back as an SMS');
  t.equal(reply.text?.trim(), 'OK, see you there');

  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('smtp.mx'), secure: false, ignoreTLS: true });
  const refused = (await mx.sendMail({ envelope: { from: 'stranger@remote.test', to: ['+4917612345678@sms.example.test'] }, raw: 'Subject: free SMS\r\n\r\nhi\r\n' })
    .catch((error: unknown) => error)) as { responseCode?: number; response?: string };
  t.equal(refused.responseCode, 550, 'the MX does not let strangers use the gateway');
  t.match(refused.response, /5\.7\.1 Only authenticated users may send SMS/);

  const before = smsc.submits.length;
  await mx.sendMail({ envelope: { from: 'boss@partner.test', to: ['me@example.test'] }, raw: 'From: Boss <boss@partner.test>\r\nTo: me@example.test\r\nSubject: Quarterly numbers\r\n\r\nSee attached.\r\n' });
  const notice = await eventually(async () => smsc.submits[before], 'the notification SMS');
  t.equal(notice.destination_addr, '4915100000001', 'to the user\'s own phone');
  t.equal((notice.short_message as { message: string }).message, 'New mail from boss@partner.test\nQuarterly numbers');
  await mx.sendMail({ envelope: { from: 'friend@other.test', to: ['me@example.test'] }, raw: 'From: friend@other.test\r\nSubject: hello\r\n\r\nhi\r\n' });
  await eventually(async () => ((await inboxMessages(server.app.store, 'me@example.test')).length === 3 ? true : undefined), 'the unwatched mail stored');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(smsc.submits.length, before + 1, 'mail from a sender without a rule causes no SMS');
});
