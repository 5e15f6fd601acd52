#!/usr/bin/env bash
# Fetches Mermaid's browser bundle from npm once into a cache outside the
# checkout: the version Gitea bundles, to check that the charts omen puts
# in pull request bodies render.
# Usage: scripts/fetch-mermaid.sh DIR VERSION — leaves DIR/mermaid.min.js.
set -euo pipefail
dir=$1
version=$2
if [ -s "$dir/mermaid.min.js" ]; then
	exit 0
fi
mkdir -p "$dir"
work=$(mktemp -d "$dir/.npm-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetching mermaid $version from npm into $dir"
npm install --silent --no-audit --no-fund --ignore-scripts --no-save --prefix "$work" "mermaid@$version" >/dev/null
cp "$work/node_modules/mermaid/dist/mermaid.min.js" "$dir/mermaid.min.js.tmp"
mv "$dir/mermaid.min.js.tmp" "$dir/mermaid.min.js"
