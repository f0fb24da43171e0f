#!/usr/bin/env bash
# Uploads the web app to a deployed stack: index.html at the root, the modules under web/,
# and config.json naming the stack's API, its cached public documents and Cognito hosted
# login (read from the stack's outputs); then has CloudFront drop its cached copies. Needs
# the AWS CLI and credentials.
#   scripts/deploy-web.sh <stack-name>      e.g. omp-election-dev, after `sam deploy`
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/deploy-web.sh <stack-name>" >&2; exit 2; }
stack=$1
# The stack's outputs, read once: out[ApiUrl], out[WebBucketName], …
declare -A out
while read -r key value; do out[$key]=$value; done < <(
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text
)
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
mkdir -p "$site/web"
cp web/index.html "$site/"
cp web/*.js web/*.css "$site/web/"
printf '{"apiUrl": "%s", "publicUrl": "%s", "loginDomain": "%s", "clientId": "%s", "voterIssuer": "%s", "voterClientId": "%s"}\n' \
  "${out[ApiUrl]}" "${out[PublicDocumentsUrl]}" "${out[UserPoolLoginDomain]}" "${out[UserPoolClientId]}" \
  "${out[VoterIssuer]:-}" "${out[VoterClientId]:-}" >"$site/config.json"
aws s3 sync "$site" "s3://${out[WebBucketName]}/" --delete
aws cloudfront create-invalidation --distribution-id "${out[WebDistributionId]}" --paths '/*' >/dev/null
echo "web app: ${out[WebUrl]}"
