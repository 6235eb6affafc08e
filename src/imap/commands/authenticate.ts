/**
 * AUTHENTICATE (RFC 9051 §6.2.2) with PLAIN (RFC 4616), LOGIN and SCRAM-SHA-256 (RFC 7677, the
 * exchange in src/imap/sasl-scram.ts), with or without an initial response (SASL-IR, RFC 4959;
 * "=" is an empty one).
 *
 * Exchange: the server sends `+ <base64 challenge>` (PLAIN: an empty one, "+ "), the client
 * answers one base64 line, or "*" to cancel (→ BAD). Thunderbird sends `AUTHENTICATE PLAIN`
 * without an initial response and waits for "+ " (CLIENTS.md §5). Credentials are never logged.
 */
import { imapBad, imapNo } from '../../errors.js';
import { atomArgument, expectArgumentCount, isAtom } from '../arguments.js';
import { authenticateScram } from '../sasl-scram.js';
import type { Session } from '../session.js';
import { defineCommand, NOT_AUTHENTICATED } from './types.js';

interface AuthenticateArgs {
  mechanism: string;
  /** Decoded initial response (SASL-IR), or null when the client sent none. */
  initial: Buffer | null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const USERNAME_CHALLENGE = Buffer.from('Username:').toString('base64');
const PASSWORD_CHALLENGE = Buffer.from('Password:').toString('base64');

function decodeResponse(text: string): Buffer {
  if (text === '=') return Buffer.alloc(0);
  if (!BASE64.test(text)) throw imapBad('Invalid base64 in authentication response');
  return Buffer.from(text, 'base64');
}

/** Sends a challenge and reads the client's answer line. */
async function challenge(session: Session, text: string): Promise<Buffer> {
  session.sendContinuation(text);
  const line = await session.readLine();
  if (line === null) throw imapBad('Connection closed during authentication');
  const answer = line.toString('latin1').trim();
  if (answer === '*') throw imapBad('Authentication cancelled');
  return answer === '' ? Buffer.alloc(0) : decodeResponse(answer);
}

export const authenticate = defineCommand<AuthenticateArgs>({
  name: 'AUTHENTICATE',
  states: NOT_AUTHENTICATED,
  needsTls: true,
  parse(args) {
    expectArgumentCount(args, 1, 2);
    const mechanism = atomArgument(args[0], 'an authentication mechanism').toUpperCase();
    if (args.length === 1) return { mechanism, initial: null };
    if (!isAtom(args[1])) throw imapBad('Invalid initial response');
    return { mechanism, initial: decodeResponse(args[1].value) };
  },
  async run(session, { mechanism, initial }) {
    if (mechanism === 'PLAIN') {
      const response = initial ?? (await challenge(session, ''));
      const parts = response.toString('utf8').split('\0');
      if (parts.length !== 3) throw imapBad('Malformed PLAIN response');
      const [authorizationId, username, password] = parts;
      if (authorizationId !== '' && authorizationId.toLowerCase() !== username.toLowerCase()) {
        throw imapNo('Acting as another user is not allowed', 'AUTHORIZATIONFAILED');
      }
      await session.logIn(username, password);
    } else if (mechanism === 'LOGIN') {
      const username = initial ?? (await challenge(session, USERNAME_CHALLENGE));
      const password = await challenge(session, PASSWORD_CHALLENGE);
      await session.logIn(username.toString('utf8'), password.toString('utf8'));
    } else if (mechanism === 'SCRAM-SHA-256') {
      await authenticateScram(session, initial, (text) => challenge(session, text));
    } else {
      throw imapNo('Unsupported authentication mechanism', 'CANNOT');
    }
    return session.loggedInResult();
  },
});
