#!/usr/bin/env bash
# Bundles the browser's ballot cryptography, web/crypto/ee1.mjs with the pinned @noble
# libraries, into web/ee1.js (pinned esbuild: the same bytes on every machine), and writes
# the bundle's integrity into web/index.html's import map, which the browser enforces.
# `--check` rebuilds apart and fails if web/ee1.js or its integrity differs from the build:
# the test command runs it, so the bundle served is the published source's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
install_web_crypto

out=web/ee1.js
[ "${1:-}" = --check ] && out=$(mktemp) && trap 'rm -f "$out"' EXIT
NODE_PATH=$WEB_CRYPTO_DIR/node_modules "$WEB_CRYPTO_DIR/node_modules/.bin/esbuild" web/crypto/ee1.mjs \
  --bundle --format=esm --target=es2022 --minify --legal-comments=eof --log-level=warning --outfile="$out"
integrity="sha384-$(openssl dgst -sha384 -binary "$out" | base64 -w0)"
map="<script type=\"importmap\">{\"imports\": {\"ee1\": \"/web/ee1.js\"}, \"integrity\": {\"/web/ee1.js\": \"$integrity\"}}</script>"

if [ "${1:-}" = --check ]; then
  cmp -s "$out" web/ee1.js || die "web/ee1.js is not the bundle of web/crypto/ee1.mjs: run scripts/web-crypto.sh"
  grep -qF "$map" web/index.html || die "web/index.html's import map does not carry web/ee1.js's integrity: run scripts/web-crypto.sh"
  echo "web/ee1.js: rebuilt byte for byte, $(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1)"
else
  sed -i "s|<script type=\"importmap\">.*</script>|$map|" web/index.html
  echo "web/ee1.js: $(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1), $integrity"
fi
