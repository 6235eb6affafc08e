#!/usr/bin/env bash
# Inbound acceptance, Bridgehead beside Postfix and the trivial sink, alternated in the same
# minutes (bench/smtp/postfix.md): each round runs inbound.ts once with --target Postfix (sink,
# Bridgehead in-process, Postfix delivering into a Maildir), then Postfix with every message put
# on hold (acceptance alone, no delivery competing for the CPUs), then Bridgehead as its own
# process (serve.ts) with the production log level. Needs the Postfix set-up of postfix.md, running; run from the repository
# root as a user that may read /proc of Postfix's processes and its Maildir (root here).
#
#   bash bench/smtp/postfix-compare.sh [rounds=3] [messages=10000]
set -euo pipefail

rounds=${1:-3}
messages=${2:-10000}
postfix_port=127.0.0.1:2626
postfix_hold_port=127.0.0.1:2627
maildir=/var/mail/vhosts/example.test/rcpt
queue_dir=$(postconf -h queue_directory)
master_pid=$(tr -d ' ' < "$queue_dir/pid/master.pid")

for round in $(seq 1 "$rounds"); do
  echo "=== round $round of $rounds, $(date -u +%H:%M:%S) UTC"
  # Empty Maildir between rounds: a folder of tens of thousands of files slows the poll.
  if [ -d "$maildir/new" ]; then find "$maildir/new" -type f -delete; fi
  node --import tsx bench/smtp/inbound.ts --messages "$messages" \
    --target "$postfix_port" --target-name Postfix --target-pid "$master_pid" --target-maildir "$maildir"

  node --import tsx bench/smtp/inbound.ts --messages "$messages" --only target \
    --target "$postfix_hold_port" --target-name 'Postfix, delivery held' --target-pid "$master_pid"
  postsuper -d ALL hold 2>&1 | tail -n 1

  serve_out=$(mktemp)
  node --import tsx bench/smtp/serve.ts --log info > "$serve_out" &
  serve_pid=$!
  until grep -q '^port ' "$serve_out"; do
    kill -0 "$serve_pid" || { cat "$serve_out"; exit 1; }
    sleep 0.2
  done
  read -r _ port _ pid < "$serve_out"
  node --import tsx bench/smtp/inbound.ts --messages "$messages" --only target \
    --target "127.0.0.1:$port" --target-name 'Bridgehead own process, log info' --target-pid "$pid"
  kill -TERM "$serve_pid"
  wait "$serve_pid" || true
  rm -f "$serve_out"
done
