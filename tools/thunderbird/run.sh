#!/bin/sh
# Bridgehead with the real Thunderbird under Xvfb: a manual check, not part of `npm test`.
# Usage: tools/thunderbird/run.sh [--security tls|starttls] [--sync-seconds N] [--dir DIR] [--keep]
# See tools/thunderbird/README.md.
set -e
cd "$(dirname "$0")/../.."
npm run --silent build
exec npx tsx tools/thunderbird/run.ts "$@"
