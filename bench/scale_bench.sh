#!/usr/bin/env bash
# Scale: 100,000 queues and 50,000 workers. `rqctl info --json` (wall time, peak RSS, and
# its numbers checked against the fill) and rqtop under a pty (first frame, key press →
# screen change, Tab, `q` → exit, peak RSS), for one or two builds (e.g. before/after).
#
#   bench/scale_bench.sh                              # target/release (built first)
#   BEFORE=/tmp/before bench/scale_bench.sh           # also /tmp/before/{rqctl,rqtop}, measured first
#   QUEUES=30000 WORKERS=15000 bench/scale_bench.sh   # smaller
#
# Environment:
#   QUEUES WORKERS PER_WORKER   data (defaults 100000 50000 2: each worker on 2 queues)
#   RUNS          timed `rqctl info` runs per build (default 3; 1 for BEFORE unless BEFORE_RUNS)
#   PRESSES GAP   j/k presses (default 20) and seconds between them (default 0.5)
#   POLL=0        skip the second rqtop run of the build under test: keyspace events off and
#                 --interval 1s, so that an overview arrives every refresh while keys are pressed
#   BEFORE        a directory with older rqctl and rqtop binaries, labelled BEFORE_LABEL
#   BEFORE_RUNS   `rqctl info` runs for BEFORE (default 1: 0bdfcc9 took 6 min per run)
#   SKIP_BUILD=1  do not run `cargo build --release --bin rqctl --bin rqtop`
#   RQCTL RQTOP   the binaries under test (default target/release/...), labelled LABEL
#   OUT           directory for results.jsonl and table.md (default a temp dir, kept)
#
# Starts a private redis-server on a free port (never 6379; keyspace events KEA, so rqtop is
# live and re-reads every 15 s); the trap stops it and every rqtop this run started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
PY="$ROOT/.venv/rq2/bin/python"
RQCTL="${RQCTL:-$ROOT/target/release/rqctl}"
RQTOP="${RQTOP:-$ROOT/target/release/rqtop}"
LABEL="${LABEL:-after ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')+)}"
QUEUES="${QUEUES:-100000}"
WORKERS="${WORKERS:-50000}"
PER_WORKER="${PER_WORKER:-2}"
RUNS="${RUNS:-3}"
PRESSES="${PRESSES:-20}"
GAP="${GAP:-0.5}"
POLL="${POLL:-1}"
BEFORE="${BEFORE:-}"
BEFORE_LABEL="${BEFORE_LABEL:-before}"
BEFORE_RUNS="${BEFORE_RUNS:-1}"
OUT="${OUT:-$(mktemp -d /tmp/scale_bench.XXXXXX)}"
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/scale_bench_run.XXXXXX)"
PIDS="$WORK/rqtop.pids"
: >"$PIDS"
REDIS_PID=""
cleanup() {
    local p
    while read -r p; do # only if the pid is still one of our rqtops
        [ -n "$p" ] && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q rqtop \
            && kill "$p" 2>/dev/null || true
    done <"$PIDS"
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && wait "$REDIS_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "scale_bench: $*" >&2; }
die() { log "$*"; exit 1; }

[ -x "$PY" ] || die "$PY not found (run scripts/test-env.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) not found"
command -v redis-server >/dev/null || die "redis-server not on PATH"

# ------------------------------------------------------------------ build
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    while pgrep -x cargo >/dev/null; do
        log "another cargo process is running; waiting ..."
        sleep 5
    done
    log "cargo build --release --bin rqctl --bin rqtop"
    (cd "$ROOT" && cargo build --release --bin rqctl --bin rqtop) >&2
fi
[ -x "$RQCTL" ] || die "$RQCTL not found (build it, or set RQCTL=)"
[ -x "$RQTOP" ] || die "$RQTOP not found (build it, or set RQTOP=)"
if [ -n "$BEFORE" ]; then
    [ -x "$BEFORE/rqctl" ] && [ -x "$BEFORE/rqtop" ] || die "$BEFORE/rqctl or $BEFORE/rqtop missing"
fi

# ------------------------------------------------------------------ redis
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT="$(free_port)"
[ "$RPORT" != 6379 ] || die "got port 6379, retry"
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --notify-keyspace-events KEA \
    --dir "$WORK" --logfile "$WORK/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$RPORT" ping >/dev/null || die "redis-server did not start (log: $WORK/redis.log)"
REDIS_VERSION="$(redis-cli -p "$RPORT" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')"
log "redis-server $REDIS_VERSION on port $RPORT (pid $REDIS_PID)"
URL="redis://127.0.0.1:$RPORT/0"

# ------------------------------------------------------------------ fill
log "filling: $QUEUES queues, $WORKERS workers on $PER_WORKER queues each"
FILLED="$("$PY" "$BENCH/scale_fill.py" --url "$URL" --queues "$QUEUES" --workers "$WORKERS" \
    --per-worker "$PER_WORKER")"
echo "$FILLED" >"$OUT/fill.json"
log "filled: $FILLED; redis memory $(redis-cli -p "$RPORT" info memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')"

# ------------------------------------------------------------------ measure
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
m() { "$PY" "$BENCH/scale_measure.py" "$1" --out "$RESULTS" "${@:2}"; } # --out before any `-- rqtop args`
measure_build() { # label rqctl rqtop runs
    local label="$1" rqctl="$2" rqtop="$3" runs="$4"
    log "$label: rqctl info --json ($runs runs)"
    m info --rqctl "$rqctl" --url "$URL" --label "$label" --runs "$runs" --expect "$FILLED" --workdir "$WORK"
    log "$label: rqtop keys ($PRESSES presses)"
    m tui --rqtop "$rqtop" --url "$URL" --label "$label" --queues "$QUEUES" --presses "$PRESSES" \
        --gap "$GAP" --pidfile "$PIDS"
}
if [ -n "$BEFORE" ]; then
    measure_build "$BEFORE_LABEL" "$BEFORE/rqctl" "$BEFORE/rqtop" "$BEFORE_RUNS"
fi
measure_build "$LABEL" "$RQCTL" "$RQTOP" "$RUNS"
if [ "$POLL" = 1 ]; then
    log "$LABEL: rqtop keys, polling every 1s ($((PRESSES * 2)) presses)"
    redis-cli -p "$RPORT" config set notify-keyspace-events "" >/dev/null
    m tui --rqtop "$RQTOP" --url "$URL" --label "$LABEL, events off, --interval 1s" --queues "$QUEUES" \
        --presses "$((PRESSES * 2))" --gap 0.25 --pidfile "$PIDS" -- --interval 1s
    redis-cli -p "$RPORT" config set notify-keyspace-events KEA >/dev/null
fi

# ------------------------------------------------------------------ report
{
    echo "### Scale: $QUEUES queues × $WORKERS workers — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); redis-server $REDIS_VERSION."
    echo "Data: $FILLED"
    echo "rqtop: pty 80x24, keyspace events on unless stated; keys after the first frame with data + 3 s."
    echo
    "$PY" "$BENCH/scale_measure.py" report --out "$RESULTS"
} | tee "$OUT/table.md"
log "results in $OUT (results.jsonl, table.md)"
