/** `bridgehead serve`: run the server in the foreground. */
import { runServer } from '../main.js';
import { configFrom, configOption, helpOption, parse, print, UsageError, type SubCommand } from './common.js';

const help = `Usage: bridgehead serve [--config FILE]

Runs the mail server in the foreground: SMTP (MX and submission) and IMAP listeners, the store
in the data folder, and the control socket the other commands use. Without a configuration
file the built-in defaults apply: data in ./data, a self-signed certificate generated on first
start, and unprivileged ports on 127.0.0.1:

  SMTP MX 2525, submission (STARTTLS) 2587, submissions (TLS) 2465, IMAP (STARTTLS) 2143, IMAPS 2993

The configuration file is --config FILE, else $BRIDGEHEAD_CONFIG, else ./config.json if present.
Logs are JSON lines on standard output. SIGTERM or SIGINT stops it gracefully.`;

export const serveCommand: SubCommand = {
  name: 'serve',
  summary: 'run the mail server',
  help,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...configOption, ...helpOption });
    if (values.help) return print(io, help), 0;
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    await runServer(configFrom(values, io), { announce: io.stderr });
    return -1;
  },
};
