/**
 * DKIM keys and signing: `bridgehead domain dkim` creates, shows and rotates keys (files 0600
 * under <dataDir>/dkim), prints the TXT record; the signer signs with the From domain's active
 * key (or a parent domain's), picks up a rotation without a restart, and leaves mail of domains
 * without a key untouched.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { silentLogger } from '../../src/log.js';
import { defaultSelector } from '../../src/mailauth/keys.js';
import { createDkimSigner } from '../../src/mailauth/sign.js';
import { cli, shortTempDir, writeTestConfig } from '../support/app.js';

const MESSAGE = Buffer.from('From: me@example.test\r\nTo: you@elsewhere.example\r\nSubject: hi\r\n\r\nHello\r\n');

function setup(t: Test) {
  const dir = shortTempDir(t);
  const { config, configPath } = writeTestConfig(dir);
  const run = (...args: string[]) => cli(['domain', 'dkim', ...args, '--config', configPath]);
  return { config, configPath, run };
}

t.test('create, show, refuse a silent change, rotate', async (t) => {
  const { config, configPath, run } = setup(t);
  const today = defaultSelector(new Date());

  const created = await run('Example.TEST');
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, `example.test: new key, selector ${today}, rsa 2048`);
  t.match(created.stdout, new RegExp(`\\n${today}\\._domainkey\\.example\\.test\\. IN TXT "v=DKIM1; k=rsa; p=MIIBIjAN[^"]+" "[^"]+"\\n`), 'zone line, split into strings of at most 255 octets');
  t.match(created.stdout, /\nvalue: v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{392}\n/, 'the value in one piece: a 2048-bit SubjectPublicKeyInfo');
  const keyFile = join(config.dataDir, 'dkim', 'example.test', `${today}.key`);
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'the private key is readable by the owner only');
  t.equal(statSync(join(config.dataDir, 'dkim')).mode & 0o777, 0o700);

  const again = await run('example.test');
  t.equal(again.code, 0);
  t.match(again.stdout, /already has a DKIM key; --rotate makes a new one/);
  const record = (text: string) => /\n(\S+\._domainkey\S+ IN TXT .*)\n/.exec(text)?.[1];
  t.equal(record(again.stdout), record(created.stdout), 'nothing changed');
  t.equal(record((await run('example.test', '--show')).stdout), record(created.stdout), '--show prints the same record');

  t.match(await run('example.test', '--selector', 'other'), { code: 2, stderr: /already signs with selector .* add --rotate/ });
  t.match(await run('example.test', '--show', '--rotate'), { code: 2 });
  t.match(await run('example.test', '--algorithm', 'dsa'), { code: 2, stderr: /rsa or ed25519/ });

  const sameDay = await run('example.test', '--rotate');
  t.equal(sameDay.code, 0, sameDay.stderr);
  t.match(sameDay.stdout, `selector ${today}-2`, 'a second key of the day gets a suffix');
  t.match(sameDay.stdout, `Keep the old record (${today}._domainkey.example.test) for a few days`);

  const ed = await run('example.test', '--rotate', '--selector', 'ed2026', '--algorithm', 'ed25519');
  t.equal(ed.code, 0, ed.stderr);
  t.match(ed.stdout, /\ned2026\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="\n/, 'Ed25519: the raw 32-byte key (RFC 8463)');
  t.match((await run('example.test', '--show')).stdout, /selector ed2026, ed25519/);
  t.match(await run('example.test', '--rotate', '--selector', 'ed2026'), { code: 1, stderr: /already has a key with selector ed2026/ }, 'a published selector is never overwritten');

  t.match(await cli(['domain', '--config', configPath, 'dkim', 'example.test', '--show']), { code: 0, stdout: /ed2026/ }, 'options may come first');
  t.match(await run('not a domain!'), { code: 1, stderr: /not a domain/ });
  t.match(await run('../../etc'), { code: 1, stderr: /not a domain/ }, 'no path escapes the key folder');
  t.match(await run('nokey.example', '--show'), { code: 1, stderr: /nokey\.example has no DKIM key/ });
  t.match(await cli(['domain', 'dkim', '--help']), { code: 0, stdout: /^Usage: bridgehead domain dkim/ });
  t.match(await cli(['domain', '--help']), { code: 0, stdout: /bridgehead domain dkim example\.org/ });
});

t.test('the signer uses the active key of the From domain and follows rotations', async (t) => {
  const { config, run } = setup(t);
  const sign = createDkimSigner({ dataDir: config.dataDir, log: silentLogger() });

  t.equal(await sign(MESSAGE, 'example.test'), MESSAGE, 'no key: the very same bytes');

  await run('example.test', '--selector', 'first');
  const first = (await sign(MESSAGE, 'example.test')).toString('latin1');
  t.match(first, /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.test;/);
  t.match(first, /[; ]s=first;/);
  t.ok(first.endsWith(MESSAGE.toString('latin1')), 'the message follows the signature unchanged');

  await run('example.test', '--rotate', '--selector', 'second', '--algorithm', 'ed25519');
  const second = (await sign(MESSAGE, 'example.test')).toString('latin1');
  t.match(second, /[; ]s=second;/, 'the running signer picked up the rotation');
  t.match(second, /a=ed25519-sha256/);

  t.match((await sign(MESSAGE, 'News.Example.TEST')).toString('latin1'), /d=example\.test;/, 'a subdomain is signed by its parent domain\'s key (relaxed alignment)');
  t.equal(await sign(MESSAGE, 'elsewhere.example'), MESSAGE);
  t.equal(await sign(MESSAGE, 'bad domain'), MESSAGE, 'a From domain that is no domain is not looked up');

  writeFileSync(join(config.dataDir, 'dkim', 'example.test', 'third.key'), 'not a key', { mode: 0o600 });
  writeFileSync(join(config.dataDir, 'dkim', 'example.test', 'active'), 'third\n');
  await t.rejects(sign(MESSAGE, 'example.test'), /./, 'a broken key throws (the queue defers) rather than sending unsigned');
});
