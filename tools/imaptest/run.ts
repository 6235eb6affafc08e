/**
 * Runs Dovecot imaptest's scripted tests (the files in src/tests of github.com/dovecot/imaptest)
 * against an IMAP server and prints PASS / FAIL / SKIP per test. Our own implementation of the
 * documented format (docs/scripted_test.md); see README.md next to this file for usage and the
 * known differences from the real imaptest.
 *
 * Per test: connect `connections:` clients (STARTTLS first when the server advertises
 * LOGINDISABLED), log in, check `capabilities:` (SKIP when one is missing), delete every
 * mailbox matching `<mailbox>*` and unsubscribe them, then as `state:` asks create the test
 * mailbox, APPEND the messages of `<name>.mbox` (else `default.mbox`; `messages: N` wraps
 * around), SELECT it on every connection, and run the command groups.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { parseArgs as parseCli } from 'node:util';
import { astring, formatArgs, parseArgs, type ImapArg } from './args.js';
import { ImapConnection, type Response } from './connection.js';
import { FULL_MATCH, Matcher } from './match.js';
import { parseScript, START_STATES, type CommandGroup, type Script, type StartState } from './script.js';

interface Options {
  host: string;
  port: number;
  tls: boolean;
  user: string;
  password: string;
  mailbox: string;
  timeoutMs: number;
  verbose: boolean;
}

interface MboxMessage {
  body: string;
  internalDate: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const FROM_LINE = /^From \S+\s+\w{3} (\w{3})\s+(\d{1,2}) (\d\d:\d\d:\d\d) (\d{4})(?: ([+-]\d{4}))?/;

/** An mbox file's messages: each From_ line starts one, its lines get CRLF ends. */
export function readMbox(source: string): MboxMessage[] {
  const messages: MboxMessage[] = [];
  let current: { lines: string[]; date: string } | null = null;
  const lines = source.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const from = FROM_LINE.exec(line);
    if (from) {
      if (current && current.lines.length > 0) messages.push({ body: current.lines.map((l) => `${l}\r\n`).join(''), internalDate: current.date });
      const month = MONTHS.findIndex((name) => name.toLowerCase() === from[1]!.toLowerCase());
      const date = `${from[2]!.padStart(2, '0')}-${MONTHS[month] ?? 'Jan'}-${from[4]} ${from[3]} ${from[5] ?? '+0000'}`;
      current = { lines: [], date };
      continue;
    }
    if (!current) throw new Error('mbox does not start with a From_ line');
    current.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
  if (current && current.lines.length > 0) messages.push({ body: current.lines.map((l) => `${l}\r\n`).join(''), internalDate: current.date });
  if (messages.length === 0) throw new Error('empty mbox');
  return messages;
}

class MboxSource {
  private next = 0;
  constructor(private readonly messages: MboxMessage[]) {}
  take(): MboxMessage {
    const message = this.messages[this.next % this.messages.length]!;
    this.next++;
    return message;
  }
  get exhausted(): boolean {
    return this.next >= this.messages.length;
  }
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

class TestFailure extends Error {}

interface Outcome {
  status: 'PASS' | 'FAIL' | 'SKIP';
  reason?: string;
  failures: string[];
}

class TestRun {
  private readonly connections: ImapConnection[] = [];
  private readonly matcher = new Matcher();
  private readonly failures: string[] = [];
  private tagCounter = 0;
  private literalPlus = false;

  constructor(
    private readonly script: Script,
    private readonly source: MboxSource,
    private readonly options: Options,
  ) {}

  private nextTag(connection: number): string {
    return `${connection + 1}.${++this.tagCounter}`;
  }

  private atLeast(state: StartState): boolean {
    return START_STATES.indexOf(this.script.state) >= START_STATES.indexOf(state);
  }

  async run(): Promise<Outcome> {
    try {
      const skip = await this.setup();
      if (skip) return { status: 'SKIP', reason: skip, failures: [] };
      for (const [index, group] of this.script.groups.entries()) {
        await this.runGroup(group, index);
        if (this.failures.length >= 40) break;
      }
    } catch (error) {
      this.failures.push(error instanceof TestFailure ? error.message : `error: ${(error as Error).message}`);
    } finally {
      for (const connection of this.connections) connection.close();
    }
    return { status: this.failures.length === 0 ? 'PASS' : 'FAIL', failures: this.failures };
  }

  private async setupCommand(connection: ImapConnection, index: number, command: string, options: { allowNo: boolean }): Promise<Response[]> {
    const tag = this.nextTag(index);
    const responses = await connection.simple(tag, command, this.options.timeoutMs);
    const tagged = responses[responses.length - 1]!;
    const status = astring(tagged.args[0])?.toUpperCase();
    if (status !== 'OK' && !(options.allowNo && status === 'NO')) {
      throw new TestFailure(`setup command failed: ${command}\n   got: ${tagged.raw}`);
    }
    return responses;
  }

  /** Returns a reason to skip the test, or null. */
  private async setup(): Promise<string | null> {
    const { options, script } = this;
    const mailbox = options.mailbox;
    const [localPart, domain] = options.user.includes('@') ? options.user.split('@', 2) : [options.user, options.host];
    const variables = this.matcher.variables;
    for (let index = 0; index < script.connections; index++) {
      const connection = await ImapConnection.open(options);
      this.connections.push(connection);
      const greeting = await connection.next(options.timeoutMs);
      if (greeting.tag !== '*') throw new TestFailure(`bad greeting: ${greeting.raw}`);
      if (connection.capabilities.length === 0) await this.setupCommand(connection, index, 'CAPABILITY', { allowNo: false });
      const upper = connection.capabilities.map((cap) => cap.toUpperCase());
      if (!options.tls && upper.includes('STARTTLS') && upper.includes('LOGINDISABLED')) {
        await this.setupCommand(connection, index, 'STARTTLS', { allowNo: false });
        await connection.startTls(options.host);
        await this.setupCommand(connection, index, 'CAPABILITY', { allowNo: false });
      }
      this.literalPlus = connection.capabilities.some((cap) => cap.toUpperCase() === 'LITERAL+');
      const suffix = index === 0 ? '' : String(index + 1);
      variables.set(`user${suffix}`, options.user);
      variables.set(`username${suffix}`, localPart!);
      variables.set(`domain${suffix}`, domain!);
      variables.set(`password${suffix}`, options.password);
      if (script.state !== 'nonauth') {
        await this.setupCommand(connection, index, `LOGIN ${quote(options.user)} ${quote(options.password)}`, { allowNo: false });
      }
    }
    variables.set('mailbox', mailbox);
    variables.set('mailbox_url', encodeURIComponent(mailbox).replace(/%2F/g, '/'));

    const first = this.connections[0]!;
    await this.setupCommand(first, 0, 'CAPABILITY', { allowNo: false });
    this.literalPlus = first.capabilities.some((cap) => cap.toUpperCase() === 'LITERAL+');
    const have = new Set(first.capabilities.map((cap) => cap.toUpperCase()));
    const missing = script.capabilities.filter((cap) => !have.has(cap.toUpperCase()));
    if (missing.length > 0) return `server lacks ${missing.join(' ')}`;
    if (script.state === 'nonauth') return null;

    const listed = await this.setupCommand(first, 0, `LIST "" ${quote(`${mailbox}*`)}`, { allowNo: false });
    const subscribed = await this.setupCommand(first, 0, `LSUB "" ${quote(`${mailbox}*`)}`, { allowNo: false });
    const names = (responses: Response[], word: string): string[] =>
      responses.flatMap((response) => {
        if (response.tag !== '*' || astring(response.args[0])?.toUpperCase() !== word) return [];
        const name = astring(response.args[3]);
        return name === null ? [] : [name];
      });
    const byReverseName = (a: string, b: string): number => b.toLowerCase().localeCompare(a.toLowerCase());
    for (const name of [...new Set(names(listed, 'LIST'))].sort(byReverseName)) {
      await this.setupCommand(first, 0, `DELETE ${quote(name)}`, { allowNo: true });
    }
    for (const name of [...new Set(names(subscribed, 'LSUB'))].sort(byReverseName)) {
      await this.setupCommand(first, 0, `UNSUBSCRIBE ${quote(name)}`, { allowNo: true });
    }
    if (!this.atLeast('created')) return null;
    if (mailbox.toUpperCase() !== 'INBOX') await this.setupCommand(first, 0, `CREATE ${quote(mailbox)}`, { allowNo: false });
    if (!this.atLeast('appended')) return null;
    const wanted = script.messages;
    for (let count = 0; wanted === null ? !this.source.exhausted : count < wanted; count++) {
      await this.appendMessage(first, 0, quote(mailbox), true);
    }
    if (!this.atLeast('selected')) return null;
    for (const [index, connection] of this.connections.entries()) {
      await this.setupCommand(connection, index, `SELECT ${quote(mailbox)}`, { allowNo: false });
    }
    return null;
  }

  private appendText(args: string, withDate: boolean): string {
    const message = this.source.take();
    const date = withDate ? ` ${quote(message.internalDate)}` : '';
    return `APPEND ${args}${date} {${message.body.length}}\r\n${message.body}`;
  }

  private async appendMessage(connection: ImapConnection, index: number, args: string, withDate: boolean): Promise<void> {
    const tag = this.nextTag(index);
    await this.sendCommand(connection, tag, this.appendText(args, withDate), () => undefined);
    for (;;) {
      const response = await connection.next(this.options.timeoutMs);
      if (response.tag !== tag) continue;
      if (astring(response.args[0])?.toUpperCase() !== 'OK') throw new TestFailure(`setup APPEND failed: ${response.raw}`);
      return;
    }
  }

  /**
   * Writes a command whose text may hold `{n}\r\n` literals: non-synchronizing when the server
   * has LITERAL+, else waiting for each continuation (other responses go to onOther).
   */
  private async sendCommand(connection: ImapConnection, tag: string, text: string, onOther: (response: Response) => void): Promise<void> {
    const pieces: string[] = [];
    let rest = text;
    for (;;) {
      const marker = /(~?)\{(\d+)\}\r\n/.exec(rest);
      if (!marker) break;
      const size = Number(marker[2]);
      const dataStart = marker.index + marker[0].length;
      pieces.push(rest.slice(0, marker.index) + `${marker[1]}{${size}${this.literalPlus ? '+' : ''}}\r\n`);
      pieces.push(rest.slice(dataStart, dataStart + size));
      rest = rest.slice(dataStart + size);
    }
    pieces.push(`${rest}\r\n`);
    if (this.literalPlus) {
      connection.write(`${tag} ${pieces.join('')}`);
      return;
    }
    connection.write(`${tag} ${pieces[0]}`);
    for (let index = 1; index < pieces.length; index += 2) {
      for (;;) {
        const response = await connection.next(this.options.timeoutMs);
        if (response.tag === '+') break;
        if (response.tag === tag) throw new TestFailure(`literal refused: ${response.raw}`);
        onOther(response);
      }
      connection.write(pieces[index]! + pieces[index + 1]!);
    }
  }

  /** The text to send for a script command, with APPENDs without a body given the next mbox message. */
  private commandText(text: string): string {
    if (/^append$/i.test(text)) return this.appendText(quote(this.options.mailbox), true);
    const append = /^append (.*)$/is.exec(text);
    if (append && !/\{\d+\}\r\n|\bcatenate\b/i.test(append[1]!)) {
      let args: ImapArg[] = [];
      try {
        args = parseArgs(append[1]!);
      } catch {
        args = [];
      }
      const hasDate = args.slice(1).some((arg) => arg.kind === 'string');
      return this.appendText(append[1]!, !hasDate);
    }
    return text;
  }

  private async runGroup(group: CommandGroup, groupIndex: number): Promise<void> {
    const connection = this.connections[group.connection];
    if (!connection) throw new TestFailure(`group ${groupIndex + 1} uses connection ${group.connection + 1}, which does not exist`);
    const matcher = this.matcher;
    matcher.seqmap = Array.from({ length: connection.messageCount }, (_, index) => index + 1);
    const found = new Array<boolean>(group.untagged.length).fill(false);
    const best: { score: number; raw: string }[] = group.untagged.map(() => ({ score: -1, raw: '' }));
    const received: string[] = [];
    const problems: string[] = [];
    const sent = new Map<string, (typeof group.commands)[number]>();
    let firstTag = '';
    const describe = (): string => {
      const commands = group.commands.map((command) => `${group.connection + 1}: ${command.text.length > 300 ? `${command.text.slice(0, 300)}…` : command.text} (line ${command.line})`);
      const shown = received.slice(-25).map((raw) => `     S: ${raw.length > 400 ? `${raw.slice(0, 400)}…` : raw}`.replace(/\r\n/g, '\\r\\n'));
      return [`   command: ${commands.join('\n            ')}`, ...problems.map((problem) => `   ${problem}`), '   server sent:', ...shown].join('\n');
    };

    const onUntagged = (response: Response): void => {
      received.push(response.raw);
      const args = response.args;
      const word = astring(args[0])?.toUpperCase() ?? '';
      const prefix = ['OK', 'NO', 'BAD', 'BYE'].includes(word);
      if (group.untagged.length > 0 || !this.script.ignoreExtraUntagged) {
        let matchedSome = false;
        for (const [index, expected] of group.untagged.entries()) {
          if (found[index]) continue;
          matcher.beginAttempt();
          if (firstTag) matcher.variables.set('tag', firstTag);
          const score = matcher.matchReply(expected.args, args, { prefix });
          matcher.variables.delete('tag');
          if (score === FULL_MATCH) {
            if (expected.existence === 'mustNot') {
              problems.push(`unexpected reply matched "! ${formatArgs(expected.args)}" (line ${expected.line}): ${response.raw}`);
              return;
            }
            found[index] = true;
            matchedSome = true;
            if (group.ordered) break;
            continue;
          }
          if (score > best[index]!.score) best[index] = { score, raw: response.raw };
          matcher.revertAttempt();
          if (group.ordered && expected.existence === 'must') break;
        }
        if (!matchedSome && !this.script.ignoreExtraUntagged) problems.push(`unexpected untagged reply: ${response.raw}`);
      }
      if (/^\d+$/.test(word) && astring(args[1])?.toUpperCase() === 'EXPUNGE') matcher.expunged(Number(word));
    };

    for (const command of group.commands) {
      let text: string;
      try {
        text = this.commandText(matcher.expandCommand(command.text, { keepUnset: false }));
      } catch (error) {
        throw new TestFailure(`line ${command.line}: ${(error as Error).message}\n${describe()}`);
      }
      const tag = this.nextTag(group.connection);
      firstTag ||= tag;
      sent.set(tag, command);
      await this.sendCommand(connection, tag, text, onUntagged);
    }
    while (sent.size > 0) {
      let response: Response;
      try {
        response = await connection.next(this.options.timeoutMs);
      } catch (error) {
        problems.push(`waiting for a tagged reply: ${(error as Error).message}`);
        this.failures.push(`group ${groupIndex + 1}\n${describe()}`);
        throw new TestFailure(`aborted after group ${groupIndex + 1}`);
      }
      if (response.tag === '*') {
        onUntagged(response);
        continue;
      }
      if (response.tag === '+') {
        received.push(response.raw);
        problems.push(`unexpected continuation request: ${response.raw}`);
        continue;
      }
      received.push(response.raw);
      const command = sent.get(response.tag);
      if (!command) {
        problems.push(`reply with an unknown tag: ${response.raw}`);
        continue;
      }
      sent.delete(response.tag);
      matcher.beginAttempt();
      matcher.variables.set('tag', response.tag);
      const score = matcher.matchReply(command.reply!, response.args, { prefix: true });
      matcher.variables.delete('tag');
      if (score !== FULL_MATCH) {
        problems.push(`expected tagged "${formatArgs(command.reply!)}", got: ${response.raw}`);
      }
    }
    for (const [index, expected] of group.untagged.entries()) {
      if (expected.existence !== 'must' || found[index]) continue;
      let expanded: string;
      try {
        expanded = matcher.expandCommand(formatArgs(expected.args, 100000), { keepUnset: true });
      } catch {
        expanded = formatArgs(expected.args);
      }
      problems.push(`missing "* ${formatArgs(expected.args)}" (line ${expected.line})\n     expanded: * ${expanded.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}${best[index]!.raw ? `\n     closest: ${best[index]!.raw.replace(/\r\n/g, '\\r\\n')}` : ''}`);
    }
    if (problems.length > 0) this.failures.push(`group ${groupIndex + 1}\n${describe()}`);
    if (group.sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, group.sleepMs));
  }
}

function usage(): never {
  process.stderr.write(
    'usage: npx tsx tools/imaptest/run.ts --tests DIR [--host H] [--port P] [--tls] [--user U] [--password P]\n' +
      '       [--mailbox NAME] [--timeout MS] [test names...]\n',
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parseCli({
    allowPositionals: true,
    options: {
      tests: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      tls: { type: 'boolean', default: false },
      user: { type: 'string', default: 'tester@example.test' },
      password: { type: 'string', default: 'secretpw' },
      mailbox: { type: 'string', default: 'imaptest' },
      timeout: { type: 'string', default: '10000' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.tests) usage();
  const options: Options = {
    host: values.host!,
    port: Number(values.port ?? (values.tls ? 993 : 143)),
    tls: values.tls!,
    user: values.user!,
    password: values.password!,
    mailbox: values.mailbox!,
    timeoutMs: Number(values.timeout),
    verbose: values.verbose!,
  };
  const dir = values.tests;
  const names = positionals.length > 0
    ? positionals.map((name) => basename(name))
    : readdirSync(dir).filter((name) => !name.startsWith('.') && !name.endsWith('.mbox') && !name.startsWith('Makefile')).sort();
  const counts = { PASS: 0, FAIL: 0, SKIP: 0 };
  for (const name of names) {
    const path = join(dir, name);
    let outcome: Outcome;
    try {
      const script = parseScript(name, readFileSync(path, 'latin1'));
      const mboxPath = existsSync(`${path}.mbox`) ? `${path}.mbox` : join(dir, 'default.mbox');
      const source = new MboxSource(readMbox(readFileSync(mboxPath, 'latin1')));
      outcome = await new TestRun(script, source, options).run();
    } catch (error) {
      outcome = { status: 'FAIL', failures: [`cannot run: ${(error as Error).message}`] };
    }
    counts[outcome.status]++;
    const reason = outcome.reason ? ` (${outcome.reason})` : '';
    process.stdout.write(`${outcome.status} ${name}${reason}\n`);
    for (const failure of outcome.failures) process.stdout.write(`${failure.replace(/^/gm, '  ')}\n`);
  }
  process.stdout.write(`\n${names.length} tests: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.SKIP} skipped\n`);
  process.exitCode = counts.FAIL > 0 ? 1 : 0;
}

await main();
