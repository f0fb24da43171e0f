#!/usr/bin/env bash
# scripts/fetch-record.sh <electionId> [records-url]: downloads a verifiable election's
# published record (spec 10) into .local/records/<electionId>/ and prints that directory:
# election.json, index.json and the ballot chunks it lists, published when the tally
# freezes (what `trustee decrypt --record` reads), and tally.json once the trustees have
# decrypted it (what `verify` reads: scripts/verify.sh). The records URL is the stack's
# `RecordsUrl` output on AWS (https://<distribution>/records); locally, LocalStack's bucket.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || die "usage: scripts/fetch-record.sh <electionId> [records-url]"
election=$1
[[ $election =~ ^[0-9a-f-]{36}$ ]] || die "not an election id: $election"
base=${2:-${OMP_RECORDS_URL:-http://127.0.0.1:${OMP_LOCALSTACK_PORT:-4566}/recordsbucket/records}}
dir=$ROOT/.local/records/$election
rm -rf "$dir" && mkdir -p "$dir/ballots"
fetch() { curl -fsS --retry 3 -o "$dir/$1" "$base/$election/$1"; }
fetch election.json || die "no record of $election at $base (the tally freezes after the close)"
fetch index.json || die "no index.json for $election at $base"
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
for chunk in $chunks; do fetch "$chunk" || die "could not download $chunk"; done
# Not there until the trustees' decryption is in.
fetch tally.json 2>/dev/null || rm -f "$dir/tally.json"
echo "$dir"
