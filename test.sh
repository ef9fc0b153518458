#!/usr/bin/env bash
# Runs the whole test suite (unit, CLI, MSBuild task and end-to-end package tests) and ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")"
log=$(mktemp)
dotnet test Optimizer.sln -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Each test assembly prints "Passed!/Failed!  - Failed: F, Passed: P, Skipped: S, Total: T"; add them up.
awk '/(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
