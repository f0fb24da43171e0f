#!/usr/bin/env bash
# Builds every function for Lambda (x86_64, provided.al2023) in one cargo build, through
# cargo-lambda with zig from PyPI as the linker (both pinned, cached), and lays the result
# out as `sam build` does: .aws-sam/build/<LogicalId>/bootstrap and
# .aws-sam/build/template.yaml, which `sam deploy` then takes as it is.
# (`sam build` itself builds each function on its own, one after the other; on 2 cores that
# is many times slower. On a machine with Docker, `sam build` still works.)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install.sh"
install_cargo_lambda

functions=()
for dir in functions/*/; do functions+=(-p "$(basename "$dir")"); done
log "cargo lambda build --release (every function, one cargo build)"
cargo lambda build --release --locked --x86-64 "${functions[@]}"

out=$ROOT/.aws-sam/build
rm -rf "$out" && mkdir -p "$out"
# Each function's logical id and folder, read off the template: `  <Id>:` then `CodeUri: functions/<name>`.
awk '/^  [A-Za-z0-9]+:$/ { id = substr($1, 1, length($1) - 1) }
     /^      CodeUri: functions\// { sub("functions/", "", $2); print id, $2 }' template.yaml |
  while read -r id name; do
    mkdir -p "$out/$id"
    cp "$CARGO_TARGET_DIR/lambda/$name/bootstrap" "$out/$id/bootstrap"
  done
sed -E 's|^(      CodeUri: )functions/.*$|\1__ID__|' template.yaml |
  awk '/^  [A-Za-z0-9]+:$/ { id = substr($1, 1, length($1) - 1) } { sub("__ID__", id); print }' >"$out/template.yaml"
log "built $(find "$out" -name bootstrap | wc -l) functions into .aws-sam/build (then: sam deploy)"
du -b "$out"/*/bootstrap | sort -n | awk '{ printf "  %6.1f MB  %s\n", $1 / 1e6, $2 }'
