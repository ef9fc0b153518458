#!/usr/bin/env bash
# Packs Optimizer.Build and Optimizer.Runtime into artifacts/feed and runs the ImageClassifier sample against them:
#   samples/run-sample.sh                                   compress the models and compare them
#   samples/run-sample.sh -p:CompressModelsEnabled=false    the fast inner loop: models copied unchanged
# Every run packs a new version (0.1.0-local.<timestamp>) so the sample can never pick up a stale package from the
# NuGet cache; older local versions are removed from the feed and the cache.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
feed="$root/artifacts/feed"
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"

mkdir -p "$feed"
rm -f "$feed"/Optimizer.Build.0.1.0-local.*.nupkg "$feed"/Optimizer.Runtime.0.1.0-local.*.nupkg
cache="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
rm -rf "${cache%/}"/optimizer.build/0.1.0-local.* "${cache%/}"/optimizer.runtime/0.1.0-local.*

dotnet pack "$root/src/Optimizer.Build/Optimizer.Build.csproj" -c Release -p:Version="$version" -o "$feed"
dotnet pack "$root/src/Optimizer.Runtime/Optimizer.Runtime.csproj" -c Release -p:Version="$version" -o "$feed"
dotnet run --project "$root/samples/ImageClassifier" -p:OptimizerVersion="$version" "$@"
