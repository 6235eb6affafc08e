/**
 * AUTHENTICATE SCRAM-SHA-256 (RFC 7677) with a SCRAM client written here from RFC 5802 §3:
 * SaltedPassword = Hi(password, salt, i), ClientKey = HMAC(SaltedPassword, "Client Key"),
 * ClientProof = ClientKey XOR HMAC(H(ClientKey), AuthMessage), and the server's signature
 * HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage) checked by the client.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import t from 'tap';
import { hashPassword } from '../../src/pipeline/passwords.js';
import { deriveScramCredentials } from '../../src/pipeline/scram.js';
import { UserManager } from '../../src/pipeline/users.js';
import { OTHER_USER, PASSWORD, POST_LOGIN_CAPABILITIES, USER, startServer, type TranscriptClient } from './harness.js';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** The client side of one exchange; returns the tagged reply and whether the server proved itself. */
async function scramLogin(c: TranscriptClient, tag: string, user: string, password: string, options: { initialResponse: boolean }) {
  const clientNonce = randomBytes(12).toString('base64');
  const bare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${clientNonce}`;
  const clientFirst = `n,,${bare}`;
  let challenge: string;
  if (options.initialResponse) {
    c.sendLine(`${tag} AUTHENTICATE SCRAM-SHA-256 ${b64(clientFirst)}`);
    challenge = await c.readLine();
  } else {
    c.sendLine(`${tag} AUTHENTICATE SCRAM-SHA-256`);
    if ((await c.readLine()) !== '+ ') throw new Error('expected an empty challenge');
    c.sendLine(b64(clientFirst));
    challenge = await c.readLine();
  }
  if (!challenge.startsWith('+ ')) return { reply: [challenge], serverProved: false };
  const serverFirst = unb64(challenge.slice(2));
  const fields = Object.fromEntries(serverFirst.split(',').map((field) => [field[0], field.slice(2)]));
  if (!fields.r.startsWith(clientNonce)) throw new Error('server nonce does not extend ours');
  const salted = pbkdf2Sync(password, Buffer.from(fields.s, 'base64'), Number(fields.i), 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=${b64('n,,')},r=${fields.r}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
  c.sendLine(b64(`${withoutProof},p=${proof.toString('base64')}`));
  const next = await c.readLine();
  if (!next.startsWith('+ ')) return { reply: [next], serverProved: false };
  const expected = `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
  const serverProved = unb64(next.slice(2)) === expected;
  c.sendLine('');
  return { reply: await c.until(tag), serverProved };
}

t.test('SCRAM-SHA-256 login, with and without SASL-IR', async (t) => {
  const h = await startServer(t);
  await h.store.setPasswordHash(USER, await hashPassword(PASSWORD, 10), {
    scram: await deriveScramCredentials(PASSWORD, { iterations: 4096 }),
  });
  const c = await h.client();
  t.match(c.greeting, / AUTH=SCRAM-SHA-256[ \]]/, 'advertised');
  const login = await scramLogin(c, 'a', USER, PASSWORD, { initialResponse: false });
  t.same(login.reply, [`a OK [CAPABILITY ${POST_LOGIN_CAPABILITIES}] Logged in`]);
  t.ok(login.serverProved, 'the server knew the ServerKey');
  t.match((await c.command('b SELECT INBOX')).at(-1), /^b OK \[READ-WRITE\]/, 'an authenticated session');

  const d = await h.client();
  const withInitial = await scramLogin(d, 'c', USER.toUpperCase(), PASSWORD, { initialResponse: true });
  t.same(withInitial.reply, [`c OK [CAPABILITY ${POST_LOGIN_CAPABILITIES}] Logged in`], 'SASL-IR; the address in any case');
});

t.test('wrong password, unknown user and accounts without SCRAM data fail alike', async (t) => {
  const h = await startServer(t);
  await h.store.setPasswordHash(USER, await hashPassword(PASSWORD, 10), {
    scram: await deriveScramCredentials(PASSWORD, { iterations: 4096 }),
  });
  const c = await h.client();
  t.same((await scramLogin(c, 'a', USER, 'wrong password', { initialResponse: true })).reply, ['a NO [AUTHENTICATIONFAILED] Authentication failed']);
  t.same((await scramLogin(c, 'b', 'nobody@example.org', PASSWORD, { initialResponse: true })).reply, [
    'b NO [AUTHENTICATIONFAILED] Authentication failed',
  ]);
  // OTHER_USER was created with only a scrypt hash: SCRAM cannot work until the password is set again.
  t.same((await scramLogin(c, 'c', OTHER_USER, PASSWORD, { initialResponse: true })).reply, [
    'c NO [AUTHENTICATIONFAILED] Authentication failed',
  ]);
  await new UserManager(h.store, { passwordHashLogN: 10 }).setPassword(OTHER_USER, PASSWORD);
  t.match((await scramLogin(c, 'd', OTHER_USER, PASSWORD, { initialResponse: true })).reply, [/^d OK \[CAPABILITY /], 'after passwd');
});

t.test('a password change without SCRAM data removes the old verifier', async (t) => {
  const h = await startServer(t);
  await h.store.setPasswordHash(USER, 'x', { scram: await deriveScramCredentials(PASSWORD, { iterations: 4096 }) });
  t.ok((await h.store.getAccount(USER))!.scram);
  await h.store.setPasswordHash(USER, await hashPassword(PASSWORD, 10));
  t.equal((await h.store.getAccount(USER))!.scram, undefined);
  const c = await h.client();
  t.same((await scramLogin(c, 'a', USER, PASSWORD, { initialResponse: true })).reply, ['a NO [AUTHENTICATIONFAILED] Authentication failed']);
});

t.test('malformed SCRAM messages are BAD', async (t) => {
  const h = await startServer(t);
  const c = await h.client();
  t.same(await c.command(`a AUTHENTICATE SCRAM-SHA-256 ${b64('p=tls-unique,,n=user,r=abc')}`), ['a BAD Channel binding is not supported']);
  t.same(await c.command(`b AUTHENTICATE SCRAM-SHA-256 ${b64('hello')}`), ['b BAD Invalid client-first-message']);
  c.sendLine(`c AUTHENTICATE SCRAM-SHA-256 ${b64(`n,,n=${USER},r=abc`)}`);
  t.match(await c.readLine(), /^\+ /);
  c.sendLine('*');
  t.same(await c.until('c'), ['c BAD Authentication cancelled']);
});
