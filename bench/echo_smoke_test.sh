#!/usr/bin/env bash
# Starts weft's echo server on a free loopback port and drives it with the load client, once
# with 1 connection and once with 50: the W5 pair works end to end. No figures are checked.
set -euo pipefail
server_bin=$1
load_bin=$2
coproc SERVER { exec "$server_bin" 0; }
server=$SERVER_PID
trap 'kill "$server" 2>/dev/null || true' EXIT
# Blocks until the server prints "PORT <n>" (or exits).
read -r tag port <&"${SERVER[0]}"
[ "$tag" = PORT ] && [ -n "$port" ] || { echo "echo_server did not report its port"; exit 1; }
"$load_bin" "$port" 1 200 "$server"
"$load_bin" "$port" 50 500 "$server"
