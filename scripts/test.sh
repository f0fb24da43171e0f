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
start_stack "$work"

log "tests"
status=0
OMP_API_URL=$API cargo test --locked --workspace --no-fail-fast 2>&1 | tee "$work/cargo-test.log" || status=$?

log "fuzz: schemathesis from /openapi.json, as each role"
OMP_API_URL=$API "$ROOT/scripts/fuzz.sh" || status=1

# One closing line for the whole run, summed over every cargo test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$work/cargo-test.log"
exit "$status"
