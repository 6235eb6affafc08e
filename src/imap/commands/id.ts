/**
 * ID (RFC 2971): accepts `ID NIL`, `ID ()` and a list of field/value pairs (values may be NIL),
 * and answers with the server's own identification. The client's fields are not kept: nothing
 * depends on them.
 */
import { imapBad } from '../../errors.js';
import { expectArgumentCount, isAtom } from '../arguments.js';
import type { Token } from '../protocol/types.js';
import { ANY_STATE, defineCommand } from './types.js';

/** RFC 2971 §3.3: at most 30 pairs, field names up to 30 octets, values up to 1024. */
const MAX_PAIRS = 30;
const MAX_FIELD = 30;
const MAX_VALUE = 1024;

function checkField(token: Token, maxLength: number, allowNil: boolean): void {
  if (allowNil && isAtom(token, 'NIL')) return;
  if (token.type !== 'string') throw imapBad('ID fields and values must be strings');
  if (token.value.length > maxLength) throw imapBad('ID field or value too long');
}

export const id = defineCommand<void>({
  name: 'ID',
  states: ANY_STATE,
  parse(args) {
    expectArgumentCount(args, 1);
    const [param] = args;
    if (isAtom(param, 'NIL')) return;
    if (param.type !== 'list') throw imapBad('ID expects NIL or a parenthesised list');
    if (param.items.length % 2 !== 0) throw imapBad('ID list must hold field/value pairs');
    if (param.items.length > MAX_PAIRS * 2) throw imapBad('Too many ID fields');
    for (let i = 0; i < param.items.length; i += 2) {
      checkField(param.items[i], MAX_FIELD, false);
      checkField(param.items[i + 1], MAX_VALUE, true);
    }
  },
  async run(session) {
    session.send({ atom: 'ID' }, ['name', 'Bridgehead', 'vendor', 'Bridgehead']);
    return { text: 'ID completed' };
  },
});
