#!/usr/bin/env bash
# `rq info` (Python RQ 2.12) vs `rqctl info --json`, on the same data, in one run.
#
#   bench/info_bench.sh                       # 1,000,000 queued + 100,000 failed, 200 workers
#   QUEUED=100000 FAILED=10000 bench/info_bench.sh   # quick run
#
# Environment:
#   QUEUED FAILED WORKERS QUEUES EXTRAS   data size of the big DB (db 0); defaults 1000000 100000 200 10 5
#   SMALL_DIV   the second DB (db 1) has QUEUED/SMALL_DIV queued and FAILED/SMALL_DIV failed jobs
#               (same queues and workers); default 10
#   RUNS        timed runs per command (median reported); default 5
#   SKIP_BUILD=1   do not run `cargo build --release --bin rqctl`
#   RQCTL       rqctl binary; default target/release/rqctl
#   OUT         directory for results (results.jsonl, table.md); default a temp dir, kept
#
# Starts its own redis-server on a free port (never 6379) and an rtproxy in front of it;
# both are stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
PY="$ROOT/.venv/rq2/bin/python"
RQ="$ROOT/.venv/rq2/bin/rq"
RQCTL="${RQCTL:-$ROOT/target/release/rqctl}"
QUEUED="${QUEUED:-1000000}"
FAILED="${FAILED:-100000}"
WORKERS="${WORKERS:-200}"
QUEUES="${QUEUES:-10}"
EXTRAS="${EXTRAS:-5}"
SMALL_DIV="${SMALL_DIV:-10}"
RUNS="${RUNS:-5}"
OUT="${OUT:-$(mktemp -d /tmp/info_bench.XXXXXX)}"
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/info_bench_run.XXXXXX)"
REDIS_PID=""
PROXY_PID=""
cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
    [ -n "$PROXY_PID" ] && wait "$PROXY_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && wait "$REDIS_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "info_bench: $*" >&2; }
die() { log "$*"; exit 1; }

[ -x "$PY" ] || die "$PY not found (run scripts/test-env.sh)"
[ -x "$RQ" ] || die "$RQ not found"
command -v redis-server >/dev/null || die "redis-server not on PATH"
command -v redis-cli >/dev/null || die "redis-cli not on PATH"

# ------------------------------------------------------------------ build
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    while pgrep -x cargo >/dev/null; do
        log "another cargo process is running; waiting ..."
        sleep 5
    done
    log "cargo build --release --bin rqctl"
    (cd "$ROOT" && cargo build --release --bin rqctl) >&2
fi
[ -x "$RQCTL" ] || die "$RQCTL not found (build it, or set RQCTL=)"

# ------------------------------------------------------------------ redis + proxy
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT="$(free_port)"
PPORT="$(free_port)"
[ "$RPORT" != 6379 ] && [ "$PPORT" != 6379 ] || die "got port 6379, retry"


redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    --logfile "$WORK/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$RPORT" ping >/dev/null || die "redis-server did not start (log: $WORK/redis.log)"
REDIS_VERSION="$(redis-cli -p "$RPORT" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')"
log "redis-server $REDIS_VERSION on port $RPORT (pid $REDIS_PID)"

STATS="$WORK/proxy-stats.json"
"$PY" "$BENCH/rtproxy.py" --listen "$PPORT" --target "127.0.0.1:$RPORT" --stats "$STATS" &
PROXY_PID=$!
for _ in $(seq 100); do [ -s "$STATS" ] && break; sleep 0.05; done
[ -s "$STATS" ] || die "rtproxy did not start"

# ------------------------------------------------------------------ fill
SMALL_QUEUED=$((QUEUED / SMALL_DIV))
SMALL_FAILED=$((FAILED / SMALL_DIV))
log "filling db 0: $QUEUED queued, $FAILED failed, $WORKERS workers, $QUEUES queues"
"$PY" "$BENCH/fill.py" --url "redis://127.0.0.1:$RPORT/0" --queues "$QUEUES" --queued "$QUEUED" \
    --failed "$FAILED" --workers "$WORKERS" --extras "$EXTRAS" --seed 1
log "filling db 1: $SMALL_QUEUED queued, $SMALL_FAILED failed, $WORKERS workers, $QUEUES queues"
"$PY" "$BENCH/fill.py" --url "redis://127.0.0.1:$RPORT/1" --queues "$QUEUES" --queued "$SMALL_QUEUED" \
    --failed "$SMALL_FAILED" --workers "$WORKERS" --extras "$EXTRAS" --seed 2
log "redis memory: $(redis-cli -p "$RPORT" info memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')"

# ------------------------------------------------------------------ measure
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
measure() { # label tool size db cmd...
    local label="$1" tool="$2" size="$3" db="$4"
    shift 4
    "$PY" "$BENCH/measure.py" run --label "$label" --tool "$tool" --size "$size" --runs "$RUNS" \
        --direct-url "redis://127.0.0.1:$RPORT/$db" --proxy-url "redis://127.0.0.1:$PPORT/$db" \
        --proxy-pid "$PROXY_PID" --stats "$STATS" --out "$RESULTS" -- "$@"
}
# Process start-up alone (no Redis): Python + rq imports vs a native binary.
"$PY" "$BENCH/measure.py" run --label "rq --version (start-up only)" --tool rq --size 0 --runs "$RUNS" \
    --out "$RESULTS" --no-proxy -- "$RQ" --version
"$PY" "$BENCH/measure.py" run --label "rqctl --version (start-up only)" --tool rqctl --size 0 --runs "$RUNS" \
    --out "$RESULTS" --no-proxy -- "$RQCTL" --version
# rqctl first: `rq info` cleans registries (nothing is expired in fresh data, but still).
measure "rqctl info --json" rqctl "$QUEUED" 0 "$RQCTL" --url "{url}" info --json
measure "rq info" rq "$QUEUED" 0 "$RQ" info --url "{url}"
measure "rqctl info --json" rqctl "$SMALL_QUEUED" 1 "$RQCTL" --url "{url}" info --json
measure "rq info" rq "$SMALL_QUEUED" 1 "$RQ" info --url "{url}"

# ------------------------------------------------------------------ report
{
    echo "### rq info vs rqctl info — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); redis-server $REDIS_VERSION;" \
        "rq $("$PY" -c 'import rq; print(rq.__version__)'); rqctl $("$RQCTL" --version 2>/dev/null | awk '{print $2}')" \
        "($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))."
    echo "Data: $QUEUES queues, $WORKERS workers, $EXTRAS finished/started/deferred/scheduled per queue;" \
        "db 0 = $QUEUED queued + $FAILED failed, db 1 = $SMALL_QUEUED queued + $SMALL_FAILED failed."
    echo "Wall = median of $RUNS runs straight to Redis (after 1 warm-up run); counts from one more run through rtproxy."
    echo
    "$PY" "$BENCH/measure.py" report "$RESULTS"
} | tee "$OUT/table.md"
log "results in $OUT (results.jsonl, table.md)"
