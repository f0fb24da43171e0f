#!/usr/bin/env bash
# Builds every function for Lambda, as `sam build` does on a machine with Docker: through
# cargo-lambda, with zig from PyPI as the linker. Installs both (pinned, cached) first.
# Output: .aws-sam/build/<Function>/bootstrap, ready for `sam deploy`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

CARGO_LAMBDA_VERSION=1.9.2
ZIGLANG_VERSION=0.17.1
PACKAGE_VENV=$CACHE/package-cargolambda$CARGO_LAMBDA_VERSION-zig$ZIGLANG_VERSION

"$ROOT/scripts/install.sh"
install_venv "$PACKAGE_VENV" "cargo-lambda $CARGO_LAMBDA_VERSION and zig $ZIGLANG_VERSION (PyPI)" \
  "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIGLANG_VERSION"
# cargo-lambda runs the zig of the ziglang wheel through this venv's Python.
export PATH=$PACKAGE_VENV/bin:$PATH
export SAM_CLI_TELEMETRY=0

# SAM builds each function with its own cargo flags (panic=abort), one release binary with
# fat LTO at a time: on 2 cores that is ~1.5-2 min per function after the dependencies.
log "sam build (every function, release, through cargo-lambda)"
sam build --beta-features "$@"
