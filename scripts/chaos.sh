#!/usr/bin/env bash
# The chaos suite, run by hand (about 10 minutes; see the README). Starts the local stack
# with a fault-injecting proxy between it and DynamoDB Local and LocalStack, casts 10,000
# votes while 20% of the stack's requests fail (throttled, 500, reset, or the reply dropped
# after the write), the bus is paused for 60 s, every event is put twice, every 10th
# consumer batch dies before its acknowledgement and a malformed ballot slips into the box;
# then waits for the pipeline to drain, recounts and audits the ballot box against every
# reply. Prints the figures, writes .local/chaos/results.json, and exits 1 if a check fails.
# Extra arguments go to `chaos run` (e.g. --votes 2000).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install.sh"
log "building the runner and the chaos suite"
# The same build as the test command's (the same features), so that after it this is a no-op.
cargo build --quiet --locked --workspace --all-targets

# The mixer writes ballots in batches of at least 10 here (the test stack's k is 1), so that
# the storm hits it mid-batch, and the last votes wait in its pools for the final flush. The
# consumers' killed batches come back after 30 s, not 60: the drain waited mostly on them.
export OMP_PARAMETER_OVERRIDES="${OMP_PARAMETER_OVERRIDES:-} MixBatchSize=10 ConsumerVisibilityTimeout=30"

work=$ROOT/.local/chaos
rm -rf "$work" && mkdir -p "$work"
dynamodb_proxy=${OMP_CHAOS_DYNAMODB_PORT:-8002}
localstack_proxy=${OMP_CHAOS_LOCALSTACK_PORT:-4567}
"$CARGO_TARGET_DIR/debug/chaos" proxy --dynamodb-listen "$dynamodb_proxy" --dynamodb "${OMP_DYNAMODB_PORT:-8000}" \
  --localstack-listen "$localstack_proxy" --localstack "${OMP_LOCALSTACK_PORT:-4566}" >"$work/proxy.log" 2>&1 &
STACK_HELPER_PIDS+=($!)
trap stop_stack EXIT

# The runner's clients go through the proxy; the chaos run's own audit does not.
# The data-event trail, which the run reads to measure the mixing.
OMP_TRAIL=on OMP_DYNAMODB_ENDPOINT_PORT=$dynamodb_proxy OMP_LOCALSTACK_ENDPOINT_PORT=$localstack_proxy start_stack "$work/stack"
log "voting through the faults"
"$CARGO_TARGET_DIR/debug/chaos" run --api "$API" --control "$dynamodb_proxy" --template "$ROOT/template.yaml" \
  --out "$work/results.json" --trail "$work/stack/logs/trail.jsonl" "$@"
