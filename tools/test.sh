#!/usr/bin/env bash
# Runs every test of weft: installs what is missing, then runs the suite four ways and ends with
# one line "N passed, N failed" over all of them, counted from Bazel's per-target summaries (a
# build failure counts as a failure):
#   clang 14 (the default)      bazel test //...
#   g++ 12                      bazel test --config=gcc //...
#   ASan + LSan + UBSan         bazel test --config=asan_ubsan //...
#   TSan, thread-using tests    bazel test --config=tsan --test_tag_filters=threads //...
# --quick runs the first only. Other arguments go to every `bazel test`.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || exit $?

quick=0
args=()
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    *) args+=("$a") ;;
  esac
done

total_passed=0
total_failed=0
summary=()

# run_suite NAME BAZEL-TEST-ARGS...: runs one `bazel test`, adds its counts to the totals.
run_suite() {
  local name=$1
  shift
  local log start status passed failed
  log=$(mktemp)
  start=$(date +%s)
  echo "=== ${name}: bazel test $*" >&2
  # gold warns, per ASan test binary, that it "Cannot export local symbol '__asan_check_...'"
  # (7,000 lines per ASan run): the ASan runtime's export list names helpers that every object
  # keeps as local copies and nothing imports. Harmless; dropped from the output.
  bazel test --keep_going --test_summary=short "$@" ${args[@]+"${args[@]}"} 2>&1 |
    grep --line-buffered -v "ld.gold: warning: Cannot export local symbol '__asan_" | tee "$log"
  status=${PIPESTATUS[0]}
  passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
  failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|FLAKY|NO STATUS|INCOMPLETE)' "$log")
  rm -f "$log"
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # The build itself failed (or no test ran): count that as a failure, never as a pass.
    failed=1
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  summary+=("$(printf '%-34s %3d passed, %d failed  (%ds)' "${name}:" "$passed" "$failed" \
    $(($(date +%s) - start)))")
}

run_suite "clang 14" //...
if [ "$quick" -eq 0 ]; then
  run_suite "g++ 12" --config=gcc //...
  run_suite "ASan+LSan+UBSan (clang 14)" --config=asan_ubsan //...
  run_suite "TSan, tests tagged threads" --config=tsan --test_tag_filters=threads \
    --build_tests_only //...
fi

printf '%s\n' "${summary[@]}"
echo "${total_passed} passed, ${total_failed} failed"
[ "$total_failed" -eq 0 ]
