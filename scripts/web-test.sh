#!/usr/bin/env bash
# The web app's browser tests (web/tests/*.test.mjs, node --test) in Debian's headless
# Chromium, driven by Playwright, against the running local stack (scripts/start.sh, or the
# test command's). Screenshots go to .local/web/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/install.sh"
export OMP_WEB_URL=${OMP_WEB_URL:-http://127.0.0.1:${OMP_API_PORT:-3000}}
export WEB_SCREENSHOTS=$ROOT/.local/web
curl -s -o /dev/null "$OMP_WEB_URL/" || die "the local stack is not running: start it with scripts/start.sh"
node --test --test-reporter=spec web/tests/
