/**
 * SCRAM-SHA-256 server checks against the example exchange of RFC 7677 §3 (user "user",
 * password "pencil"), plus the refusals RFC 5802 asks for.
 */
import t from 'tap';
import {
  checkClientFinal,
  deriveScramCredentials,
  fakeScramCredentials,
  parseClientFirst,
  saslPrep,
  serverFirstMessage,
} from '../../src/pipeline/scram.js';

const CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

t.test('RFC 7677 §3 example exchange', async (t) => {
  const credentials = await deriveScramCredentials('pencil', { iterations: 4096, salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64') });
  const first = parseClientFirst(CLIENT_FIRST);
  t.same(first, { gs2Header: 'n,,', username: 'user', clientNonce: 'rOprNGfwEbeRWgbNEkqO', bare: 'n=user,r=rOprNGfwEbeRWgbNEkqO' });
  const serverFirst = serverFirstMessage(first, SERVER_NONCE, credentials);
  t.equal(serverFirst, SERVER_FIRST);
  const exchange = { first, serverFirst, nonce: `${first.clientNonce}${SERVER_NONCE}`, credentials };
  t.same(checkClientFinal(CLIENT_FINAL, exchange), { ok: true, serverFinal: SERVER_FINAL });

  const wrong = await deriveScramCredentials('pencils', { iterations: 4096, salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64') });
  t.same(checkClientFinal(CLIENT_FINAL, { ...exchange, credentials: wrong }), { ok: false, reason: 'invalid-proof' });
  t.same(checkClientFinal(CLIENT_FINAL.replace('p=dH', 'p=dI'), exchange), { ok: false, reason: 'invalid-proof' });
  t.throws(() => checkClientFinal(CLIENT_FINAL.replace('r=rOpr', 'r=xOpr'), exchange), /Nonce does not match/);
  t.throws(() => checkClientFinal(CLIENT_FINAL.replace('c=biws', 'c=eSws'), exchange), /Channel binding data/);
  t.throws(() => checkClientFinal('c=biws,r=x', exchange), /Invalid client-final-message/);
});

t.test('client-first-message checks (RFC 5802 §5.1, §6)', async (t) => {
  t.same(parseClientFirst('y,,n=us=2Cer=3D,r=abc').username, 'us,er=');
  t.equal(parseClientFirst('n,a=user,n=user,r=abc').gs2Header, 'n,a=user,');
  t.throws(() => parseClientFirst('p=tls-unique,,n=user,r=abc'), /Channel binding is not supported/);
  t.throws(() => parseClientFirst('n,,m=ext,n=user,r=abc'), /Mandatory extensions/);
  t.throws(() => parseClientFirst('n,a=admin,n=user,r=abc'), /another user/);
  t.throws(() => parseClientFirst('n,,n=us=ZZer,r=abc'), /username encoding/);
  t.throws(() => parseClientFirst('n,,n=user,r=a,b'), /Invalid/);
  t.throws(() => parseClientFirst('bogus'), /Invalid client-first-message/);
});

t.test('SASLprep and stand-in credentials', async (t) => {
  t.equal(saslPrep('I\u00ADX'), 'IX', 'soft hyphen is mapped to nothing (RFC 4013 §3 example)');
  t.equal(saslPrep('\u00AA'), 'a', 'NFKC');
  t.equal(saslPrep('a\u00A0b'), 'a b', 'non-ASCII space');
  t.throws(() => saslPrep('a\u0007b'), /prohibited/);
  t.same(fakeScramCredentials('Nobody'), fakeScramCredentials('nobody'), 'stable per name');
  t.not(fakeScramCredentials('a').salt, fakeScramCredentials('b').salt);
});
