/**
 * The TLS certificate every listener uses. A configured cert/key pair is read as is; without one,
 * a self-signed certificate for the configured host name (plus localhost, 127.0.0.1 and ::1) is
 * generated on first start into <dataDir>/tls and reused afterwards, so clients that accepted it
 * once keep trusting it.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  /** Where it came from, for the start-up message. */
  source: 'configured' | 'generated' | 'generated-now';
  certPath: string;
}

export interface CertificateOptions {
  certPath: string | null;
  keyPath: string | null;
  dataDir: string;
  hostname: string;
}

export async function loadOrCreateCertificate(options: CertificateOptions): Promise<TlsMaterial> {
  if (options.certPath && options.keyPath) {
    const [cert, key] = await Promise.all([readFile(options.certPath), readFile(options.keyPath)]);
    return { cert, key, source: 'configured', certPath: options.certPath };
  }
  const dir = join(options.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const [cert, key] = await Promise.all([readFile(certPath), readFile(keyPath)]);
    return { cert, key, source: 'generated', certPath };
  }
  const pems = await generateSelfSigned(options.hostname);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.key, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.key), source: 'generated-now', certPath };
}

export async function generateSelfSigned(hostname: string): Promise<{ cert: string; key: string }> {
  const now = new Date();
  const names = [...new Set([hostname, 'localhost'])];
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 5 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...names.map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }, { type: 7 as const, ip: '::1' }],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
