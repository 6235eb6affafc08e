import net from 'node:net';
import t from 'tap';
import { dataPayload, inboxOf, makeCert, RawClient, sampleMessage, startListener } from './helpers.js';

const cert = await makeCert();

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

t.test('close() stops accepting, lets a message in flight finish, then ends the session', async (t) => {
  const { port, listener, store } = await startListener(t, 'mx', cert);
  const client = await RawClient.connect(t, port);
  await client.reply();
  await client.command('EHLO client.example.net');
  await client.command('MAIL FROM:<sender@remote.net>');
  await client.command('RCPT TO:<alice@example.org>');
  t.same(await client.command('DATA'), ['354 End data with <CR><LF>.<CR><LF>']);
  const payload = dataPayload(sampleMessage('In flight'));
  client.write(payload.slice(0, 40));

  const started = Date.now();
  const closing = listener.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(await refused(port), 'new connections are refused');

  client.write(payload.slice(40));
  t.match((await client.reply())[0], /^250 2\.6\.0 Message accepted, id /, 'the message in flight is accepted');
  t.equal((await inboxOf(store, 'alice@example.org')).length, 1, 'and stored');
  t.same(await client.command('MAIL FROM:<sender@remote.net>'), ['421 4.4.2 Server shutting down'], 'no new transaction');
  await closing;
  t.ok(Date.now() - started < 5000, 'close is bounded');
});

t.test('close() is bounded by closeTimeoutMs when a client stays connected', async (t) => {
  const { port, listener } = await startListener(t, 'submission', cert);
  const client = await RawClient.connect(t, port);
  await client.reply();
  await client.command('EHLO client.example.net');
  const started = Date.now();
  await listener.close();
  const elapsed = Date.now() - started;
  t.ok(elapsed >= 900 && elapsed < 4000, `closed after the 1 s grace period (${elapsed} ms)`);
  t.same(await client.reply(), ['421 4.4.2 Server shutting down']);
  await client.waitClosed();
  t.ok(client.closed, 'the idle client was disconnected');
});
