/**
 * ENABLE (RFC 5161): switches on extensions that change how the server talks: UTF8=ACCEPT
 * (RFC 6855), CONDSTORE and QRESYNC (RFC 7162 §3.1, §3.2.3; QRESYNC implies CONDSTORE) and
 * IMAP4rev2 (RFC 9051 §6.3.1), each only while advertised. Unknown or unsupported names are
 * accepted and simply not listed; the untagged `* ENABLED ...` is always sent, since imapflow
 * reads only that (CLIENTS.md §1). Names are listed in their advertised spelling, each once, and
 * only when newly enabled (RFC 5161 §3.1). Allowed in the authenticated state only (RFC 5161
 * §3.1, RFC 6855 §3).
 *
 * IMAP4rev2 also switches mailbox names to UTF-8 (RFC 9051 §5.1), as UTF8=ACCEPT does.
 */
import { expectArgumentCount, atomArgument } from '../arguments.js';
import { ENABLEABLE } from '../capabilities.js';
import { atom } from '../protocol/types.js';
import type { Session } from '../session.js';
import { defineCommand } from './types.js';

/** Whether the extension is on in this session. */
function isEnabled(session: Session, name: (typeof ENABLEABLE)[number]): boolean {
  switch (name) {
    case 'UTF8=ACCEPT':
      return session.utf8;
    case 'CONDSTORE':
      return session.condstore;
    case 'QRESYNC':
      return session.qresync;
    case 'IMAP4rev2':
      return session.rev2;
  }
}

function switchOn(session: Session, name: (typeof ENABLEABLE)[number]): void {
  switch (name) {
    case 'UTF8=ACCEPT':
      session.utf8 = true;
      break;
    case 'QRESYNC':
      session.qresync = true;
      session.enableCondstore();
      break;
    case 'CONDSTORE':
      session.enableCondstore();
      break;
    case 'IMAP4rev2':
      session.rev2 = true;
      session.utf8 = true;
      break;
  }
}

export const enable = defineCommand<string[]>({
  name: 'ENABLE',
  states: ['authenticated'],
  parse(args) {
    expectArgumentCount(args, 1, Infinity);
    return args.map((token) => atomArgument(token, 'a capability name').toUpperCase());
  },
  async run(session, names) {
    const advertised = new Set(session.capabilities().map((name) => name.toUpperCase()));
    const enabled: string[] = [];
    for (const requested of names) {
      const name = ENABLEABLE.find((candidate) => candidate.toUpperCase() === requested);
      if (!name || !advertised.has(requested) || isEnabled(session, name)) continue;
      switchOn(session, name);
      enabled.push(name);
    }
    session.send(atom('ENABLED'), ...enabled.map(atom));
    return { text: 'ENABLE completed' };
  },
});
