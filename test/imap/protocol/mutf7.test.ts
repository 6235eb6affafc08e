import t from 'tap';
import { decodeMailboxName, encodeMailboxName } from '../../../src/imap/protocol/mutf7.js';
import { prng } from './helpers.js';

t.test('encode and decode (RFC 3501 §5.1.3 and common names)', async (t) => {
  const table: Array<[string, string]> = [
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['~peter/mail/日本語/台北', '~peter/mail/&ZeVnLIqe-/&U,BTFw-'],
    ['INBOX', 'INBOX'],
    ['', ''],
    ['&', '&-'],
    ['Tom & Jerry', 'Tom &- Jerry'],
    ['& a&b', '&- a&-b'],
    ['Entwürfe', 'Entw&APw-rfe'],
    ['ä ö ü Ä Ö Ü ß', '&AOQ- &APY- &APw- &AMQ- &ANY- &ANw- &AN8-'],
    ['ää', '&AOQA5A-'],
    ['äää', '&AOQA5ADk-'],
    ['📧', '&2D3c5w-'],
    ['a\tb', 'a&AAk-b'],
    ['+~\\/%*', '+~\\/%*'],
  ];
  for (const [decoded, encoded] of table) {
    t.equal(encodeMailboxName(decoded), encoded, `encode ${JSON.stringify(decoded)}`);
    t.equal(decodeMailboxName(encoded), decoded, `decode ${encoded}`);
  }
});

t.test('decode refuses every non-canonical or broken form with BAD', async (t) => {
  const table: Array<[string, string]> = [
    ['&', 'not closed'],
    ['&U,BTFw', 'not closed'],
    ['a&AOQ', 'not closed'],
    ['&Jjo!-', 'character outside modified BASE64'],
    ['&AOQ=-', 'padding character'],
    ['&AOQ/-', 'standard BASE64 "/"'],
    ['&AGE-', 'encodes printable ASCII "a"'],
    ['&ACY-', 'encodes "&"'],
    ['&AOR-', 'non-zero padding bits'],
    ['&AO-', 'half a UTF-16 unit'],
    ['&AOQA-', 'one and a half units'],
    ['&AOQA5ADkA-', 'a character holding only padding'],
    ['&2D0-', 'lone high surrogate'],
    ['&3Oc-', 'lone low surrogate'],
    ['&3Ofc5w-', 'low surrogate first'],
    ['Grüße', 'raw 8-bit'],
    ['a\tb', 'raw control character'],
  ];
  for (const [encoded, why] of table) {
    t.throws(() => decodeMailboxName(encoded), { name: 'ImapError', status: 'BAD' }, `${encoded}: ${why}`);
  }
});

t.test('decode(encode(s)) === s for random names', async (t) => {
  const random = prng(42);
  const pieces = ['a', 'Z', '&', '-', '/', ' ', '~', 'ä', 'ß', '台', '北', '📧', '\t', '\x7f', 'é', '&-'];
  let mismatches = 0;
  for (let i = 0; i < 2000; i++) {
    let name = '';
    for (let k = Math.floor(random() * 20); k > 0; k--) name += pieces[Math.floor(random() * pieces.length)];
    const encoded = encodeMailboxName(name);
    if (!/^[\x20-\x7e]*$/.test(encoded) || decodeMailboxName(encoded) !== name) {
      mismatches++;
      t.fail(`round trip of ${JSON.stringify(name)} via ${encoded}`);
    }
  }
  t.equal(mismatches, 0);
});
