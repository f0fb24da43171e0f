#!/usr/bin/env bash
# Fuzzes the API from its contract: schemathesis (PyPI, pinned) reads /openapi.json from the
# local stack and sends generated requests with a valid token of each role. Fails on any
# 5xx reply and on any reply the contract does not allow. Usage: scripts/fuzz.sh [examples]
# Uses the stack at OMP_API_URL if set (scripts/test.sh does), or starts its own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5
FUZZ_VENV=$CACHE/schemathesis-$SCHEMATHESIS_VERSION-py313
# 20 examples per operation and phase: 3,573 cases over the four roles in 84 s (30 gave
# 4,346 in 1.7 minutes, and the test command went past 15).
EXAMPLES=${1:-20}

"$ROOT/scripts/install.sh"
install_venv "$FUZZ_VENV" "schemathesis $SCHEMATHESIS_VERSION" "schemathesis==$SCHEMATHESIS_VERSION"
# The same build as the test command's (the same features), so that after it this is a no-op.
cargo build --quiet --locked --workspace --all-targets
work=$ROOT/.local/fuzz
if [ -n "${OMP_API_URL:-}" ]; then
  API=$OMP_API_URL
  rm -rf "$work" && mkdir -p "$work"
else
  start_stack "$work"
fi

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
status=0
# The roles run side by side: schemathesis is busy in Python more than it waits on the stack,
# and five at once took 84 s where one after the other took 107 (this 2-core machine).
roles=(commission admin candidate voter trustee)
pids=()
for role in "${roles[@]}"; do
  token=$("$CARGO_TARGET_DIR/debug/local-runner" token --sub "fuzz-$role" --groups "$role" --ttl-minutes 120)
  log "fuzzing as $role ($EXAMPLES examples per operation and phase)"
  # Run in a folder of the work dir, one per role: schemathesis writes its cache (.schemathesis/:
  # what it learnt of the API, crashes to replay) into its current directory, has no command-line
  # option for where, and would replay one role's cache in the next role's run.
  mkdir -p "$work/$role"
  (cd "$work/$role" && "$FUZZ_VENV/bin/st" --no-color run "$API/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$checks" --phases examples,coverage,fuzzing --max-examples "$EXAMPLES" \
    --generation-deterministic --request-timeout 10) >"$work/$role.log" 2>&1 &
  pids+=($!)
done
for i in "${!roles[@]}"; do
  role=${roles[$i]}
  if wait "${pids[$i]}"; then
    { grep -A1 "^Test cases:" "$work/$role.log" || true; } | tail -1 | sed "s/^ */  $role: /"
  else
    status=1
    echo "error: schemathesis failed as $role:" >&2
    cat "$work/$role.log"
  fi
done
# One line for all roles, from schemathesis' "N generated, N passed[, N failed]" lines.
{ cat "$work"/*.log | grep -A1 "^Test cases:" | grep generated || true; } |
  awk '{ for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       END { printf "schemathesis: %d passed, %d failed\n", p, f }'
exit "$status"
