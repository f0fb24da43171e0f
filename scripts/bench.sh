#!/usr/bin/env bash
# The benchmark, run by hand (never by the tests). Builds release binaries, starts the local
# stack from the release runner with a write meter between it and DynamoDB Local, measures
# the API under 200 clients, votes alone and then the web app's journey (the ballot read
# through a stand-in for the edge), tally lag, write units, DynamoDB requests and CPU a vote,
# the hottest key, the raw write rates from a client that waits, and every function's
# bootstrap; prints one table and writes .local/bench/results.json.
# Extra arguments go to `bench run` (e.g. --seconds 60 --clients 100). With `--verifiable`
# the load votes in a verifiable election (its ceremony run through the API, each voter's
# ballot encrypted and proven before the load, untimed), and after the close the tally's
# freeze and two trustees' decryptions are timed. The same load in a default-mode election
# runs first on the same stack, for the ratio of the two modes.
#
# `scripts/bench.sh verifiable [ballots]` measures the verifiable election's cryptography
# instead (no stack): the crate's medians, then `verify` on a seeded record of that many
# ballots (20,000 by default), on one thread and on every core; and the voter's device: the
# served bundle encrypting 5-candidate ballots in headless Chromium and in Node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if [ "${1:-}" = verifiable ]; then
  ballots=${2:-20000}
  log "building the cryptography's bench, its record writer and verify (release)"
  cargo build --release --locked -p election-crypto -p verify --examples --bins
  "$CARGO_TARGET_DIR/release/examples/bench"
  record=$ROOT/.local/bench/record
  rm -rf "$record"
  "$CARGO_TARGET_DIR/release/examples/record" "$ballots" "$record"
  echo "record size: $(du -sb "$record" | cut -f1) bytes for $ballots cast ballots and their spoiled ones"
  for threads in 1 "$(nproc)"; do
    "$CARGO_TARGET_DIR/release/verify" "$record" --threads "$threads" | grep -E "^(ballots checked|record)"
  done
  install_browser_tests
  node web/bench/encrypt.mjs 50
  echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr)"
  exit 0
fi

"$ROOT/scripts/install.sh"
functions=()
for dir in functions/*/; do functions+=(-p "$(basename "$dir")"); done
log "building release binaries: the runner, the benchmark and every function"
cargo build --release --locked -p local-runner -p bench "${functions[@]}"

work=$ROOT/.local/bench
rm -rf "$work" && mkdir -p "$work"
meter_port=${OMP_METER_PORT:-8001}
# An experiment, never a figure of the system: OMP_METER_ANSWERS=ClaimsTable has the meter
# answer the claims' inserts itself, so that a run shows what their cost in DynamoDB Local
# takes from the verifiable mode's rate.
meter_answers=()
[ -z "${OMP_METER_ANSWERS:-}" ] || meter_answers=(--answer-inserts-into "$OMP_METER_ANSWERS")
"$CARGO_TARGET_DIR/release/bench" meter --listen "$meter_port" --dynamodb "${OMP_DYNAMODB_PORT:-8000}" \
  --template "$ROOT/template.yaml" "${meter_answers[@]}" >"$work/meter.log" 2>&1 &
STACK_HELPER_PIDS+=($!)
trap stop_stack EXIT

export OMP_DYNAMODB_ENDPOINT_PORT=$meter_port
# In-process, as the figures in the README were measured (the per-invocation cost of the two
# modes is the same: `bench invocations`).
RUNNER_BIN=$CARGO_TARGET_DIR/release/local-runner RUNNER_UP_ARGS="--lambdas in-process" start_stack "$work/stack"
# The journey reads the ballot through a stand-in for the edge, as the web app does on AWS.
edge_port=${OMP_EDGE_PORT:-3002}
"$CARGO_TARGET_DIR/release/bench" edge --listen "$edge_port" --origin "$API" >"$work/edge.log" 2>&1 &
STACK_HELPER_PIDS+=($!)
log "measuring (about four minutes)"
"$CARGO_TARGET_DIR/release/bench" run --api "$API" --public-url "http://127.0.0.1:$edge_port" --meter "$meter_port" \
  --bin-dir "$CARGO_TARGET_DIR/release" --template "$ROOT/template.yaml" --out "$work/results.json" "$@"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
