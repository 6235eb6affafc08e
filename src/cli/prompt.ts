/**
 * Reading a password: from a terminal prompt without echo (asked twice when setting one), or the
 * first line of standard input with --password-stdin. Never from argv, where `ps` and shell
 * history would show it.
 */
import type { CommandIo } from './common.js';

export async function readPasswordFromStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    if (Buffer.concat(chunks).includes(0x0a)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const newline = text.indexOf('\n');
  return (newline >= 0 ? text.slice(0, newline) : text).replace(/\r$/, '');
}

function promptHidden(io: CommandIo, question: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  return new Promise((resolve, reject) => {
    io.stderr.write(question);
    let answer = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          finish();
          io.stderr.write('\n');
          resolve(answer);
          return;
        }
        if (char === '\u0003') {
          finish();
          io.stderr.write('\n');
          reject(new Error('cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
        else answer += char;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

export async function readNewPassword(io: CommandIo, options: { fromStdin: boolean }): Promise<string> {
  if (options.fromStdin) return readPasswordFromStdin(io.stdin);
  if (!io.stdin.isTTY) {
    throw new Error('no terminal to prompt for the password: pipe it in with --password-stdin');
  }
  const first = await promptHidden(io, 'Password: ');
  const second = await promptHidden(io, 'Repeat password: ');
  if (first !== second) throw new Error('the passwords do not match');
  return first;
}
