/**
 * Multi-client IMAP stress checker, in the spirit of Dovecot imaptest's default mode: N clients
 * doing random commands on INBOX and Filed while each keeps the mailbox state it was told, plus
 * watcher/mover pairs (one SELECTs, the other MOVEs/COPYs/APPENDs in, the first NOOPs/IDLEs),
 * reporting every inconsistency with the transcript around it. The invariants are listed in
 * stress/client.ts and stress/workload.ts. Exits 1 on any violation.
 *
 *   npx tsx bench/imap/stress.ts [--clients 10] [--pairs N] [--seconds 60] [--seed N] [--pipeline 1]
 *                                [--qresync N] [--search] [--header-fields] [--checkpoint S] [--all]
 *                                [--host 127.0.0.1 --port P --user U --password P] [--detail 3]
 *
 * --pipeline N: each random client keeps up to N commands in flight, written together, as
 * imaptest does (sequence numbers only behind FETCH/STORE/SEARCH by number; SELECT, IDLE and
 * LOGOUT alone). What imaptest checks and what this covers: stress/IMAPTEST-CHECKS.md.
 *
 * Beyond imaptest's default mode: --qresync N adds N clients that leave a mailbox and resync with
 * SELECT (QRESYNC ...) or UID FETCH (CHANGEDSINCE m VANISHED) (stress/resync.ts); --search has
 * the random clients send random SEARCH programs checked against what they APPENDed
 * (stress/search-model.ts); --header-fields adds random BODY[HEADER.FIELDS (...)] / .NOT items
 * checked against the message; --checkpoint S stops everyone every S seconds and compares every
 * session's view (stress/checkpoint.ts, imaptest's checkpoint=N). --all: --qresync 2 --search
 * --header-fields --checkpoint 10.
 *
 * Without --port a fresh Bridgehead is started (bench/.data/stress, a server child process, as
 * the other benchmarks do) with an empty account; with --port the account must exist (implicit
 * TLS, as on port 993).
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import { storePath } from '../../src/config/paths.js';
import { hashPassword } from '../../src/pipeline/passwords.js';
import { openStore } from '../../src/store/index.js';
import { DOMAIN, PASSWORD, commandLine, dataDir, writeBenchConfig } from './common.js';
import { spawnServer, type BenchServer } from './server.js';
import { formatCounts, formatViolations, runStress } from './stress/run.js';

const STRESS_USER = `stress@${DOMAIN}`;

async function freshServer(): Promise<BenchServer> {
  const dir = dataDir('stress');
  const configPath = writeBenchConfig(dir);
  const config = loadConfig(configPath);
  rmSync(config.dataDir, { recursive: true, force: true });
  const store = await openStore({ path: storePath(config) });
  try {
    await store.addDomain(DOMAIN);
    await store.createAccount(STRESS_USER, await hashPassword(PASSWORD, 10));
  } finally {
    await store.close();
  }
  return spawnServer(configPath);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '10' },
      pairs: { type: 'string' },
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      detail: { type: 'string', default: '3' },
      pipeline: { type: 'string', default: '1' },
      qresync: { type: 'string' },
      search: { type: 'boolean', default: false },
      'header-fields': { type: 'boolean', default: false },
      checkpoint: { type: 'string' },
      all: { type: 'boolean', default: false },
    },
  });
  const clients = Number(values.clients);
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 1_000_000);
  const server = values.port ? null : await freshServer();
  try {
    const port = values.port ? Number(values.port) : server!.ports.imaps;
    const options = {
      host: values.host,
      port,
      user: values.user ?? STRESS_USER,
      password: values.password ?? PASSWORD,
      clients,
      pairs: values.pairs !== undefined ? Number(values.pairs) : Math.max(1, Math.ceil(clients / 5)),
      seconds: Number(values.seconds),
      seed,
      pipeline: Math.max(1, Number(values.pipeline)),
      qresync: values.qresync !== undefined ? Number(values.qresync) : values.all ? 2 : 0,
      searchModel: values.search || values.all,
      headerFields: values['header-fields'] || values.all,
      checkpoint: values.checkpoint !== undefined ? Number(values.checkpoint) : values.all ? 10 : 0,
    };
    const extras = [
      options.qresync > 0 ? `${options.qresync} QRESYNC resync clients` : '',
      options.searchModel ? 'SEARCH model' : '',
      options.headerFields ? 'HEADER.FIELDS' : '',
      options.checkpoint > 0 ? `checkpoint every ${options.checkpoint} s` : '',
    ].filter(Boolean);
    process.stdout.write(`IMAP stress: ${options.clients} clients (pipeline ${options.pipeline}) + ${options.pairs} watcher/mover pairs${extras.length > 0 ? ` + ${extras.join(', ')}` : ''}, ${options.seconds} s, seed ${seed} — ${commandLine()}\n`);
    const result = await runStress(options);
    process.stdout.write(`${formatCounts(result)}\n\n${formatViolations(result, Number(values.detail))}\n`);
    if (result.violations.length > 0) process.stdout.write(`\nreplay the same choices with --seed ${seed} (timing differs between runs)\n`);
    return result.violations.length > 0 ? 1 : 0;
  } finally {
    await server?.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
