#!/usr/bin/env bash
# The roll's import at size, by hand (never by the tests): starts the local stack (release
# runner, handlers in-process), uploads a roll of 1,000,000 voters (or --rows N) through the
# API as the commission does, and prints the rows a second from the upload to the roll in force.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install.sh"
log "building the runner and the benchmark"
cargo build --release --locked -p local-runner -p bench
# Without the participations' stream: DynamoDB Local stores stream records in SQLite and
# slows every write as they grow (after some 70,000 rows, from about 1,500 rows/s to 25);
# a stream on AWS costs its table's writes nothing.
export OMP_UNSTREAMED_TABLES=ParticipationTable
RUNNER_BIN=$CARGO_TARGET_DIR/release/local-runner RUNNER_UP_ARGS="--lambdas in-process" \
  start_stack "$ROOT/.local/bench-roll"
"$CARGO_TARGET_DIR/release/bench" roll "$@"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
