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
version="0.1.0-bench.$(date -u +%Y%m%d%H%M%S)"
export NUGET_PACKAGES="$work/packages"
fallback="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"

for project in Optimizer.Build Optimizer.Runtime; do
  dotnet pack "$root/src/$project/$project.csproj" -c Release -p:Version="$version" -o "$work/feed" \
    --artifacts-path "$work/artifacts" -nodeReuse:false --disable-build-servers -tl:off -v:q >/dev/null
done

app="$work/app"
cp -r "$root/samples/ImageClassifier" "$app"
rm -rf "$app/bin" "$app/obj" "$app/nuget.config"
printf '<Project><PropertyGroup><OptimizerVersion>%s</OptimizerVersion></PropertyGroup></Project>\n' "$version" > "$app/Directory.Build.props"
echo '<Project />' > "$app/Directory.Build.targets"
echo '<Project />' > "$app/Directory.Packages.props"
cat > "$app/nuget.config" <<CONFIG
<configuration>
  <packageSources><clear /><add key="feed" value="$work/feed" /></packageSources>
  <fallbackPackageFolders><add key="machine" value="$fallback" /></fallbackPackageFolders>
</configuration>
CONFIG
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
