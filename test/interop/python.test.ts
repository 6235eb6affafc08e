/**
 * Interoperability with python3's standard library (issue 3, "Conformance"): smtplib submits a
 * message (port 587, STARTTLS, AUTH), imaplib reads and changes it over IMAPS and over IMAP with
 * STARTTLS. Neither client was written here; each step's result is printed as JSON and checked.
 */
import t from 'tap';
import { PASSWORD, USER, interopServer, runPython } from './support.js';

const SCRIPT = String.raw`
import imaplib, json, smtplib, ssl, sys
from email import message_from_bytes, policy
from email.message import EmailMessage

imaps, imap_plain, submission, cafile, user, password = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False   # the certificate names mail.example.test; we connect to 127.0.0.1
out = {}

def ok(result):
    typ, data = result
    if typ != 'OK':
        raise SystemExit('command failed: %r %r' % (typ, data))
    return data

msg = EmailMessage()
msg['From'] = user
msg['To'] = user
msg['Subject'] = 'Grüße from smtplib'
msg['Message-ID'] = '<py-1@interop.test>'
msg.set_content('Hello from python smtplib.\nÜmlauts in the body.\n')
with smtplib.SMTP('127.0.0.1', int(submission), timeout=20) as s:
    s.starttls(context=ctx)
    s.login(user, password)
    out['smtp_refused'] = s.send_message(msg)

M = imaplib.IMAP4_SSL('127.0.0.1', int(imaps), ssl_context=ctx, timeout=20)
ok(M.login(user, password))
out['capabilities'] = sorted(M.capabilities)
out['exists'] = int(ok(M.select('INBOX'))[0])
out['search_msgid'] = ok(M.search(None, 'HEADER', 'Message-ID', '<py-1@interop.test>'))[0].decode()
out['search_subject'] = ok(M.search('UTF-8', 'SUBJECT', 'grüße'.encode()))[0].decode()
out['search_body'] = ok(M.search(None, 'BODY', '"python smtplib"'))[0].decode()
data = ok(M.fetch('1', '(RFC822.SIZE BODY.PEEK[] FLAGS)'))
size = int(data[0][0].decode().split('RFC822.SIZE ')[1].split(' ')[0])
body = data[0][1]
out['size_matches'] = size == len(body)
parsed = message_from_bytes(body, policy=policy.default)
out['subject'] = parsed['Subject']
out['body'] = parsed.get_content()
out['flags_before'] = [x.decode() if isinstance(x, bytes) else x for x in data if not isinstance(x, tuple)]
uid = ok(M.uid('SEARCH', None, 'ALL'))[0].decode()
out['uid'] = uid
ok(M.uid('STORE', uid, '+FLAGS', '(\\Seen \\Flagged)'))
out['flags_after'] = ok(M.uid('FETCH', uid, '(FLAGS)'))[0].decode()
appended = M.append('Drafts', '(\\Draft)', imaplib.Time2Internaldate(1767225600), b'From: me@interop.test\r\nSubject: draft\r\n\r\nA draft.\r\n')
out['append'] = [appended[0], appended[1][0].decode()]
ok(M.close())
ok(M.enable('UTF8=ACCEPT'))
ok(M.create('"Ordner/Grüße"'))
out['list'] = sorted(x.decode() for x in ok(M.list()))
ok(M.select('INBOX'))
ok(M.copy('1', '"Ordner/Grüße"'))
out['status'] = ok(M.status('"Ordner/Grüße"', '(MESSAGES UIDNEXT)'))[0].decode()
ok(M.store('1', '+FLAGS', '(\\Deleted)'))
out['expunge'] = [x.decode() for x in ok(M.expunge()) if x]
out['exists_after'] = int(ok(M.select('INBOX'))[0])
out['logout'] = M.logout()[0]

P = imaplib.IMAP4('127.0.0.1', int(imap_plain), timeout=20)
out['plain_logindisabled'] = 'LOGINDISABLED' in P.capabilities
P.starttls(ssl_context=ctx)
ok(P.login(user, password))
out['starttls_folder'] = int(ok(P.select('"Ordner/Gr&APwA3w-e"'))[0])
P.logout()
print(json.dumps(out))
`;

t.test('python3 smtplib and imaplib: submit, search, fetch, flag, append, copy, expunge, STARTTLS', async (t) => {
  const server = await interopServer(t);
  const args = [server.port('imap.imaps'), server.port('imap.imap'), server.port('smtp.submission')].map(String);
  const result = await runPython(t, SCRIPT, [...args, server.certPath, USER, PASSWORD]);
  t.equal(result.code, 0, `python exited cleanly${result.stderr ? `: ${result.stderr}` : ''}`);
  if (result.code !== 0) return;
  const out = JSON.parse(result.stdout);
  t.same(out.smtp_refused, {}, 'smtplib: every recipient accepted');
  t.ok(out.capabilities.includes('IMAP4REV1'), 'IMAP4rev1 advertised');
  t.equal(out.exists, 1, 'the submitted message is in INBOX');
  t.equal(out.search_msgid, '1');
  t.equal(out.search_subject, '1', 'SEARCH CHARSET UTF-8 on a decoded subject');
  t.equal(out.search_body, '1');
  t.ok(out.size_matches, 'RFC822.SIZE is the size of BODY[]');
  t.equal(out.subject, 'Grüße from smtplib');
  t.equal(out.body, 'Hello from python smtplib.\r\nÜmlauts in the body.\r\n', 'the body as sent, CRLF line ends');
  t.match(out.flags_after, /FLAGS \((?=.*\\Seen)(?=.*\\Flagged)/);
  t.equal(out.append[0], 'OK');
  t.match(out.append[1], /^\[APPENDUID \d+ 1\]/);
  t.ok(out.list.some((line: string) => line.endsWith('"Ordner/Grüße"') || line.endsWith('Ordner/Grüße')), 'UTF-8 mailbox name listed');
  t.match(out.status, /MESSAGES 1 UIDNEXT 2/);
  t.same(out.expunge, ['1']);
  t.equal(out.exists_after, 0);
  t.equal(out.logout, 'BYE');
  t.equal(out.plain_logindisabled, true, 'no login before STARTTLS');
  t.equal(out.starttls_folder, 1, 'the copy is there, seen through IMAP + STARTTLS');
});
