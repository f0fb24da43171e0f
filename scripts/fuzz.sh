#!/usr/bin/env bash
# Fuzzes the API from its contract: schemathesis (PyPI, pinned) reads /openapi.json from the
# local stack and sends generated requests with a valid token of each role. Fails on any
# 5xx reply and on any reply the contract does not allow. Usage: scripts/fuzz.sh [examples]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5
FUZZ_VENV=$CACHE/schemathesis-$SCHEMATHESIS_VERSION-py313
EXAMPLES=${1:-30}

"$ROOT/scripts/install.sh"
if [ ! -f "$FUZZ_VENV/.installed" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION"
  rm -rf "$FUZZ_VENV"
  "$PYTHON313" -m venv "$FUZZ_VENV"
  "$FUZZ_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  touch "$FUZZ_VENV/.installed"
fi
cargo build --quiet --locked -p local-runner
work=$ROOT/.local/fuzz
start_stack "$work"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
status=0
for role in commission admin candidate voter; do
  token=$("$CARGO_TARGET_DIR/debug/local-runner" token --sub "fuzz-$role" --groups "$role" --ttl-minutes 120)
  log "fuzzing as $role ($EXAMPLES examples per operation and phase)"
  "$FUZZ_VENV/bin/st" --no-color run "$API/openapi.json" \\
    --header "Authorization: Bearer $token" \\
    --checks "$checks" --phases examples,coverage,fuzzing --max-examples "$EXAMPLES" \\
    --seed 2027 --generation-deterministic --request-timeout 10 \\
    --report junit --report-junit-path "$work/$role.xml" 2>&1 | tee "$work/$role.log" || status=1
done
# The total of generated cases, read from the JUnit reports.
cat "$work"/*.xml | grep -o 'tests="[0-9]*"' | head -4 | tr -dc '0-9\\n' | awk '{ n += $1 } END { print "schemathesis test cases: " n }' || true
exit "$status"
