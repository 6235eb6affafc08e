/**
 * Manual check: Bridgehead with the real Thunderbird, as a new user would use it (issue 2's
 * "Done when"). Not part of `npm test`: it needs Thunderbird, Xvfb, ImageMagick and xdotool, and
 * runs for a few minutes. See README.md in this folder.
 *
 * Steps, each logged and checked (PASS/FAIL):
 *  1. start Bridgehead from the repo (dist/, so `npm run build` first) with a temp data folder and
 *     log level debug; add a domain and a user through the CLI (--password-stdin);
 *  2. make a Thunderbird profile without the wizard (profile.ts); a short seed run of Thunderbird
 *     stores the certificate exception and the password (Marionette) and runs the account
 *     wizard's own server probes (GuessConfig) against every listener;
 *  3. start Thunderbird under Xvfb with its IMAP protocol log on; let it sync; screenshot;
 *  4. deliver a message by SMTP submission (nodemailer, AUTH) while periodic checks are OFF, so
 *     Thunderbird can only learn of it through IDLE; screenshot;
 *  5. compose in Thunderbird and press Ctrl+Return (xdotool): SMTP, then APPEND to Sent;
 *  6. create a folder and move the message into it (the calls the UI makes); screenshot;
 *  7. what users do next, by keyboard where Thunderbird has a shortcut: read, star, tag, unread,
 *     junk, archive (creates Archive/<year>), delete, save a draft twice, create / rename /
 *     delete a folder with a non-ASCII name, empty the trash; screenshot;
 *  8. restart Thunderbird on the same profile: the second start resynchronises the cached folders;
 *  9. quit, then report every IMAP command Thunderbird sent (its log, per connection) and every
 *     command Bridgehead answered with NO or BAD (Bridgehead's log).
 *
 * Exit code 0 when every check passed. Everything lands in the run folder printed at the start:
 * screenshots (*.png), bridgehead.log, thunderbird-imap.txt (the IMAP conversation), tb*.log
 * (Thunderbird's console, SMTP conversation included, AUTH redacted), results.json.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { Marionette } from './marionette.js';
import { accountPrefs, basePrefs, writeUserJs, type AccountSettings } from './profile.js';

const repo = resolve(import.meta.dirname, '../..');
const { values: options } = parseArgs({
  options: {
    dir: { type: 'string' },
    security: { type: 'string', default: 'tls' },
    'imaps-port': { type: 'string', default: '2993' },
    'imap-port': { type: 'string', default: '2143' },
    'smtps-port': { type: 'string', default: '2465' },
    'submission-port': { type: 'string', default: '2587' },
    display: { type: 'string', default: ':77' },
    'sync-seconds': { type: 'string', default: '60' },
    thunderbird: { type: 'string', default: '/usr/lib/thunderbird/thunderbird' },
    entry: { type: 'string', default: join(repo, 'bin/bridgehead.js') },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (options.help) {
  process.stdout.write(readFileSync(join(import.meta.dirname, 'README.md'), 'utf8'));
  process.exit(0);
}

const ports = {
  imaps: Number(options['imaps-port']),
  imap: Number(options['imap-port']),
  smtps: Number(options['smtps-port']),
  submission: Number(options['submission-port']),
};
const starttls = options.security === 'starttls';
const runDir = options.dir ? resolve(options.dir) : mkdtempSync(join(tmpdir(), 'tb-run-'));
mkdirSync(runDir, { recursive: true });
const dataDir = join(runDir, 'data');
const profileDir = join(runDir, 'profile');
const account: AccountSettings = {
  host: '127.0.0.1',
  imapPort: starttls ? ports.imap : ports.imaps,
  smtpPort: starttls ? ports.submission : ports.smtps,
  socketType: starttls ? 2 : 3,
  address: 'me@example.test',
  fullName: 'Me Tester',
};
const password = 'thunderbird test password';
const display = options.display!;
const xEnv = { ...process.env, DISPLAY: display };
const children: ChildProcess[] = [];
const results: Array<{ step: string; ok: boolean; detail: string }> = [];

function say(text: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function record(step: string, ok: boolean, detail = ''): void {
  results.push({ step, ok, detail });
  say(`${ok ? 'PASS' : 'FAIL'} ${step}${detail ? `: ${detail}` : ''}`);
}

/** Thunderbird's SMTP log shows `AUTH PLAIN <base64>`: keep credentials out of the run folder. */
function redactor(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, chunk.toString('utf8').replace(/(AUTH (?:PLAIN|LOGIN)) [A-Za-z0-9+/=]+/g, '$1 <redacted>'));
    },
  });
}

function start(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(redactor()).pipe(log);
  child.stderr!.pipe(redactor()).pipe(log);
  children.push(child);
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stop(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGTERM');
  const gone = new Promise((done) => child.once('exit', done));
  if ((await Promise.race([gone, sleep(10_000, 'timeout')])) === 'timeout') child.kill('SIGKILL');
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

function screenshot(name: string): void {
  const file = join(runDir, `${name}.png`);
  execFileSync('import', ['-display', display, '-window', 'root', file]);
  say(`screenshot ${file}`);
}

// ---- 1. Bridgehead ---------------------------------------------------------------------------

function bridgehead(args: string[], stdin?: string): string {
  return execFileSync('node', [options.entry!, ...args, '--config', join(runDir, 'config.json')], { input: stdin, encoding: 'utf8' });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

async function startBridgehead(): Promise<ChildProcess> {
  const listener = (port: number, enabled = true) => ({ enabled, host: '127.0.0.1', port });
  const config = {
    hostname: 'localhost',
    dataDir,
    log: { level: 'debug' },
    smtp: { mx: listener(2525, false), submission: listener(ports.submission), submissions: listener(ports.smtps) },
    imap: { imap: listener(ports.imap), imaps: listener(ports.imaps) },
    mailauth: { enabled: false },
  };
  writeFileSync(join(runDir, 'config.json'), JSON.stringify(config, null, 2));
  say(bridgehead(['domain', 'add', 'example.test']).trim());
  say(bridgehead(['user', 'add', account.address, '--password-stdin'], `${password}\n`).trim());
  const server = start('node', [options.entry!, 'serve', '--config', join(runDir, 'config.json')], join(runDir, 'bridgehead.log'));
  await waitFor('Bridgehead to listen', async () => exited(server) || (await portOpen(ports.imaps)), 20_000);
  if (exited(server)) throw new Error('Bridgehead did not start; see bridgehead.log');
  return server;
}

function readBridgeheadLog(): Array<Record<string, unknown>> {
  const file = join(runDir, 'bridgehead.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// ---- 2. profile and the seed run ---------------------------------------------------------------

function startThunderbird(logName: string): ChildProcess {
  rmSync(join(profileDir, 'MarionetteActivePort'), { force: true });
  return start(options.thunderbird!, ['--profile', profileDir, '--no-remote', '--marionette', '--remote-allow-system-access'], join(runDir, `${logName}.log`), {
    DISPLAY: display,
    MOZ_LOG: 'IMAP:5,timestamp,sync',
    MOZ_LOG_FILE: join(runDir, `${logName}-imap`),
    MOZ_CRASHREPORTER_DISABLE: '1',
  });
}

async function marionette(): Promise<Marionette> {
  const portFile = join(profileDir, 'MarionetteActivePort');
  const port = await waitFor('Marionette', () => existsSync(portFile) && Number(readFileSync(portFile, 'utf8').trim()), 60_000);
  return waitFor('a Marionette session', () => Marionette.open(port).catch(() => null), 30_000);
}

async function quitThunderbird(m: Marionette, tb: ChildProcess): Promise<void> {
  await m.quit();
  await waitFor('Thunderbird to exit', () => exited(tb), 30_000).catch(() => stop(tb));
}

/**
 * What a user does in the first dialogs, once: "Confirm Security Exception" for the self-signed
 * certificate (nsICertOverrideService, as exceptionDialog.js does; for every listener) and "Use
 * Password Manager to remember this password" (nsILoginManager, imap:// and smtp://). The profile
 * keeps them in Thunderbird's own formats (cert_override.txt, key4.db + logins.json).
 */
async function storeExceptionAndPassword(m: Marionette): Promise<void> {
  const certificate = readFileSync(join(dataDir, 'tls', 'cert.pem'), 'utf8').replace(/-----[^-]+-----|\s/g, '');
  await m.run(
    `const [user, password, host, ports, certificate] = arguments;
     const certdb = Cc['@mozilla.org/security/x509certdb;1'].getService(Ci.nsIX509CertDB);
     const overrides = Cc['@mozilla.org/security/certoverride;1'].getService(Ci.nsICertOverrideService);
     const cert = certdb.constructX509FromBase64(certificate);
     for (const port of ports) overrides.rememberValidityOverride(host, port, {}, cert, false);
     for (const scheme of ['imap', 'smtp']) {
       const origin = scheme + '://' + host;
       const login = Cc['@mozilla.org/login-manager/loginInfo;1'].createInstance(Ci.nsILoginInfo);
       login.init(origin, null, origin, user, password, '', '');
       await Services.logins.addLoginAsync(login);
     }
     return true;`,
    [account.address, password, account.host, Object.values(ports), certificate],
  );
}

/**
 * The account wizard's "Re-test" of a manual configuration (accountcreation/GuessConfig.sys.mjs):
 * it connects to each server and writes its probe at once, without waiting for the greeting
 * (`1 CAPABILITY` + `2 LOGOUT` for IMAP, `EHLO we-guess.mozilla.org` + `QUIT` for SMTP), and
 * accepts a STARTTLS server only if the reply to the probe offers STARTTLS.
 */
async function wizardProbes(m: Marionette): Promise<void> {
  const probes = [
    { name: 'IMAP SSL/TLS', protocol: 'imap', port: ports.imaps, socketType: 3 },
    { name: 'IMAP STARTTLS', protocol: 'imap', port: ports.imap, socketType: 2 },
    { name: 'SMTP SSL/TLS', protocol: 'smtp', port: ports.smtps, socketType: 3 },
    { name: 'SMTP STARTTLS', protocol: 'smtp', port: ports.submission, socketType: 2 },
  ];
  for (const probe of probes) {
    const outcome = await m.run<{ ok: boolean; detail: string }>(
      `const [protocol, host, port, socketType] = arguments;
       const { GuessConfig } = ChromeUtils.importESModule('resource:///modules/accountcreation/GuessConfig.sys.mjs');
       const { AccountConfig } = ChromeUtils.importESModule('resource:///modules/accountcreation/AccountConfig.sys.mjs');
       const config = new AccountConfig();
       const server = protocol === 'imap' ? config.incoming : config.outgoing;
       Object.assign(server, { type: protocol, hostname: host, port, socketType, username: 'me@example.test' });
       try {
         const result = await GuessConfig.guessConfig('example.test', () => {}, config, protocol === 'imap' ? 'incoming' : 'outgoing', new AbortController().signal);
         const found = protocol === 'imap' ? result.incoming : result.outgoing;
         return { ok: found.port === port && found.socketType === socketType, detail: 'port ' + found.port + ', socketType ' + found.socketType + ', auth ' + found.auth };
       } catch (error) {
         return { ok: false, detail: String(error && error.message || error) };
       }`,
      [probe.protocol, account.host, probe.port, probe.socketType],
    );
    record(`account wizard probe finds ${probe.name} on ${probe.port}`, outcome.ok, outcome.detail);
  }
}

async function seedRun(): Promise<void> {
  writeUserJs(profileDir, basePrefs());
  const tb = startThunderbird('tb-seed');
  const m = await marionette();
  await storeExceptionAndPassword(m);
  await wizardProbes(m);
  await quitThunderbird(m, tb);
  // The seed run wrote its own prefs.js (perhaps with a Local Folders account): start clean.
  for (const name of ['prefs.js', 'Mail', 'ImapMail', 'session.json', 'xulstore.json']) rmSync(join(profileDir, name), { recursive: true, force: true });
  record('certificate exception and password stored in the profile', existsSync(join(profileDir, 'logins.json')) && existsSync(join(profileDir, 'cert_override.txt')));
}

// ---- Thunderbird state through Marionette ------------------------------------------------------

const HELPERS = `
  const root = MailServices.accounts.defaultAccount.incomingServer.rootFolder;
  const folderOf = (path) => path.split('/').reduce((folder, name) => folder && folder.getChildNamed(name), root);
  const win = Services.wm.getMostRecentWindow('mail:3pane');
  const about3Pane = win.gTabmail.currentAbout3Pane;
  const wait = (ms) => new Promise((done) => setTimeout(done, ms));`;

interface FolderState {
  total: number;
  subjects: string[];
  offline: number;
}

async function folderState(m: Marionette, path: string): Promise<FolderState | null> {
  return m
    .run<FolderState | null>(
      `${HELPERS}
       const folder = folderOf(arguments[0]);
       if (!folder) return null;
       const subjects = [];
       let offline = 0;
       for (const hdr of folder.messages) {
         subjects.push(hdr.mime2DecodedSubject);
         if (hdr.flags & Ci.nsMsgMessageFlags.Offline) offline++;
       }
       return { total: folder.getTotalMessages(false), subjects, offline };`,
      [path],
    )
    .catch(() => null);
}

async function folderNames(m: Marionette): Promise<string[]> {
  return m.run<string[]>(
    `${HELPERS}
     const names = [];
     const walk = (folder, prefix) => { for (const child of folder.subFolders) { names.push(prefix + child.name); walk(child, prefix + child.name + '/'); } };
     walk(root, '');
     return names;`,
  );
}

/** Shows a folder in the 3-pane tab and waits until its message list has `rows` rows. */
async function showFolder(m: Marionette, path: string, rows = 0): Promise<number> {
  await m.run(`${HELPERS} win.focus(); win.gTabmail.switchToTab(0); about3Pane.displayFolder(folderOf(arguments[0]).URI); return true;`, [path]);
  const shown = await waitFor(
    `${rows} rows in ${path}`,
    async () => {
      const count = await m.run<number>(`${HELPERS} return about3Pane.gDBView ? about3Pane.gDBView.rowCount : -1;`);
      return count >= rows ? count + 1 : null;
    },
    20_000,
  ).catch(() => 0);
  await sleep(1000);
  return shown - 1;
}

/** Gives the 3-pane window the X keyboard focus and the message list the Gecko focus. */
async function focusMessageList(m: Marionette, row: number): Promise<void> {
  const title = await m.run<string>(`${HELPERS} win.focus(); about3Pane.threadTree.focus(); about3Pane.threadTree.selectedIndex = arguments[0]; return win.document.title;`, [row]);
  const ids = execFileSync('xdotool', ['search', '--name', `^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`], { env: xEnv, encoding: 'utf8' }).trim().split('\n');
  execFileSync('xdotool', ['windowfocus', '--sync', ids[0]], { env: xEnv });
  await sleep(1500);
}

function press(key: string): void {
  execFileSync('xdotool', ['key', '--clearmodifiers', key], { env: xEnv });
}

/** Waits until Bridgehead logged `count` more IMAP commands named `command` than `before`. */
async function bridgeheadCommands(command: string, before: number, count = 1, timeoutMs = 20_000): Promise<boolean> {
  return waitFor(
    `${command} in Bridgehead's log`,
    () => readBridgeheadLog().filter((line) => line.evt === 'imap.command' && line.command === command).length >= before + count,
    timeoutMs,
  ).catch(() => false);
}

function countCommands(command: string): number {
  return readBridgeheadLog().filter((line) => line.evt === 'imap.command' && line.command === command).length;
}

// ---- 4. delivery by SMTP while Thunderbird idles ---------------------------------------------

async function deliverBySmtp(subject: string): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: ports.smtps,
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

function imapLogLines(prefix: string): string[] {
  const lines: string[] = [];
  for (const file of readdirSync(runDir).filter((name) => name.startsWith(`${prefix}-imap`) && name.endsWith('moz_log'))) {
    lines.push(...readFileSync(join(runDir, file), 'utf8').split('\n'));
  }
  return lines;
}

// ---- 5. sending from Thunderbird ------------------------------------------------------------

async function openCompose(m: Marionette, subject: string, body: string): Promise<string> {
  await m.run(
    `const [to, subject, body] = arguments;
     const params = Cc['@mozilla.org/messengercompose/composeparams;1'].createInstance(Ci.nsIMsgComposeParams);
     const fields = Cc['@mozilla.org/messengercompose/composefields;1'].createInstance(Ci.nsIMsgCompFields);
     Object.assign(fields, { to, subject, body });
     params.composeFields = fields;
     params.type = Ci.nsIMsgCompType.New;
     params.format = Ci.nsIMsgCompFormat.PlainText;
     params.identity = MailServices.accounts.defaultAccount.defaultIdentity;
     MailServices.compose.OpenComposeWindowWithParams(null, params);
     return true;`,
    [account.address, subject, body],
  );
  await waitFor(
    'the compose window',
    () => m.run<boolean>(`const w = Services.wm.getMostRecentWindow('msgcompose'); return !!w && w.document.readyState === 'complete' && !!w.gMsgCompose && w.document.title.includes(arguments[0]);`, [subject]),
    30_000,
  );
  await sleep(2000);
  const ids = execFileSync('xdotool', ['search', '--name', subject], { env: xEnv, encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  const id = ids[ids.length - 1];
  execFileSync('xdotool', ['windowfocus', '--sync', id], { env: xEnv });
  await sleep(500);
  return id;
}

const composeClosed = (m: Marionette) => m.run<boolean>(`return !Services.wm.getMostRecentWindow('msgcompose');`);

async function composeAndSend(m: Marionette, subject: string): Promise<void> {
  await openCompose(m, subject, 'Sent from Thunderbird by the Bridgehead check.\n');
  screenshot('03-compose');
  press('ctrl+Return');
  const closed = await waitFor('the compose window to close', () => composeClosed(m), 20_000).catch(() => false);
  if (!closed) {
    say('Ctrl+Return did not send; using the Send command (cmd_sendNow) instead');
    await m.run(`Services.wm.getMostRecentWindow('msgcompose').goDoCommand('cmd_sendNow'); return true;`);
    await waitFor('the compose window to close', () => composeClosed(m), 30_000);
  }
  record('Thunderbird sent the message on Ctrl+Return', closed === true);
}

// ---- 6. filing ------------------------------------------------------------------------------

async function fileInto(m: Marionette, subject: string, target: string): Promise<void> {
  await m.run(`${HELPERS} if (!folderOf(arguments[0])) root.createSubfolder(arguments[0], win.msgWindow); return true;`, [target]);
  await waitFor(`folder ${target}`, () => folderState(m, target), 30_000);
  await m.run(
    `${HELPERS}
     const [subject, target] = arguments;
     const inbox = folderOf('INBOX');
     const hdr = [...inbox.messages].find((candidate) => candidate.mime2DecodedSubject === subject);
     if (!hdr) throw new Error('message not in INBOX: ' + subject);
     MailServices.copy.copyMessages(inbox, [hdr], folderOf(target), true, null, win.msgWindow, true);
     return true;`,
    [subject, target],
  );
}

// ---- 7. what users do next --------------------------------------------------------------------

async function userActions(m: Marionette, stamp: string): Promise<void> {
  await deliverBySmtp(`Keyboard check ${stamp}`);
  await waitFor('the keyboard check message', async () => (await folderState(m, 'INBOX'))?.subjects.includes(`Keyboard check ${stamp}`), 30_000);
  await showFolder(m, 'INBOX', 1);
  const row = await m.run<number>(
    `${HELPERS} for (let i = 0; i < about3Pane.gDBView.rowCount; i++) if (about3Pane.gDBView.getMsgHdrAt(i).mime2DecodedSubject === arguments[0]) return i; return -1;`,
    [`Keyboard check ${stamp}`],
  );
  const stores = countCommands('UID STORE');
  await focusMessageList(m, row);
  for (const key of ['s', '1', 'm', 'j']) {
    press(key);
    await sleep(1500);
  }
  record('read, star (s), tag (1), unread (m), junk (j): UID STORE each', await bridgeheadCommands('UID STORE', stores, 5));
  const flags = await m.run<string[]>(
    `${HELPERS} const hdr = [...folderOf('INBOX').messages].find((h) => h.mime2DecodedSubject === arguments[0]); return [hdr.isFlagged ? 'flagged' : '', hdr.isRead ? 'read' : 'unread', hdr.getStringProperty('keywords')];`,
    [`Keyboard check ${stamp}`],
  );
  // Marking as junk also marks as read (mailnews.ui.junk.manualMarkAsJunkMarksRead).
  record('Thunderbird shows the flags it stored', flags[0] === 'flagged' && flags[1] === 'read' && /\$label1/.test(flags[2]) && /junk/i.test(flags[2]), flags.join(' '));

  const moves = countCommands('UID MOVE');
  press('a');
  const year = String(new Date().getFullYear());
  const archived = await waitFor('Archive/<year>', async () => (await folderState(m, `Archive/${year}`))?.subjects.includes(`Keyboard check ${stamp}`), 30_000).catch(() => false);
  record(`archive (a): CREATE Archive/${year} + UID MOVE`, archived === true && (await bridgeheadCommands('UID MOVE', moves)));

  await deliverBySmtp(`Delete check ${stamp}`);
  await waitFor('the delete check message', async () => (await folderState(m, 'INBOX'))?.subjects.includes(`Delete check ${stamp}`), 30_000);
  await showFolder(m, 'INBOX', 1);
  const deleteRow = await m.run<number>(
    `${HELPERS} for (let i = 0; i < about3Pane.gDBView.rowCount; i++) if (about3Pane.gDBView.getMsgHdrAt(i).mime2DecodedSubject === arguments[0]) return i; return -1;`,
    [`Delete check ${stamp}`],
  );
  await focusMessageList(m, deleteRow);
  press('Delete');
  const trashed = await waitFor('the message in Trash', async () => (await folderState(m, 'Trash'))?.subjects.includes(`Delete check ${stamp}`), 30_000).catch(() => false);
  record('delete (Delete key): UID MOVE to Trash', trashed === true);

  const appends = countCommands('APPEND');
  const expunges = countCommands('UID EXPUNGE');
  await openCompose(m, `Draft ${stamp}`, 'A draft.\n');
  press('ctrl+s');
  await bridgeheadCommands('APPEND', appends);
  await sleep(1500);
  execFileSync('xdotool', ['type', '--delay', '50', ' Edited.'], { env: xEnv });
  press('ctrl+s');
  const secondSave = await bridgeheadCommands('APPEND', appends, 2);
  const oldDraftRemoved = await bridgeheadCommands('UID EXPUNGE', expunges);
  await m.run(`Services.wm.getMostRecentWindow('msgcompose')?.goDoCommand('cmd_close'); return true;`);
  await waitFor('the compose window to close', () => composeClosed(m), 20_000).catch(() => false);
  const drafts = await waitFor('one draft in Drafts', async () => {
    const state = await folderState(m, 'Drafts');
    return state && state.subjects.filter((subject) => subject === `Draft ${stamp}`).length === 1 && state;
  }, 30_000).catch(() => null);
  record('save draft twice (Ctrl+S): APPEND, then the old copy expunged', secondSave && oldDraftRemoved && drafts !== null);

  const folder = 'Privé Ω';
  await m.run(`${HELPERS} root.createSubfolder(arguments[0], win.msgWindow); return true;`, [folder]);
  const created = await waitFor('the new folder', () => folderState(m, folder), 20_000).catch(() => null);
  await m.run(`${HELPERS} folderOf(arguments[0]).rename(arguments[1], win.msgWindow); return true;`, [folder, `${folder} 2`]);
  const renamed = await waitFor('the renamed folder', () => folderState(m, `${folder} 2`), 20_000).catch(() => null);
  record(`create and rename a folder named "${folder}" (UTF8=ACCEPT)`, created !== null && renamed !== null);
  const renames = countCommands('RENAME');
  // deleteSelf asks "Are you sure?" in a modal dialog; Return presses its default button.
  void m.run(`${HELPERS} folderOf(arguments[0]).deleteSelf(win.msgWindow); return true;`, [`${folder} 2`]).catch(() => {});
  await sleep(2000);
  press('Return');
  const inTrash = await waitFor('the folder in Trash', () => folderState(m, `Trash/${folder} 2`), 20_000).catch(() => null);
  record('delete the folder: RENAME into Trash', inTrash !== null && (await bridgeheadCommands('RENAME', renames)));

  const deletes = countCommands('DELETE');
  await m.run(`${HELPERS} root.getFolderWithFlags(Ci.nsMsgFolderFlags.Trash).emptyTrash(null); return true;`);
  const emptied = await waitFor('an empty Trash', async () => {
    const [state, names] = [await folderState(m, 'Trash'), await folderNames(m)];
    return state?.total === 0 && !names.some((name) => name.startsWith('Trash/'));
  }, 30_000).catch(() => false);
  record('empty Trash: STORE \\Deleted + EXPUNGE, DELETE of its subfolder', emptied === true && (await bridgeheadCommands('DELETE', deletes)));
  await showFolder(m, `Archive/${year}`, 1);
  screenshot('06-archive-after-keyboard');
}

// ---- 9. logs --------------------------------------------------------------------------------

/** Thunderbird's IMAP conversation from its MOZ_LOG files: `time conn C:|S: line`. */
function imapConversation(): string[] {
  const out: string[] = [];
  for (const prefix of ['tb', 'tb-restart']) {
    out.push(`# ${prefix}`);
    for (const raw of imapLogLines(prefix)) {
      const line = raw.replace(/\r/g, '');
      const match = /^\S+ (\S+) UTC - \[[^\]]*\]: I\/IMAP ([0-9a-f]+):[^:]+:([^:]*):(SendData|CreateNewLineFromSocket): (.*)$/.exec(line);
      if (!match) continue;
      const [, time, connection, folder, kind, text] = match;
      out.push(`${time.slice(0, 12)} ${connection.slice(-4)} ${folder.padEnd(10)} ${kind === 'SendData' ? 'C:' : 'S:'} ${text}`);
    }
  }
  return out;
}

function checkLogs(): void {
  const conversation = imapConversation();
  writeFileSync(join(runDir, 'thunderbird-imap.txt'), `${conversation.join('\n')}\n`);
  const sent = conversation.filter((line) => / C: \d+ /.test(line)).map((line) => line.replace(/^.* C: \d+ /, '').split(/[ (]/)[0].toUpperCase());
  const verbs = new Map<string, number>();
  for (const verb of sent) verbs.set(verb, (verbs.get(verb) ?? 0) + 1);
  say(`Thunderbird sent ${sent.length} tagged IMAP commands: ${[...verbs].map(([verb, n]) => `${verb} ${n}`).join(', ')} (thunderbird-imap.txt)`);
  const refusedByTb = conversation.filter((line) => / S: \d+ (NO|BAD) /.test(line));
  record('Thunderbird saw no tagged NO or BAD', refusedByTb.length === 0, refusedByTb.join('\n'));

  const log = readBridgeheadLog();
  const commands = log.filter((line) => line.evt === 'imap.command');
  const counts = new Map<string, number>();
  for (const line of commands) counts.set(String(line.command), (counts.get(String(line.command)) ?? 0) + 1);
  say(`Bridgehead answered ${commands.length} IMAP commands: ${[...counts].map(([name, n]) => `${name} ${n}`).join(', ')}`);
  const refused = commands.filter((line) => line.result !== 'OK');
  record('Bridgehead answered no IMAP command with NO or BAD', refused.length === 0, refused.map((line) => `${line.command} ${line.result}`).join(', '));
  const problems = log.filter((line) => line.evt === 'imap.protocol-error' || (typeof line.level === 'number' && line.level >= 40));
  record('no protocol errors, warnings or crashes in Bridgehead\'s log', problems.length === 0, problems.map((line) => JSON.stringify(line)).join('\n'));
}

async function main(): Promise<number> {
  say(`run folder: ${runDir} (security: ${starttls ? 'STARTTLS' : 'SSL/TLS'}, IMAP ${account.imapPort}, SMTP ${account.smtpPort})`);
  if (existsSync(`/tmp/.X${display.replace(':', '')}-lock`)) throw new Error(`display ${display} is in use; pass another with --display`);
  const xvfb = start('Xvfb', [display, '-screen', '0', '1400x900x24', '-nolisten', 'tcp'], join(runDir, 'xvfb.log'));
  await sleep(1500);
  const server = await startBridgehead();
  record('Bridgehead started; domain and user added with the CLI', true);
  await seedRun();

  // 3. First start with the account.
  writeUserJs(profileDir, { ...basePrefs(), ...accountPrefs(account) });
  let tb = startThunderbird('tb');
  let m = await marionette();
  const folders = await waitFor('folder discovery', async () => {
    const names = await folderNames(m).catch((): string[] => []);
    return names.includes('INBOX') && names.includes('Sent') ? names : null;
  }, 60_000).catch(() => [] as string[]);
  record('Thunderbird logged in and discovered the folders', folders.length > 0, folders.join(', '));
  await showFolder(m, 'INBOX').catch((error: unknown) => say(`could not show INBOX: ${(error as Error).message}`));
  const syncSeconds = Number(options['sync-seconds']);
  say(`letting Thunderbird sync for ${syncSeconds} s`);
  await sleep(syncSeconds * 1000);
  screenshot('01-after-sync');

  // 4. Push.
  const stamp = new Date().toISOString().slice(11, 19);
  const pushedSubject = `Pushed by SMTP ${stamp}`;
  const logMark = imapLogLines('tb').length;
  const delivered = Date.now();
  await deliverBySmtp(pushedSubject);
  const arrived = await waitFor('the pushed message in INBOX', async () => (await folderState(m, 'INBOX'))?.subjects.includes(pushedSubject), 60_000).catch(() => false);
  record('delivered message appeared in INBOX without polling', arrived === true, arrived ? `${Date.now() - delivered} ms after the SMTP 250` : 'not seen in 60 s');
  const exists = imapLogLines('tb').slice(logMark).find((line) => /CreateNewLineFromSocket: \* \d+ EXISTS/.test(line));
  record('it came as an untagged EXISTS on the IDLE connection', exists !== undefined, exists?.replace(/^.*CreateNewLineFromSocket: /, '').trim() ?? '');
  await showFolder(m, 'INBOX', 1);
  screenshot('02-inbox-after-push');

  // 5. Send from Thunderbird.
  const sentSubject = `Sent from Thunderbird ${stamp}`;
  await composeAndSend(m, sentSubject);
  const sentCopy = await waitFor('the Sent copy', async () => (await folderState(m, 'Sent'))?.subjects.includes(sentSubject), 60_000).catch(() => false);
  record('the sent copy is in Sent (APPEND)', sentCopy === true && countCommands('APPEND') >= 1);
  const selfCopy = await waitFor('the sent message in INBOX', async () => (await folderState(m, 'INBOX'))?.subjects.includes(sentSubject), 60_000).catch(() => false);
  record('the message sent to self arrived in INBOX', selfCopy === true);
  await showFolder(m, 'Sent', 1);
  screenshot('04-sent-folder');

  // 6. File the pushed message into a new folder.
  await fileInto(m, pushedSubject, 'Filed');
  const filed = await waitFor('the message in Filed', async () => {
    const [target, inbox] = [await folderState(m, 'Filed'), await folderState(m, 'INBOX')];
    return target?.subjects.includes(pushedSubject) && !inbox?.subjects.includes(pushedSubject);
  }, 60_000).catch(() => false);
  const filedRows = await showFolder(m, 'Filed', 1);
  record('message filed into a new folder (CREATE + UID MOVE)', filed === true && filedRows === 1 && countCommands('UID MOVE') >= 1);
  screenshot('05-filed-folder');

  // 7. More of what users do.
  await userActions(m, stamp);
  const inboxState = await folderState(m, 'INBOX');
  record('every INBOX body downloaded for offline use', !!inboxState && inboxState.offline === inboxState.total, JSON.stringify(inboxState));
  const before = Object.fromEntries(await Promise.all(['INBOX', 'Sent', 'Filed', 'Drafts'].map(async (path) => [path, (await folderState(m, path))?.total])));

  // 8. Restart on the same profile.
  await quitThunderbird(m, tb);
  tb = startThunderbird('tb-restart');
  m = await marionette();
  await sleep(Math.min(syncSeconds, 30) * 1000);
  const after = Object.fromEntries(await Promise.all(['INBOX', 'Sent', 'Filed', 'Drafts'].map(async (path) => [path, (await folderState(m, path))?.total])));
  record('after a restart Thunderbird shows the same folders and counts', JSON.stringify(before) === JSON.stringify(after), JSON.stringify(after));
  await showFolder(m, 'INBOX', 1);
  screenshot('07-inbox-after-restart');

  if (options.keep) {
    say(`--keep: Thunderbird (DISPLAY=${display}, Marionette port in profile/MarionetteActivePort) and Bridgehead keep running; Ctrl+C ends them`);
    m.close();
    await new Promise(() => {});
  }
  await quitThunderbird(m, tb);
  await sleep(1000);
  await stop(server);
  await stop(xvfb);
  checkLogs();
  writeFileSync(join(runDir, 'results.json'), JSON.stringify(results, null, 2));
  const failed = results.filter((result) => !result.ok);
  say(failed.length === 0 ? `all ${results.length} checks passed` : `${failed.length} of ${results.length} checks failed:\n  ${failed.map((f) => f.step).join('\n  ')}`);
  return failed.length === 0 ? 0 : 1;
}

async function cleanup(): Promise<void> {
  for (const child of children.reverse()) await stop(child);
}

process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    say(`error: ${(error as Error).stack ?? String(error)}`);
    writeFileSync(join(runDir, 'results.json'), JSON.stringify(results, null, 2));
    await cleanup();
    process.exit(2);
  });
