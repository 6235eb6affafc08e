/**
 * AUTHENTICATE SCRAM-SHA-256 (RFC 7677, RFC 5802) over IMAP (RFC 9051 §6.2.2):
 *
 *   C: A1 AUTHENTICATE SCRAM-SHA-256 [base64(client-first) with SASL-IR]
 *   S: + base64(server-first)
 *   C: base64(client-final)
 *   S: + base64(server-final)        additional data with success, sent as a challenge,
 *   C: (empty line)                  because IMAP has no other place for it (RFC 4422 §5)
 *   S: A1 OK [CAPABILITY ...] Logged in
 *
 * Failures are NO [AUTHENTICATIONFAILED] (throttled and counted by the Authenticator like any
 * wrong password), malformed messages BAD. Unknown users and accounts without SCRAM data get a
 * stand-in salt, so the exchange looks the same until the proof fails.
 */
import { imapBad, imapNo } from '../errors.js';
import {
  checkClientFinal,
  fakeScramCredentials,
  newServerNonce,
  parseClientFirst,
  ScramError,
  serverFirstMessage,
  type ClientFirst,
} from '../pipeline/scram.js';
import type { Session } from './session.js';

/** Sends `+ <base64 text>` and returns the client's decoded answer. */
export type Challenge = (base64: string) => Promise<Buffer>;

function scramMessage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ScramError) throw imapBad(error.message);
    throw error;
  }
}

/** Runs the exchange; on success the session is authenticated. */
export async function authenticateScram(session: Session, initial: Buffer | null, challenge: Challenge): Promise<void> {
  const firstMessage = initial ?? (await challenge(''));
  const first: ClientFirst = scramMessage(() => parseClientFirst(firstMessage.toString('utf8')));
  const context = { remoteAddress: session.transport.remoteAddress, protocol: 'imap' };
  const auth = session.context.auth;
  if (await auth.refusesAttempts(first.username, context)) throw imapNo('Too many failed attempts, try again later', 'UNAVAILABLE');

  const account = await session.store.getAccount(first.username.trim().toLowerCase());
  const credentials = account?.scram ?? fakeScramCredentials(first.username);
  const nonce = `${first.clientNonce}${newServerNonce()}`;
  const serverFirst = serverFirstMessage(first, nonce.slice(first.clientNonce.length), credentials);
  const finalMessage = await challenge(Buffer.from(serverFirst).toString('base64'));
  const outcome = scramMessage(() =>
    checkClientFinal(finalMessage.toString('utf8'), { first, serverFirst, nonce, credentials }),
  );
  if (!outcome.ok || !account?.scram) {
    session.log.info({ evt: 'imap.auth-failed', mechanism: 'SCRAM-SHA-256', reason: account?.scram ? 'bad-credentials' : 'no-scram-data' }, 'authentication failed');
    await auth.countFailure(first.username, context);
    session.context.stats?.count('auth.failures');
    throw imapNo('Authentication failed', 'AUTHENTICATIONFAILED');
  }
  const answer = await challenge(Buffer.from(outcome.serverFinal).toString('base64'));
  if (answer.length > 0) throw imapBad('Expected an empty response after the server signature');
  session.enterAuthenticated(account.address);
}
