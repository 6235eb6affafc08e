/**
 * Inbound verification and its verdicts (src/mailauth/verify.ts) against static DNS records:
 * SPF pass/softfail/fail for loopback clients, DKIM signed by our own signer, DMARC policies and
 * their mapping, pct sampling, temporary DNS failures (tempfail only when they matter), trusted
 * networks, and removal of forged Authentication-Results.
 */
import t, { type Test } from 'tap';
import type { DnsConfig } from '../../src/config/schema.js';
import { createResolver, dnsError, type Resolver } from '../../src/dns/resolver.js';
import { silentLogger } from '../../src/log.js';
import { DkimKeyStore, dnsRecord, type DkimAlgorithm } from '../../src/mailauth/keys.js';
import { createDkimSigner } from '../../src/mailauth/sign.js';
import { InboundVerifier, removeForgedResults, type MailauthPolicy } from '../../src/mailauth/verify.js';
import { dnsConfig } from './helpers.js';

const HOST = 'mx.example.test';
const DEFAULT_POLICY: MailauthPolicy = { dmarcReject: 'reject', dmarcQuarantine: 'quarantine', spfFail: 'quarantine', spfSoftfail: 'none' };
const SPF = { 'sender.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] } };

interface VerifierSetup {
  records?: DnsConfig['static'];
  policy?: Partial<MailauthPolicy>;
  random?: () => number;
  trustedNetworks?: string[];
  /** Names whose lookups time out, as a real resolver reports it. */
  timeouts?: string[];
}

function verifier(setup: VerifierSetup = {}): InboundVerifier {
  const base = createResolver(dnsConfig({ static: setup.records ?? {} }));
  const timeouts = new Set(setup.timeouts ?? []);
  const resolver: Pick<Resolver, 'resolve'> = {
    resolve: ((name: string, type: string) =>
      timeouts.has(name.toLowerCase()) ? Promise.reject(dnsError('ETIMEOUT', type, name)) : base.resolve(name, type)) as Resolver['resolve'],
  };
  return new InboundVerifier({
    hostname: HOST,
    resolver,
    policy: { ...DEFAULT_POLICY, ...setup.policy },
    trustedNetworks: setup.trustedNetworks ?? [],
    log: silentLogger(),
    random: setup.random,
  });
}

/** Header text with folding removed, so patterns need not know where mailauth folds. */
function unfold(header: string | undefined): string {
  return (header ?? '').replace(/\r\n[ \t]+/g, ' ');
}

let serial = 0;
function message(from = 'alice@sender.example', extraHeaders = '', body = 'Hello Bob,\r\nthis is a test.\r\n'): Buffer {
  serial++;
  return Buffer.from(
    `${extraHeaders}From: Alice <${from}>\r\nTo: bob@example.test\r\nSubject: test ${serial}\r\n` +
      `Date: Thu, 05 Mar 2026 10:00:00 +0000\r\nMessage-ID: <${serial}@sender.example>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}

function input(raw: Buffer, remoteAddress = '127.0.0.1', mailFrom = 'alice@sender.example') {
  return { message: raw, remoteAddress, heloName: 'client.sender.example', mailFrom, id: 'msg1', cid: 'conn1' };
}

/** A signing key for `domain` under a fresh data folder, and its DNS record as static config. */
async function signingKey(t: Test, domain: string, selector: string, algorithm: DkimAlgorithm = 'rsa') {
  const dataDir = t.testdir();
  const key = await new DkimKeyStore(dataDir).create(domain, { selector, algorithm });
  const record = dnsRecord(key);
  const sign = createDkimSigner({ dataDir, log: silentLogger() });
  return { sign, records: { [record.name]: { TXT: [record.value] } } };
}

t.test('SPF with the client IP, HELO and MAIL FROM: pass, softfail, fail', async (t) => {
  const records = {
    'sender.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    'soft.example': { TXT: ['v=spf1 ip4:127.0.0.2 ~all'] },
    'hard.example': { TXT: ['v=spf1 ip4:127.0.0.2 -all'] },
  };
  const check = verifier({ records });

  const pass = await check.verify(input(message()));
  t.equal(pass?.disposition, 'inbox');
  t.match(pass?.header, /^Authentication-Results: mx\.example\.test;\r\n /);
  t.match(unfold(pass?.header), /spf=pass \(mx\.example\.test: domain of alice@sender\.example designates 127\.0\.0\.1 as permitted sender\) smtp\.mailfrom=alice@sender\.example smtp\.helo=client\.sender\.example/);
  t.match(pass?.header, /dkim=none/);
  t.ok(pass?.header.endsWith('\r\n'));
  t.equal(pass?.summary.spf, 'pass');

  const mapped = await check.verify(input(message(), '::ffff:127.0.0.1'));
  t.equal(mapped?.summary.spf, 'pass', 'IPv4-mapped client addresses are checked as IPv4');

  const soft = await check.verify(input(message('alice@soft.example'), '127.0.0.1', 'alice@soft.example'));
  t.equal(soft?.summary.spf, 'softfail');
  t.equal(soft?.disposition, 'inbox', 'softfail: none by default');

  const hard = await check.verify(input(message('alice@hard.example'), '127.0.0.1', 'alice@hard.example'));
  t.equal(hard?.summary.spf, 'fail');
  t.match(hard?.header, /spf=fail/);
  t.equal(hard?.disposition, 'junk', 'fail: quarantine by default');

  await t.rejects(
    verifier({ records, policy: { spfFail: 'reject' } }).verify(input(message('alice@hard.example'), '127.0.0.1', 'alice@hard.example')),
    { code: 550, enhanced: '5.7.23' },
    'spf.fail reject: 550 5.7.23 (RFC 7372)',
  );
  const softReject = verifier({ records, policy: { spfSoftfail: 'quarantine' } });
  t.equal((await softReject.verify(input(message('alice@soft.example'), '127.0.0.1', 'alice@soft.example')))?.disposition, 'junk');

  const bounce = await check.verify({ ...input(message()), mailFrom: '', heloName: 'sender.example' });
  t.match(bounce?.header, /smtp\.mailfrom=postmaster@sender\.example/, 'null sender: SPF checks the HELO identity (RFC 7208 §2.4)');
});

t.test('DKIM: a message signed by our signer verifies with the published record', async (t) => {
  const rsa = await signingKey(t, 'sender.example', 'sel1');
  const check = verifier({ records: { ...SPF, ...rsa.records } });
  const signed = await rsa.sign(message(), 'sender.example');
  t.match(signed.toString('latin1'), /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=sender\.example;/);

  const verdict = await check.verify(input(signed));
  t.equal(verdict?.summary.dkim[0], 'pass (sender.example)');
  t.match(unfold(verdict?.header), /dkim=pass header\.i=@sender\.example header\.s=sel1 header\.a=rsa-sha256/);
  t.match(unfold(verdict?.header), /dmarc=none header\.from=sender\.example/, 'no DMARC record');

  const changedBody = Buffer.from(signed.toString('latin1').replace('this is a test', 'this is a fake'), 'latin1');
  const bodyVerdict = await check.verify(input(changedBody));
  t.match(unfold(bodyVerdict?.header), /dkim=neutral \(body hash did not verify\) header\.i=@sender\.example/, 'a changed body does not pass');
  const changedHeader = Buffer.from(signed.toString('latin1').replace(/Subject: test \d+/, 'Subject: urgent'), 'latin1');
  const headerVerdict = await check.verify(input(changedHeader));
  t.match(headerVerdict?.summary.dkim[0], /^fail/, 'a changed signed header fails');
  t.match(unfold(headerVerdict?.header), /dkim=fail /);

  const ed = await signingKey(t, 'sender.example', 'ed1', 'ed25519');
  const edSigned = await ed.sign(message(), 'sender.example');
  const edVerdict = await verifier({ records: { ...SPF, ...ed.records } }).verify(input(edSigned));
  t.match(unfold(edVerdict?.header), /dkim=pass header\.i=@sender\.example header\.s=ed1 header\.a=ed25519-sha256/, 'Ed25519 (RFC 8463) too');
});

t.test('DMARC: the published policy maps through the config', async (t) => {
  const records = {
    ...SPF,
    '_dmarc.sender.example': { TXT: ['v=DMARC1; p=reject'] },
    'quarantined.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    '_dmarc.quarantined.example': { TXT: ['v=DMARC1; p=quarantine'] },
    'lenient.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    '_dmarc.lenient.example': { TXT: ['v=DMARC1; p=none'] },
    'sampled.example': { TXT: ['v=spf1 -all'] },
    '_dmarc.sampled.example': { TXT: ['v=DMARC1; p=reject; pct=50'] },
  };
  // 127.0.0.9 is not permitted by any of these SPF records, and nothing is signed.
  const stranger = (from: string) => input(message(from), '127.0.0.9', from);

  await t.rejects(verifier({ records }).verify(stranger('alice@sender.example')), { code: 550, enhanced: '5.7.1', message: /DMARC policy \(p=reject\) of sender\.example/ });
  t.equal((await verifier({ records }).verify(input(message())))?.summary.dmarc, 'pass', 'aligned SPF pass passes DMARC');

  const toJunk = await verifier({ records, policy: { dmarcReject: 'quarantine' } }).verify(stranger('alice@sender.example'));
  t.equal(toJunk?.disposition, 'junk', 'dmarc.reject = quarantine');
  t.match(toJunk?.header, /dmarc=fail \(p=REJECT/);
  const ignored = await verifier({ records, policy: { dmarcReject: 'none', spfFail: 'none' } }).verify(stranger('alice@sender.example'));
  t.equal(ignored?.disposition, 'inbox', 'dmarc.reject = none (and spf.fail = none)');

  t.equal((await verifier({ records }).verify(stranger('eve@quarantined.example')))?.disposition, 'junk', 'p=quarantine → Junk');
  await t.rejects(verifier({ records, policy: { dmarcQuarantine: 'reject' } }).verify(stranger('eve@quarantined.example')), { code: 550 });
  const none = await verifier({ records, policy: { spfFail: 'none' } }).verify(stranger('eve@lenient.example'));
  t.equal(none?.disposition, 'inbox', 'p=none asks for nothing');
  t.equal(none?.summary.dmarc, 'fail');

  const inSample = verifier({ records, random: () => 0.2, policy: { spfFail: 'none' } });
  const outOfSample = verifier({ records, random: () => 0.7, policy: { spfFail: 'none' } });
  await t.rejects(inSample.verify(stranger('eve@sampled.example')), { code: 550 }, 'pct=50, sampled: the policy applies');
  t.equal((await outOfSample.verify(stranger('eve@sampled.example')))?.disposition, 'junk', 'pct=50, not sampled: one step lower (RFC 7489 §6.6.4)');
});

t.test('an aligned DKIM signature passes DMARC when SPF fails (forwarded mail)', async (t) => {
  const key = await signingKey(t, 'sender.example', 'fwd');
  const records = { ...SPF, ...key.records, '_dmarc.sender.example': { TXT: ['v=DMARC1; p=reject'] } };
  const forwarded = await key.sign(message(), 'sender.example');
  const verdict = await verifier({ records }).verify(input(forwarded, '127.0.0.9', 'list@forwarder.example'));
  t.equal(verdict?.disposition, 'inbox');
  t.match(verdict?.header, /dkim=pass/);
  t.match(verdict?.header, /dmarc=pass/);
});

t.test('temporary DNS failures tempfail when they could change the outcome, never otherwise', async (t) => {
  const key = await signingKey(t, 'sender.example', 'tmp');
  const records = { ...SPF, ...key.records, '_dmarc.sender.example': { TXT: ['v=DMARC1; p=reject'] } };

  await t.rejects(
    verifier({ records, timeouts: ['sender.example'] }).verify(input(message())),
    { code: 451, enhanced: '4.7.24' },
    'SPF lookup timed out, DMARC p=reject cannot be decided: 451 4.7.24',
  );
  const signed = await key.sign(message(), 'sender.example');
  await t.rejects(
    verifier({ records, timeouts: ['tmp._domainkey.sender.example'] }).verify(input(signed, '127.0.0.9')),
    { code: 451, enhanced: '4.7.0', message: /DKIM/ },
    'DKIM key lookup timed out, SPF fails, p=reject: 451, not 550',
  );
  await t.rejects(
    verifier({ records, timeouts: ['_dmarc.sender.example'] }).verify(input(message())),
    { code: 451, enhanced: '4.7.0', message: /DMARC/ },
    'the DMARC record itself timed out',
  );

  const passes = await verifier({ records, timeouts: ['sender.example'] }).verify(input(signed, '127.0.0.9'));
  t.equal(passes?.disposition, 'inbox', 'DMARC passes through DKIM: the SPF timeout cannot matter');
  t.match(passes?.header, /spf=temperror/);

  const noPolicy = verifier({ records: { ...key.records }, timeouts: ['other.example'], policy: { spfFail: 'none', spfSoftfail: 'none' } });
  const recorded = await noPolicy.verify(input(message('bob@other.example'), '127.0.0.1', 'bob@other.example'));
  t.equal(recorded?.disposition, 'inbox', 'no DMARC record, SPF not acted on: the temperror is recorded, not acted on');
  t.match(recorded?.header, /spf=temperror/);
  await t.rejects(
    verifier({ records: { ...key.records }, timeouts: ['other.example'] }).verify(input(message('bob@other.example'), '127.0.0.1', 'bob@other.example')),
    { code: 451 },
    'with an SPF fail policy, the same timeout tempfails',
  );
});

t.test('trusted networks are not verified', async (t) => {
  const trusted = verifier({ records: SPF, trustedNetworks: ['127.0.0.0/8', '::1'] });
  t.equal(await trusted.verify(input(message())), null);
  t.equal(await trusted.verify(input(message(), '::1')), null);
  t.equal(await trusted.verify(input(message(), '::ffff:127.0.0.5')), null, 'IPv4-mapped addresses match IPv4 networks');
  t.not(await verifier({ records: SPF, trustedNetworks: ['10.0.0.0/8'] }).verify(input(message())), null);
  t.throws(() => verifier({ trustedNetworks: ['127.0.0.0/33'] }), /not an IP network/);
});

t.test('Authentication-Results claiming our name are removed; others and the body stay', async (t) => {
  const forged =
    'Authentication-Results: MX.example.test;\r\n\tdkim=pass header.d=bank.example\r\n' +
    'Authentication-Results: relay.other.example; spf=pass\r\n' +
    'Authentication-Results: mx.example.test.evil; spf=pass\r\n';
  const raw = message('alice@sender.example', forged, 'Authentication-Results: mx.example.test; in the body\r\n');
  const verdict = await verifier({ records: SPF }).verify(input(raw));
  const stored = verdict!.message.toString('latin1');
  t.notMatch(stored, /^Authentication-Results: MX\.example\.test;/m);
  t.notMatch(stored, /dkim=pass header\.d=bank\.example/);
  t.match(stored, /^Authentication-Results: relay\.other\.example; spf=pass\r\n/m);
  t.match(stored, /^Authentication-Results: mx\.example\.test\.evil; spf=pass\r\n/m);
  t.ok(stored.endsWith('\r\n\r\nAuthentication-Results: mx.example.test; in the body\r\n'), 'the body is untouched');
  const clean = message();
  t.equal(removeForgedResults(clean, HOST), clean, 'a message without forged fields is returned as is');
});

t.test('checks that outlast the deadline tempfail instead of holding the client', async (t) => {
  const hanging = new InboundVerifier({
    hostname: HOST,
    resolver: { resolve: (() => new Promise(() => {})) as Resolver['resolve'] },
    policy: DEFAULT_POLICY,
    trustedNetworks: [],
    log: silentLogger(),
    deadlineMs: 50,
  });
  await t.rejects(hanging.verify(input(message())), { code: 451, enhanced: '4.7.0', message: /Sender authentication could not be checked/ });
});
