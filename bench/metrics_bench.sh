#!/usr/bin/env bash
# One scrape of `rqctl metrics --listen` vs one scrape of rq-exporter 3.x (pip), on the same
# data, then a soak of the listening rqctl's resident memory (one scrape a second).
#
#   bench/metrics_bench.sh                              # 1,000,000 queued + 100,000 failed, 200 workers, 10 queues, 5 min soak
#   QUEUED=100000 FAILED=10000 SOAK_SECS=60 bench/metrics_bench.sh   # quick run
#
# Environment:
#   QUEUED FAILED WORKERS QUEUES EXTRAS   data size; defaults 1000000 100000 200 10 5
#   RUNS        timed scrapes per exporter (median reported); default 15
#   SOAK_SECS   length of the memory soak; default 300 (0 skips it)
#   SETTLE_SECS pause between the fill and the first scrape; default 60 (see below)
#   SKIP_BUILD=1   do not run `cargo build --release --bin rqctl`
#   RQCTL       rqctl binary; default target/release/rqctl
#   EXPORTER_VENV  venv for rq-exporter (created with pip when missing);
#               default target/bench/exporter-venv
#   OUT         directory for results (results.json, table.md); default a temp dir, kept
#
# Starts its own redis-server on a free port (never 6379) and an rtproxy in front of it,
# four exporters (rqctl and rq-exporter, each straight to Redis for timing and through the
# proxy for counting); all are stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
PY="$ROOT/.venv/rq2/bin/python"
RQCTL="${RQCTL:-$ROOT/target/release/rqctl}"
EXPORTER_VENV="${EXPORTER_VENV:-$ROOT/target/bench/exporter-venv}"
QUEUED="${QUEUED:-1000000}"
FAILED="${FAILED:-100000}"
WORKERS="${WORKERS:-200}"
QUEUES="${QUEUES:-10}"
EXTRAS="${EXTRAS:-5}"
RUNS="${RUNS:-15}"
SOAK_SECS="${SOAK_SECS:-300}"
SETTLE_SECS="${SETTLE_SECS:-60}"
OUT="${OUT:-$(mktemp -d /tmp/metrics_bench.XXXXXX)}"
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/metrics_bench_run.XXXXXX)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "metrics_bench: $*" >&2; }
die() { log "$*"; exit 1; }

[ -x "$PY" ] || die "$PY not found (run scripts/test-env.sh)"
command -v redis-server >/dev/null || die "redis-server not on PATH"
command -v redis-cli >/dev/null || die "redis-cli not on PATH"

# ------------------------------------------------------------------ rq-exporter
if [ ! -x "$EXPORTER_VENV/bin/rq-exporter" ]; then
    log "pip install rq-exporter into $EXPORTER_VENV"
    python3 -m venv "$EXPORTER_VENV"
    "$EXPORTER_VENV/bin/pip" install -q --disable-pip-version-check rq-exporter >&2
fi
EXPORTER_VERSION="$("$EXPORTER_VENV/bin/python" -c 'from importlib.metadata import version; print(version("rq-exporter"), "(rq", version("rq") + ")")')"

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
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$RPORT" ping >/dev/null || die "redis-server did not start (log: $WORK/redis.log)"
REDIS_VERSION="$(redis-cli -p "$RPORT" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')"
log "redis-server $REDIS_VERSION on port $RPORT"

STATS="$WORK/proxy-stats.json"
"$PY" "$BENCH/rtproxy.py" --listen "$PPORT" --target "127.0.0.1:$RPORT" --stats "$STATS" 2>>"$WORK/rtproxy.log" &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
for _ in $(seq 100); do [ -s "$STATS" ] && break; sleep 0.05; done
[ -s "$STATS" ] || die "rtproxy did not start"

# ------------------------------------------------------------------ fill
log "filling: $QUEUED queued, $FAILED failed, $WORKERS workers, $QUEUES queues"
"$PY" "$BENCH/fill.py" --url "redis://127.0.0.1:$RPORT/0" --queues "$QUEUES" --queued "$QUEUED" \
    --failed "$FAILED" --workers "$WORKERS" --extras "$EXTRAS" --seed 1
log "redis memory: $(redis-cli -p "$RPORT" info memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')"
# Right after the fill Redis is still rehashing its 1.3 M-key dictionary (every lookup
# probes two tables, and each server tick spends a millisecond moving buckets): scrapes of
# the same data measured 30% slower for the first ~10 s. A production Redis is past that;
# both exporters are measured after it.
log "letting Redis settle for $SETTLE_SECS s"
sleep "$SETTLE_SECS"

# ------------------------------------------------------------------ exporters
DIRECT="redis://127.0.0.1:$RPORT/0"
PROXIED="redis://127.0.0.1:$PPORT/0"
wait_http() { # port
    for _ in $(seq 600); do
        "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$1/metrics', timeout=60)" \
            2>/dev/null && return 0
        sleep 0.1
    done
    die "nothing answers on port $1"
}
start_rqctl() { # url port
    "$RQCTL" --url "$1" metrics --listen "127.0.0.1:$2" 2>>"$WORK/rqctl.log" &
    PIDS+=($!)
    LAST_PID=$!
}
start_exporter() { # url port
    "$EXPORTER_VENV/bin/rq-exporter" --redis-url "$1" --host 127.0.0.1 --port "$2" \
        --log-level ERROR 2>>"$WORK/exporter.log" &
    PIDS+=($!)
    LAST_PID=$!
}
P_RQCTL="$(free_port)"; start_rqctl "$DIRECT" "$P_RQCTL"; RQCTL_PID=$LAST_PID
P_RQCTL_X="$(free_port)"; start_rqctl "$PROXIED" "$P_RQCTL_X"
P_EXP="$(free_port)"; start_exporter "$DIRECT" "$P_EXP"; EXP_PID=$LAST_PID
P_EXP_X="$(free_port)"; start_exporter "$PROXIED" "$P_EXP_X"
for p in "$P_RQCTL" "$P_RQCTL_X" "$P_EXP" "$P_EXP_X"; do wait_http "$p"; done
log "exporters up (rqctl pid $RQCTL_PID, rq-exporter pid $EXP_PID)"

# ------------------------------------------------------------------ measure
"$PY" "$BENCH/metrics_measure.py" \
    --tool "rqctl metrics=http://127.0.0.1:$P_RQCTL/metrics,http://127.0.0.1:$P_RQCTL_X/metrics,$RQCTL_PID" \
    --tool "rq-exporter=http://127.0.0.1:$P_EXP/metrics,http://127.0.0.1:$P_EXP_X/metrics,$EXP_PID" \
    --redis-url "$DIRECT" --proxy-pid "$PROXY_PID" --stats "$STATS" --queued "$QUEUED" --runs "$RUNS" \
    --soak-secs "$SOAK_SECS" --soak-url "http://127.0.0.1:$P_RQCTL/metrics" --soak-pid "$RQCTL_PID" \
    --out "$OUT/results.json" >"$WORK/table.md"

{
    echo "### rqctl metrics vs rq-exporter — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); redis-server $REDIS_VERSION;" \
        "rq-exporter $EXPORTER_VERSION; rqctl $("$RQCTL" --version 2>/dev/null | awk '{print $2}')" \
        "($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))."
    echo "Data: $QUEUES queues, $WORKERS workers, $QUEUED queued + $FAILED failed jobs, $EXTRAS finished/started/deferred/scheduled per queue;"
    echo "measured $SETTLE_SECS s after the fill."
    echo "Wall = HTTP scrape (curl time_total), median of $RUNS after a warm-up, the exporters taking turns, each straight to Redis; round trips and"
    echo "commands from one more scrape of a second exporter that talks to Redis through rtproxy."
    echo
    cat "$WORK/table.md"
} | tee "$OUT/table.md"
log "results in $OUT (results.json, table.md)"
