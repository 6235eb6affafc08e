/**
 * ENABLE (RFC 5161): switches on extensions that change how the server talks. Only UTF8=ACCEPT
 * (RFC 6855) is enableable here. Unknown or unsupported names are accepted and simply not listed;
 * the untagged `* ENABLED ...` is always sent, since imapflow reads only that (CLIENTS.md §1).
 * Allowed in the authenticated state only (RFC 5161 §3.1, RFC 6855 §3).
 */
import { expectArgumentCount, atomArgument } from '../arguments.js';
import { ENABLEABLE } from '../capabilities.js';
import { atom } from '../protocol/types.js';
import { defineCommand } from './types.js';

export const enable = defineCommand<string[]>({
  name: 'ENABLE',
  states: ['authenticated'],
  parse(args) {
    expectArgumentCount(args, 1, Infinity);
    return args.map((token) => atomArgument(token, 'a capability name').toUpperCase());
  },
  async run(session, names) {
    const enabled = ENABLEABLE.filter((name) => names.includes(name));
    if (enabled.includes('UTF8=ACCEPT')) session.utf8 = true;
    session.send(atom('ENABLED'), ...enabled.map(atom));
    return { text: 'ENABLE completed' };
  },
});
