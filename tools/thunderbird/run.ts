/**
 * Manual check: Bridgehead with the real Thunderbird, as a new user would use it (issue 2's
 * "Done when"). Not part of `npm test`: it needs Thunderbird, Xvfb, ImageMagick and certutil, and
 * runs for minutes. See README.md in this folder.
 *
 * Steps, each logged to the console and checked:
 *  1. start Bridgehead from the repo (dist/, so `npm run build` first) with a temp data folder,
 *     log level debug; add a domain and a user through the CLI (--password-stdin);
 *  2. make a Thunderbird profile without the wizard (profile.ts), trust the generated
 *     certificate, and store the password with a short "seed" run of Thunderbird (Marionette);
 *  3. start Thunderbird under Xvfb with its IMAP protocol log on, let it sync, screenshot;
 *  4. deliver a message by SMTP submission (nodemailer, AUTH, port smtps) while Thunderbird runs
 *     with periodic checks OFF: it can only see the message through IDLE; screenshot;
 *  5. compose in Thunderbird and press Ctrl+Return (xdotool): SMTP submission + APPEND to Sent;
 *  6. create a folder and move the message into it (the same calls the UI makes); screenshot;
 *  7. quit, then report every IMAP command Thunderbird sent (from its log) and every command
 *     Bridgehead answered with NO or BAD (from Bridgehead's log).
 *
 * Exit code 0 when every step passed. Everything lands in the run folder (printed at the start).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { Marionette } from './marionette.js';
import { accountPrefs, basePrefs, trustCertificate, writeUserJs, type AccountSettings } from './profile.js';

const repo = resolve(import.meta.dirname, '../..');
const { values: options } = parseArgs({
  options: {
    dir: { type: 'string' },
    'imaps-port': { type: 'string', default: '2993' },
    'smtps-port': { type: 'string', default: '2465' },
    display: { type: 'string', default: ':77' },
    'sync-seconds': { type: 'string', default: '60' },
    thunderbird: { type: 'string', default: '/usr/lib/thunderbird/thunderbird' },
    keep: { type: 'boolean', default: false },
  },
});

const runDir = options.dir ? resolve(options.dir) : mkdtempSync(join(tmpdir(), 'tb-run-'));
const dataDir = join(runDir, 'data');
const profileDir = join(runDir, 'profile');
const account: AccountSettings = {
  host: '127.0.0.1',
  imapsPort: Number(options['imaps-port']),
  smtpsPort: Number(options['smtps-port']),
  address: 'me@example.test',
  fullName: 'Me Tester',
};
const password = 'thunderbird test password';
const children: ChildProcess[] = [];
const results: Array<{ step: string; ok: boolean; detail: string }> = [];

function say(text: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function record(step: string, ok: boolean, detail = ''): void {
  results.push({ step, ok, detail });
  say(`${ok ? 'PASS' : 'FAIL'} ${step}${detail ? `: ${detail}` : ''}`);
}

function start(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  children.push(child);
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const exited = new Promise((done) => child.once('exit', done));
  if ((await Promise.race([exited, sleep(10_000, 'timeout')])) === 'timeout') child.kill('SIGKILL');
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

function bridgehead(args: string[], stdin?: string): string {
  return execFileSync('node', [join(repo, 'bin/bridgehead.js'), ...args, '--config', join(runDir, 'config.json')], {
    input: stdin,
    encoding: 'utf8',
  });
}

function screenshot(name: string): string {
  const file = join(runDir, `${name}.png`);
  execFileSync('import', ['-display', options.display!, '-window', 'root', file]);
  say(`screenshot ${file}`);
  return file;
}

// ---- 1. Bridgehead ---------------------------------------------------------------------------

async function startBridgehead(): Promise<ChildProcess> {
  const listener = (port: number, enabled = true) => ({ enabled, host: '127.0.0.1', port });
  const config = {
    hostname: 'localhost',
    dataDir,
    log: { level: 'debug' },
    smtp: {
      mx: listener(0, false),
      submission: listener(0, false),
      submissions: listener(account.smtpsPort),
    },
    imap: { imap: listener(0, false), imaps: listener(account.imapsPort) },
    mailauth: { enabled: false },
  };
  // The schema wants ports in 1..65535 even for disabled listeners.
  for (const section of [config.smtp.mx, config.smtp.submission, config.imap.imap]) section.port = 1;
  writeFileSync(join(runDir, 'config.json'), JSON.stringify(config, null, 2));
  say(bridgehead(['domain', 'add', 'example.test']).trim());
  say(bridgehead(['user', 'add', account.address, '--password-stdin'], `${password}\n`).trim());
  const server = start('node', [join(repo, 'bin/bridgehead.js'), 'serve', '--config', join(runDir, 'config.json')], join(runDir, 'bridgehead.log'));
  await waitFor('Bridgehead to listen', () => {
    const lines = readLog(join(runDir, 'bridgehead.log'));
    return lines.filter((line) => line.evt === 'imap.listening').length >= 1 && lines.some((line) => /smtp/.test(String(line.evt)) && /listen/.test(String(line.evt ?? line.msg)));
  }, 20_000).catch(() => say('no listening line seen; continuing'));
  await waitFor('the IMAPS port', () => portOpen(account.imapsPort), 20_000);
  return server;
}

function readLog(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

// ---- 2./3. Thunderbird ---------------------------------------------------------------------

function startThunderbird(logName: string): ChildProcess {
  rmSync(join(profileDir, 'MarionetteActivePort'), { force: true });
  return start(options.thunderbird!, ['--profile', profileDir, '--no-remote', '--marionette', '--remote-allow-system-access'], join(runDir, `${logName}.log`), {
    DISPLAY: options.display,
    MOZ_LOG: 'IMAP:5,timestamp',
    MOZ_LOG_FILE: join(runDir, `${logName}-imap`),
    MOZ_CRASHREPORTER_DISABLE: '1',
  });
}

async function marionette(): Promise<Marionette> {
  const portFile = join(profileDir, 'MarionetteActivePort');
  const port = await waitFor('Marionette', () => existsSync(portFile) && Number(readFileSync(portFile, 'utf8').trim()), 60_000);
  return waitFor('Marionette session', () => Marionette.open(port).catch(() => null), 30_000);
}

/** The seed run stores the password in the profile's login manager, then quits. */
async function seedPasswords(): Promise<void> {
  writeUserJs(profileDir, basePrefs());
  const tb = startThunderbird('tb-seed');
  const m = await marionette();
  await m.run(
    `const [user, password, host] = arguments;
     for (const scheme of ['imap', 'smtp']) {
       const origin = scheme + '://' + host;
       const login = Cc['@mozilla.org/login-manager/loginInfo;1'].createInstance(Ci.nsILoginInfo);
       login.init(origin, null, origin, user, password, '', '');
       await Services.logins.addLoginAsync(login);
     }
     return Services.logins.getAllLogins ? (await Services.logins.getAllLogins()).length : 2;`,
    [account.address, password, account.host],
  );
  await m.quit();
  await waitFor('seed Thunderbird to exit', () => tb.exitCode !== null || tb.signalCode !== null, 30_000).catch(async () => stop(tb));
  // The seed run wrote its own prefs.js (and perhaps a Local Folders account): start clean.
  for (const name of ['prefs.js', 'Mail', 'ImapMail', 'session.json', 'xulstore.json']) rmSync(join(profileDir, name), { recursive: true, force: true });
  record('password stored in the login manager', existsSync(join(profileDir, 'logins.json')));
}

// Chrome-context helpers (run in the 3-pane window through Marionette).
const FOLDER = `const folderOf = (name) => MailServices.accounts.defaultAccount.incomingServer.rootFolder.getChildNamed(name);`;

async function folderState(m: Marionette, name: string): Promise<{ total: number; subjects: string[]; offline: number } | null> {
  return m.run(
    `${FOLDER}
     const folder = folderOf(arguments[0]);
     if (!folder) return null;
     const subjects = [];
     let offline = 0;
     for (const hdr of folder.messages) {
       subjects.push(hdr.mime2DecodedSubject);
       if (hdr.flags & Ci.nsMsgMessageFlags.Offline) offline++;
     }
     return { total: folder.getTotalMessages(false), subjects, offline };`,
    [name],
  ).catch(() => null);
}

async function showFolder(m: Marionette, name: string): Promise<void> {
  await m.run(
    `${FOLDER}
     const win = Services.wm.getMostRecentWindow('mail:3pane');
     win.focus();
     win.gTabmail.switchToTab(0);
     win.gTabmail.currentAbout3Pane.displayFolder(folderOf(arguments[0]).URI);
     return true;`,
    [name],
  );
  await sleep(1500);
}

// ---- 4. delivery by SMTP while Thunderbird idles ---------------------------------------------

async function deliverBySmtp(subject: string): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: account.smtpsPort,
    secure: true,
    auth: { user: account.address, pass: password },
    tls: { rejectUnauthorized: false },
  });
  const info = await transport.sendMail({
    from: `${account.fullName} <${account.address}>`,
    to: account.address,
    subject,
    text: 'Delivered by SMTP submission while Thunderbird was idling.\n',
  });
  transport.close();
  say(`SMTP: ${info.response}`);
}

// ---- 5. sending from Thunderbird ------------------------------------------------------------

async function composeAndSend(m: Marionette, subject: string): Promise<void> {
  await m.run(
    `const [to, subject] = arguments;
     const params = Cc['@mozilla.org/messengercompose/composeparams;1'].createInstance(Ci.nsIMsgComposeParams);
     const fields = Cc['@mozilla.org/messengercompose/composefields;1'].createInstance(Ci.nsIMsgCompFields);
     fields.to = to;
     fields.subject = subject;
     fields.body = 'Sent from Thunderbird by the Bridgehead check.\\n';
     params.composeFields = fields;
     params.type = Ci.nsIMsgCompType.New;
     params.format = Ci.nsIMsgCompFormat.PlainText;
     params.identity = MailServices.accounts.defaultAccount.defaultIdentity;
     MailServices.compose.OpenComposeWindowWithParams(null, params);
     return true;`,
    [account.address, subject],
  );
  const ready = await waitFor(
    'the compose window',
    () => m.run<boolean>(`const w = Services.wm.getMostRecentWindow('msgcompose'); return !!w && w.document.readyState === 'complete' && !!w.gMsgCompose;`),
    30_000,
  );
  await sleep(2000);
  // The user's action: focus the compose window and press Ctrl+Return.
  let pressed = false;
  try {
    const ids = execFileSync('xdotool', ['search', '--name', subject], { env: { ...process.env, DISPLAY: options.display }, encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
    const id = ids[ids.length - 1];
    execFileSync('xdotool', ['windowfocus', '--sync', id], { env: { ...process.env, DISPLAY: options.display } });
    await sleep(500);
    screenshot('03-compose');
    execFileSync('xdotool', ['key', '--window', id, '--clearmodifiers', 'ctrl+Return'], { env: { ...process.env, DISPLAY: options.display } });
    pressed = true;
  } catch (error) {
    say(`xdotool could not press Ctrl+Return: ${(error as Error).message}`);
  }
  const closed = await waitFor('the compose window to close', () => m.run<boolean>(`return !Services.wm.getMostRecentWindow('msgcompose');`), 20_000).catch(() => false);
  if (!closed) {
    say('Ctrl+Return did not send; sending with the Send command instead (cmd_sendNow)');
    await m.run(`Services.wm.getMostRecentWindow('msgcompose').goDoCommand('cmd_sendNow'); return true;`);
    await waitFor('the compose window to close', () => m.run<boolean>(`return !Services.wm.getMostRecentWindow('msgcompose');`), 30_000);
  }
  record('Thunderbird sent with Ctrl+Return', ready && pressed && closed, closed ? '' : 'needed cmd_sendNow');
}

// ---- 6. filing ------------------------------------------------------------------------------

async function fileInto(m: Marionette, subject: string, folderName: string): Promise<void> {
  await m.run(
    `${FOLDER}
     const win = Services.wm.getMostRecentWindow('mail:3pane');
     const root = MailServices.accounts.defaultAccount.incomingServer.rootFolder;
     if (!root.getChildNamed(arguments[0])) root.createSubfolder(arguments[0], win.msgWindow);
     return true;`,
    [folderName],
  );
  await waitFor(`folder ${folderName}`, () => folderState(m, folderName), 30_000);
  await m.run(
    `${FOLDER}
     const [subject, target] = arguments;
     const win = Services.wm.getMostRecentWindow('mail:3pane');
     const inbox = folderOf('INBOX');
     const hdr = [...inbox.messages].find((candidate) => candidate.mime2DecodedSubject === subject);
     if (!hdr) throw new Error('message not in INBOX: ' + subject);
     MailServices.copy.copyMessages(inbox, [hdr], folderOf(target), true, null, win.msgWindow, true);
     return true;`,
    [subject, folderName],
  );
}

// ---- 7. logs --------------------------------------------------------------------------------

interface ImapLogSummary {
  commands: string[];
  untaggedAfter(marker: number): string[];
}

/** Commands Thunderbird sent, from its MOZ_LOG IMAP log (passwords are never in it). */
function thunderbirdImapLog(prefix: string): string[] {
  const files = readdirSync(runDir).filter((name) => name.startsWith(prefix) && name.includes('moz_log'));
  const lines: string[] = [];
  for (const file of files) lines.push(...readFileSync(join(runDir, file), 'utf8').split('\n'));
  return lines;
}

function summariseThunderbirdCommands(lines: string[]): string[] {
  const sent: string[] = [];
  for (const line of lines) {
    const match = /SendData: (.*)$/.exec(line);
    if (match) sent.push(match[1].replace(/\s+$/, ''));
  }
  return sent;
}

async function main(): Promise<number> {
  say(`run folder: ${runDir}`);
  const xvfb = start('Xvfb', [options.display!, '-screen', '0', '1400x900x24', '-nolisten', 'tcp'], join(runDir, 'xvfb.log'));
  await sleep(1500);
  const server = await startBridgehead();
  record('Bridgehead started, domain and user added with the CLI', true);
  trustCertificate(profileDir, join(dataDir, 'tls', 'cert.pem'));
  await seedPasswords();

  writeUserJs(profileDir, { ...basePrefs(), ...accountPrefs(account) });
  const tb = startThunderbird('tb');
  const m = await marionette();
  say('Thunderbird is up; waiting for it to discover the folders');
  const folders = await waitFor(
    'folder discovery',
    () =>
      m.run<string[]>(`const root = MailServices.accounts.defaultAccount.incomingServer.rootFolder; return root.subFolders.length > 1 ? root.subFolders.map((f) => f.name) : null;`).catch(() => null),
    60_000,
  ).catch(() => [] as string[]);
  record('folders discovered', folders.includes('INBOX') && folders.includes('Sent'), folders.join(', '));
  await showFolder(m, 'INBOX').catch((error) => say(`could not show INBOX: ${(error as Error).message}`));
  const syncSeconds = Number(options['sync-seconds']);
  say(`letting Thunderbird sync for ${syncSeconds} s`);
  await sleep(syncSeconds * 1000);
  screenshot('01-after-sync');

  // 4. Push.
  const stamp = new Date().toISOString().slice(11, 19);
  const pushedSubject = `Pushed by SMTP ${stamp}`;
  const pushMarker = thunderbirdImapLog('tb-imap').length;
  const delivered = Date.now();
  await deliverBySmtp(pushedSubject);
  const arrived = await waitFor('the pushed message in INBOX', async () => (await folderState(m, 'INBOX'))?.subjects.includes(pushedSubject), 60_000).catch(() => false);
  record('delivered message appeared in INBOX without polling (IDLE)', arrived === true, arrived ? `${Date.now() - delivered} ms after SMTP 250` : 'not seen in 60 s');
  const afterPush = thunderbirdImapLog('tb-imap').slice(pushMarker);
  const exists = afterPush.find((line) => /\* \d+ EXISTS/.test(line));
  record('Thunderbird got an untagged EXISTS after the delivery', exists !== undefined, exists?.replace(/^.*?(\* \d+ EXISTS).*$/, '$1') ?? '');
  await sleep(3000);
  screenshot('02-inbox-after-push');

  // 5. Send from Thunderbird.
  const sentSubject = `Sent from Thunderbird ${stamp}`;
  await composeAndSend(m, sentSubject);
  const sentCopy = await waitFor('the Sent copy', async () => (await folderState(m, 'Sent'))?.subjects.includes(sentSubject), 60_000).catch(() => false);
  record('Sent copy in Sent (APPEND)', sentCopy === true);
  const selfCopy = await waitFor('the sent message in INBOX', async () => (await folderState(m, 'INBOX'))?.subjects.includes(sentSubject), 60_000).catch(() => false);
  record('message sent to self arrived in INBOX', selfCopy === true);
  await showFolder(m, 'Sent').catch(() => {});
  screenshot('04-sent-folder');

  // 6. File the pushed message into a new folder.
  await fileInto(m, pushedSubject, 'Filed');
  const filed = await waitFor('the message in Filed', async () => {
    const [target, inbox] = [await folderState(m, 'Filed'), await folderState(m, 'INBOX')];
    return target?.subjects.includes(pushedSubject) && !inbox?.subjects.includes(pushedSubject);
  }, 60_000).catch(() => false);
  record('message filed into a new folder (CREATE + MOVE)', filed === true);
  await showFolder(m, 'Filed').catch(() => {});
  screenshot('05-filed-folder');
  await showFolder(m, 'INBOX').catch(() => {});
  screenshot('06-inbox-at-end');

  const inboxState = await folderState(m, 'INBOX');
  record('INBOX bodies downloaded for offline use', !!inboxState && inboxState.offline === inboxState.total, JSON.stringify(inboxState));

  if (options.keep) {
    say(`--keep: Thunderbird (display ${options.display}) and Bridgehead keep running; Ctrl+C to end`);
    await new Promise(() => {});
  }
  await m.quit();
  await waitFor('Thunderbird to exit', () => tb.exitCode !== null || tb.signalCode !== null, 30_000).catch(() => stop(tb));
  await sleep(1000);
  await stop(server);
  await stop(xvfb);

  // 7. Logs.
  const sent = summariseThunderbirdCommands(thunderbirdImapLog('tb-imap'));
  writeFileSync(join(runDir, 'thunderbird-commands.txt'), `${sent.join('\n')}\n`);
  const log = readLog(join(runDir, 'bridgehead.log'));
  const commands = log.filter((line) => line.evt === 'imap.command');
  const refused = commands.filter((line) => line.result !== 'OK');
  const protocolErrors = log.filter((line) => line.evt === 'imap.protocol-error' || line.evt === 'imap.error' || (typeof line.level === 'number' && line.level >= 50));
  const counts = new Map<string, number>();
  for (const line of commands) counts.set(String(line.command), (counts.get(String(line.command)) ?? 0) + 1);
  say(`Bridgehead answered ${commands.length} IMAP commands: ${[...counts].map(([name, n]) => `${name} ${n}`).join(', ')}`);
  record('no IMAP command answered NO or BAD', refused.length === 0, refused.map((line) => `${line.command} ${line.result}`).join(', '));
  record('no IMAP protocol errors or crashes', protocolErrors.length === 0, protocolErrors.map((line) => JSON.stringify(line)).join('\n'));
  say(`Thunderbird sent ${sent.length} IMAP commands (thunderbird-commands.txt)`);
  const failed = results.filter((result) => !result.ok);
  writeFileSync(join(runDir, 'results.json'), JSON.stringify(results, null, 2));
  say(failed.length === 0 ? `all ${results.length} checks passed` : `${failed.length} of ${results.length} checks failed`);
  return failed.length === 0 ? 0 : 1;
}

const cleanup = async () => {
  for (const child of children.reverse()) await stop(child);
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    say(`error: ${(error as Error).stack ?? String(error)}`);
    await cleanup();
    process.exit(2);
  });
