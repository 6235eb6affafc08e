/** `bridgehead init`: write a configuration file with every key and create the certificate. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defaultConfigObject, loadConfig } from '../config/load.js';
import { loadOrCreateCertificate } from '../tls/certificate.js';
import { configOption, helpOption, parse, print, UsageError, type SubCommand } from './common.js';

const help = `Usage: bridgehead init [--config FILE] [--hostname NAME] [--force]

Writes a configuration file holding every key with its default value (see config.example.json
and the README for what each key means), creates the data folder and a self-signed TLS
certificate for the host name. Edit the file, then run: bridgehead serve --config FILE

Options:
  -c, --config FILE   where to write (default: $BRIDGEHEAD_CONFIG, else ./config.json)
  --hostname NAME     this server's host name (default: localhost)
  --force             overwrite an existing file`;

export const initCommand: SubCommand = {
  name: 'init',
  summary: 'write a configuration file and a certificate',
  help,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...configOption,
      ...helpOption,
      hostname: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (values.help) return print(io, help), 0;
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    const path = resolve(values.config ?? io.env.BRIDGEHEAD_CONFIG ?? 'config.json');
    if (existsSync(path) && !values.force) throw new Error(`${path} exists; use --force to overwrite it`);
    const object = defaultConfigObject();
    if (values.hostname) object.hostname = values.hostname;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(object, null, 2)}\n`, { mode: 0o600 });
    const config = loadConfig(path);
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    const tls = await loadOrCreateCertificate({ certPath: null, keyPath: null, dataDir: config.dataDir, hostname: config.hostname });
    print(io, `wrote ${path}\ndata folder ${config.dataDir}\ncertificate ${tls.certPath}`);
    return 0;
  },
};
