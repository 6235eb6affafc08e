/**
 * CREATE (RFC 3501 §6.3.3, RFC 9051 §6.3.4): a trailing delimiter is dropped ("Work/" creates
 * "Work"); missing superiors are created too ("a/b/c" creates "a" and "a/b", in the same store
 * batch); an existing name, INBOX included, is NO [ALREADYEXISTS] (RFC 5530).
 *
 * CREATE-SPECIAL-USE (RFC 6154 §3): `CREATE name (USE (\Sent))` gives the new mailbox a
 * special-use attribute. A mailbox here holds at most one, and only the attributes of real
 * folders (\Drafts \Sent \Trash \Junk \Archive; \All and \Flagged would promise virtual
 * mailboxes this server does not have): anything else is NO [USEATTR] and nothing is created.
 * Other create parameters (RFC 4466 §2.2) are BAD, as they are unknown.
 */
import { imapBad, imapNo } from '../../errors.js';
import type { SpecialUse } from '../../store/types.js';
import { atomArgument, expectArgumentCount, isAtom, listArgument } from '../arguments.js';
import { checkNewMailboxName, DELIMITER, mailboxArgument, normalizeMailboxName } from '../mailbox-names.js';
import type { Token } from '../protocol/types.js';
import { AUTHENTICATED, defineCommand } from './types.js';

interface CreateArgs {
  name: string;
  /** Attributes asked for with USE, as given (checked in run, where they earn NO, not BAD). */
  use: string[];
}

const CREATABLE_USES: ReadonlyMap<string, SpecialUse> = new Map(
  (['\\Drafts', '\\Sent', '\\Trash', '\\Junk', '\\Archive'] as const).map((use) => [use.toUpperCase(), use]),
);

/** `create-param = create-param-name [SP create-param-value]` (RFC 4466 §2.2); only USE is known. */
function parseCreateParams(token: Token): string[] {
  const params = listArgument(token, 'CREATE parameters');
  const use: string[] = [];
  for (let i = 0; i < params.length; i++) {
    if (!isAtom(params[i], 'USE')) throw imapBad(`Unknown CREATE parameter ${atomArgument(params[i], 'a CREATE parameter')}`);
    const attributes = listArgument(params[++i], 'USE attributes');
    for (const attribute of attributes) use.push(atomArgument(attribute, 'a special-use attribute'));
  }
  return use;
}

export const create = defineCommand<CreateArgs>({
  name: 'CREATE',
  states: AUTHENTICATED,
  parse(args, encoding) {
    expectArgumentCount(args, 1, 2);
    let name = mailboxArgument(args[0], encoding);
    while (name.endsWith(DELIMITER)) name = name.slice(0, -1);
    return { name: normalizeMailboxName(name), use: args.length === 2 ? parseCreateParams(args[1]) : [] };
  },
  async run(session, { name, use }) {
    if (name === 'INBOX') throw imapNo('INBOX always exists', 'ALREADYEXISTS');
    checkNewMailboxName(name);
    const uses = [...new Set(use.map((attribute) => attribute.toUpperCase()))];
    if (uses.length > 1) throw imapNo('A mailbox can have only one special use here', 'USEATTR');
    let specialUse: SpecialUse | null = null;
    if (uses.length === 1) {
      specialUse = CREATABLE_USES.get(uses[0]) ?? null;
      if (!specialUse) throw imapNo(`Special use ${use[0]} is not supported`, 'USEATTR');
    }
    if (await session.store.getMailbox(session.account, name)) throw imapNo('Mailbox already exists', 'ALREADYEXISTS');
    await session.store.createMailbox(session.account, name, { specialUse });
    return { text: 'CREATE completed' };
  },
});
