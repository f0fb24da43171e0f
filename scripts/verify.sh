#!/usr/bin/env bash
# scripts/verify.sh <electionId> [records-url]: downloads a verifiable election's published
# record (scripts/fetch-record.sh) and runs `verify` on it. Nothing is trusted from the server
# but the bytes: verify checks every proof and recomputes the tally.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ $# -ge 1 ] || die "usage: scripts/verify.sh <electionId> [records-url]"
dir=$("$ROOT/scripts/fetch-record.sh" "$@")
[ -f "$dir/tally.json" ] || die "the record of $1 has no tally.json yet: the trustees have not decrypted it"
log "verifying the record of $1 ($(du -sh "$dir" | cut -f1))"
cargo build --quiet --locked -p verify
"$CARGO_TARGET_DIR/debug/verify" "$dir"
