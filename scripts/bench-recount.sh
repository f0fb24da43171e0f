#!/usr/bin/env bash
# The recount at size, by hand (never by the tests): starts the local stack, seeds a ballot
# box of its own on DynamoDB Local with 1,000,000 ballots (or --ballots N), counts it as the
# recount does, every part at once, and prints the wall time and the time per part.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install.sh"
log "building the runner and the benchmark"
cargo build --release --locked -p local-runner -p bench
RUNNER_BIN=$CARGO_TARGET_DIR/release/local-runner RUNNER_UP_ARGS="--lambdas in-process" \
  start_stack "$ROOT/.local/bench-recount"
"$CARGO_TARGET_DIR/release/bench" recount "$@"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
