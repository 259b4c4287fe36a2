#!/usr/bin/env bash
# The main job: builds weft and runs the bank-transfer race of examples/ under the simulated loop
# for a sweep of seeds, printing how the outcomes differ between seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
bazel run -c opt //examples:bank_race -- "$@"
