#!/usr/bin/env bash
# Several models in one project: wall time of a `dotnet build` that compresses two models (the sample's net.onnx with
# both profiles, and a copy pruned with the sensitivity schedule, cpu-int8) with CompressModelsMaxParallel=1 (one after
# the other) vs N (concurrently), median of R interleaved runs. Every measured build compresses both models for real:
# the models are touched, the content-addressed cache is off and the sensitivity tables are deleted.
#   benchmarks/parallel-models/measure.sh [runs] [parallel]      (defaults 5 and 2)
set -euo pipefail

runs="${1:-5}"
parallel="${2:-2}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d -t optimizer-parallel-XXXXXX)"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT   # KEEP=1 keeps the app and logs for a look
# shellcheck source=../sample-app.sh
source "$root/benchmarks/sample-app.sh"
pack_packages

app="$work/app"
copy_sample_app "$app"
mkdir -p "$app/pruned"
cp "$app/models/net.onnx" "$app/pruned/pruned.onnx"
cp -r "$app/models/calibration" "$app/pruned/calibration"
printf 'version: 1\npruning:\n  method: channel\n  sparsity: 25%%\n  schedule: sensitivity\n' > "$app/pruned/compression.yaml"
sed -i 's#<CompressModel Include="models/net.onnx" />#&<CompressModel Include="pruned/pruned.onnx" Profiles="cpu-int8" />#' "$app/ImageClassifier.csproj"

build() { # $1: max parallel; prints wall milliseconds of one build that compresses both models
  local start end
  touch -d '+5 seconds' "$app/models/net.onnx" "$app/pruned/pruned.onnx"
  find "$app/obj" -name '.optimizer-cache' -type d -prune -exec rm -rf {} + 2>/dev/null || true
  start=$(date +%s%N)
  dotnet build "$app" --no-restore -nodeReuse:false --disable-build-servers -tl:off -v:q \
    -p:CompressModelsCache=false -p:CompressModelsMaxParallel="$1" > "$app/last.log"
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

dotnet restore "$app" -v:q >/dev/null
build 1 >/dev/null   # warms the SDK and fills obj/; not measured
: > "$work/sequential.ms"; : > "$work/parallel.ms"
for ((i = 0; i < runs; i++)); do
  build 1 >> "$work/sequential.ms"
  build "$parallel" >> "$work/parallel.ms"
done

echo "build compressing 2 models, median of $runs interleaved runs ($(nproc) cores, $(dotnet --version) SDK):"
echo "  CompressModelsMaxParallel=1:          $(median < "$work/sequential.ms") ms   (runs: $(tr '\n' ' ' < "$work/sequential.ms"))"
echo "  CompressModelsMaxParallel=$parallel:          $(median < "$work/parallel.ms") ms   (runs: $(tr '\n' ' ' < "$work/parallel.ms"))"
