import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { resolveRecipient } from '../../src/pipeline/recipients.js';
import { openTestStore, populate } from './fixture.js';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

t.test('resolution order: account, alias, subaddress, catch-all', async (t) => {
  const store = await openTestStore(t);
  await populate(store, {
    domains: ['example.org', 'other.org', 'bücher.de'],
    users: [
      ['alice@example.org', 'correct horse'],
      ['bob@example.org', 'correct horse'],
      ['carol@example.org', 'correct horse'],
      ['alice+exact@example.org', 'correct horse'],
      ['catcher@example.org', 'correct horse'],
      ['jörg@bücher.de', 'correct horse'],
      ['dave@other.org', 'correct horse'],
    ],
    aliases: [
      ['team@example.org', ['alice@example.org', 'bob@example.org', 'carol@example.org']],
      ['*@example.org', ['catcher@example.org']],
    ],
  });
  const resolve = (address: string) => resolveRecipient(store, address);

  t.same(await resolve('alice@example.org'), { kind: 'local', accounts: ['alice@example.org'] });
  t.same(await resolve('ALICE@Example.ORG'), { kind: 'local', accounts: ['alice@example.org'] }, 'case-insensitive');
  t.same(await resolve('jörg@xn--bcher-kva.de'), { kind: 'local', accounts: ['jörg@xn--bcher-kva.de'] }, 'punycode domain');
  t.same(await resolve('jörg@bücher.de'), { kind: 'local', accounts: ['jörg@xn--bcher-kva.de'] }, 'unicode domain');
  t.same(await resolve('team@example.org'), {
    kind: 'local',
    accounts: ['alice@example.org', 'bob@example.org', 'carol@example.org'],
  }, 'alias is one-to-many');
  t.same(await resolve('alice+news@example.org'), { kind: 'local', accounts: ['alice@example.org'] }, 'subaddress');
  t.same(await resolve('team+x@example.org'), { kind: 'local', accounts: ['alice@example.org', 'bob@example.org', 'carol@example.org'] }, 'subaddress of an alias');
  t.same(await resolve('alice+exact@example.org'), { kind: 'local', accounts: ['alice+exact@example.org'] }, 'an exact account wins over subaddressing');
  t.same(await resolve('nobody@example.org'), { kind: 'local', accounts: ['catcher@example.org'] }, 'catch-all');
  t.same(await resolve('"a b"@example.org'), { kind: 'local', accounts: ['catcher@example.org'] }, 'catch-all takes quoted local parts too');
  t.same(await resolve('nobody@other.org'), { kind: 'unknown-local' }, 'a catch-all covers only its own domain');
  t.same(await resolve('dave+x@other.org'), { kind: 'local', accounts: ['dave@other.org'] });
  t.same(await resolve('+x@other.org'), { kind: 'unknown-local' }, 'an empty base is no subaddress');
  t.same(await resolve('someone@remote.net'), { kind: 'remote' });
  t.same(await resolve('alice@[127.0.0.1]'), { kind: 'remote' }, 'address literals are never local');
});

t.test('relay attempts never resolve to a remote place', async (t) => {
  const store = await openTestStore(t);
  await populate(store, {
    domains: ['example.org', 'catchall.org'],
    users: [['alice@example.org', 'correct horse'], ['owner@catchall.org', 'correct horse']],
    aliases: [['*@catchall.org', ['owner@catchall.org']]],
  });
  const resolve = (address: string) => resolveRecipient(store, address);
  t.same(await resolve('victim%remote.net@example.org'), { kind: 'unknown-local' }, 'percent hack is a local part');
  t.same(await resolve('victim%remote.net@catchall.org'), { kind: 'local', accounts: ['owner@catchall.org'] }, 'percent hack stays local');
  t.same(await resolve('"victim@remote.net"@example.org'), { kind: 'unknown-local' }, 'quoted "@" is a local part');
  t.same(await resolve('"victim@remote.net"@catchall.org'), { kind: 'local', accounts: ['owner@catchall.org'] });
  t.equal((await resolve('@example.org:victim@remote.net')).kind, 'invalid', 'source route');
  t.equal((await resolve('@remote.net:alice@example.org')).kind, 'invalid', 'source route even to a local mailbox');
  t.equal((await resolve('alice@example.org.')).kind, 'invalid', 'trailing dot');
  t.equal((await resolve('victim@remote.net.')).kind, 'invalid', 'trailing dot on a remote domain');
  t.equal((await resolve('alice@example.org@remote.net')).kind, 'invalid', 'two "@"');
  t.same(await resolve('victim@REMOTE.NET'), { kind: 'remote' });
  t.same(await resolve('ALICE@EXAMPLE.ORG'), { kind: 'local', accounts: ['alice@example.org'] });
  t.same(await resolve('victim@[127.0.0.1]'), { kind: 'remote' });
  t.same(await resolve('victim@[IPv6:::1]'), { kind: 'remote' });
});

t.test('alias chains, loops, depth limit and remote targets', async (t) => {
  const store = await openTestStore(t);
  await populate(store, {
    domains: ['example.org'],
    users: [['alice@example.org', 'correct horse'], ['bob@example.org', 'correct horse']],
  });
  // Written through the store: UserManager would refuse none of these except self-targets,
  // but the resolver must survive whatever a store holds.
  await store.addAlias('a@example.org', ['b@example.org']);
  await store.addAlias('b@example.org', ['c@example.org']);
  await store.addAlias('c@example.org', ['alice@example.org', 'bob+tag@example.org']);
  await store.addAlias('loop1@example.org', ['loop2@example.org', 'alice@example.org']);
  await store.addAlias('loop2@example.org', ['loop1@example.org', 'bob@example.org']);
  await store.addAlias('self@example.org', ['self@example.org']);
  await store.addAlias('ring1@example.org', ['ring2@example.org']);
  await store.addAlias('ring2@example.org', ['ring1@example.org']);
  await store.addAlias('mixed@example.org', ['alice@example.org', 'friend@remote.net']);
  await store.addAlias('faraway@example.org', ['friend@remote.net', 'other@[10.0.0.1]']);
  await store.addAlias('dangling@example.org', ['ghost@example.org']);
  await store.addAlias('broken@example.org', ['bad..dots@example.org', '*@example.org', 'alice@example.org']);
  for (let i = 0; i < 12; i++) await store.addAlias(`deep${i}@example.org`, [`deep${i + 1}@example.org`]);
  await store.addAlias('deep12@example.org', ['alice@example.org']);

  const { log, lines } = capturingLogger();
  const resolve = (address: string, maxDepth?: number) => resolveRecipient(store, address, { log, maxDepth });

  t.same(await resolve('a@example.org'), { kind: 'local', accounts: ['alice@example.org', 'bob@example.org'] }, 'chain of three, subaddressed target');
  t.same(await resolve('loop1@example.org'), { kind: 'local', accounts: ['alice@example.org', 'bob@example.org'] }, 'loop: accounts found before the loop count');
  t.same(await resolve('self@example.org'), { kind: 'unknown-local' }, 'self loop');
  t.same(await resolve('ring1@example.org'), { kind: 'unknown-local' }, 'ring without accounts');
  t.ok(lines.some((line) => line.evt === 'recipient.alias-loop'), 'loops are logged');

  t.same(await resolve('mixed@example.org'), { kind: 'local', accounts: ['alice@example.org'] }, 'remote target skipped');
  t.same(await resolve('faraway@example.org'), { kind: 'unknown-local' }, 'an alias with only remote targets is not deliverable yet');
  t.same(
    lines.filter((line) => line.evt === 'recipient.remote-target-skipped').map((line) => line.target),
    ['friend@remote.net', 'friend@remote.net', 'other@[10.0.0.1]'],
    'each skipped remote target is logged',
  );
  t.same(await resolve('dangling@example.org'), { kind: 'unknown-local' });
  t.ok(lines.some((line) => line.evt === 'recipient.alias-target-unknown' && line.target === 'ghost@example.org'));
  t.same(await resolve('broken@example.org'), { kind: 'local', accounts: ['alice@example.org'] }, 'invalid targets skipped');
  t.equal(lines.filter((line) => line.evt === 'recipient.alias-target-invalid').length, 2);

  t.same(await resolve('deep0@example.org'), { kind: 'unknown-local' }, '13 levels exceed the default depth of 10');
  t.ok(lines.some((line) => line.evt === 'recipient.alias-too-deep'));
  t.same(await resolve('deep0@example.org', 20), { kind: 'local', accounts: ['alice@example.org'] }, 'a larger depth reaches the account');
  t.same(await resolve('deep5@example.org'), { kind: 'local', accounts: ['alice@example.org'] }, 'a shorter chain is within the limit');
});
