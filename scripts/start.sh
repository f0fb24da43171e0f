#!/usr/bin/env bash
# Command 1: installs what is missing, builds the runner, and starts the whole local
# system (DynamoDB Local, LocalStack, the API on 127.0.0.1:3000) until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install.sh"
log "building the local runner and every function's binary (the runner runs them)"
# The test command's build: the same features, so one build serves both.
cargo build --quiet --locked --workspace --all-targets
exec "$CARGO_TARGET_DIR/debug/local-runner" up --template "$ROOT/template.yaml" --work-dir "$ROOT/.local"
