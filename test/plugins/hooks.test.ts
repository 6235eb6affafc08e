/**
 * The hook catalogue on a whole server: hook order across two plugins, first non-continue
 * verdict wins, each verdict's SMTP reply on a real session, and isolation of a plugin that
 * throws, hangs or answers nonsense (the message is tempfailed, nothing is stored half, and the
 * next message on the same server goes through).
 */
import t, { type Test } from 'tap';
import { RawClient } from '../smtp/helpers.js';
import { recordedCalls, resetCalls } from './fixtures/scripted.js';
import { dataFor, folderOf, startPluginServer, submitter } from './support.js';

const USER = 'user@example.test';

/** Runs EHLO, MAIL, RCPT on the MX port; returns the client after the RCPT reply. */
async function mxSession(t: Test, port: number) {
  const client = await RawClient.connect(t, port);
  t.match((await client.reply())[0], /^220 /);
  t.match((await client.command('EHLO client.example')).at(-1), /^250 /);
  return client;
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('hooks run in transaction order, plugins in config order, data hooks edit headers', async (t) => {
  const server = await startPluginServer(t, { enabled: ['scripted-a', 'scripted-b'] }, { users: [USER, 'friend@example.test'] });
  resetCalls();
  const info = await submitter(server, USER).sendMail({
    from: USER,
    to: 'friend@example.test',
    subject: 'order',
    text: 'hello',
  });
  t.match(info.response, /^250 /);
  await waitFor(() => recordedCalls().includes('scripted-b:stored'), 'stored hooks');
  t.same(recordedCalls(), [
    'scripted-a:connect', 'scripted-b:connect',
    'scripted-a:helo', 'scripted-b:helo',
    'scripted-a:auth', 'scripted-b:auth',
    'scripted-a:mailFrom', 'scripted-b:mailFrom',
    'scripted-a:rcptTo', 'scripted-b:rcptTo',
    'scripted-a:data', 'scripted-b:data',
    'scripted-a:route', 'scripted-b:route',
    'scripted-a:stored', 'scripted-b:stored',
  ]);
  const [stored] = await folderOf(server.app.store, 'friend@example.test');
  t.match(stored, /^Return-Path: <user@example\.test>\r\nReceived: /, 'trace fields first');
  t.match(stored, /\r\nX-Seen-By: scripted-b\r\nX-Seen-By: scripted-a\r\n/, 'each data hook added its header, later ones on top');
  t.match(stored, /\r\nSubject: order\r\n/, 'the rest of the header is as sent');
});

t.test('the first verdict other than continue wins; later plugins are not asked', async (t) => {
  const server = await startPluginServer(t, { enabled: ['scripted-a', 'scripted-b'] }, { users: [USER] });
  const client = await mxSession(t, server.port('smtp.mx'));
  t.same(await client.command('MAIL FROM:<sender@remote.example>'), ['250 2.1.0 Accepted']);

  resetCalls();
  t.same(await client.command('RCPT TO:<scripted-a-reject@example.test>'), ['550 5.7.1 scripted-a rejects this']);
  t.same(recordedCalls(), ['scripted-a:rcptTo'], 'b was not asked after a rejected');

  resetCalls();
  t.same(await client.command('RCPT TO:<scripted-b-reject@example.test>'), ['550 5.7.1 scripted-b rejects this']);
  t.same(recordedCalls(), ['scripted-a:rcptTo', 'scripted-b:rcptTo'], 'a continued, so b decided');

  resetCalls();
  t.same(await client.command('RCPT TO:<scripted-a-accept+scripted-b-reject@example.test>'), ['250 2.1.5 Accepted']);
  t.same(recordedCalls(), ['scripted-a:rcptTo'], 'an accept also ends the asking');

  resetCalls();
  t.same(await client.command('RCPT TO:<nobody@example.test>'), ['550 5.1.1 Mailbox unavailable: no such user here'], 'after continue from all, the built-in check');
  t.same(recordedCalls(), ['scripted-a:rcptTo', 'scripted-b:rcptTo']);
});

t.test('each verdict becomes its SMTP reply', async (t) => {
  const server = await startPluginServer(t, { enabled: ['scripted-a'] }, { users: [USER] });
  const port = server.port('smtp.mx');

  await t.test('reject at HELO: the plugin\'s code; the client must greet again', async (t) => {
    const client = await RawClient.connect(t, port);
    await client.reply();
    t.same(await client.command('EHLO scripted-a-reject.example'), ['550 5.7.1 scripted-a rejects this']);
    t.match((await client.command('MAIL FROM:<a@remote.example>'))[0], /^503 /, 'no MAIL before an accepted greeting');
    t.match((await client.command('EHLO fine.example')).at(-1), /^250 /);
  });

  await t.test('tempfail at MAIL FROM: 451 4.3.0 with the plugin\'s text', async (t) => {
    const client = await mxSession(t, port);
    t.same(await client.command('MAIL FROM:<scripted-a-tempfail@remote.example>'), ['451 4.3.0 scripted-a says try later']);
    t.same(await client.command('MAIL FROM:<fine@remote.example>'), ['250 2.1.0 Accepted'], 'the session goes on');
  });

  await t.test('disconnect at RCPT TO: 421 4.7.0, then the connection closes', async (t) => {
    const client = await mxSession(t, port);
    await client.command('MAIL FROM:<fine@remote.example>');
    t.same(await client.command('RCPT TO:<scripted-a-disconnect@example.test>'), ['421 4.7.0 scripted-a hangs up']);
    await client.waitClosed();
    t.ok(client.closed, 'closed by the server');
  });

  await t.test('reject after DATA: nothing stored', async (t) => {
    const client = await mxSession(t, port);
    await client.command('MAIL FROM:<fine@remote.example>');
    await client.command(`RCPT TO:<${USER}>`);
    t.match(await client.command('DATA'), [/^354 /]);
    client.write(dataFor('scripted-a-reject'));
    t.same(await client.reply(), ['550 5.7.1 scripted-a rejects this']);
    t.same(await folderOf(server.app.store, USER), []);
  });

  await t.test('reject at connect: in place of the greeting, and closed', async (t) => {
    const refusing = await startPluginServer(t, { enabled: ['scripted-a'], 'scripted-a': { connect: 'reject' } });
    const client = await RawClient.connect(t, refusing.port('smtp.mx'));
    t.same(await client.reply(), ['550 5.7.1 scripted-a rejects this']);
    await client.waitClosed();
    t.ok(client.closed);
  });

  await t.test('reject at AUTH: the login is refused though the password is right', async (t) => {
    const refusedUser = 'scripted-a-reject@example.test';
    const refusing = await startPluginServer(t, { enabled: ['scripted-a'] }, { users: [refusedUser] });
    await t.rejects(
      submitter(refusing, refusedUser).sendMail({ from: refusedUser, to: USER, subject: 'x', text: 'x' }),
      { code: 'EAUTH', responseCode: 550, response: '550 5.7.1 scripted-a rejects this' },
    );
  });

  await t.test('route to another mailbox of the recipient', async (t) => {
    const client = await mxSession(t, port);
    await client.command('MAIL FROM:<fine@remote.example>');
    t.same(await client.command(`RCPT TO:<${USER.replace('@', '+scripted-a-archive@')}>`), ['250 2.1.5 Accepted']);
    t.match(await client.command('DATA'), [/^354 /]);
    client.write(dataFor('to the archive'));
    t.match(await client.reply(), [/^250 2\.6\.0 Message accepted, id /]);
    t.equal((await folderOf(server.app.store, USER, 'Archive')).length, 1, 'filed in Archive by the route');
  });
});

t.test('a plugin that throws, hangs or answers nonsense tempfails the message; the server stays healthy', async (t) => {
  const server = await startPluginServer(t, { enabled: ['scripted-a', 'scripted-b'], hookTimeoutMs: 200 }, { users: [USER] });
  const client = await mxSession(t, server.port('smtp.mx'));

  const send = async (subject: string) => {
    t.same(await client.command('MAIL FROM:<sender@remote.example>'), ['250 2.1.0 Accepted']);
    t.same(await client.command(`RCPT TO:<${USER}>`), ['250 2.1.5 Accepted']);
    t.match(await client.command('DATA'), [/^354 /]);
    client.write(dataFor(subject));
    return client.reply();
  };
  const tempfail = ['451 4.3.0 Temporary failure in message processing, please try again later'];

  for (const failure of ['throw', 'hang', 'garbage']) {
    resetCalls();
    const started = Date.now();
    t.same(await send(`scripted-a-${failure}`), tempfail, `${failure}: 451, the client keeps the message`);
    t.same(recordedCalls().filter((call) => call.endsWith(':data')), ['scripted-a:data'], `${failure}: later plugins are not called after a failure`);
    if (failure === 'hang') t.ok(Date.now() - started < 2000, 'the hang was cut at the hook timeout');
    t.same(await folderOf(server.app.store, USER), [], `${failure}: nothing stored`);
  }

  const after = await send('after the failures');
  t.match(after, [/^250 2\.6\.0 Message accepted, id /], 'the next message on the same connection goes through');
  t.equal((await folderOf(server.app.store, USER)).length, 1);

  const fresh = await mxSession(t, server.port('smtp.mx'));
  t.same(await fresh.command('MAIL FROM:<sender@remote.example>'), ['250 2.1.0 Accepted'], 'new connections are served');
  t.match(await fresh.command('RSET'), [/^250 /]);
  t.same(await fresh.command('MAIL FROM:<scripted-a-throw@remote.example>'), ['451 4.3.0 Temporary failure in message processing, please try again later'], 'a throwing MAIL hook is a 451 too');
});
