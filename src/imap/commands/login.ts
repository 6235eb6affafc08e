/**
 * LOGIN (RFC 9051 §6.2.3): user name and password as astrings. Refused before TLS by the gate
 * (`needsTls`, LOGINDISABLED). The arguments are never logged.
 */
import { astringArgument, expectArgumentCount } from '../arguments.js';
import { defineCommand, NOT_AUTHENTICATED } from './types.js';

interface LoginArgs {
  username: string;
  password: string;
}

export const login = defineCommand<LoginArgs>({
  name: 'LOGIN',
  states: NOT_AUTHENTICATED,
  needsTls: true,
  parse(args) {
    expectArgumentCount(args, 2);
    return { username: astringArgument(args[0], 'user name'), password: astringArgument(args[1], 'password') };
  },
  async run(session, { username, password }) {
    await session.logIn(username, password);
    return session.loggedInResult();
  },
});
