/**
 * ENVELOPE details beyond the golden files: the Date header as a timestamp, and address
 * parsing on malformed input.
 */
import t from 'tap';
import { parseDate, parseMessage } from '../../src/mime/index.js';
import { parseAddressList } from '../../src/mime/address.js';
import { render } from './sexp.js';

t.test('parseDate reads RFC 5322 dates, obsolete forms included', async (t) => {
  t.equal(parseDate('Sat, 01 Feb 2007 01:02:03 +0200'), Date.UTC(2007, 1, 1, 1 - 2, 2, 3));
  t.equal(parseDate('1 Feb 2007 01:02 -0000'), Date.UTC(2007, 1, 1, 1, 2, 0), 'no weekday, no seconds');
  t.equal(parseDate('Mon, 7 Feb 94 21:52:25 PST'), Date.UTC(1994, 1, 8, 5, 52, 25), 'two-digit year, named zone');
  t.equal(parseDate('Mon, 7 Feb 1994 21:52:25 -0800 (PST)'), Date.UTC(1994, 1, 8, 5, 52, 25), 'trailing comment');
  t.equal(parseDate('Thu, 13 Mar 2025 10:00:00 GMT'), Date.UTC(2025, 2, 13, 10, 0, 0));
  t.equal(parseDate('2025-03-13T10:00:00Z'), Date.UTC(2025, 2, 13, 10, 0, 0), 'ISO 8601 fallback');
  t.equal(parseDate('not a date'), null);
  t.equal(parseDate('99 Foo 2020 10:00'), null);
});

t.test('sentDate comes from the first Date header', async (t) => {
  const parsed = parseMessage(Buffer.from('Date: Tue, 04 Mar 2025 10:15:00 +0100\r\nDate: junk\r\n\r\n'));
  t.equal(parsed.sentDate, Date.UTC(2025, 2, 4, 9, 15, 0));
  t.equal(parseMessage(Buffer.from('Subject: none\r\n\r\n')).sentDate, null);
});

t.test('Sender and Reply-To fall back to From when they hold no address', async (t) => {
  const parsed = parseMessage(Buffer.from('From: a@b.c\r\nSender: <>\r\nReply-To: (nobody)\r\n\r\n'));
  t.equal(render(parsed.envelope), '(NIL NIL ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) NIL NIL NIL NIL NIL)');
});

t.test('malformed address lists never throw and keep what can be read', async (t) => {
  const cases: Array<[string, string]> = [
    ['', 'NIL'],
    [',,,', 'NIL'],
    ['"unterminated', '(("unterminated" NIL "" ""))'],
    ['"John Smith"', '(("John Smith" NIL "" ""))'],
    ['localuser', '((NIL NIL "localuser" ""))'],
    ['John Smith', '(("John Smith" NIL "" ""))'],
    ['first.last', '((NIL NIL "first.last" ""))'],
    ['Name <a@b', '(("Name" NIL "a" "b"))'],
    ['a@b, (comment (nested) only), c@d', '((NIL NIL "a" "b")(NIL NIL "c" "d"))'],
    ['group: a@b', '((NIL NIL "group" NIL)(NIL NIL "a" "b")(NIL NIL NIL NIL))'],
    ['a@[192.0.2.1]', '((NIL NIL "a" "[192.0.2.1]"))'],
    ['"a@b"@c', '((NIL NIL "\\"a@b\\"" "c"))'],
    ['<@x,@y:a@b>', '((NIL "@x,@y" "a" "b"))'],
    ['@@@', '((NIL NIL "@@" ""))'],
    [';;;', 'NIL'],
    ['user@', '((NIL NIL "user" ""))'],
  ];
  for (const [input, expected] of cases) {
    t.equal(render(parseAddressList(input)), expected, JSON.stringify(input));
  }
});
