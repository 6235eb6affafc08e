/**
 * COMPRESS (RFC 4978 §3): `COMPRESS DEFLATE` switches the connection to raw DEFLATE in both
 * directions, starting right after the CRLF of the tagged OK (the `after` step); the client
 * compresses from its next command on. Allowed once authenticated (`command-auth`, RFC 4978 §5),
 * so it always comes after TLS, as §3 requires.
 *
 * A second COMPRESS is NO [COMPRESSIONACTIVE] (as Dovecot answers; the code is RFC 4978's for
 * compression already active); an unknown mechanism is BAD.
 */
import { imapBad, imapNo } from '../../errors.js';
import { atomArgument, expectArgumentCount } from '../arguments.js';
import { AUTHENTICATED, defineCommand } from './types.js';

export const compress = defineCommand<string>({
  name: 'COMPRESS',
  states: AUTHENTICATED,
  parse(args) {
    expectArgumentCount(args, 1);
    const mechanism = atomArgument(args[0], 'a compression mechanism').toUpperCase();
    if (mechanism !== 'DEFLATE') throw imapBad(`Unknown compression mechanism ${mechanism}`);
    return mechanism;
  },
  async run(session) {
    if (session.transport.compressed) throw imapNo('DEFLATE is already active', 'COMPRESSIONACTIVE');
    return { text: 'DEFLATE active', after: () => session.transport.startCompression() };
  },
});
