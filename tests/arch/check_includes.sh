#!/usr/bin/env bash
# The include rules of internal headers (STYLE.md): a header under an internal/ folder is for its
# own part of weft only.
#   runtime/internal/     the loop core: only runtime/ itself (and its unit tests)
#   runtime/io/internal/  asyncio's I/O layer: only runtime/ and the worlds that run it (sim/)
# Arguments: the source files to check (sim/, examples/, bench/). Fails naming each file and line
# that breaks a rule.
set -euo pipefail
status=0
checked=0
for f in "$@"; do
  checked=$((checked + 1))
  case "$f" in
    sim/*) forbidden='#include "runtime/internal/' ;;
    *) forbidden='#include "runtime/(io/)?internal/' ;;
  esac
  if grep -nE "$forbidden" "$f" | sed "s|^|FAIL: $f:|"; then
    status=1
  fi
done
if [ "$status" -eq 0 ]; then
  echo "ok: $checked files, no internal header of runtime/ included from outside its part"
else
  echo "some files include internal headers of runtime/ (listed above)" >&2
fi
exit "$status"
