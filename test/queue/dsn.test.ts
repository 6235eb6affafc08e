import { simpleParser, type ParsedMail } from 'mailparser';
import t from 'tap';
import { encodeXtext } from '../../src/queue/xtext.js';
import { route, sampleRaw, startPeer, startQueue } from './helpers.js';

const MINUTE = 60_000;

/**
 * The parts of a multipart/report. mailparser renders message/delivery-status as text (after
 * the human-readable part) and lists the returned original as an attachment.
 */
function reportParts(mail: ParsedMail) {
  const text = mail.text ?? '';
  const status = text.slice(text.indexOf('Reporting-MTA:'));
  const original = mail.attachments.find((part) => part.contentType === 'text/rfc822-headers' || part.contentType === 'message/rfc822');
  return { status, original, originalText: original?.content.toString('utf8') ?? '' };
}

t.test('failure DSN: RFC 3464 report with the reason, the remote reply and the original headers', async (t) => {
  const peer = await startPeer(t, { rcpt: () => '550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown' });
  const h = await startQueue(t, { routes: { 'remote.test': route(peer.port) } });
  const id = await h.enqueue({ to: ['bob@remote.test'], envid: encodeXtext('env id+1'), dsn: [{ orcpt: `rfc822;${encodeXtext('Bob+list@remote.test')}` }] });
  await h.waitFor((event) => event.type === 'removed', 'removal');
  t.equal(h.dsns.length, 1);
  const raw = h.dsns[0].raw;
  const mail = await simpleParser(raw);
  t.equal(mail.subject, 'Undelivered Mail Returned to Sender');
  t.equal(mail.from?.value[0].address, 'MAILER-DAEMON@relay.example.test');
  t.equal(mail.to && !Array.isArray(mail.to) ? mail.to.value[0].address : null, 'alice@example.test');
  t.equal(mail.headers.get('auto-submitted'), 'auto-replied', 'RFC 3834');
  t.match(String((mail.headers.get('content-type') as { value: string; params: Record<string, string> }).params['report-type']), 'delivery-status');
  t.match(mail.text, /could not be delivered/);
  t.match(mail.text, /<bob@remote\.test>: failed .*550 5\.1\.1 .*User unknown/);
  const { status, original, originalText } = reportParts(mail);
  t.match(raw.toString(), /\r\nContent-Type: message\/delivery-status\r\n/, 'RFC 3464 §2 part');
  t.match(status, `Reporting-MTA: dns; relay.example.test`);
  t.match(status, 'Original-Envelope-Id: env id+1', 'ENVID shown decoded');
  t.match(status, /Arrival-Date: \w{3}, \d{2} \w{3} \d{4}/);
  t.match(status, 'Original-Recipient: rfc822; Bob+list@remote.test', 'ORCPT shown decoded');
  t.match(status, 'Final-Recipient: rfc822; bob@remote.test');
  t.match(status, 'Action: failed');
  t.match(status, 'Status: 5.1.1');
  t.match(status, 'Remote-MTA: dns; 127.0.0.1');
  t.match(status, 'Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown');
  t.equal(original?.contentType, 'text/rfc822-headers', 'headers only without RET=FULL');
  t.match(originalText, 'Subject: Queued hello');
  t.notMatch(originalText, 'Hello Bob', 'no body');
  t.match(raw.toString(), id, 'names the message id');
});

t.test('RET=FULL returns the whole message as message/rfc822', async (t) => {
  const peer = await startPeer(t, { rcpt: () => '554 5.7.1 Rejected by policy' });
  const h = await startQueue(t, { routes: { 'remote.test': route(peer.port) } });
  await h.enqueue({ to: ['bob@remote.test'], ret: 'FULL' });
  await h.waitFor((event) => event.type === 'removed', 'removal');
  const mail = await simpleParser(h.dsns[0].raw);
  const { original } = reportParts(mail);
  t.equal(original?.contentType, 'message/rfc822');
  t.same(original?.content, sampleRaw(), 'the original bytes, unchanged');
});

t.test('NOTIFY decides which notices go out', async (t) => {
  const peer = await startPeer(t, { rcpt: () => '550 5.1.1 unknown' });
  const h = await startQueue(t, { routes: { 'remote.test': route(peer.port) } });
  await h.enqueue({ to: ['never@remote.test', 'success-only@remote.test'], dsn: [{ notify: 'NEVER' }, { notify: ['SUCCESS'] }] });
  await h.waitFor((event) => event.type === 'removed', 'removal');
  t.equal(h.events.filter((event) => event.type === 'failed').length, 2);
  t.equal(h.dsns.length, 0, 'NEVER and SUCCESS-only recipients get no failure notice');
});

t.test('NOTIFY=SUCCESS: a "relayed" notice when the next hop has no DSN, none when it passes NOTIFY on', async (t) => {
  const plain = await startPeer(t);
  const withDsn = await startPeer(t, { ehlo: ['DSN'] });
  const h = await startQueue(t, { routes: { 'plain.test': route(plain.port), 'dsn.test': route(withDsn.port) } });
  await h.enqueue({ to: ['a@plain.test'], dsn: [{ notify: ['SUCCESS', 'FAILURE'] }] });
  await h.waitFor((event) => event.type === 'removed', 'first removal');
  t.equal(h.dsns.length, 1);
  const { status } = reportParts(await simpleParser(h.dsns[0].raw));
  t.match(status, 'Action: relayed');
  t.match(status, 'Status: 2.0.0');

  await h.enqueue({ to: ['b@dsn.test'], dsn: [{ notify: ['SUCCESS'], orcpt: 'rfc822;b@dsn.test' }], envid: 'ENV42', ret: 'HDRS' });
  await h.until(() => h.events.filter((event) => event.type === 'removed').length === 2, 'second removal');
  t.equal(h.dsns.length, 1, 'the next hop reports success itself');
  const tx = withDsn.accepted()[0];
  t.match(tx.mailParams, /RET=HDRS/);
  t.match(tx.mailParams, /ENVID=ENV42/);
  t.match(tx.rcpts[0].params, /NOTIFY=SUCCESS/);
  t.match(tx.rcpts[0].params, /ORCPT=rfc822;b@dsn\.test/);
  t.notMatch(plain.accepted()[0].rcpts[0].params, /NOTIFY/, 'no DSN parameters to a server that did not offer DSN');
});

t.test('a delay notice after delayNoticeSeconds, once, then the message goes on', async (t) => {
  let open = false;
  const peer = await startPeer(t, { rcpt: () => (open ? '250 OK' : '421 4.4.2 busy') });
  const h = await startQueue(t, { routes: { 'remote.test': route(peer.port) }, config: { delayNoticeSeconds: 600 } });
  const start = h.clock.now();
  await h.enqueue({ to: ['bob@remote.test'] });
  await h.waitFor((event) => event.type === 'deferred', 'deferral');
  await h.advance(5 * MINUTE);
  t.equal(h.dsns.length, 0, 'not yet at 5 minutes');
  await h.advance(10 * MINUTE);
  t.equal(h.dsns.length, 1, 'sent after the attempt past 10 minutes');
  const mail = await simpleParser(h.dsns[0].raw);
  t.equal(mail.subject, 'Delayed Mail (still being retried)');
  const { status } = reportParts(mail);
  t.match(status, 'Action: delayed');
  t.match(status, 'Status: 4.4.2');
  t.match(status, `Will-Retry-Until: ${new Date(start + 432_000_000).toUTCString().replace(/GMT$/, '+0000')}`);
  t.match(h.events.find((event) => event.type === 'dsn-sent'), { kind: 'delay' });
  await h.advance(20 * MINUTE);
  t.equal(h.dsns.length, 1, 'only one delay notice');
  open = true;
  await h.advance(40 * MINUTE);
  await h.waitFor((event) => event.type === 'removed', 'removal');
  t.equal(h.dsns.length, 1, 'no failure notice: it was delivered');
});

t.test('a DSN that cannot be submitted keeps the entry until it can', async (t) => {
  const peer = await startPeer(t, { rcpt: () => '550 5.1.1 unknown' });
  const h = await startQueue(t, { routes: { 'remote.test': route(peer.port) } });
  // A submitter that fails once.
  const submitted: number[] = [];
  let fail = true;
  h.queue.setDsnSubmitter(async () => {
    submitted.push(h.clock.now());
    if (fail) {
      fail = false;
      throw new Error('store busy');
    }
    return 'DSNID';
  });
  const id = await h.enqueue({ to: ['bob@remote.test'], raw: sampleRaw('first') });
  await h.until(async () => (await h.store.queue.get(id))?.attempts === 1 && !h.queue.isInFlight(id), 'first round stored');
  t.ok(await h.store.queue.get(id), 'still queued: the bounce is owed');
  await h.advance(5 * MINUTE);
  await h.waitFor((event) => event.type === 'removed', 'removal');
  t.equal(submitted.length, 2);
  t.equal(peer.transactions.length, 1, 'the recipient was not tried again');
});
