/**
 * Verdicts inside the server: checking what a plugin returned, and the error that carries a
 * refusing verdict from the pipeline to a front end.
 *
 * A refusing verdict becomes a PluginVerdictError, which IS an SmtpError (src/errors.ts): the
 * SMTP front end turns it into a reply in its one place for that (src/smtp/replies.ts
 * toReplyError), and the gateway front end reads the same code. The codes (RFC 5321 §4.2,
 * RFC 3463):
 *   reject     → the plugin's code, enhanced code and text (5xx 5.x.x)
 *   tempfail   → 451 4.3.0 text ("local error in processing"; the client retries)
 *   disconnect → 421 4.7.0 text, and the connection is closed (smtp-server closes after a 421)
 *
 * Invariant: anything a hook returns that is not a well-formed verdict is a plugin failure, and a
 * plugin failure is a tempfail: the client keeps the message and retries.
 */
import { SmtpError } from '../errors.js';
import type { RouteDecision, RouteTarget, Verdict } from './api.js';

export type RefusingVerdict = Exclude<Verdict, { kind: 'continue' } | { kind: 'accept' }>;

export class PluginVerdictError extends SmtpError {
  readonly verdict: RefusingVerdict;
  /** The plugin that decided (for logs), or null when the host decided for a failed plugin. */
  readonly plugin: string | null;
  constructor(verdict: RefusingVerdict, plugin: string | null) {
    const [code, enhanced] = verdict.kind === 'reject' ? [verdict.code, verdict.enhanced] : verdict.kind === 'tempfail' ? [451, '4.3.0'] : [421, '4.7.0'];
    super(code, enhanced, verdict.text);
    this.name = 'PluginVerdictError';
    this.verdict = verdict;
    this.plugin = plugin;
  }
}

/** Text of the tempfail the host gives for a plugin that threw, hung or answered nonsense. */
export const PLUGIN_FAILURE_TEXT = 'Temporary failure in message processing, please try again later';

export const CONTINUE: Verdict = { kind: 'continue' };

const TEXT = /^[\x20-\x7e]{1,400}$/;

/** A hook's return value as a verdict, or a description of why it is not one. */
export function checkVerdict(value: unknown): { ok: true; verdict: Verdict } | { ok: false; problem: string } {
  if (value === undefined || value === null) return { ok: true, verdict: CONTINUE };
  if (typeof value !== 'object') return { ok: false, problem: `returned ${typeof value}, not a verdict` };
  const candidate = value as Record<string, unknown>;
  switch (candidate.kind) {
    case 'continue':
    case 'accept':
      return { ok: true, verdict: { kind: candidate.kind } };
    case 'reject': {
      const { code, enhanced, text } = candidate;
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 500 || code > 599) return { ok: false, problem: 'reject with a code outside 500..599' };
      if (typeof enhanced !== 'string' || !/^5\.\d{1,3}\.\d{1,3}$/.test(enhanced)) return { ok: false, problem: 'reject with a bad enhanced code' };
      if (typeof text !== 'string' || !TEXT.test(text)) return { ok: false, problem: 'reject with bad text' };
      return { ok: true, verdict: { kind: 'reject', code, enhanced, text } };
    }
    case 'tempfail':
    case 'disconnect': {
      const text = candidate.text;
      if (typeof text !== 'string' || !TEXT.test(text)) return { ok: false, problem: `${candidate.kind} with bad text` };
      return { ok: true, verdict: { kind: candidate.kind, text } };
    }
    default:
      return { ok: false, problem: `returned an unknown verdict ${JSON.stringify(candidate.kind)}` };
  }
}

const GATEWAY_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** A route hook's return value: a verdict, a route decision, or why it is neither. */
export function checkRouteResult(value: unknown): { ok: true; result: Verdict | RouteDecision } | { ok: false; problem: string } {
  if (value === null || typeof value !== 'object' || (value as { kind?: unknown }).kind !== 'route') {
    const checked = checkVerdict(value);
    return checked.ok ? { ok: true, result: checked.verdict } : checked;
  }
  const targets = (value as { targets?: unknown }).targets;
  if (!Array.isArray(targets) || targets.length === 0) return { ok: false, problem: 'route without targets' };
  const checkedTargets: RouteTarget[] = [];
  for (const element of targets as unknown[]) {
    const candidate = (element ?? {}) as Record<string, unknown>;
    switch (candidate.kind) {
      case 'default':
        checkedTargets.push({ kind: 'default' });
        break;
      case 'mailbox':
        if (typeof candidate.account !== 'string' || typeof candidate.mailbox !== 'string' || candidate.mailbox === '') {
          return { ok: false, problem: 'mailbox target without account or mailbox' };
        }
        checkedTargets.push({ kind: 'mailbox', account: candidate.account.toLowerCase(), mailbox: candidate.mailbox });
        break;
      case 'relay':
        if (candidate.address !== null && typeof candidate.address !== 'string') return { ok: false, problem: 'relay target with a bad address' };
        checkedTargets.push({ kind: 'relay', address: candidate.address });
        break;
      case 'gateway':
        if (typeof candidate.gateway !== 'string' || !GATEWAY_NAME.test(candidate.gateway) || typeof candidate.address !== 'string' || candidate.address === '') {
          return { ok: false, problem: 'gateway target without gateway name or address' };
        }
        checkedTargets.push({ kind: 'gateway', gateway: candidate.gateway, address: candidate.address });
        break;
      default:
        return { ok: false, problem: `unknown route target ${JSON.stringify(candidate.kind)}` };
    }
  }
  return { ok: true, result: { kind: 'route', targets: checkedTargets } };
}

export { GATEWAY_NAME };
