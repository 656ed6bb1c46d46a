#!/usr/bin/env bash
# Runs every test: domain (no I/O), web (real app + real PostgreSQL), end-to-end (real Chromium).
# Installs what a fresh Debian machine lacks (PostgreSQL server, Chromium, poppler-utils), builds, tests, and ends
# with one line "N passed, N failed". Extra arguments go to `dotnet test` (e.g. --filter Category=...).
set -uo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
ensure_packages postgresql chromium poppler-utils fonts-dejavu-core

results="${TRIALMANAGER_TEST_RESULTS:-$PWD/TestResults}"
mkdir -p "$results"
# Screenshots and other artefacts of the end-to-end tests (kept out of git).
export TRIALMANAGER_ARTIFACTS="${TRIALMANAGER_ARTIFACTS:-$results/artifacts}"
log="$results/dotnet-test.log"
dotnet test TrialManager.sln --results-directory "$results" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one summary per test assembly; add them up for the one closing line CI reads.
summaries=$(grep -E '^(Passed|Failed)! ' "$log")
passed=$(printf '%s\n' "$summaries" | sed -nE 's/.*Passed: *([0-9]+).*/\1/p' | awk '{s+=$1} END {print s+0}')
failed=$(printf '%s\n' "$summaries" | sed -nE 's/.*Failed: *([0-9]+),.*/\1/p' | awk '{s+=$1} END {print s+0}')
assemblies=$(printf '%s\n' "$summaries" | grep -c . || true)
if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then
  # The build failed or a test host crashed before reporting: count that as a failure, never as a pass.
  failed=1
fi
echo "test assemblies reported: ${assemblies}"
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
