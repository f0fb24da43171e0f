#!/usr/bin/env bash
# Command 2: runs every check and test. Installs what is missing, lints (rustfmt, clippy,
# cfn-lint, sam validate), starts the local stack, runs all cargo tests against it (unit
# tests and HTTP integration tests on real DynamoDB Local and LocalStack), fuzzes the API,
# stops the stack again whatever happens, and ends with a short chaos run on a stack of its own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1

# The run must leave the git tree as it found it (clean, in CI): run files belong under .local/.
tree_status() { git status --porcelain --untracked-files=all | LC_ALL=C sort; }
tree_before=
if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  tree_before=$(tree_status)
  in_git=true
else
  in_git=false
fi

"$ROOT/scripts/install.sh"
# Chromium and Playwright before the cargo tests too: the stack test of a verifiable election
# has 20 of its voters cast in the browser (web/tests/chromium-voters.mjs).
install_browser_tests

# The stack tests are compiled in when OMP_API_URL is set (local-runner/build.rs): set it
# before the first build, so that lint, build and tests share one build.
export OMP_API_URL=http://127.0.0.1:${OMP_API_PORT:-3000}
# The test stack runs with a smaller clock-skew margin than a deployment, and its mixer
# writes each ballot as it comes (k = 1), so that a test's few votes are counted at once:
# template parameters, which the runner gives the functions and the tests read from the same
# template. The chaos run mixes in batches of 10 (scripts/chaos.sh).
export OMP_PARAMETER_OVERRIDES=${OMP_PARAMETER_OVERRIDES:-ClockSkewMarginMs=500 MixBatchSize=1}

log "lint: rustfmt, clippy, cfn-lint, sam validate --lint, actionlint, the web bundle's build; the core knows no AWS crate or shape"
cargo fmt --all -- --check
cargo clippy --quiet --locked --workspace --all-targets -- -D warnings
cfn-lint template.yaml
sam validate --lint --template template.yaml >/dev/null
node scripts/actionlint.cjs .github/workflows/*.yml
# The browser's ballot cryptography: the bundle served is the published source's build.
"$ROOT/scripts/web-crypto.sh" --check
aws_in_core=$(cargo tree --locked -p election-core -e normal --prefix none | grep -E '^(aws|lambda)' || true)
[ -z "$aws_in_core" ] || die "the core crate depends on AWS or Lambda crates: $aws_in_core"
# Nor does it name AWS shapes: DynamoDB row keys and shards, or EventBridge envelopes and
# PutEvents limits live in the adapters (comments aside).
aws_shapes=$(grep -rnE '"(pk|sk)"|PutEvents|detail-type|_SHARDS|256 \* 1024' shared/core/src | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
[ -z "$aws_shapes" ] || die "the core names AWS shapes (row keys, shards, bus envelopes): $aws_shapes"

log "build"
cargo build --quiet --locked --workspace --all-targets

work=$ROOT/.local/test
# The data-event trail, which the secrecy test reads.
OMP_TRAIL=on start_stack "$work"

log "tests: the walking skeleton and the scenario first, on the stack alone"
status=0
# Their results are due within 10 s of the last vote: a figure of the stack at rest, not of
# this 2-core machine busy with a 200-voter verifiable election and Chromium beside them (it
# took 10.9-12.5 s, in three of the last six runs, that way). They take about 20 s alone.
cargo test --locked --workspace -- walking_skeleton:: scenario:: 2>&1 | tee "$work/cargo-test.log" || status=$?

log "tests: the rest"
# Four tests at a time, not one per core: the stack tests mostly wait (for an election's
# window, the mixer, the close), and two at a time made them the longest step (246 s against
# 145 s at four on this 2-core machine).
RUST_TEST_THREADS=4 cargo test --locked --workspace --no-fail-fast -- --skip walking_skeleton:: --skip scenario:: 2>&1 |
  tee -a "$work/cargo-test.log" || status=$?

log "web: the voter's pages in headless Chromium (scripts/web-test.sh)"
"$ROOT/scripts/web-test.sh" 2>&1 | tee "$work/web-test.log" || status=1

log "fuzz: schemathesis from /openapi.json, as each role"
"$ROOT/scripts/fuzz.sh" || status=1

log "invoke: the real cast-vote binary under cargo-lambda, on its sample event: 201, then 409"
first=$("$ROOT/scripts/invoke.sh" cast-vote events/cast-vote.json 2>"$work/invoke.log") || true
again=$("$ROOT/scripts/invoke.sh" cast-vote events/cast-vote.json 2>>"$work/invoke.log") || true
if [[ $first != *'"statusCode":201'* || $again != *'"statusCode":409'* ]]; then
  echo "error: scripts/invoke.sh cast-vote answered: $first / $again (log: $work/invoke.log)" >&2
  status=1
fi

stop_stack

log "in-process mode: the walking skeleton and the scenario again, the handlers inside the runner"
RUNNER_UP_ARGS="--lambdas in-process" start_stack "$work/in-process"
# The whole workspace, filtered: the build of the first run, so nothing recompiles.
cargo test --locked --workspace -- walking_skeleton:: scenario:: 2>&1 |
  tee "$work/in-process-test.log" || status=1
stop_stack

# The full suite (10,000 votes) takes longer than this command should: see the README.
log "chaos: 1,000 votes through injected faults, then recount and audit"
"$ROOT/scripts/chaos.sh" --votes 1000 --bus-pause 20 || status=1

if $in_git; then
  left=$(LC_ALL=C comm -13 <(printf '%s\n' "$tree_before") <(tree_status) | sed 's/^/  /')
  if [ -n "$left" ]; then
    echo "error: the run changed the git tree (run files belong under .local/, or in .gitignore):" >&2
    echo "$left" >&2
    status=1
  fi
fi

# One closing line for the whole run, summed over every cargo test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' \
  "$work/cargo-test.log" "$work/in-process-test.log"
exit "$status"
