#!/usr/bin/env bash
# Drives a real mutt against a freshly built Bridgehead, as a new user would, and checks each
# screen and the IMAP replies. A manual check (needs mutt, tmux, python3), not part of npm test.
# See tools/mutt/README.md. Usage: tools/mutt/run.sh [--idle] [--keep] [--no-build]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODE=default
KEEP=0
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --idle) MODE=idle ;;
    --keep) KEEP=1 ;;
    --no-build) BUILD=0 ;;
    *) echo "usage: $0 [--idle] [--keep] [--no-build]" >&2; exit 2 ;;
  esac
done
for tool in mutt tmux python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install mutt tmux python3)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/bh-mutt-XXXXXX)
SESSION="bh-mutt-$$"
USER_ADDR=alice@example.test
PASS='mutt test pw'
SERVER_PID=
FAILURES=0
STEP=0

cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 0 ] && [ "$FAILURES" = 0 ]; then rm -rf "$WORK"; else echo "work folder kept: $WORK"; fi
}
trap cleanup EXIT

# Five free ports on 127.0.0.1 (the kernel picks them; a tiny race is acceptable for a manual check).
read -r P_MX P_SUB P_SUBS P_IMAP P_IMAPS < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')

cat > "$WORK/config.json" <<EOF
{
  "hostname": "mail.example.test",
  "dataDir": "$WORK/data",
  "log": { "level": "debug" },
  "smtp": {
    "mx": { "enabled": true, "host": "127.0.0.1", "port": $P_MX },
    "submission": { "enabled": true, "host": "127.0.0.1", "port": $P_SUB },
    "submissions": { "enabled": true, "host": "127.0.0.1", "port": $P_SUBS }
  },
  "imap": {
    "imap": { "enabled": true, "host": "127.0.0.1", "port": $P_IMAP },
    "imaps": { "enabled": true, "host": "127.0.0.1", "port": $P_IMAPS }
  },
  "auth": { "failureDelayMs": 0, "maxFailures": 50, "windowSeconds": 60, "cacheTtlSeconds": 300 },
  "gateways": { "listener": { "enabled": false, "host": "127.0.0.1", "port": 2780 } },
  "mailauth": { "enabled": false, "trustedNetworks": ["127.0.0.0/8"] },
  "dns": { "staticOnly": true }
}
EOF

cd "$ROOT"
if [ "$BUILD" = 1 ]; then npm run build --silent; fi
BH=(node "$ROOT/bin/bridgehead.js")
"${BH[@]}" domain add example.test --config "$WORK/config.json" >/dev/null
printf '%s\n' "$PASS" | "${BH[@]}" user add "$USER_ADDR" --password-stdin --config "$WORK/config.json" >/dev/null
"${BH[@]}" serve --config "$WORK/config.json" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q '"evt":"server.started"' "$WORK/server.log" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done

# ---- mail to read --------------------------------------------------------------------------
cat > "$WORK/deliver.py" <<'EOF'
import smtplib, sys
from email.message import EmailMessage
from email.utils import make_msgid, formatdate
port, which = int(sys.argv[1]), sys.argv[2:]
def plain(n):
    m = EmailMessage(); m['From'] = 'Bob Sender <bob@remote.example>'; m['To'] = 'alice@example.test'
    m['Subject'] = f'Plain message {n}'; m['Date'] = formatdate(localtime=True); m['Message-ID'] = make_msgid()
    m.set_content(f'Hello Alice,\n\nthis is plain message number {n}.\n'); return m
def multi():
    m = EmailMessage(); m['From'] = 'Jörg Müller <joerg@remote.example>'; m['To'] = 'Alice <alice@example.test>'
    m['Subject'] = 'Grüße aus Köln – Rechnung № 42 ✓'; m['Date'] = formatdate(localtime=True); m['Message-ID'] = make_msgid()
    m.set_content('Hallo Alice,\n\nanbei die Rechnung. Schöne Grüße!\n')
    m.add_alternative('<p>Hallo Alice,</p><p>anbei die Rechnung. <b>Schöne Grüße!</b></p>', subtype='html')
    m.add_attachment(b'%PDF-1.4\n' + bytes(range(256)) * 8, maintype='application', subtype='pdf', filename='Rechnung-42.pdf')
    return m
with smtplib.SMTP('127.0.0.1', port) as s:
    for w in which:
        s.send_message(multi() if w == 'multi' else plain(w), from_addr='bob@remote.example', to_addrs=['alice@example.test'])
EOF
python3 "$WORK/deliver.py" "$P_MX" 1 multi 2 3

# ---- mutt's setup: its own HOME, the server's certificate trusted, a non-interactive editor ----
mkdir -p "$WORK/home" "$WORK/out" "$WORK/screens"
cp "$WORK/data/tls/cert.pem" "$WORK/home/certs"
cat > "$WORK/editor.sh" <<'EOF'
#!/bin/sh
printf 'Hello me,\n\nthis was written by mutt and sent through Bridgehead. Grüße!\n' >> "$1"
EOF
chmod +x "$WORK/editor.sh"
cat > "$WORK/home/muttrc" <<EOF
set imap_user = "$USER_ADDR"
set imap_pass = "$PASS"
set folder = "imaps://127.0.0.1:$P_IMAPS/"
set spoolfile = "+INBOX"
set record = "+Sent"
set postponed = "+Drafts"
set smtp_url = "smtps://alice%40example.test@127.0.0.1:$P_SUBS/"
set smtp_pass = "$PASS"
set ssl_verify_host = no
set certificate_file = "~/certs"
set from = "$USER_ADDR"
set realname = "Alice"
set editor = "$WORK/editor.sh"
set mail_check = 5
set timeout = 3
set charset = "utf-8"
EOF
if [ "$MODE" = idle ]; then
  cat >> "$WORK/home/muttrc" <<'EOF'
set imap_idle = yes
set header_cache = "~/hcache"
set imap_condstore = yes
set imap_qresync = yes
set imap_deflate = yes
mailboxes =INBOX =Archive =Sent
EOF
fi

# ---- driving ---------------------------------------------------------------------------------
screen_text() { tmux capture-pane -p -t "$SESSION"; }
# keys ARGS...: tmux send-keys (a bare ';' must be given as '\;').
keys() { tmux send-keys -t "$SESSION" "$@"; sleep 0.3; }
# expect NAME REGEX [SECONDS]: waits until the screen matches, saves it as screens/NN-NAME.txt.
expect() {
  local name=$1 pattern=$2 limit=${3:-10} waited=0
  STEP=$((STEP + 1))
  local file
  file=$(printf '%s/screens/%02d-%s.txt' "$WORK" "$STEP" "$name")
  while ! screen_text | grep -Eq -- "$pattern"; do
    if [ "$waited" -ge $((limit * 10)) ]; then
      screen_text > "$file"
      echo "FAIL  $name: screen never matched /$pattern/ (see $file)"
      FAILURES=$((FAILURES + 1))
      return 0
    fi
    sleep 0.1; waited=$((waited + 1))
  done
  screen_text > "$file"
  echo "ok    $name"
}
# answer PROMPT_REGEX KEY: answers a yes/no prompt if mutt shows it.
answer() { expect "$3" "$1" 5; keys "$2"; }

tmux new-session -d -s "$SESSION" -x 160 -y 50 -e HOME="$WORK/home" -e LANG=C.UTF-8 -e TERM=xterm "mutt -d 4 -F $WORK/home/muttrc"
expect open-inbox 'Mutt: =INBOX \[Msgs:4 New:4' 15
expect subjects 'Grüße aus Köln – Rechnung № 42 ✓'

keys Enter
expect read-plain 'this is plain message number 1'
keys j
expect read-multipart 'Attachment #2: Rechnung-42.pdf'
keys v
expect attachments 'Rechnung-42.pdf +\[applica/pdf, base64'
keys 4 Enter s
expect save-prompt 'Save to file:'
keys C-u "$WORK/out/Rechnung-42.pdf" Enter
expect attachment-saved 'Attachment saved'
python3 -c "import sys; sys.exit(open('$WORK/out/Rechnung-42.pdf','rb').read() != b'%PDF-1.4\n' + bytes(range(256)) * 8)" \
  && echo "ok    attachment-bytes" || { echo "FAIL  attachment-bytes: the saved PDF differs"; FAILURES=$((FAILURES + 1)); }
keys q i
expect back-to-index 'Mutt: =INBOX'

keys 2 Enter F
expect flagged 'Flag:1'
keys 4 Enter s
expect save-to 'Save to mailbox'
keys C-u '=Archive' Enter
answer 'Append message\(s\) to' y confirm-append
expect saved 'Del:1'
keys 3 Enter d
expect deleted 'Del:2'
keys '$'
answer 'Purge 2 deleted messages\?' y confirm-purge
expect synced 'Mutt: =INBOX \[Msgs:2 '

keys c
expect change-folder 'Open mailbox'
keys C-u '=Archive' Enter
expect archive 'Mutt: =Archive \[Msgs:1'

keys m
expect to-prompt '^To:'
keys "$USER_ADDR" Enter
expect subject-prompt '^Subject:'
keys 'Mutt says hi ✓' Enter
expect compose 'Mutt: Compose'
keys a
expect attach-prompt 'Attach file'
keys "$WORK/out/Rechnung-42.pdf" Enter
expect attached 'Atts: 2'
keys y
expect sent 'Mail sent' 15

keys c
expect change-folder-2 'Open mailbox'
keys C-u '=Sent' Enter
expect sent-folder 'Mutt: =Sent \[Msgs:1'
keys Enter
expect sent-copy 'Attachment #2: Rechnung-42.pdf'
keys i c
expect change-folder-3 'Open mailbox'
keys C-u '=INBOX' Enter
expect own-mail 'Mutt says hi ✓' 15

python3 "$WORK/deliver.py" "$P_MX" 4
expect new-mail 'Plain message 4' 20

keys 1 Enter s
expect save-to-new 'Save to mailbox'
keys C-u '=Projekte/Köln' Enter
answer 'Create Projekte/Köln\?' y confirm-create
expect saved-new 'Del:1' 10

keys c
expect browser-prompt 'Open mailbox'
keys C-u Tab
expect browser 'Projekte/' 10
keys q
keys C-g
keys q
answer 'Purge 1 deleted message\?' y confirm-purge-2
for _ in $(seq 1 50); do tmux has-session -t "$SESSION" 2>/dev/null || break; sleep 0.1; done

# ---- what mutt sent and what it got -----------------------------------------------------------
DEBUG="$WORK/home/.muttdebug0"
grep -aE '\] [0-9]+[<>] |^a[0-9]{4} ' "$DEBUG" | sed -E 's/^\[[^]]*\] //' | grep -av '^[0-9]+> [A-Za-z0-9+/=]{40,}$' > "$WORK/imap-transcript.txt" || true
grep -aE '^a[0-9]{4} ' "$DEBUG" | wc -l | xargs -I{} echo "pipelined commands (sent in the same write as another): {}"
if ! python3 - "$WORK/server.log" <<'EOF'
import json, sys
expected = {('STATUS', 'NO'), ('UID COPY', 'NO')}  # the TRYCREATE dialogue for a new folder
bad = 0
for line in open(sys.argv[1], encoding='utf-8', errors='replace'):
    try: event = json.loads(line)
    except ValueError: continue
    if event.get('level', 0) >= 40: print('server', event.get('evt'), event.get('msg')); bad += 1
    if event.get('evt') == 'imap.command' and event.get('result') != 'OK':
        kind = (event.get('command'), event.get('result'))
        print(('expected ' if kind in expected else 'UNEXPECTED ') + ' '.join(kind)); bad += kind not in expected
    if event.get('evt') == 'imap.protocol-error': print('protocol error:', event.get('text')); bad += 1
sys.exit(1 if bad else 0)
EOF
then FAILURES=$((FAILURES + 1)); fi
echo "screens: $WORK/screens  IMAP transcript: $WORK/imap-transcript.txt  server log: $WORK/server.log"
if [ "$FAILURES" = 0 ]; then echo "mutt ($MODE): all steps passed"; else echo "mutt ($MODE): $FAILURES failure(s)"; exit 1; fi
