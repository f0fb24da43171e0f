#!/usr/bin/env bash
# scripts/verify.sh <electionId> [records-url]: downloads a verifiable election's published
# record (spec 10: election.json, index.json, the ballot chunks it lists, tally.json) and
# runs `verify` on it. The records URL is the stack's `RecordsUrl` output on AWS
# (https://<distribution>/records); locally, LocalStack's records bucket. Nothing is trusted
# from the server but the bytes: verify checks every proof and recomputes the tally.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ $# -ge 1 ] || die "usage: scripts/verify.sh <electionId> [records-url]"
election=$1
[[ $election =~ ^[0-9a-f-]{36}$ ]] || die "not an election id: $election"
base=${2:-${OMP_RECORDS_URL:-http://127.0.0.1:${OMP_LOCALSTACK_PORT:-4566}/recordsbucket/records}}
dir=$ROOT/.local/records/$election
rm -rf "$dir" && mkdir -p "$dir/ballots"
fetch() { curl -fsS --retry 3 -o "$dir/$1" "$base/$election/$1" || die "could not download $1 from $base/$election/"; }
fetch election.json
fetch index.json
fetch tally.json
# The chunk files the index lists, each name checked before it becomes a path.
chunks=$(python3 - "$dir/index.json" <<'PY'
import json, re, sys
index = json.load(open(sys.argv[1]))
for kind in ("cast", "spoiled"):
    for chunk in index[kind]["chunks"]:
        name = chunk["file"]
        if not re.fullmatch(r"ballots/(cast|spoiled)-[0-9]{6}\.json", name):
            sys.exit(f"index.json lists a file that is no chunk: {name!r}")
        print(name)
PY
)
for chunk in $chunks; do fetch "$chunk"; done
log "verifying the record of $election ($(du -sh "$dir" | cut -f1))"
cargo build --quiet --locked -p verify
"$CARGO_TARGET_DIR/debug/verify" "$dir"
