/**
 * Random and mutated IMAP client sessions for fuzzing a live server (test/imap/fuzz.test.ts, and
 * the long run in bench/imap/fuzz.ts). A session is a list of chunks to write: often a real
 * login first (so the authenticated and selected states are reached), then commands from a
 * corpus of what real clients send, mutated (octets flipped, inserted, cut, duplicated, numbers
 * made huge, literals announced), or plain random octets. Seeded, so a failure replays exactly.
 */

/** Mulberry32: small, fast, good enough to drive fuzzing; same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const CORPUS = [
  'a1 CAPABILITY',
  'a2 SELECT INBOX',
  'a3 EXAMINE "INBOX" (CONDSTORE)',
  'a4 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])',
  'a5 FETCH 1:3 (FLAGS INTERNALDATE ENVELOPE BODYSTRUCTURE BODY.PEEK[1.MIME] BINARY.PEEK[1]<0.100>)',
  'a6 UID SEARCH CHARSET UTF-8 OR FROM "bob" (SUBJECT hello NOT SEEN) SINCE 1-Jan-2020',
  'a7 SEARCH RETURN (MIN MAX COUNT SAVE) UNDELETED TEXT "x"',
  'a8 STORE 1:* +FLAGS.SILENT (\\Seen $Junk)',
  'a9 UID STORE 2 -FLAGS (\\Flagged) (UNCHANGEDSINCE 5)',
  'b1 LIST "" "*" RETURN (SPECIAL-USE CHILDREN STATUS (MESSAGES UNSEEN SIZE))',
  'b2 LIST (SUBSCRIBED) "" "*" RETURN (SPECIAL-USE)',
  'b3 STATUS "Sent" (UIDNEXT MESSAGES UNSEEN RECENT)',
  'b4 CREATE "Fuzz/&ZeVnLIqe-"',
  'b5 RENAME "Fuzz" "Fuzzed"',
  'b6 DELETE "Fuzzed/&ZeVnLIqe-"',
  'b7 UID COPY 1:* "Trash"',
  'b8 UID MOVE 1 "Archive"',
  'b9 UID EXPUNGE 1:5',
  'c1 ENABLE CONDSTORE QRESYNC UTF8=ACCEPT IMAP4rev2',
  'c2 ID ("name" "fuzz" "version" NIL)',
  'c3 NAMESPACE',
  'c4 GETQUOTAROOT INBOX',
  'c5 UID SORT (REVERSE DATE SUBJECT) UTF-8 ALL',
  'c6 UID THREAD REFERENCES UTF-8 ALL',
  'c7 NOOP',
  'c8 UNSELECT',
  'c9 CLOSE',
  'd1 IDLE\r\nDONE',
  'd2 AUTHENTICATE PLAIN',
  'd3 SELECT INBOX (QRESYNC (1 2 1:5 (1,3 1,3)))',
  'd4 APPEND INBOX (\\Seen) "05-Mar-2026 10:00:00 +0100" {33+}\r\nSubject: fuzz\r\n\r\nfuzz body here\r\n',
  'd5 APPEND Drafts UTF8 (~{18+}\r\nSubject: x\r\n\r\ny\r\n)',
  'd6 FETCH 1 BODY[]<0.2048>',
  'd7 LOGOUT',
];

const SPECIALS = '(){}[]<>"\\~+-*%:$ \r\n0123456789.&';

export interface FuzzOptions {
  user: string;
  password: string;
}

/** One session: the chunks a misbehaving client writes. */
export function fuzzSession(random: () => number, options: FuzzOptions): Buffer[] {
  const pick = (n: number) => Math.floor(random() * n);
  const chunks: Buffer[] = [];
  if (random() < 0.8) chunks.push(Buffer.from(`l LOGIN "${options.user}" "${options.password}"\r\n`));
  if (random() < 0.6) chunks.push(Buffer.from('s SELECT INBOX\r\n'));
  for (let n = 1 + pick(8); n > 0; n--) {
    if (random() < 0.15) {
      const bytes = Buffer.alloc(pick(300));
      for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.6 ? SPECIALS.charCodeAt(pick(SPECIALS.length)) : pick(256);
      chunks.push(bytes);
      continue;
    }
    const line = CORPUS[pick(CORPUS.length)];
    chunks.push(Buffer.from(`${random() < 0.6 ? mutate(line, random) : line}\r\n`, 'latin1'));
  }
  return chunks;
}

function mutate(line: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  let text = line;
  for (let m = 1 + pick(4); m > 0; m--) {
    const at = pick(text.length + 1);
    switch (pick(8)) {
      case 0:
        text = text.slice(0, at) + String.fromCharCode(pick(256)) + text.slice(at + 1);
        break;
      case 1:
        text = text.slice(0, at) + SPECIALS[pick(SPECIALS.length)] + text.slice(at);
        break;
      case 2:
        text = text.slice(0, at) + text.slice(at + 1 + pick(10));
        break;
      case 3:
        text = text.slice(0, at) + text.slice(at, at + pick(60)).repeat(1 + pick(5)) + text.slice(at);
        break;
      case 4:
        text = text.replace(/\d+/, () => ['0', '4294967295', '4294967296', '99999999999999999999', '-1'][pick(5)]);
        break;
      case 5:
        text = `${text.slice(0, at)}{${[0, 5, 1 << 20, 1 << 30, 1e12][pick(5)]}${['', '+', '-'][pick(3)]}}\r\n${text.slice(at)}`;
        break;
      case 6:
        text = text.slice(0, at) + '('.repeat(pick(100)) + text.slice(at);
        break;
      case 7:
        text = text.replace(/"[^"]*"/, () => ['"&"', '"&Jjo"', '"&AGE-"', '"\\"', '""', '"*%"'][pick(6)]);
        break;
    }
  }
  return text;
}
