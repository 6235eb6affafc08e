import t, { type Test } from 'tap';
import { verifyPassword } from '../../src/pipeline/passwords.js';
import { UserError, UserManager } from '../../src/pipeline/users.js';
import { openTestStore, TEST_HASH_LOG_N } from './fixture.js';

async function manager(t: Test) {
  const store = await openTestStore(t);
  return { store, users: new UserManager(store, { passwordHashLogN: TEST_HASH_LOG_N }) };
}

t.test('domains: normalised, listed, refused twice, removable only when empty', async (t) => {
  const { users } = await manager(t);
  await users.addDomain('Example.ORG');
  await users.addDomain('bücher.de');
  t.same(await users.listDomains(), ['example.org', 'xn--bcher-kva.de']);
  await t.rejects(users.addDomain('example.org'), new UserError('domain example.org exists'));
  await t.rejects(users.addDomain('bad_domain.org'), UserError);
  await t.rejects(users.addDomain('example.org.'), /invalid domain: example\.org\.: domain must not end with a dot/);

  await users.addUser('alice@example.org', 'correct horse');
  await t.rejects(users.removeDomain('example.org'), new UserError('domain example.org still has 1 user; remove them first'));
  await users.removeUser('alice@example.org');
  await users.addAlias('*@example.org', ['someone@elsewhere.net']);
  await t.rejects(users.removeDomain('example.org'), /still has 1 alias/);
  await users.removeAlias('*@example.org', []);
  t.equal(await users.removeDomain('EXAMPLE.org'), true);
  t.equal(await users.removeDomain('example.org'), false, 'a second removal finds nothing');
  t.same(await users.listDomains(), ['xn--bcher-kva.de']);
});

t.test('users: validation, normalisation, duplicates, passwords', async (t) => {
  const { store, users } = await manager(t);
  await users.addDomain('example.org');
  await users.addDomain('bücher.de');

  await users.addUser('Alice@Example.org', 'correct horse');
  await users.addUser('jörg@BÜCHER.de', 'correct horse');
  t.same(await users.listUsers(), ['alice@example.org', 'jörg@xn--bcher-kva.de']);
  t.same(await users.listUsers('bücher.de'), ['jörg@xn--bcher-kva.de']);
  const account = await store.getAccount('alice@example.org');
  t.ok(account && (await verifyPassword('correct horse', account.passwordHash)), 'password stored as a verifiable hash');
  t.notMatch(account?.passwordHash ?? '', /correct horse/);

  await t.rejects(users.addUser('alice@example.org', 'another one'), new UserError('user alice@example.org exists'));
  await t.rejects(users.addUser('bob@elsewhere.net', 'correct horse'), new UserError('domain elsewhere.net is not a local domain'));
  await t.rejects(users.addUser('bob', 'correct horse'), /^invalid address: bob: missing "@"$/);
  await t.rejects(users.addUser('bo b@example.org', 'correct horse'), /invalid address/);
  await t.rejects(users.addUser('bob@[127.0.0.1]', 'correct horse'), /address literals are not supported/);
  await t.rejects(users.addUser('*@example.org', 'correct horse'), /reserved for catch-all/);
  await t.rejects(users.addUser(`${'b'.repeat(65)}@example.org`, 'correct horse'), /local part longer than 64 octets/);
  await t.rejects(users.addUser('bob@example.org', 'short'), new UserError('password too short: at least 8 characters'));
  await t.rejects(users.addUser('bob@example.org', 'x'.repeat(1025)), new UserError('password too long: at most 1024 characters'));
  await users.addUser('bob@example.org', 'x'.repeat(1024));
  await users.addUser('carol@example.org', 'ünïcödé!');
  await t.rejects(users.addUser('dave@example.org', 'ünïcödé'), /too short/, 'length counts characters, not bytes');

  await users.setPassword('BOB@example.org', 'new password');
  const bob = await store.getAccount('bob@example.org');
  t.ok(bob && (await verifyPassword('new password', bob.passwordHash)));
  await t.rejects(users.setPassword('nobody@example.org', 'new password'), new UserError('no such user: nobody@example.org'));
  await t.rejects(users.setPassword('bob@example.org', 'short'), /too short/);

  t.equal(await users.removeUser('Bob@Example.org'), true);
  t.equal(await users.removeUser('bob@example.org'), false);
});

t.test('aliases: local domain, valid targets, no clash with users', async (t) => {
  const { users } = await manager(t);
  await users.addDomain('example.org');
  await users.addUser('alice@example.org', 'correct horse');

  await users.addAlias('Team@Example.org', ['alice@example.org', 'Bob@Remote.net']);
  await users.addAlias('team@example.org', ['carol@example.org', 'alice@example.org']);
  await users.addAlias('*@example.org', ['alice@example.org']);
  t.same(await users.listAliases(), [
    { address: '*@example.org', targets: ['alice@example.org'] },
    { address: 'team@example.org', targets: ['alice@example.org', 'bob@remote.net', 'carol@example.org'] },
  ]);

  await t.rejects(users.addAlias('team@remote.net', ['alice@example.org']), new UserError('domain remote.net is not a local domain'));
  await t.rejects(users.addAlias('alice@example.org', ['bob@remote.net']), /alice@example.org is a user/);
  await t.rejects(users.addUser('team@example.org', 'correct horse'), /team@example.org is an alias/);
  await t.rejects(users.addAlias('x@example.org', []), /at least one target/);
  await t.rejects(users.addAlias('x@example.org', ['not an address']), /invalid address: not an address/);
  await t.rejects(users.addAlias('x@example.org', ['*@example.org']), /a catch-all cannot be a target/);
  await t.rejects(users.addAlias('x@example.org', ['X@example.org']), /cannot target itself/);

  t.equal(await users.removeAlias('team@example.org', ['BOB@remote.net']), true);
  t.same((await users.listAliases()).find((alias) => alias.address === 'team@example.org')?.targets, ['alice@example.org', 'carol@example.org']);
  t.equal(await users.removeAlias('team@example.org', ['nobody@example.org']), false);
  t.equal(await users.removeAlias('team@example.org', []), true);
  t.equal(await users.removeAlias('team@example.org', []), false);
  t.same((await users.listAliases()).map((alias) => alias.address), ['*@example.org']);
});
