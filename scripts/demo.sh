#!/usr/bin/env bash
# The demo on a fresh machine: installs redis-server when it is missing (apt-get; needs
# root, as the tests' scripts/test-env.sh does), then runs `rqtop --demo`, which starts a
# private redis-server with a moving RQ workload and removes it on exit.
# Extra arguments go to rqtop (e.g. bash scripts/demo.sh --interval 2s).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "demo: redis-server is not on PATH; install it (e.g. 'sudo apt-get install -y redis-server')" >&2
        exit 1
    fi
    echo "demo: installing redis-server with apt-get" >&2
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; } >/dev/null
fi
exec cargo run --release --quiet --bin rqtop -- --demo "$@"
