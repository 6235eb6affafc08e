import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, defaultConfigObject, describeConfig, loadConfig, validateConfig } from '../../src/config/load.js';

const base = { source: 'test', baseDir: '/srv/bh' };

function problemsOf(input: unknown): string[] {
  try {
    validateConfig(input, base);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

t.test('defaults: unprivileged ports on loopback, data in ./data', async (t) => {
  const config = validateConfig({}, base);
  t.same(
    [config.smtp.mx, config.smtp.submission, config.smtp.submissions, config.imap.imap, config.imap.imaps].map((l) => [l.host, l.port]),
    [['127.0.0.1', 2525], ['127.0.0.1', 2587], ['127.0.0.1', 2465], ['127.0.0.1', 2143], ['127.0.0.1', 2993]],
  );
  t.equal(config.dataDir, '/srv/bh/data');
  t.equal(config.tls.cert, null);
  t.equal(config.imap.idleTimeoutSeconds, 1800, 'RFC 9051 §5.4: at least 30 minutes');
});

t.test('a bad value names its key path and what is wrong', async (t) => {
  t.same(problemsOf({ smtp: { submission: { port: 'abc' } } }), ['smtp.submission.port: expected integer 1..65535, got "abc"']);
  t.same(problemsOf({ smtp: { mx: { port: 0 } } }), ['smtp.mx.port: expected integer 1..65535, got 0']);
  t.same(problemsOf({ imap: { imaps: { enabled: 'yes' } } }), ['imap.imaps.enabled: expected true or false, got "yes"']);
  t.same(problemsOf({ log: { level: 'loud' } }), ['log.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"']);
  t.same(problemsOf({ smtp: { mxx: {} } }), ['smtp.mxx: unknown key']);
  t.same(problemsOf({ smtp: 5 }), ['smtp: expected an object, got 5']);
  t.same(problemsOf([]), ['(top level): expected an object, got []']);
  t.same(problemsOf({ hostname: 'bad host' }), ['hostname: expected a host name, got "bad host"']);
  t.same(problemsOf({ tls: { cert: '/a.pem' } }), ['tls: set both cert and key, or neither (for a generated self-signed certificate)']);
  t.same(problemsOf({ imap: { imap: { port: 2525 } } }), ['imap.imap.port: 2525 on 127.0.0.1 is already used by smtp.mx']);
  t.same(problemsOf({ dataDir: '' }), ['dataDir: expected a file path or null, got ""']);
  t.same(problemsOf({ $comment: 'ignored' }), []);
});

t.test('loadConfig: file errors are clean', async (t) => {
  const dir = t.testdir({ 'bad.json': '{ "smtp": ', 'ok.json': '{ "dataDir": "mail" }' });
  t.throws(() => loadConfig(join(dir, 'missing.json')), /cannot read the file/);
  t.throws(() => loadConfig(join(dir, 'bad.json')), /not valid JSON/);
  t.equal(loadConfig(join(dir, 'ok.json')).dataDir, join(dir, 'mail'), 'relative to the config file');
});

t.test('config.example.json holds every key and is valid', async (t) => {
  const example = JSON.parse(readFileSync(new URL('../../config.example.json', import.meta.url), 'utf8'));
  const dir = t.testdir();
  writeFileSync(join(dir, 'c.json'), JSON.stringify(example));
  t.doesNotThrow(() => loadConfig(join(dir, 'c.json')));
  const lookup = (path: string) => path.split('.').reduce<any>((node, key) => node?.[key], example);
  for (const row of describeConfig()) t.not(lookup(row.key), undefined, `${row.key} is in config.example.json`);
  t.same(Object.keys(defaultConfigObject()), Object.keys(example).filter((key) => !key.startsWith('$')));
});
