/**
 * The sms gateway across a server restart, against a real SMPP server: the SMSC id → message
 * mapping and "who wrote last to this phone" are kept in the store (the gateway's durable
 * memory), so a delivery receipt that arrives after the restart still lands in
 * `bridgehead audit`, and a reply SMS to the shared sender number still finds the user.
 */
import nodemailer from 'nodemailer';
import t from 'tap';
import type { PDU } from 'smpp';
import { cli, shortTempDir, startTestServer } from '../support/app.js';
import { eventually, inboxMessages } from './harness.js';
import { startSmsc } from './smsc.js';

const PASSWORD = 'correct horse battery staple';

t.test('a receipt and a reply that arrive after a restart are still matched to their mail', async (t) => {
  const smsc = await startSmsc(t);
  smsc.receiptState = null;
  const dir = shortTempDir(t);
  const overrides = {
    plugins: {
      enabled: ['sms'],
      sms: { domains: ['sms.example.test'], sourceAddress: '+4915199999999', smpp: { url: `smpp://127.0.0.1:${smsc.port}`, password: 'secret', reconnectSeconds: 1 } },
    },
  };
  const first = await startTestServer(t, dir, overrides);
  const config = ['--config', first.configPath];
  t.match(await cli(['domain', 'add', 'example.test', ...config]), { code: 0 });
  t.match(await cli(['user', 'add', 'me@example.test', '--password-stdin', ...config], { stdin: `${PASSWORD}\n` }), { code: 0 });
  const submission = nodemailer.createTransport({
    host: '127.0.0.1', port: first.port('smtp.submissions'), secure: true, tls: { rejectUnauthorized: false },
    auth: { user: 'me@example.test', pass: PASSWORD },
  });
  const info = await submission.sendMail({ from: 'me@example.test', to: '+4917612345678@sms.example.test', subject: 'Late', text: 'Running 10 minutes late.' });
  submission.close();
  const id = /\b([0-9A-Za-z]{18})\b/.exec(info.response)?.[1] ?? '';
  await eventually(async () => {
    const story = await cli(['audit', id, ...config]);
    return /delivered +<\+4917612345678@sms\.example\.test> by sms gateway/.test(story.stdout) ? true : undefined;
  }, 'the queue to hand the SMS over');
  t.equal(smsc.submits.length, 1, 'the SMSC got the SMS');
  await first.app.close();

  const second = await startTestServer(t, dir, overrides);
  await eventually(async () => (smsc.binds.length === 2 ? true : undefined), 'the restarted server to bind');
  const session = await smsc.session();
  const send = (options: Record<string, unknown>) => new Promise<PDU>((resolve) => session.deliver_sm(options, resolve));
  const answer = await send({
    source_addr: '4917612345678', source_addr_ton: 1, destination_addr: '4915199999999', dest_addr_ton: 1, esm_class: 0x04,
    short_message: 'id:smsc-1 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:',
  });
  t.equal(answer.command_status, 0, 'the receipt is taken');
  const story = await eventually(async () => {
    const result = await cli(['audit', id, '--config', second.configPath]);
    return /gateway ack.*delivered/.test(result.stdout) ? result.stdout : undefined;
  }, 'the receipt in bridgehead audit');
  t.match(story, /sms: <\+4917612345678> delivered; DELIVRD; ref smsc-1/, 'recorded for the mail it belongs to');

  const reply = await send({ source_addr: '4917612345678', source_addr_ton: 1, destination_addr: '4915199999999', dest_addr_ton: 1, short_message: 'No problem' });
  t.equal(reply.command_status, 0);
  const [message] = await eventually(async () => {
    const list = await inboxMessages(second.app.store, 'me@example.test');
    return list.length > 0 ? list : undefined;
  }, 'the reply in the INBOX of the user who wrote last');
  t.equal(message.text?.trim(), 'No problem');
  t.equal(smsc.submits.length, 1, 'nothing was sent again after the restart');
});
