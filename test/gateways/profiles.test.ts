/**
 * User profiles in the store: E.164 normalisation, one owner per number, notification rules,
 * removal with the account, survival across a restart; and `bridgehead user set/show` without a
 * running server.
 */
import t from 'tap';
import { normalizeE164, parseNotificationRule, ruleMatches } from '../../src/pipeline/profiles.js';
import { openStore } from '../../src/store/index.js';
import { openTestStore, populate } from '../pipeline/fixture.js';
import { cli, shortTempDir, writeTestConfig } from '../support/app.js';

t.test('E.164 normalisation', async (t) => {
  for (const [input, expected] of [
    ['+4915112345678', '+4915112345678'],
    ['+49 (151) 123-456.78', '+4915112345678'],
    ['0049 151 12345678', '+4915112345678'],
    ['015112345678', null],
    ['+0151', null],
    ['+1234567890123456', null],
    ['+49abc', null],
  ] as const) {
    t.equal(normalizeE164(input), expected, input);
  }
});

t.test('notification rules', async (t) => {
  const rule = parseNotificationRule('SMS: Boss@Example.org, @Partner.example ');
  t.same(rule, { gateway: 'sms', senders: ['boss@example.org', '@partner.example'] });
  t.ok(ruleMatches(rule, 'boss@example.org'));
  t.ok(ruleMatches(rule, 'Anyone@partner.example'));
  t.notOk(ruleMatches(rule, 'boss@example.com'));
  t.notOk(ruleMatches(rule, ''), 'bounces never notify');
  t.ok(ruleMatches(parseNotificationRule('voice:*'), 'x@y.example'));
  t.throws(() => parseNotificationRule('sms'), /expected gateway:sender/);
  t.throws(() => parseNotificationRule('sms:'), /no senders/);
  t.throws(() => parseNotificationRule('sms:not an address'), /invalid sender/);
  t.throws(() => parseNotificationRule('s m s:a@b.example'), /not a gateway name/);
});

t.test('a number has one owner; profiles go with their account', async (t) => {
  const store = await openTestStore(t);
  const users = await populate(store, { domains: ['example.org'], users: [['alice@example.org', 'correct horse'], ['bob@example.org', 'correct horse']] });
  const profile = await users.profiles.set('alice@example.org', { phone: '+49 151 1', fax: '+49301', notify: ['sms:boss@example.org'] });
  t.same(profile, { address: 'alice@example.org', phone: '+491511', fax: '+49301', notify: [{ gateway: 'sms', senders: ['boss@example.org'] }] });
  t.equal(await store.findNumberOwner('phone', '+491511'), 'alice@example.org');
  t.equal(await store.findNumberOwner('fax', '+49301'), 'alice@example.org');
  t.equal(await store.findNumberOwner('fax', '+491511'), null, 'kinds are separate');
  await t.rejects(users.profiles.set('bob@example.org', { phone: '+491511' }), /phone number \+491511 belongs to alice@example\.org/);
  await t.rejects(users.profiles.set('carol@example.org', { phone: '+491512' }), /no such user/);

  await users.profiles.set('alice@example.org', { phone: '+491519' });
  t.equal(await store.findNumberOwner('phone', '+491511'), null, 'the old number is released');
  t.equal((await users.profiles.get('alice@example.org')).fax, '+49301', 'fields not given stay');
  await users.profiles.set('bob@example.org', { phone: '+491511' });
  t.equal(await store.findNumberOwner('phone', '+491511'), 'bob@example.org');

  await users.profiles.set('alice@example.org', { fax: null, notify: null });
  t.same(await users.profiles.get('alice@example.org'), { address: 'alice@example.org', phone: '+491519', fax: null, notify: [] });
  await users.removeUser('bob@example.org');
  t.equal(await store.findNumberOwner('phone', '+491511'), null, 'removing the account frees its numbers');
  t.equal(await store.getProfile('bob@example.org'), null);
});

t.test('user set / show through the command line, and after a restart', async (t) => {
  const dir = shortTempDir(t);
  const { config, configPath } = writeTestConfig(dir);
  const args = ['--config', configPath];
  t.equal((await cli(['domain', 'add', 'example.org', ...args])).code, 0);
  t.equal((await cli(['user', 'add', 'alice@example.org', '--password-stdin', ...args], { stdin: 'correct horse battery\n' })).code, 0);
  const set = await cli(['user', 'set', 'alice@example.org', '--phone', '0049 151 12345678', '--fax', '+49 30 1234', '--notify', 'sms:boss@example.org', '--notify', 'voice:*', ...args]);
  t.equal(set.code, 0, set.stderr);
  t.equal(set.stdout, 'user:   alice@example.org\nphone:  +4915112345678\nfax:    +49301234\nnotify: sms:boss@example.org voice:*\n');
  t.match(await cli(['user', 'set', 'alice@example.org', ...args]), { code: 2, stderr: /needs --phone, --fax or --notify/ });
  t.match(await cli(['user', 'set', 'alice@example.org', '--notify', 'bogus', ...args]), { code: 1, stderr: /invalid notification rule/ });
  t.match(await cli(['user', 'show', 'nobody@example.org', ...args]), { code: 1, stderr: /no such user/ });
  t.equal((await cli(['user', 'set', 'alice@example.org', '--notify', 'none', '--fax', 'none', ...args])).code, 0);
  const store = await openStore({ path: `${config.dataDir}/store` });
  t.teardown(() => store.close());
  t.same(await store.getProfile('alice@example.org'), { address: 'alice@example.org', phone: '+4915112345678', fax: null, notify: [] }, 'stored durably');
});
