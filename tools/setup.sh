#!/usr/bin/env bash
# Installs what building and testing weft needs on Debian 12 (run as root, or with sudo on PATH).
# On another system it names the packages to install and stops.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-platforms clang-14 libclang-rt-14-dev llvm-14 g++
  libabsl-dev libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  libprotobuf-dev protobuf-compiler libxxhash-dev zlib1g-dev
  socat netcat-openbsd procps
)

if [ ! -r /etc/os-release ] || ! grep -qE '^ID=debian' /etc/os-release || \
   ! grep -qE '^VERSION_ID="12"' /etc/os-release; then
  echo "weft's set-up script knows Debian 12 only. Install the equivalents of:" >&2
  echo "  ${PACKAGES[*]}" >&2
  echo "(Bazel 4.2.x with its platforms repository at /usr/share/bazel/tools/platforms)" >&2
  exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "weft setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
