#!/usr/bin/env bash
# The fleet benchmark: 20 private redis-servers (10 queues, 50 workers each, filled by
# fill.py), rqtop's fleet poll tasks and `rqctl --all-contexts`; see tests/fleet_bench.rs.
#
#   bench/fleet_bench.sh            # debug build (what `cargo test` builds)
#   PROFILE=--release bench/fleet_bench.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo test ${PROFILE:-} --test fleet_bench -- --ignored --nocapture 2>&1 | grep -E '^(fleet|rqctl)|test result'
