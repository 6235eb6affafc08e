/**
 * The SMS gateway's HTTP transport against a Kannel-like gateway over real HTTP: the sendsms
 * URL template, the delivery report callback (dlr-url with %d) → ack, an incoming SMS callback →
 * INBOX, and callbacks without the token refused.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { eventually, inboxMessages, loadBuiltin, sendThrough, startHarness, users } from './harness.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

t.test('sendsms, delivery reports and incoming SMS over HTTP', async (t) => {
  const requests: URL[] = [];
  let status = 202;
  const kannel = createServer((request, response) => {
    requests.push(new URL(request.url ?? '/', 'http://kannel.invalid'));
    response.writeHead(status).end(status === 202 ? '0: Accepted for delivery' : 'Not routable');
  });
  await new Promise<void>((resolve) => kannel.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => kannel.close(() => resolve())));
  const kannelPort = (kannel.address() as AddressInfo).port;
  const callbackPort = await freePort();
  const token = 'kannel-callback-token-123';
  const plugin = await loadBuiltin('sms', {
    domains: ['sms.example.org'],
    transport: 'http',
    sourceAddress: '+4915199999999',
    http: {
      url: `http://127.0.0.1:${kannelPort}/cgi-bin/sendsms?username=bh&password=pw&from={from}&to={to}&text={text}&coding={coding}&charset={charset}&dlr-mask=3&dlr-url={dlrUrl}`,
      token,
      listenPort: callbackPort,
      callbackBase: `http://127.0.0.1:${callbackPort}`,
    },
  });
  const harness = await startHarness(t, plugin);

  const raw = Buffer.from('From: alice@example.org\r\nSubject: Ping\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nÜber & unter = ok?\r\n');
  await sendThrough(harness, 'sms', { id: 'HTTP1', from: users.alice.address, user: users.alice.address, numbers: ['+4917612345678'], raw });
  t.equal(requests.length, 1);
  const sent = requests[0];
  t.equal(sent.searchParams.get('to'), '+4917612345678');
  t.equal(sent.searchParams.get('from'), '+4915199999999');
  t.equal(sent.searchParams.get('text'), 'alice@example.org: Ping\nÜber & unter = ok?', 'encoded so "&" and "=" stay text');
  t.equal(sent.searchParams.get('coding'), '0');
  t.equal(sent.searchParams.get('username'), 'bh', 'the template\'s own parameters are kept');
  const dlr = sent.searchParams.get('dlr-url') ?? '';
  t.match(dlr, /status=%d/, 'Kannel fills in %d');

  const callback = (url: string, init?: RequestInit) => fetch(url, init).then((response) => response.status);
  t.equal(await callback(dlr.replace('%d', '1').replace('%A', 'ACK')), 200);
  await harness.waitForAcks(2);
  t.match(harness.acks[1], { messageId: 'HTTP1', gateway: 'sms', recipient: '+4917612345678', status: 'delivered', detail: 'ACK' });
  t.equal(await callback(dlr.replace('token=', 'token=x').replace('%d', '2')), 401, 'a report without the right token is refused');
  t.equal(harness.acks.length, 2, 'and changes nothing');

  const incoming = `http://127.0.0.1:${callbackPort}/sms/incoming`;
  const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  t.equal(await callback(incoming, form({ token: 'wrong-token-000000000', from: '+4917612345678', to: users.alice.phone, text: 'x' })), 401);
  t.equal(await callback(incoming, form({ token, from: '+4917612345678', to: users.alice.phone, text: 'Pong 👍' })), 200);
  const [message] = await eventually(async () => {
    const list = await inboxMessages(harness.store, users.alice.address);
    return list.length === 1 ? list : undefined;
  }, 'the SMS in alice\'s INBOX');
  t.equal(message.text?.trim(), 'Pong 👍');
  t.equal(message.from?.value[0].address, '+4917612345678@sms.example.org');

  status = 403;
  const refused = await sendThrough(harness, 'sms', { id: 'HTTP2', from: users.alice.address, user: users.alice.address, numbers: ['+4917612345678'], raw }).catch((error: Error & { code?: number }) => error);
  t.match(refused, { code: 554 }, 'a gateway refusing the message (4xx) is a permanent failure');
});
