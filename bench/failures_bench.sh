#!/usr/bin/env bash
# Failure signatures at scale: `rqctl failures` over 100,000 failed jobs in RQ 2.12's format
# (10 queues, 24 causes, compressed tracebacks in result streams), with its wall time, max
# RSS and a PING probe; then `requeue --where` on the 10,000 jobs of one cause against
# `requeue --all` on a registry of 10,000.
#
#   bench/failures_bench.sh
#   N=20000 BIG=2000 bench/failures_bench.sh     # quick run
#
# Environment: N (failed jobs, default 100000), BIG (jobs of the cause requeued, default
# 10000), RUNS (timed runs of `rqctl failures`, default 3), SKIP_BUILD=1, RQCTL=path,
# OUT (results directory, default a temp dir, kept).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
PY="$ROOT/.venv/rq2/bin/python"
RQCTL="${RQCTL:-$ROOT/target/release/rqctl}"
N="${N:-100000}"
BIG="${BIG:-10000}"
RUNS="${RUNS:-3}"
OUT="${OUT:-$(mktemp -d /tmp/failures_bench.XXXXXX)}"
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/failures_bench_run.XXXXXX)"
REDIS_PID=""
PROBE_PID=""
cleanup() {
    [ -n "$PROBE_PID" ] && kill "$PROBE_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && wait "$REDIS_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "failures_bench: $*" >&2; }
die() { log "$*"; exit 1; }
[ -x "$PY" ] || die "$PY not found (run scripts/test-env.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    while pgrep -x cargo >/dev/null; do log "another cargo is running; waiting ..."; sleep 5; done
    (cd "$ROOT" && cargo build --release --bin rqctl) >&2
fi
[ -x "$RQCTL" ] || die "$RQCTL not found"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT="$(free_port)"
[ "$RPORT" != 6379 ] || die "got port 6379, retry"
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    --logfile "$WORK/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
rc() { redis-cli -p "$RPORT" -n "$DB" "$@"; }
URL0="redis://127.0.0.1:$RPORT/0"
URL1="redis://127.0.0.1:$RPORT/1"
URL2="redis://127.0.0.1:$RPORT/2"

log "filling db 0 and db 2: $N failed jobs (24 causes, the first with $BIG jobs), db 1: $BIG failed jobs"
"$PY" "$BENCH/failures_fill.py" --url "$URL0" --failed "$N" --big "$BIG"
"$PY" "$BENCH/failures_fill.py" --url "$URL1" --failed "$BIG" --big "$BIG" --seed 8
"$PY" "$BENCH/failures_fill.py" --url "$URL2" --failed "$N" --big "$BIG"

# Wall seconds and max RSS (KB) of one command; its stdout kept in $WORK/out.
measure() {
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" \
        || { cat "$WORK/err" >&2; die "failed: $*"; }
    cat "$WORK/time"
}
probe_start() {
    "$PY" "$BENCH/pingprobe.py" --url "$URL0" --out "$WORK/probe.json" 2>/dev/null &
    PROBE_PID=$!
    sleep 0.5
}
probe_stop() {
    kill "$PROBE_PID"; wait "$PROBE_PID" 2>/dev/null || true; PROBE_PID=""
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f %.1f %d" % (d["max_ms"], d["p99_ms"] or 0, d["pings"]))' "$WORK/probe.json"
}

{
echo "# failures_bench ($(date -u +%FT%TZ), redis $(redis-cli -p "$RPORT" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p'), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "| step | jobs | wall s | max RSS MB | PING max ms | PING p99 ms |"
echo "|---|---:|---:|---:|---:|---:|"
} >"$OUT/table.md"
row() { echo "| $1 | $2 | $3 | $4 | $5 | $6 |" >>"$OUT/table.md"; }

for i in $(seq "$RUNS"); do
    probe_start
    read -r secs rss < <(measure "$RQCTL" --url "$URL0" failures --json)
    read -r pmax p99 pings < <(probe_stop)
    sigs="$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["signatures"]), d["jobs"])' "$WORK/out")"
    [ "$sigs" = "24 $N" ] || die "expected 24 signatures over $N jobs, got $sigs"
    log "failures run $i: ${secs}s, $((rss / 1024)) MB, PING max ${pmax} ms (24 signatures, $N jobs)"
    row "rqctl failures --json (run $i)" "$N" "$secs" "$((rss / 1024))" "$pmax" "$p99"
done
SIG="$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next(s["id"] for s in d["signatures"] if s["count"] == int(sys.argv[2])))' "$WORK/out" "$BIG")"

DB=0
probe_start
read -r secs rss < <(measure "$RQCTL" --url "$URL0" requeue --all failed --where "sig=$SIG")
read -r pmax p99 pings < <(probe_stop)
queued=0; for q in $(seq 0 9); do queued=$((queued + $(rc llen "rq:queue:q$q"))); done
[ "$queued" = "$BIG" ] || die "requeue --where: $queued jobs queued, expected $BIG"
log "requeue --where sig=$SIG: ${secs}s for $BIG of $N"
row "rqctl requeue --all failed --where sig=… ($BIG of $N)" "$BIG" "$secs" "$((rss / 1024))" "$pmax" "$p99"

# The same cause named by its function: no term needs the tracebacks, so none is read.
DB=2
probe_start
read -r secs rss < <(measure "$RQCTL" --url "$URL2" requeue --all failed --where "func=app.tasks.task_0_0")
read -r pmax p99 pings < <(probe_stop)
queued=0; for q in $(seq 0 9); do queued=$((queued + $(rc llen "rq:queue:q$q"))); done
[ "$queued" = "$BIG" ] || die "requeue --where func: $queued jobs queued, expected $BIG"
log "requeue --where func=…: ${secs}s for $BIG of $N"
row "rqctl requeue --all failed --where func=… ($BIG of $N)" "$BIG" "$secs" "$((rss / 1024))" "$pmax" "$p99"

DB=1
probe_start
read -r secs rss < <(measure "$RQCTL" --url "$URL1" requeue --all failed)
read -r pmax p99 pings < <(probe_stop)
queued=0; for q in $(seq 0 9); do queued=$((queued + $(rc llen "rq:queue:q$q"))); done
[ "$queued" = "$BIG" ] || die "requeue --all: $queued jobs queued, expected $BIG"
log "requeue --all: ${secs}s for $BIG"
row "rqctl requeue --all failed (a registry of $BIG)" "$BIG" "$secs" "$((rss / 1024))" "$pmax" "$p99"

cat "$OUT/table.md"
log "results in $OUT"
