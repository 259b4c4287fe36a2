#!/usr/bin/env bash
# Runs every test of weft: installs what is missing, builds with Bazel, runs `bazel test //...`,
# and ends with one line "N passed, N failed" counted from Bazel's per-target summary.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || exit $?

log=$(mktemp)
bazel test //... --keep_going --test_summary=short "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|FLAKY|NO STATUS|INCOMPLETE)' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build itself failed (or no test ran): count that as a failure, never as a pass.
  failed=1
fi
echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
