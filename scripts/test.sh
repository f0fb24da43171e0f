#!/usr/bin/env bash
# Command 2: runs every check and test. Installs what is missing, lints (rustfmt, clippy,
# cfn-lint, sam validate), starts the local stack, runs all cargo tests against it (unit
# tests and HTTP integration tests on real DynamoDB Local and LocalStack), and stops the
# stack again, whatever happens.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1

"$ROOT/scripts/install.sh"

log "lint: rustfmt, clippy, cfn-lint, sam validate --lint"
cargo fmt --all -- --check
cargo clippy --quiet --locked --workspace --all-targets -- -D warnings
cfn-lint template.yaml
sam validate --lint --template template.yaml >/dev/null

log "build"
cargo build --quiet --locked --workspace --all-targets

work=$ROOT/.local/test
rm -rf "$work" && mkdir -p "$work"
log "starting the local stack (logs in $work)"
"$CARGO_TARGET_DIR/debug/local-runner" up --template "$ROOT/template.yaml" --work-dir "$work" >"$work/runner.log" 2>&1 &
runner=$!
stop_stack() {
  if kill -0 "$runner" 2>/dev/null; then
    kill -INT "$runner" 2>/dev/null || true
    wait "$runner" 2>/dev/null || true
  fi
}
trap stop_stack EXIT

api="http://127.0.0.1:${OMP_API_PORT:-3000}"
for _ in $(seq 1 240); do
  if curl -s -o /dev/null "$api/"; then break; fi
  kill -0 "$runner" 2>/dev/null || { cat "$work/runner.log" >&2; die "the local stack did not start"; }
  sleep 0.5
done
curl -s -o /dev/null "$api/" || { cat "$work/runner.log" >&2; die "the local stack was not ready in 120 s"; }

log "tests"
status=0
OMP_API_URL=$api cargo test --locked --workspace --no-fail-fast 2>&1 | tee "$work/cargo-test.log" || status=$?
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "cargo test: %d passed, %d failed\n", p, f }' "$work/cargo-test.log"
exit "$status"
