/**
 * LIST (RFC 3501 §6.3.8) with LIST-EXTENDED (RFC 5258), SPECIAL-USE (RFC 6154) and CHILDREN
 * (RFC 3348): `LIST [(selection)] reference pattern|(patterns) [RETURN (options)]`.
 *
 * Invariants:
 * - The delimiter is always the quoted "/" (Thunderbird cannot read a literal there).
 * - `LIST "" ""` answers the hierarchy root: `* LIST (\Noselect) "/" ""`.
 * - \HasChildren/\HasNoChildren and special-use attributes are always returned: Thunderbird reads
 *   them from a plain `list "" "Trash"` (CLIENTS.md §5); \Subscribed only when asked for, by the
 *   SUBSCRIBED selection or return option (RFC 5258 §3.1, §3.2).
 * - "*" matches any characters, "%" any except the delimiter (RFC 3501 §6.3.8). A missing
 *   superior of an existing mailbox (a hierarchy hole) is listed as \Noselect \HasChildren.
 * - Selection SUBSCRIBED lists subscribed names even when the mailbox does not exist, marked
 *   \NonExistent; RECURSIVEMATCH adds CHILDINFO for parents of subscribed names that match
 *   the pattern when the children do not (RFC 5258 §3.5).
 * - LIST-STATUS (RFC 5819): `RETURN (STATUS (items))` follows the LIST response of every
 *   selectable mailbox with its `* STATUS`; names that are not mailboxes get none (RFC 5819 §2).
 */
import { imapBad } from '../../errors.js';
import { astringArgument, atomArgument, isAtom, listArgument } from '../arguments.js';
import {
  decodeName,
  DELIMITER,
  mailboxNameValue,
  normalizeMailboxName,
  superiorNames,
  type NameEncoding,
} from '../mailbox-names.js';
import { atom, type ImapValue, type Token } from '../protocol/types.js';
import type { Session } from '../session.js';
import type { Mailbox } from '../../store/types.js';
import { parseStatusItems, statusValues } from './status.js';
import { AUTHENTICATED, defineCommand } from './types.js';

interface ListArgs {
  reference: string;
  /** Store-form patterns; [""] asks for the hierarchy delimiter. */
  patterns: string[];
  selectSubscribed: boolean;
  selectSpecialUse: boolean;
  recursiveMatch: boolean;
  returnSubscribed: boolean;
  /** RETURN (STATUS (...)) items (RFC 5819), or null. */
  statusItems: string[] | null;
}

const SELECTION_OPTIONS = new Set(['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE']);
const RETURN_OPTIONS = new Set(['SUBSCRIBED', 'CHILDREN', 'SPECIAL-USE']);

/** A LIST pattern in store form → a test for full names (RFC 3501 §6.3.8 wildcards). */
export function patternMatcher(pattern: string): (name: string) => boolean {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '%') source += '[^/]*';
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const regex = new RegExp(`^${source}$`, 's');
  return (name) => regex.test(name);
}

/** Reference and pattern joined into one store-form pattern (RFC 3501 §6.3.8: the reference is a prefix). */
export function canonicalPattern(reference: string, pattern: string): string {
  return normalizeMailboxName(reference + pattern);
}

/** A pattern argument: astring or list-mailbox atom (wildcards allowed), decoded to store form. */
export function patternArgument(token: Token | undefined, encoding: NameEncoding): string {
  return decodeName(astringArgument(token, 'mailbox pattern'), encoding);
}

function parseOptions(tokens: Token[], allowed: Set<string>, what: string): Set<string> {
  const options = new Set<string>();
  for (const token of tokens) {
    const option = atomArgument(token, `a LIST ${what} option`).toUpperCase();
    if (!allowed.has(option)) throw imapBad(`Unsupported LIST ${what} option ${option}`);
    options.add(option);
  }
  return options;
}

export function sortMailboxNames(names: string[]): string[] {
  return names.sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

interface Entry {
  name: string;
  attributes: string[];
  extended?: ImapValue;
  /** The mailbox, when the name is one (LIST-STATUS answers only for those). */
  mailbox?: Mailbox;
}

/** RETURN options; `STATUS` takes the list of status items that follows it (RFC 5819 §3). */
function parseReturnOptions(tokens: Token[]): { options: Set<string>; statusItems: string[] | null } {
  let statusItems: string[] | null = null;
  const rest: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (isAtom(tokens[i], 'STATUS')) {
      if (statusItems) throw imapBad('STATUS given twice in LIST RETURN');
      statusItems = parseStatusItems(tokens[++i]);
    } else {
      rest.push(tokens[i]);
    }
  }
  return { options: parseOptions(rest, RETURN_OPTIONS, 'return'), statusItems };
}

function childrenAttribute(name: string, existing: Map<string, Mailbox>): string {
  const prefix = name + DELIMITER;
  for (const other of existing.keys()) if (other.startsWith(prefix)) return '\\HasChildren';
  return '\\HasNoChildren';
}

export const list = defineCommand<ListArgs>({
  name: 'LIST',
  states: AUTHENTICATED,
  parse(args, encoding) {
    let rest = args;
    let selection = new Set<string>();
    if (rest[0]?.type === 'list') {
      selection = parseOptions(rest[0].items, SELECTION_OPTIONS, 'selection');
      rest = rest.slice(1);
    }
    if (rest.length < 2) throw imapBad('LIST needs a reference and a mailbox pattern');
    const reference = decodeName(astringArgument(rest[0], 'reference'), encoding);
    const patterns =
      rest[1].type === 'list'
        ? rest[1].items.map((token) => patternArgument(token, encoding))
        : [patternArgument(rest[1], encoding)];
    if (patterns.length === 0) throw imapBad('LIST needs at least one pattern');
    rest = rest.slice(2);
    let returns = new Set<string>();
    let statusItems: string[] | null = null;
    if (rest.length > 0) {
      if (!isAtom(rest[0], 'RETURN') || rest.length !== 2) throw imapBad('Unexpected LIST arguments');
      ({ options: returns, statusItems } = parseReturnOptions(listArgument(rest[1], 'RETURN options')));
    }
    if (selection.has('RECURSIVEMATCH') && !selection.has('SUBSCRIBED') && !selection.has('SPECIAL-USE')) {
      throw imapBad('RECURSIVEMATCH needs another selection option');
    }
    return {
      reference,
      patterns,
      selectSubscribed: selection.has('SUBSCRIBED'),
      selectSpecialUse: selection.has('SPECIAL-USE'),
      recursiveMatch: selection.has('RECURSIVEMATCH'),
      returnSubscribed: returns.has('SUBSCRIBED') || selection.has('SUBSCRIBED'),
      statusItems,
    };
  },
  async run(session, args) {
    if (args.patterns.length === 1 && args.patterns[0] === '') {
      const slash = args.reference.indexOf(DELIMITER);
      const root = slash === -1 ? '' : args.reference.slice(0, slash + 1);
      session.send(atom('LIST'), [atom('\\Noselect')], DELIMITER, mailboxNameValue(root, session.names));
      return { text: 'LIST completed' };
    }
    for (const entry of await listEntries(session, args)) {
      const response: ImapValue[] = [atom('LIST'), entry.attributes.map(atom), DELIMITER, mailboxNameValue(entry.name, session.names)];
      if (entry.extended) response.push(entry.extended);
      session.send(...response);
      if (args.statusItems && entry.mailbox) {
        const values = await statusValues(session, entry.mailbox, args.statusItems);
        session.send(atom('STATUS'), mailboxNameValue(entry.name, session.names), values);
      }
    }
    return { text: 'LIST completed' };
  },
});

async function listEntries(session: Session, args: ListArgs): Promise<Entry[]> {
  const [mailboxes, subscriptions] = await Promise.all([
    session.store.listMailboxes(session.account),
    args.returnSubscribed ? session.store.listSubscriptions(session.account) : Promise.resolve([]),
  ]);
  const existing = new Map(mailboxes.map((mailbox) => [mailbox.name, mailbox]));
  const subscribed = new Set(subscriptions.map(normalizeMailboxName));
  const matchers = args.patterns.filter((p) => p !== '').map((p) => patternMatcher(canonicalPattern(args.reference, p)));
  const matches = (name: string): boolean => matchers.some((match) => match(name));

  const attributesOf = (name: string): string[] => {
    const mailbox = existing.get(name);
    const attributes: string[] = [];
    if (!mailbox) attributes.push(args.selectSubscribed ? '\\NonExistent' : '\\Noselect');
    if (args.returnSubscribed && subscribed.has(name)) attributes.push('\\Subscribed');
    attributes.push(childrenAttribute(name, existing));
    if (mailbox?.specialUse) attributes.push(mailbox.specialUse);
    return attributes;
  };

  const entries = new Map<string, Entry>();
  if (args.selectSubscribed) {
    for (const name of subscribed) {
      if (args.selectSpecialUse && !existing.get(name)?.specialUse) continue;
      if (matches(name)) {
        entries.set(name, { name, attributes: attributesOf(name) });
      } else if (args.recursiveMatch) {
        for (const parent of superiorNames(name)) {
          if (matches(parent) && !entries.has(parent)) {
            entries.set(parent, { name: parent, attributes: attributesOf(parent), extended: ['CHILDINFO', ['SUBSCRIBED']] });
          }
        }
      }
    }
  } else {
    const names = new Set(existing.keys());
    for (const name of existing.keys()) for (const parent of superiorNames(name)) names.add(parent);
    for (const name of names) {
      if (args.selectSpecialUse && !existing.get(name)?.specialUse) continue;
      if (matches(name)) entries.set(name, { name, attributes: attributesOf(name) });
    }
  }
  return sortMailboxNames([...entries.keys()]).map((name) => ({ ...entries.get(name)!, mailbox: existing.get(name) }));
}
