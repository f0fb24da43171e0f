#!/usr/bin/env bash
# The no-Docker `sam local invoke`: scripts/invoke.sh <function> <event-file>.
# Runs the function's real binary under cargo-lambda's Runtime API emulator (`cargo lambda
# watch`, pinned, installed into the cache), with the environment template.yaml gives it,
# pointed at the running local stack (scripts/start.sh), and prints the function's reply.
# The rows the sample events in events/ name are loaded first, so that
# `scripts/invoke.sh cast-vote events/cast-vote.json` answers 201 (then 409 on a repeat).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: scripts/invoke.sh <function> <event-file>   (functions: $(ls "$ROOT/functions" | tr '\n' ' '))"
function=$1
event=$(realpath "$2" 2>/dev/null) || die "no event file $2"
[ -d "$ROOT/functions/$function" ] || die "no function '$function' in functions/"
[ -f "$event" ] || die "no event file $2"
cd "$ROOT"
require_stack "http://127.0.0.1:${OMP_API_PORT:-3000}"

install_cargo_lambda
# The same build as the test command's (the same features), so that after it this is a no-op.
cargo build --quiet --locked --workspace --all-targets
runner=$CARGO_TARGET_DIR/debug/local-runner
"$runner" seed-samples --template "$ROOT/template.yaml" >/dev/null

work=$ROOT/.local/invoke
mkdir -p "$work"
"$runner" function-env "$function" --template "$ROOT/template.yaml" >"$work/$function.env"
port=${OMP_INVOKE_PORT:-9001}
log "cargo lambda watch on 127.0.0.1:$port (the function's log: $work/watch.log)"
cargo lambda watch --quiet --ignore-changes --timeout 600 -A 127.0.0.1 -P "$port" --env-file "$work/$function.env" \
  >"$work/watch.log" 2>&1 &
watch_pid=$!
trap 'kill "$watch_pid" 2>/dev/null || true; wait "$watch_pid" 2>/dev/null || true' EXIT
wait_for "http://127.0.0.1:$port/" "$watch_pid" "$work/watch.log" 30 "cargo lambda watch"
# The function checks the bearer token itself: the sample's placeholder becomes a fresh
# token for the caller its claims name.
"$runner" sign-sample "$event" >"$work/$function.event.json"
# The first invocation of a function compiles it (cargo lambda watch builds what it runs).
cargo lambda invoke "$function" --invoke-address 127.0.0.1 --invoke-port "$port" \
  --data-file "$work/$function.event.json"
echo
