#!/usr/bin/env bash
# No-op incremental build overhead of Optimizer.Build: the time a second `dotnet build` with nothing changed takes for
# the sample app with the package (one CompressModel item, two profiles) vs the same app without it (the model copied
# as plain content), median of N interleaved runs, plus the time MSBuild charges to the package's targets and tasks.
#   benchmarks/incremental-build/measure.sh [runs]      (default 9)
set -euo pipefail

runs="${1:-9}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d -t optimizer-noop-XXXXXX)"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT   # KEEP=1 keeps the apps and logs for a look
# shellcheck source=../sample-app.sh
source "$root/benchmarks/sample-app.sh"
pack_packages

make_app() { # $1: folder, $2: with|without
  copy_sample_app "$1"
  if [ "$2" = without ]; then
    # The same app without the package: the runtime helper is replaced by the original model as plain content.
    sed -i -e '/Optimizer.Build/d' -e '/Optimizer.Runtime/d' -e 's#<CompressModel Include="models/net.onnx" />##' "$1/ImageClassifier.csproj"
    sed -i -e '/using Optimizer.Runtime;/d' -e '/var choice = /,/Chosen for this machine/d' "$1/Program.cs"
  fi
}

build() { # $1: folder; prints wall milliseconds of one build
  local start end
  start=$(date +%s%N)
  dotnet build "$1" --no-restore -nodeReuse:false --disable-build-servers -tl:off -v:q -clp:PerformanceSummary > "$1/last.log"
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

make_app "$work/with" with
make_app "$work/without" without
for app in with without; do
  dotnet restore "$work/$app" -v:q >/dev/null
  build "$work/$app" >/dev/null   # the first build compresses (with) and fills obj/; not measured
done

: > "$work/with.ms"; : > "$work/without.ms"; : > "$work/targets.ms"
for ((i = 0; i < runs; i++)); do
  build "$work/with" >> "$work/with.ms"
  # Time MSBuild charged to the package's targets in that no-op build (PerformanceSummary's target table).
  awk '/Target Performance Summary/ { t = 1 } /Task Performance Summary/ { t = 0 }
       t && /(CompressModels|_CompressModels)/ { sum += $1 } END { print sum + 0 }' "$work/with/last.log" >> "$work/targets.ms"
  if grep -q 'Building target "_CompressModelsCompress"' "$work/with/last.log"; then echo "compression ran in a no-op build" >&2; exit 1; fi
  build "$work/without" >> "$work/without.ms"
done

with=$(median < "$work/with.ms"); without=$(median < "$work/without.ms"); targets=$(median < "$work/targets.ms")
echo "no-op build, median of $runs interleaved runs ($(nproc) cores, $(dotnet --version) SDK, -nodeReuse:false):"
echo "  with Optimizer.Build:    $with ms   (runs: $(tr '\n' ' ' < "$work/with.ms"))"
echo "  without:                 $without ms   (runs: $(tr '\n' ' ' < "$work/without.ms"))"
echo "  difference:              $((with - without)) ms"
echo "  Optimizer targets' time: $targets ms (MSBuild PerformanceSummary, median)"
