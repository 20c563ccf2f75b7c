#!/usr/bin/env bash
# rqtop (the TUI) under a pty at 80x24: first frame, memory, idle CPU, event storm,
# commands per refresh. One run, one table.
#
#   bench/tui_bench.sh                          # 10 queues, 1,000,000 queued + 100,000 failed, 200 workers
#   QUEUED=100000 FAILED=10000 bench/tui_bench.sh   # quick
#
# Environment:
#   QUEUED FAILED WORKERS QUEUES EXTRAS   data (defaults 1000000 100000 200 10 5)
#   RUNS         first-frame runs, median reported (default 5, after 1 warm-up)
#   IDLE_S       idle CPU window (default 30); MEM_S: seconds of use before reading memory (default 10)
#   STORM_RATE   keyspace events/s (default 10000); STORM_S: storm length (default 10)
#   SKIP_BUILD=1 do not run `cargo build --release --bin rqtop`; RQTOP=<binary>
#   OUT          directory for results.jsonl and table.md (default a temp dir, kept)
#
# Starts a private redis-server on a free port (never 6379, keyspace events KEA) and an
# rtproxy in front of it; the trap stops them and every rqtop this run started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
PY="$ROOT/.venv/rq2/bin/python"
RQTOP="${RQTOP:-$ROOT/target/release/rqtop}"
QUEUED="${QUEUED:-1000000}"
FAILED="${FAILED:-100000}"
WORKERS="${WORKERS:-200}"
QUEUES="${QUEUES:-10}"
EXTRAS="${EXTRAS:-5}"
RUNS="${RUNS:-5}"
IDLE_S="${IDLE_S:-30}"
MEM_S="${MEM_S:-10}"
STORM_RATE="${STORM_RATE:-10000}"
STORM_S="${STORM_S:-10}"
OUT="${OUT:-$(mktemp -d /tmp/tui_bench.XXXXXX)}"
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/tui_bench_run.XXXXXX)"
PIDS="$WORK/rqtop.pids"
: >"$PIDS"
REDIS_PID=""
PROXY_PID=""
cleanup() {
    local p
    while read -r p; do # only if the pid is still one of ours (rqtop or the storm generator)
        [ -n "$p" ] && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qE 'rqtop|tui_storm' \
            && kill "$p" 2>/dev/null || true
    done <"$PIDS"
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
    [ -n "$PROXY_PID" ] && wait "$PROXY_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && wait "$REDIS_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "tui_bench: $*" >&2; }
die() { log "$*"; exit 1; }

[ -x "$PY" ] || die "$PY not found (run scripts/test-env.sh)"
command -v redis-server >/dev/null || die "redis-server not on PATH"

# ------------------------------------------------------------------ build
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    while pgrep -x cargo >/dev/null; do
        log "another cargo process is running; waiting ..."
        sleep 5
    done
    log "cargo build --release --bin rqtop"
    (cd "$ROOT" && cargo build --release --bin rqtop) >&2
fi
[ -x "$RQTOP" ] || die "$RQTOP not found (build it, or set RQTOP=)"

# ------------------------------------------------------------------ redis + proxy
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT="$(free_port)"
PPORT="$(free_port)"
[ "$RPORT" != 6379 ] && [ "$PPORT" != 6379 ] || die "got port 6379, retry"
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --notify-keyspace-events KEA \
    --dir "$WORK" --logfile "$WORK/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$RPORT" ping >/dev/null || die "redis-server did not start (log: $WORK/redis.log)"
REDIS_VERSION="$(redis-cli -p "$RPORT" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')"
log "redis-server $REDIS_VERSION on port $RPORT (pid $REDIS_PID)"

STATS="$WORK/proxy-stats.json"
"$PY" "$BENCH/rtproxy.py" --listen "$PPORT" --target "127.0.0.1:$RPORT" --stats "$STATS" 2>/dev/null &
PROXY_PID=$!
for _ in $(seq 100); do [ -s "$STATS" ] && break; sleep 0.05; done
[ -s "$STATS" ] || die "rtproxy did not start"

# ------------------------------------------------------------------ fill
log "filling: $QUEUED queued, $FAILED failed, $WORKERS workers, $QUEUES queues"
"$PY" "$BENCH/fill.py" --url "redis://127.0.0.1:$RPORT/0" --queues "$QUEUES" --queued "$QUEUED" \
    --failed "$FAILED" --workers "$WORKERS" --extras "$EXTRAS" --seed 1
EXPECT="$("$PY" -c "print(f'{$QUEUED // $QUEUES:,}')")" # q0's count, as the Queues tab shows it

# ------------------------------------------------------------------ measure
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
DIRECT="redis://127.0.0.1:$RPORT/0"
PROXIED="redis://127.0.0.1:$PPORT/0"
m() { "$PY" "$BENCH/tui_measure.py" "$@" --out "$RESULTS" --rqtop "$RQTOP" --expect "$EXPECT" --pidfile "$PIDS"; }
log "1. first full frame ($RUNS runs + 1 warm-up)"
m firstframe --url "$DIRECT" --runs "$RUNS"
log "2. memory after ${MEM_S}s of use"
m memory --url "$DIRECT" --seconds "$MEM_S"
log "3. idle CPU over ${IDLE_S}s"
m idle --url "$DIRECT" --seconds "$IDLE_S"
log "5. commands per refresh (through rtproxy)"
m refresh --url "$PROXIED" --redis-url "$DIRECT" --proxy-pid "$PROXY_PID" --stats "$STATS" --seconds 7
log "4. event storm: $STORM_RATE events/s for ${STORM_S}s (through rtproxy)"
m storm --url "$PROXIED" --redis-url "$DIRECT" --proxy-pid "$PROXY_PID" --stats "$STATS" \
    --rate "$STORM_RATE" --seconds "$STORM_S" --storm-out "$WORK/storm.json"

# ------------------------------------------------------------------ report
{
    echo "### rqtop (TUI) — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); redis-server $REDIS_VERSION;" \
        "$("$RQTOP" --version 2>/dev/null) ($RQTOP, git $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))."
    echo "Data: $QUEUES queues, $QUEUED queued + $FAILED failed jobs, $WORKERS workers, $EXTRAS extras per queue;" \
        "pty 80x24, TERM=xterm-256color; notify-keyspace-events KEA unless stated."
    echo
    "$PY" "$BENCH/tui_measure.py" report --out "$RESULTS"
} | tee "$OUT/table.md"
log "results in $OUT (results.jsonl, table.md)"
