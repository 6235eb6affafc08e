/**
 * Helpers for plugin tests: a whole server (startTestServer) with plugins from the fixture folder
 * and the built-in ones, users made with a cheap password hash, and a raw SMTP session.
 */
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import type { Test } from 'tap';
import { UserManager } from '../../src/pipeline/users.js';
import type { Store } from '../../src/store/types.js';
import { startTestServer, type TestServer } from '../support/app.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const PASSWORD = 'correct horse battery staple';

/** Starts the app with `plugins` (merged over the fixture directory) and the given users. */
export async function startPluginServer(
  t: Test,
  plugins: Record<string, unknown>,
  options: { users?: string[]; domains?: string[] } = {},
): Promise<TestServer> {
  const server = await startTestServer(t, undefined, { plugins: { directory: FIXTURES, ...plugins } });
  const users = new UserManager(server.app.store, { passwordHashLogN: 4 });
  for (const domain of options.domains ?? ['example.test']) await users.addDomain(domain);
  for (const user of options.users ?? []) await users.addUser(user, PASSWORD);
  return server;
}

/** Submission over implicit TLS as `user`. */
export function submitter(server: TestServer, user: string) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.port('smtp.submissions'),
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user, pass: PASSWORD },
  });
}

/** The raw messages in a folder of an account. */
export async function folderOf(store: Store, account: string, folder = 'INBOX'): Promise<string[]> {
  const mailbox = await store.getMailbox(account, folder);
  if (!mailbox) return [];
  const messages = await store.listMessages(mailbox.id);
  return Promise.all(messages.map(async (meta) => (await store.readBlob(meta.blobId, 'full')).toString('utf8')));
}

/** A small message with this subject, dot-stuffed and terminated for DATA. */
export function dataFor(subject: string, from = 'someone@remote.example', to = 'user@example.test'): string {
  return `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}.${Math.random().toString(36).slice(2)}@remote.example>\r\n\r\nHello.\r\n.\r\n`;
}
