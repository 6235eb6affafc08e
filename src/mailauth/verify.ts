/**
 * Inbound mail authentication on MX: SPF (RFC 7208) with the client IP, HELO and MAIL FROM;
 * DKIM (RFC 6376); DMARC (RFC 7489); ARC (RFC 8617) — all by mailauth's `authenticate` — then a
 * verdict from the configured policy and the Authentication-Results header (RFC 8601) to add.
 *
 * The verdict (decide()):
 * 1. DMARC pass → deliver to INBOX, whatever else failed (forwarded mail with an aligned DKIM
 *    signature passes though SPF fails).
 * 2. DMARC temperror (the policy could not be fetched) → 451: we do not know what the domain asks.
 * 3. DMARC fail → the domain's policy (p=, or sp= for a subdomain under an organizational record;
 *    pct= sampled, a message outside the sample gets the next lower policy, RFC 7489 §6.6.4)
 *    maps through `policy.dmarcReject` / `policy.dmarcQuarantine` to reject (550 5.7.1),
 *    quarantine (the recipients' Junk) or none. When SPF or a DKIM signature had a temperror, the
 *    fail may be a DNS accident: an action other than none tempfails (451) instead.
 * 4. SPF fail / softfail → `policy.spfFail` / `policy.spfSoftfail` (reject is 550 5.7.23, RFC 7372);
 *    SPF temperror tempfails (451 4.7.24) only when one of those is not none.
 * The most severe outcome wins: reject > tempfail > quarantine > deliver. Never accept blindly,
 * never reject blindly: a DNS failure that could change the outcome is a 451, so the sender
 * retries; one that cannot is recorded in the header and the message is delivered.
 *
 * Invariants:
 * - Clients in `trustedNetworks` (e.g. an inner server's edge, or loopback) are not verified and
 *   get no header; submission is never verified (the pipeline calls this for MX only).
 * - RFC 8601 §5: Authentication-Results fields that claim our authserv-id arrive forged; they
 *   are removed from the header block before storing. Nothing else in the message changes.
 * - An unexpected failure of the verifier itself, or checks that outlast `deadlineMs`, tempfail
 *   the message (451 4.7.0); it is never accepted unverified.
 * - Logs carry results and domains, never message content.
 */
import { BlockList, isIP } from 'node:net';
import { authenticate, type AuthenticateResult, type DNSResolver } from 'mailauth';
import { Smtp, SmtpError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Resolver } from '../dns/resolver.js';

/** What to do with a message whose check failed. */
export type FailureAction = 'reject' | 'quarantine' | 'none';

export interface MailauthPolicy {
  /** DMARC fail where the domain publishes p=reject. */
  dmarcReject: FailureAction;
  /** DMARC fail where the domain publishes p=quarantine. */
  dmarcQuarantine: FailureAction;
  /** SPF fail (-all) when DMARC did not pass. */
  spfFail: FailureAction;
  /** SPF softfail (~all) when DMARC did not pass. */
  spfSoftfail: FailureAction;
}

export interface InboundVerifierOptions {
  /** The authserv-id of our Authentication-Results header: this server's host name. */
  hostname: string;
  /** Only `resolve(name, type)` is used: mailauth's resolver shape. */
  resolver: Pick<Resolver, 'resolve'>;
  policy: MailauthPolicy;
  /** CIDR blocks ("127.0.0.0/8", "::1/128") whose clients are not verified. */
  trustedNetworks: string[];
  log: Logger;
  /** For DMARC pct= sampling; injectable for tests. Returns [0, 1). */
  random?: () => number;
  /** Longest time all checks of one message may take (SPF alone may need 10 lookups in a row); default 30 s. */
  deadlineMs?: number;
}

const DEFAULT_DEADLINE_MS = 30_000;

export interface VerifyInput {
  message: Buffer;
  remoteAddress: string;
  heloName: string;
  /** MAIL FROM without brackets; "" for the null sender. */
  mailFrom: string;
  /** Message and connection ids, for log lines. */
  id: string;
  cid: string;
}

export type Disposition = 'inbox' | 'junk';

export interface InboundVerdict {
  disposition: Disposition;
  /** The Authentication-Results header field, folded, CRLF-terminated. */
  header: string;
  /** The message to store: the input with forged Authentication-Results fields removed. */
  message: Buffer;
  /** Results per method ("pass", "fail", ...) and why the disposition was chosen. */
  summary: VerdictSummary;
}

export interface VerdictSummary {
  spf: string;
  dkim: string[];
  dmarc: string;
  arc: string;
  reason: string | null;
}

export type Decision =
  | { kind: 'deliver'; reason: null }
  | { kind: 'quarantine'; reason: string }
  | { kind: 'reject'; reason: string; reply: SmtpError }
  | { kind: 'tempfail'; reason: string; reply: SmtpError };


const SEVERITY: Record<Decision['kind'], number> = { deliver: 0, quarantine: 1, tempfail: 2, reject: 3 };

/** One step down in DMARC policy for messages outside the pct= sample (RFC 7489 §6.6.4). */
const LOWER_POLICY: Record<string, string> = { reject: 'quarantine', quarantine: 'none', none: 'none' };

/** The verdict for authenticate()'s result under a policy; pure, see the module comment. */
export function decide(result: AuthenticateResult, policy: MailauthPolicy, random: () => number = Math.random): Decision {
  const spf = result.spf ? result.spf.status.result : 'none';
  const spfDomain = result.spf ? result.spf.domain : '';
  const dkimTemperror = result.dkim.results.some((row) => row.status.result === 'temperror');
  const dmarc = result.dmarc;
  const dmarcResult = dmarc ? dmarc.status.result : 'none';
  if (dmarcResult === 'pass') return { kind: 'deliver', reason: null };

  const decisions: Decision[] = [];
  if (dmarc && dmarcResult === 'temperror') {
    decisions.push({ kind: 'tempfail', reason: 'dmarc temperror', reply: Smtp.authTempfail('DMARC') });
  } else if (dmarc && dmarcResult === 'fail') {
    let published = (dmarc.policy || 'none').toLowerCase();
    const pct = typeof dmarc.pct === 'number' ? dmarc.pct : 100;
    if (pct < 100 && random() * 100 >= pct) published = LOWER_POLICY[published] ?? 'none';
    const action: FailureAction =
      published === 'reject' ? policy.dmarcReject : published === 'quarantine' ? policy.dmarcQuarantine : 'none';
    const reason = `dmarc fail (p=${published}) for ${dmarc.domain}`;
    if (action !== 'none' && (spf === 'temperror' || dkimTemperror)) {
      const what = spf === 'temperror' ? 'SPF' : 'DKIM';
      decisions.push({ kind: 'tempfail', reason: `${reason}, ${what} temperror`, reply: what === 'SPF' ? Smtp.spfTempfail() : Smtp.authTempfail('DKIM') });
    } else if (action === 'reject') {
      decisions.push({ kind: 'reject', reason, reply: Smtp.dmarcReject(dmarc.domain) });
    } else if (action === 'quarantine') {
      decisions.push({ kind: 'quarantine', reason });
    }
  }

  const spfAction: FailureAction = spf === 'fail' ? policy.spfFail : spf === 'softfail' ? policy.spfSoftfail : 'none';
  if (spf === 'temperror' && (policy.spfFail !== 'none' || policy.spfSoftfail !== 'none')) {
    decisions.push({ kind: 'tempfail', reason: 'spf temperror', reply: Smtp.spfTempfail() });
  } else if (spfAction === 'reject') {
    decisions.push({ kind: 'reject', reason: `spf ${spf} for ${spfDomain}`, reply: Smtp.spfReject(spfDomain) });
  } else if (spfAction === 'quarantine') {
    decisions.push({ kind: 'quarantine', reason: `spf ${spf} for ${spfDomain}` });
  }

  return decisions.reduce<Decision>((worst, next) => (SEVERITY[next.kind] > SEVERITY[worst.kind] ? next : worst), {
    kind: 'deliver',
    reason: null,
  });
}

export class InboundVerifier {
  private readonly hostname: string;
  private readonly resolve: DNSResolver;
  private readonly policy: MailauthPolicy;
  private readonly trusted: BlockList;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly deadlineMs: number;

  constructor(options: InboundVerifierOptions) {
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.hostname = options.hostname;
    // mailauth's resolver type is narrower than dns.promises.resolve's; ours has node's shape.
    this.resolve = options.resolver.resolve as unknown as DNSResolver;
    this.policy = options.policy;
    this.trusted = parseNetworks(options.trustedNetworks);
    this.log = options.log.child({ component: 'mailauth' });
    this.random = options.random ?? Math.random;
  }

  /** Whether a client address is in trustedNetworks (its mail is not verified). */
  isTrusted(remoteAddress: string): boolean {
    const address = unmapIPv4(remoteAddress);
    const family = isIP(address);
    if (family === 0) return false;
    return this.trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * Verifies a message received on MX. Resolves null for trusted clients (deliver unchanged);
   * throws the SmtpError to answer for reject and tempfail verdicts.
   */
  async verify(input: VerifyInput): Promise<InboundVerdict | null> {
    if (this.isTrusted(input.remoteAddress)) return null;
    const log = this.log.child({ msgid: input.id, cid: input.cid });
    const started = process.hrtime.bigint();
    let result: AuthenticateResult;
    let timer: NodeJS.Timeout | undefined;
    try {
      const checks = authenticate(input.message, {
        ip: unmapIPv4(input.remoteAddress),
        helo: input.heloName || undefined,
        sender: input.mailFrom,
        mta: this.hostname,
        resolver: this.resolve,
        disableBimi: true,
      });
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new VerifyDeadline()), this.deadlineMs);
      });
      result = await Promise.race([checks, deadline]);
    } catch (error) {
      if (error instanceof VerifyDeadline) {
        log.warn({ evt: 'mailauth.deadline', ms: this.deadlineMs }, 'message authentication took too long');
        throw Smtp.authTempfail('Sender authentication');
      }
      log.error({ evt: 'mailauth.error', err: error }, 'message authentication failed');
      throw Smtp.verifierFailed();
    } finally {
      clearTimeout(timer);
    }
    const decision = decide(result, this.policy, this.random);
    const summary: VerdictSummary = {
      spf: result.spf ? result.spf.status.result : 'none',
      dkim: result.dkim.results.map((row) => `${row.status.result}${row.signingDomain ? ` (${row.signingDomain})` : ''}`),
      dmarc: result.dmarc ? result.dmarc.status.result : 'none',
      arc: result.arc ? result.arc.status.result : 'none',
      reason: decision.reason,
    };
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log.info({ evt: 'mailauth.verdict', ...summary, verdict: decision.kind, ms: Math.round(ms * 10) / 10 }, 'message authenticated');
    if (decision.kind === 'reject' || decision.kind === 'tempfail') throw decision.reply;
    return {
      disposition: decision.kind === 'quarantine' ? 'junk' : 'inbox',
      header: authenticationResultsHeader(result, this.hostname),
      message: removeForgedResults(input.message, this.hostname),
      summary,
    };
  }
}

class VerifyDeadline extends Error {}

/** The Authentication-Results field from mailauth's headers (it also returns Received-SPF). */
export function authenticationResultsHeader(result: AuthenticateResult, hostname: string): string {
  const fields = result.headers.split(/\r\n(?![ \t])/).filter(Boolean);
  const field = fields.find((candidate) => /^Authentication-Results:/i.test(candidate));
  return `${field ?? `Authentication-Results: ${hostname}; none`}\r\n`;
}

/**
 * Removes header fields "Authentication-Results: <hostname>; ..." (RFC 8601 §5): only we may
 * add those, so any that arrive are forged. The body and every other field stay byte for byte.
 */
export function removeForgedResults(message: Buffer, hostname: string): Buffer {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  const headerEnd = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 2 : lf >= 0 ? lf + 1 : message.length;
  const header = message.subarray(0, headerEnd).toString('latin1');
  const ours = new RegExp(`^Authentication-Results[ \\t]*:[ \\t\\r\\n]*${escapeRegExp(hostname)}(?:[ \\t\\r\\n]+\\d+)?[ \\t\\r\\n]*(;|$)`, 'i');
  // Split into fields: a line that starts with white space continues the previous one.
  const fields = header.match(/[^\r\n]*(?:\r?\n|$)(?:[ \t][^\r\n]*(?:\r?\n|$))*/g) ?? [];
  const kept = fields.filter((field) => field.length > 0 && !ours.test(field));
  if (kept.length === fields.filter((field) => field.length > 0).length) return message;
  return Buffer.concat([Buffer.from(kept.join(''), 'latin1'), message.subarray(headerEnd)]);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function unmapIPv4(address: string): string {
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

/** Parses CIDR blocks; a bare address is a single host. Throws on a malformed entry. */
export function parseNetworks(networks: string[]): BlockList {
  const list = new BlockList();
  for (const entry of networks) {
    const [address, prefixText] = entry.trim().split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`not an IP network: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixText === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(prefixText);
    if (!/^\d+$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) throw new Error(`not an IP network: ${entry}`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}
