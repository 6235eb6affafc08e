import { SMTPServer } from 'smtp-server';
import type { Test } from 'tap';
import t from 'tap';
import { makeCert } from '../smtp/helpers.js';
import { route, startPeer, startQueue } from './helpers.js';

interface Received {
  secure: boolean;
  user: string | null;
  to: string[];
}

/** A real smtp-server peer: STARTTLS (or implicit TLS), optional AUTH. */
async function tlsPeer(t: Test, options: { implicit?: boolean; auth?: { user: string; pass: string } }) {
  const cert = await makeCert();
  const received: Received[] = [];
  const server = new SMTPServer({
    secure: options.implicit ?? false,
    key: cert.key,
    cert: cert.cert,
    logger: false,
    authOptional: !options.auth,
    disabledCommands: options.auth ? [] : ['AUTH'],
    allowInsecureAuth: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) callback(null, { user: auth.username });
      else callback(new Error('Invalid credentials'));
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push({ secure: session.secure, user: typeof session.user === 'string' ? session.user : null, to: session.envelope.rcptTo.map((rcpt) => rcpt.address) });
        callback(null, 'Queued');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, received };
}

t.test('required STARTTLS with AUTH per route: encrypted, authenticated, delivered', async (t) => {
  const peer = await tlsPeer(t, { auth: { user: 'relay-user', pass: 'relay secret' } });
  const h = await startQueue(t, { routes: { 'inner.test': route(peer.port, { tls: 'required-starttls', user: 'relay-user', password: 'relay secret' }) } });
  await h.enqueue({ to: ['bob@inner.test'] });
  await h.waitFor((event) => event.type === 'removed', 'removal');
  t.same(peer.received, [{ secure: true, user: 'relay-user', to: ['bob@inner.test'] }]);
  t.match(h.events.find((event) => event.type === 'attempt'), { tls: true, reply: { code: 250 } });
});

t.test('implicit TLS route', async (t) => {
  const peer = await tlsPeer(t, { implicit: true });
  const h = await startQueue(t, { routes: { 'inner.test': route(peer.port, { tls: 'implicit' }) } });
  await h.enqueue({ to: ['bob@inner.test'] });
  await h.waitFor((event) => event.type === 'removed', 'removal');
  t.same(peer.received.map((message) => message.secure), [true]);
});

t.test('opportunistic STARTTLS: used when offered, plaintext when not', async (t) => {
  const tlsCapable = await tlsPeer(t, {});
  const plainOnly = await startPeer(t);
  const h = await startQueue(t, { routes: { 'tls.test': route(tlsCapable.port, { tls: 'starttls' }), 'plain.test': route(plainOnly.port, { tls: 'starttls' }) } });
  await h.enqueue({ to: ['a@tls.test', 'b@plain.test'] });
  await h.waitFor((event) => event.type === 'removed', 'removal');
  t.same(tlsCapable.received.map((message) => message.secure), [true]);
  t.equal(plainOnly.accepted().length, 1, 'delivered in plaintext where STARTTLS is not offered');
});

t.test('required STARTTLS towards a server without it: deferred, never sent in plaintext', async (t) => {
  const plainOnly = await startPeer(t);
  const h = await startQueue(t, { routes: { 'inner.test': route(plainOnly.port, { tls: 'required-starttls' }) } });
  await h.enqueue({ to: ['bob@inner.test'] });
  const deferred = await h.waitFor((event) => event.type === 'deferred', 'deferral');
  t.match(deferred, { recipient: 'bob@inner.test' });
  t.equal(plainOnly.transactions.length, 0, 'no MAIL FROM was sent');
});

t.test('wrong AUTH credentials: deferred (an admin can fix them), nothing sent', async (t) => {
  const peer = await tlsPeer(t, { auth: { user: 'relay-user', pass: 'right' } });
  const h = await startQueue(t, { routes: { 'inner.test': route(peer.port, { tls: 'required-starttls', user: 'relay-user', password: 'wrong' }) } });
  await h.enqueue({ to: ['bob@inner.test'] });
  const deferred = await h.waitFor((event) => event.type === 'deferred', 'deferral');
  t.match(deferred, { reply: { code: 535 } });
  t.equal(peer.received.length, 0);
});
