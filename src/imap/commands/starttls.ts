/**
 * STARTTLS (RFC 9051 §6.2.1): only on a plain listener before authentication. The TLS handshake
 * starts right after the tagged OK; anything the client pipelined after STARTTLS is discarded by
 * the connection (the response-injection attack of CVE-2011-0411), and the client must ask for
 * CAPABILITY again.
 */
import { imapBad } from '../../errors.js';
import { expectArgumentCount } from '../arguments.js';
import { defineCommand, NOT_AUTHENTICATED } from './types.js';

export const starttls = defineCommand<void>({
  name: 'STARTTLS',
  states: NOT_AUTHENTICATED,
  parse: (args) => expectArgumentCount(args, 0),
  async run(session) {
    if (!session.transport.canStartTls) throw imapBad('TLS is already active');
    return { text: 'Begin TLS negotiation now', after: () => session.transport.startTls() };
  },
});
