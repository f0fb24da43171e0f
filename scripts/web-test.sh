#!/usr/bin/env bash
# The web app's browser tests (web/tests/*.test.mjs, node --test) in Debian's headless
# Chromium, driven by Playwright, against the running local stack (scripts/start.sh, or the
# test command's). Screenshots go to .local/web/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/install.sh"
install_browser_tests
export OMP_WEB_URL=${OMP_WEB_URL:-http://127.0.0.1:${OMP_API_PORT:-3000}}
export WEB_SCREENSHOTS=$ROOT/.local/web
require_stack "$OMP_WEB_URL"
# Two files at once: most of their time is waiting for an election to open or close (169 s
# one at a time, 93-110 s two at a time on this 2-core machine).
node --test --test-concurrency=2 --test-reporter=spec web/tests/
