/**
 * User profiles for unified messaging: a user's phone and fax numbers and their notification
 * rules ("new mail from these senders → an SMS to my phone"). `bridgehead user set` writes them
 * (through the control socket or the store), the gateways read them: who owns the number an SMS,
 * fax or voicemail came in on, and whom to notify of new mail.
 *
 * Invariants:
 * - Numbers are stored in E.164 form (ITU-T E.164: "+", country code, at most 15 digits, no
 *   leading 0); input may use spaces, dots, dashes, parentheses and "00" for "+".
 * - A number belongs to at most one account (the store refuses a second owner), so an incoming
 *   SMS or fax has exactly one recipient.
 * - Rule senders are lower-cased addresses, "@domain", or "*"; gateway names are plugin gateway
 *   names (lower-case letters, digits, "-").
 */
import type { NotificationRule, NumberKind, Store, UserProfile } from '../store/types.js';
import { StoreError } from '../errors.js';
import { normalizeDomain, parseMailbox } from './address.js';
import { UserError } from './users.js';

/** What `user set` changes; absent fields stay, null clears. */
export interface ProfileChanges {
  phone?: string | null;
  fax?: string | null;
  /** Rules as written on the command line, e.g. "sms:boss@example.org,@partner.example". */
  notify?: string[] | null;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const GATEWAY_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const MAX_NOTIFICATION_RULES = 20;
export const MAX_RULE_SENDERS = 100;

/** "+49 (151) 123-45678" or "0049151..." → "+4915112345678"; null when it is not an E.164 number. */
export function normalizeE164(input: string): string | null {
  let value = String(input).trim().replace(/[\s().-]/g, '');
  if (value.startsWith('00')) value = `+${value.slice(2)}`;
  return E164.test(value) ? value : null;
}

/** Parses "gateway:sender,sender" into a rule; throws UserError with the reason. */
export function parseNotificationRule(text: string): NotificationRule {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UserError(`invalid notification rule "${text}": expected gateway:sender[,sender...], e.g. sms:boss@example.org`);
  const gateway = text.slice(0, colon).trim().toLowerCase();
  if (!GATEWAY_NAME.test(gateway)) throw new UserError(`invalid notification rule "${text}": "${gateway}" is not a gateway name`);
  const senders = text.slice(colon + 1).split(',').map((sender) => sender.trim()).filter((sender) => sender.length > 0);
  if (senders.length === 0) throw new UserError(`invalid notification rule "${text}": no senders; use * for everyone`);
  if (senders.length > MAX_RULE_SENDERS) throw new UserError(`a notification rule has at most ${MAX_RULE_SENDERS} senders`);
  return { gateway, senders: [...new Set(senders.map(senderPattern))] };
}

function senderPattern(sender: string): string {
  if (sender === '*') return sender;
  if (sender.startsWith('@')) {
    const domain = normalizeDomain(sender.slice(1));
    if (!domain.ok) throw new UserError(`invalid sender "${sender}": ${domain.reason}`);
    return `@${domain.domain}`;
  }
  const parsed = parseMailbox(sender);
  if (!parsed.ok) throw new UserError(`invalid sender "${sender}": ${parsed.reason}`);
  return parsed.mailbox.address;
}

/** Whether a rule's senders cover this envelope sender (the null sender never matches). */
export function ruleMatches(rule: NotificationRule, sender: string): boolean {
  if (sender === '') return false;
  const address = sender.toLowerCase();
  const domain = address.slice(address.lastIndexOf('@'));
  return rule.senders.some((pattern) => pattern === '*' || pattern === address || pattern === domain);
}

/** The rule text as `user set --notify` takes it, for display. */
export function formatNotificationRule(rule: NotificationRule): string {
  return `${rule.gateway}:${rule.senders.join(',')}`;
}

export class ProfileManager {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  /** The profile, or an empty one for an account without; UserError for an unknown account. */
  async get(address: string): Promise<UserProfile> {
    const normalized = String(address).trim().toLowerCase();
    if (!(await this.store.getAccount(normalized))) throw new UserError(`no such user: ${normalized}`);
    return (await this.store.getProfile(normalized)) ?? emptyProfile(normalized);
  }

  /** Applies the changes and returns the new profile. */
  async set(address: string, changes: ProfileChanges): Promise<UserProfile> {
    const current = await this.get(address);
    const next: UserProfile = { ...current, notify: [...current.notify] };
    if (changes.phone !== undefined) next.phone = numberArgument('phone', changes.phone);
    if (changes.fax !== undefined) next.fax = numberArgument('fax', changes.fax);
    if (changes.notify !== undefined) {
      const rules = (changes.notify ?? []).map(parseNotificationRule);
      if (rules.length > MAX_NOTIFICATION_RULES) throw new UserError(`at most ${MAX_NOTIFICATION_RULES} notification rules`);
      next.notify = rules;
    }
    try {
      await this.store.setProfile(next);
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'exists') throw new UserError(error.message);
      throw error;
    }
    return next;
  }

  /** The account holding a number (given in any accepted spelling), or null. */
  async ownerOf(kind: NumberKind, number: string): Promise<string | null> {
    const normalized = normalizeE164(number);
    return normalized === null ? null : this.store.findNumberOwner(kind, normalized);
  }
}

/** ProfileChanges from an untyped request (control socket): only the fields present, checked for type. */
export function profileChanges(args: Record<string, unknown>): ProfileChanges {
  const changes: ProfileChanges = {};
  for (const field of ['phone', 'fax'] as const) {
    const value = args[field];
    if (value === undefined) continue;
    if (value !== null && typeof value !== 'string') throw new UserError(`${field} must be a number as text or null`);
    changes[field] = value;
  }
  const notify = args.notify;
  if (notify !== undefined) {
    if (notify !== null && !(Array.isArray(notify) && notify.every((rule) => typeof rule === 'string'))) {
      throw new UserError('notify must be a list of rules or null');
    }
    changes.notify = notify;
  }
  return changes;
}

function emptyProfile(address: string): UserProfile {
  return { address, phone: null, fax: null, notify: [] };
}

function numberArgument(kind: NumberKind, value: string | null): string | null {
  if (value === null) return null;
  const normalized = normalizeE164(value);
  if (normalized === null) {
    throw new UserError(`invalid ${kind} number "${value}": expected an international number such as +4915112345678`);
  }
  return normalized;
}
