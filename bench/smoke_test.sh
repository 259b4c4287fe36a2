#!/usr/bin/env bash
# Runs each benchmark binary given as an argument once, with tiny sizes: a benchmark that no
# longer builds or crashes fails CI; its figures are not checked.
set -euo pipefail
export WEFT_BENCH_QUICK=1
for bin in "$@"; do
  echo "== $bin"
  "$bin" --benchmark_min_time=0.001 --benchmark_repetitions=1
done
