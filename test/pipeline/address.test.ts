import t from 'tap';
import { normalizeDomain, parseMailbox } from '../../src/pipeline/address.js';

t.test('valid mailboxes normalise to one canonical form (RFC 5321 §4.1.2)', async (t) => {
  const cases: Array<[string, string]> = [
    ['alice@example.org', 'alice@example.org'],
    ['Alice@Example.ORG', 'alice@example.org'],
    ['first.last+tag@example.org', 'first.last+tag@example.org'],
    ["o'neil!#$%&*/=?^_`{|}~-@example.org", "o'neil!#$%&*/=?^_`{|}~-@example.org"],
    ['"alice"@example.org', 'alice@example.org'],
    ['"a b"@example.org', '"a b"@example.org'],
    ['"a\\"b"@example.org', '"a\\"b"@example.org'],
    ['"a..b"@example.org', '"a..b"@example.org'],
    ['user@bücher.de', 'user@xn--bcher-kva.de'],
    ['user@XN--BCHER-KVA.DE', 'user@xn--bcher-kva.de'],
    ['jörg@example.org', 'jörg@example.org'],
    ['user@localhost', 'user@localhost'],
    ['user@[127.0.0.1]', 'user@[127.0.0.1]'],
    ['user@[IPv6:::1]', 'user@[ipv6:::1]'],
  ];
  for (const [input, expected] of cases) {
    const parsed = parseMailbox(input);
    t.ok(parsed.ok, `${input} parses`);
    if (parsed.ok) t.equal(parsed.mailbox.address, expected, input);
  }
  const literal = parseMailbox('user@[127.0.0.1]');
  t.ok(literal.ok && literal.mailbox.domainIsLiteral, 'address literal is flagged');
  const quoted = parseMailbox('"a@b"@example.org');
  t.ok(quoted.ok, 'a quoted "@" is syntactically valid');
  if (quoted.ok) {
    t.equal(quoted.mailbox.domain, 'example.org', 'the domain is after the quoted part');
    t.equal(quoted.mailbox.local, '"a@b"');
    t.equal(quoted.mailbox.localIsQuoted, true);
  }
});

t.test('invalid mailboxes are refused with a reason', async (t) => {
  const cases = [
    '',
    'alice',
    'alice@',
    '@example.org',
    '@relay.example:user@example.org',
    'a@b@example.org',
    '.alice@example.org',
    'alice.@example.org',
    'al..ice@example.org',
    'al ice@example.org',
    'alice@example.org.',
    'alice@.example.org',
    'alice@exa..mple.org',
    'alice@-example.org',
    'alice@example-.org',
    'alice@exa_mple.org',
    'alice@127.0.0.1',
    'alice@example.123',
    'alice@[300.1.1.1]',
    'alice@[IPv6:zz::1]',
    '"unterminated@example.org',
    '"a"b@example.org',
    'alice\r\n@example.org',
    `${'a'.repeat(65)}@example.org`,
    `alice@${'a'.repeat(64)}.org`,
    `alice@${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}`,
    `${'a'.repeat(60)}@${Array.from({ length: 4 }, () => 'b'.repeat(48)).join('.')}`,
  ];
  for (const input of cases) {
    const parsed = parseMailbox(input);
    t.equal(parsed.ok, false, `refused: ${JSON.stringify(input)}`);
    if (!parsed.ok) t.type(parsed.reason, 'string');
  }
});

t.test('domain normalisation', async (t) => {
  t.same(normalizeDomain('Example.ORG'), { ok: true, domain: 'example.org' });
  t.same(normalizeDomain('bücher.de'), { ok: true, domain: 'xn--bcher-kva.de' });
  t.equal(normalizeDomain('example.org.').ok, false);
  t.equal(normalizeDomain('127.1').ok, false, 'numeric names never become IPv4 addresses');
  t.equal(normalizeDomain('').ok, false);
});
