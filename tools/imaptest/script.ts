/**
 * Parser for imaptest's scripted test files (docs/scripted_test.md in dovecot/imaptest),
 * written from the format documentation.
 *
 * A file is a header of `key: value` lines, an empty line, then commands grouped with the
 * replies they expect:
 *   - `[conn] OK|NO|BAD|"" command` (reply given first), or
 *   - `[conn] [tagN] command` followed later by `[conn] [tagN] OK|NO|BAD|"" [prefix]`
 *     (several tagged commands before their replies are pipelined);
 *   - `* reply` must arrive, `! reply` must not, `? reply` may.
 * `#` lines are comments. `{{{` at the end of a line starts a multi-line literal that ends at a
 * line starting with `}}}`; its lines are joined with CRLF and the last line break is dropped.
 * `~{{{` makes a literal8 whose lines keep the file's own line ends (LF or CRLF).
 * `!ifenv VAR` / `!ifnenv VAR` / `!else` / `!endif` include lines by environment.
 */
import { parseArgs, type ImapArg } from './args.js';

export type StartState = 'nonauth' | 'auth' | 'created' | 'appended' | 'selected';
export const START_STATES: StartState[] = ['nonauth', 'auth', 'created', 'appended', 'selected'];

export interface ExpectedUntagged {
  existence: 'must' | 'mustNot' | 'may';
  args: ImapArg[];
  line: number;
}

export interface ScriptCommand {
  /** 0 when the command is not pipelined with an explicit tag. */
  tag: number;
  text: string;
  /** The expected tagged reply (status and optional prefix), null until its reply line is read. */
  reply: ImapArg[] | null;
  line: number;
}

export interface CommandGroup {
  connection: number;
  commands: ScriptCommand[];
  untagged: ExpectedUntagged[];
  ordered: boolean;
  sleepMs: number;
}

export interface Script {
  name: string;
  capabilities: string[];
  connections: number;
  /** null = every message of the mbox. */
  messages: number | null;
  state: StartState;
  ignoreExtraUntagged: boolean;
  groups: CommandGroup[];
}

export class ScriptError extends Error {}

interface SourceLine {
  text: string;
  crlf: boolean;
  number: number;
}

function splitLines(source: string): SourceLine[] {
  const lines: SourceLine[] = [];
  let start = 0;
  let number = 1;
  while (start < source.length) {
    const end = source.indexOf('\n', start);
    if (end < 0) throw new ScriptError('last line does not end with LF');
    let text = source.slice(start, end);
    const crlf = text.endsWith('\r');
    if (crlf) text = text.slice(0, -1);
    lines.push({ text, crlf, number: number++ });
    start = end + 1;
  }
  return lines;
}

/** Joins `{{{` … `}}}` blocks into logical lines holding `{n}\r\n<bytes>` literals. */
function logicalLines(lines: SourceLine[]): SourceLine[] {
  const out: SourceLine[] = [];
  let index = 0;
  while (index < lines.length) {
    const first = lines[index++]!;
    let text = first.text;
    while (text.endsWith('{{{')) {
      const binary = text.endsWith('~{{{');
      let prefix = text.slice(0, text.length - (binary ? 4 : 3));
      const parts: string[] = [];
      for (;;) {
        const line = lines[index++];
        if (!line) throw new ScriptError(`multi-line literal from line ${first.number} not ended`);
        if (line.text.startsWith('}}}')) {
          const data = parts.join('');
          const ending = binary ? parts.length > 0 ? lastEnding(parts) : '' : parts.length > 0 ? '\r\n' : '';
          const body = data.slice(0, data.length - ending.length);
          prefix += `${binary ? '~' : ''}{${body.length}}\r\n${body}`;
          text = prefix + line.text.slice(3);
          break;
        }
        parts.push(line.text + (binary && !line.crlf ? '\n' : '\r\n'));
      }
    }
    out.push({ text, crlf: first.crlf, number: first.number });
  }
  return out;
}

function lastEnding(parts: string[]): string {
  return parts[parts.length - 1]!.endsWith('\r\n') ? '\r\n' : '\n';
}

const REPLY_WORDS = new Map([['ok', 'ok'], ['no', 'no'], ['bad', 'bad'], ['""', '']]);

/** Splits an optional `tagN` and the OK/NO/BAD/"" word off the front of a line. */
function takeReply(line: string): { tag: number; reply: string | null; rest: string } {
  let rest = line;
  let tag = 0;
  const tagMatch = /^tag(\d+) /i.exec(rest);
  if (tagMatch && Number(tagMatch[1]) > 0) {
    tag = Number(tagMatch[1]);
    rest = rest.slice(tagMatch[0].length);
  }
  const word = rest.split(' ', 1)[0]!;
  const reply = REPLY_WORDS.get(word.toLowerCase());
  if (reply === undefined) return { tag, reply: null, rest };
  rest = rest.slice(word.length);
  if (rest.startsWith(' ')) rest = rest.slice(1);
  return { tag, reply, rest };
}

export function parseScript(name: string, source: string, env: NodeJS.ProcessEnv = process.env): Script {
  const script: Script = {
    name,
    capabilities: [],
    connections: 1,
    messages: null,
    state: 'selected',
    ignoreExtraUntagged: true,
    groups: [],
  };
  let inHeader = true;
  let group: CommandGroup | null = null;
  let pending = 0;
  const ifStack: { skip: boolean; elseSeen: boolean }[] = [];
  let skip = false;

  for (const { text: line, number } of logicalLines(splitLines(source))) {
    const fail = (message: string): never => {
      throw new ScriptError(`${name} line ${number}: ${message}`);
    };
    if (line === '') {
      inHeader = false;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (inHeader) {
      const colon = line.indexOf(':');
      if (colon < 0) fail("header line without ':'");
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'capabilities') script.capabilities = value.split(/\s+/).filter(Boolean);
      else if (key === 'connections') script.connections = Number(value);
      else if (key === 'messages') script.messages = value === 'all' ? null : Number(value);
      else if (key === 'ignore_extra_untagged') script.ignoreExtraUntagged = value.startsWith('y');
      else if (key === 'state') {
        const state = value.toLowerCase() as StartState;
        if (!START_STATES.includes(state)) fail(`unknown state ${value}`);
        script.state = state;
      } else fail(`unknown header ${key}`);
      continue;
    }

    const env1 = /^!(ifenv|ifnenv) (.*)$/.exec(line);
    if (env1) {
      ifStack.push({ skip, elseSeen: false });
      const present = env[env1[2]!] !== undefined;
      if ((env1[1] === 'ifenv') !== present) skip = true;
      continue;
    }
    if (line === '!else') {
      const top = ifStack[ifStack.length - 1];
      if (!top || top.elseSeen) fail('!else without !ifenv');
      top!.elseSeen = true;
      if (!top!.skip) skip = !skip;
      continue;
    }
    if (line === '!endif') {
      const top = ifStack.pop();
      if (!top) fail('!endif without !ifenv');
      skip = top!.skip;
      continue;
    }
    if (skip) continue;

    if (group) {
      if (line.startsWith('!sleep ')) {
        group.sleepMs = Number.parseFloat(line.slice(7)) * (line.endsWith('ms') ? 1 : 1000);
        continue;
      }
      if (line.startsWith('!output ')) continue;
      if (line === '!ordered') {
        group.ordered = true;
        continue;
      }
      const marker = line.slice(0, 2);
      if (marker === '* ' || marker === '! ' || marker === '? ') {
        const existence = marker === '* ' ? 'must' : marker === '! ' ? 'mustNot' : 'may';
        group.untagged.push({ existence, args: parseArgs(line.slice(2)), line: number });
        continue;
      }
      if (pending > 0) {
        let rest = line;
        let connection = 0;
        const connMatch = /^(\d+) /.exec(rest);
        if (script.connections > 1 && connMatch && Number(connMatch[1]) > 0) {
          connection = Number(connMatch[1]);
          rest = rest.slice(connMatch[0].length);
        }
        const reply = takeReply(rest);
        if (reply.reply !== null) {
          if (script.connections > 1 && connection === 0) fail('missing connection number');
          if (script.connections > 1 && connection - 1 !== group.connection) fail('reply for the wrong connection');
          const command = group.commands.find((candidate) => candidate.tag === reply.tag);
          if (!command) fail('reply for an unknown tag');
          if (command!.reply) fail('command already has a reply');
          const args = parseArgs(rest);
          command!.reply = reply.tag === 0 ? args : args.slice(1);
          pending--;
          continue;
        }
      }
    }

    if (!group || pending === 0) {
      group = { connection: 0, commands: [], untagged: [], ordered: false, sleepMs: 0 };
      script.groups.push(group);
    }
    let rest = line;
    if (script.connections > 1) {
      const connMatch = /^(\d+)(?: |$)/.exec(rest);
      if (!connMatch || Number(connMatch[1]) === 0) fail('missing connection number');
      const connection = Number(connMatch![1]) - 1;
      if (group.commands.length > 0 && group.connection !== connection) {
        fail('pipelined commands must use the same connection');
      }
      group.connection = connection;
      script.connections = Math.max(script.connections, connection + 1);
      rest = rest.slice(connMatch![0].length);
    }
    const reply = takeReply(rest);
    if (reply.tag === 0 && pending > 0) fail('missing reply for the previous command');
    if (reply.tag !== 0 && group.commands.some((command) => command.tag === reply.tag)) fail('tag reused in a group');
    const replyArgs: ImapArg[] | null = reply.reply === null ? null : [{ kind: 'atom', value: reply.reply }];
    if (!replyArgs) pending++;
    group.commands.push({ tag: reply.tag, text: reply.rest, reply: replyArgs, line: number });
  }
  if (ifStack.length > 0) throw new ScriptError(`${name}: !ifenv not closed`);
  if (pending > 0) throw new ScriptError(`${name}: a command has no reply line`);
  if (script.groups.length === 0) throw new ScriptError(`${name}: no commands`);
  return script;
}
