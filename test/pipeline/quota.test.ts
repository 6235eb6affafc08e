/**
 * Quotas end to end: `bridgehead user quota` against a running server, the configured default,
 * SMTP delivery refused with 452 4.2.2 (over the quota for now) and 552 5.2.2 (the message alone
 * is larger than the quota), and the size syntax.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { parseQuotaSize } from '../../src/pipeline/quota.js';
import { cli, startTestServer } from '../support/app.js';

/** A line-based SMTP client: send a line, read the complete reply (last line "ddd "). */
class SmtpLines {
  private buffer = '';
  private waiting: (() => void) | null = null;
  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
  }
  async reply(): Promise<string> {
    for (;;) {
      const match = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(this.buffer);
      if (match) {
        const end = match.index + match[0].length;
        const reply = this.buffer.slice(0, end).trim();
        this.buffer = this.buffer.slice(end);
        return reply.split('\r\n').at(-1)!;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
  async send(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }
}

function message(size: number): string {
  const head = 'From: bob@example.test\r\nTo: alice@example.test\r\nSubject: Quota\r\n\r\n';
  const body = 'q'.repeat(Math.max(0, size - head.length - 2));
  return `${head}${body.replace(/(.{70})/g, '$1\r\n')}\r\n`;
}

async function deliver(port: number, body: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const smtp = new SmtpLines(socket);
  try {
    await smtp.reply();
    await smtp.send('EHLO client.example.test');
    await smtp.send('MAIL FROM:<bob@example.test>');
    const rcpt = await smtp.send('RCPT TO:<alice@example.test>');
    if (!rcpt.startsWith('250')) return rcpt;
    await smtp.send('DATA');
    return await smtp.send(`${body}.`);
  } finally {
    socket.destroy();
  }
}

t.test('quota size syntax', async (t) => {
  t.equal(parseQuotaSize('2G'), 2 * 1024 ** 3);
  t.equal(parseQuotaSize('500M'), 500 * 1024 ** 2);
  t.equal(parseQuotaSize('1.5KiB'), 1536);
  t.equal(parseQuotaSize('4096'), 4096);
  t.equal(parseQuotaSize('none'), 0);
  t.equal(parseQuotaSize('Default'), null);
  t.throws(() => parseQuotaSize('0'), /positive size/);
  t.throws(() => parseQuotaSize('lots'), /invalid quota/);
});

t.test('user quota from the command line; SMTP 452 4.2.2 and 552 5.2.2', async (t) => {
  const server = await startTestServer(t, undefined, { quota: { defaultBytes: 1024 * 1024 } });
  const args = ['-c', server.configPath];
  t.match(await cli(['domain', 'add', 'example.test', ...args]), { code: 0 });
  t.match(await cli(['user', 'add', 'alice@example.test', '--password-stdin', ...args], { stdin: 'secret-one\n' }), { code: 0 });
  t.match(await cli(['user', 'quota', 'alice@example.test', ...args]), {
    code: 0,
    stdout: 'user:  alice@example.test\nquota: default (1 MiB)\nused:  0 octets\n',
  });
  t.match(await cli(['user', 'quota', 'alice@example.test', '8K', ...args]), { code: 0, stdout: /quota: 8 KiB\n/ });
  t.match(await cli(['user', 'quota', 'alice@example.test', 'lots', ...args]), { code: 2, stderr: /invalid quota: lots/ });
  t.match(await cli(['user', 'quota', 'nobody@example.test', '1M', ...args]), { code: 1, stderr: /no such user/ });

  const mx = server.port('smtp.mx');
  t.match(await deliver(mx, message(5000)), /^250 /, 'fits');
  t.equal(await deliver(mx, message(5000)), '452 4.2.2 Mailbox full, try again later', 'over the quota for now');
  t.equal(await deliver(mx, message(9000)), '552 5.2.2 Message is larger than the mailbox quota', 'can never fit');
  const inbox = await server.app.store.getMailbox('alice@example.test', 'INBOX');
  t.equal(inbox!.messages, 1, 'nothing stored by the refused ones');
  t.match(await cli(['user', 'quota', 'alice@example.test', ...args]), { code: 0, stdout: /used:  [45]\.\d+ KiB\n/ });

  t.match(await cli(['user', 'quota', 'alice@example.test', 'none', ...args]), { code: 0, stdout: /quota: none\n/ });
  t.match(await deliver(mx, message(9000)), /^250 /, 'no limit');
  t.match(await cli(['user', 'quota', 'alice@example.test', 'default', ...args]), { code: 0, stdout: /quota: default \(1 MiB\)\n/ });
});
