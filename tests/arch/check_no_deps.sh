#!/usr/bin/env bash
# Fails if the dependency list in $1 names any target under the packages given after it.
set -euo pipefail
deps_file="$1"
shift
status=0
for forbidden in "$@"; do
  if grep -E "^${forbidden}(/|:)" "$deps_file"; then
    echo "FAIL: a library of //runtime/... depends on ${forbidden} (listed above)" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "ok: $(wc -l < "$deps_file") dependencies, none under: $*"
exit "$status"
