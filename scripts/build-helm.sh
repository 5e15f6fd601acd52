#!/usr/bin/env bash
# Builds helm from the Go module proxy once into a cache outside the checkout.
# Usage: scripts/build-helm.sh DIR VERSION
# Leaves DIR/helm (the binary). A half-finished build never looks finished:
# the binary is renamed into place last.
set -euo pipefail
dir=$1
version=$2
go=${GO:-go}
if [ -x "$dir/helm" ]; then
	exit 0
fi
mkdir -p "$dir"
echo "building helm $version into $dir (a few minutes the first time)"
began=$(date +%s)
# GOBIN install of a released module version: its own go.mod and go.sum
# pin every dependency, so the build is the released one.
rm -rf "$dir/bin.tmp"
mkdir -p "$dir/bin.tmp"
GOBIN="$dir/bin.tmp" GOFLAGS=-mod=mod CGO_ENABLED=0 "$go" install -trimpath \
	-ldflags "-X helm.sh/helm/v3/internal/version.version=$version" \
	"helm.sh/helm/v3/cmd/helm@$version"
mv "$dir/bin.tmp/helm" "$dir/helm"
rm -rf "$dir/bin.tmp"
echo "built helm $version in $(( $(date +%s) - began ))s: $dir/helm"
