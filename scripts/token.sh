#!/usr/bin/env bash
# Prints a local bearer token: scripts/token.sh <sub> [group[,group…]]
# Signed with LOCAL_JWT_SECRET (default in the README); accepted only by the local runner.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ $# -ge 1 ] || die "usage: scripts/token.sh <sub> [group[,group…]]  (groups: commission, admin, candidate, voter)"
runner="$CARGO_TARGET_DIR/debug/local-runner"
[ -x "$runner" ] || cargo build --quiet --locked -p local-runner
"$runner" token --sub "$1" --groups "${2:-}"
