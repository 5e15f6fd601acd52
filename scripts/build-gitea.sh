#!/usr/bin/env bash
# Builds Gitea from the Go module proxy once into a cache outside the checkout.
# Usage: scripts/build-gitea.sh DIR VERSION
# Leaves DIR/gitea (the binary) and DIR/src (the source copy, GITEA_STATIC_ROOT).
# A half-finished build never looks finished: the binary is renamed into place last.
set -euo pipefail
dir=$1
version=$2
go=${GO:-go}
if [ -x "$dir/gitea" ] && [ -d "$dir/src/templates" ]; then
	exit 0
fi
mkdir -p "$dir"
echo "building gitea $version into $dir (about 6 minutes the first time)"
began=$(date +%s)
modDir=$("$go" mod download -json "code.gitea.io/gitea@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$modDir" ] || [ ! -d "$modDir" ]; then
	echo "go mod download did not give a directory for code.gitea.io/gitea@$version" >&2
	exit 1
fi
rm -rf "$dir/src.tmp"
cp -r "$modDir" "$dir/src.tmp"
chmod -R u+w "$dir/src.tmp"
(cd "$dir/src.tmp" && GOFLAGS=-mod=mod "$go" build -trimpath -tags 'sqlite sqlite_unlock_notify' -o "$dir/gitea.tmp" .)
rm -rf "$dir/src"
mv "$dir/src.tmp" "$dir/src"
mv "$dir/gitea.tmp" "$dir/gitea"
echo "built gitea $version in $(( $(date +%s) - began ))s: $dir/gitea"
