/**
 * Running clients nobody here wrote (python3's imaplib and smtplib, mbsync) against a whole
 * Bridgehead started by startTestServer: scripts go to a temporary file, the client runs as a
 * child process with a deadline, and its output comes back for the test to check.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { shortTempDir, startTestServer, type TestServer } from '../support/app.js';

export const DOMAIN = 'interop.test';
export const USER = `alice@${DOMAIN}`;
export const PASSWORD = 'interop secret 1';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never rejects, so the test can show what the client said when it failed. */
export function run(file: string, args: string[], options: { timeoutMs: number; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: options.timeoutMs, cwd: options.cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

/** Writes a python3 script to a temporary file and runs it with the given arguments. */
export async function runPython(t: Test, script: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  const dir = shortTempDir(t);
  const path = join(dir, 'client.py');
  writeFileSync(path, script);
  return run('python3', [path, ...args], { timeoutMs });
}

/** A whole server with one domain and one user; the certificate path is for clients to trust. */
export async function interopServer(t: Test): Promise<TestServer & { certPath: string }> {
  const server = await startTestServer(t);
  await server.app.users.addDomain(DOMAIN);
  await server.app.users.addUser(USER, PASSWORD);
  return { ...server, certPath: server.app.tls.certPath };
}
