#!/usr/bin/env bash
# Mutating commands: `rq requeue --all` vs `rqctl requeue --all failed`, and
# `rq empty` vs `rqctl empty`, with a second client measuring PING latency.
#
#   bench/mutate_bench.sh
#   N=20000 RQ_N=2000 EMPTY_N=100000 bench/mutate_bench.sh     # quick run
#
# Environment:
#   N         failed jobs requeued by rqctl (default 100000)
#   RQ_N      failed jobs requeued by `rq requeue` (default 10000; rq does ~500 jobs/s,
#             its time for N is extrapolated from its jobs/s)
#   EMPTY_N   queued jobs in the queue that is emptied (default 1000000, both tools)
#   PROBE_INTERVAL   seconds between PINGs of the latency probe (default 0.005)
#   SKIP_BUILD=1, RQCTL=path   as in info_bench.sh
#   SKIP_RQCTL=1   only measure rq (e.g. while rqctl has no requeue/empty yet)
#   OUT       results directory (default a temp dir, kept)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
PY="$ROOT/.venv/rq2/bin/python"
RQ="$ROOT/.venv/rq2/bin/rq"
RQCTL="${RQCTL:-$ROOT/target/release/rqctl}"
N="${N:-100000}"
RQ_N="${RQ_N:-10000}"
EMPTY_N="${EMPTY_N:-1000000}"
PROBE_INTERVAL="${PROBE_INTERVAL:-0.005}"
SKIP_RQCTL="${SKIP_RQCTL:-0}"
OUT="${OUT:-$(mktemp -d /tmp/mutate_bench.XXXXXX)}"
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/mutate_bench_run.XXXXXX)"
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
Q=q

log() { echo "mutate_bench: $*" >&2; }
die() { log "$*"; exit 1; }

[ -x "$PY" ] || die "$PY not found (run scripts/test-env.sh)"
[ -x "$RQ" ] || die "$RQ not found"

# ------------------------------------------------------------------ build + capability check
if [ "$SKIP_RQCTL" != 1 ]; then
    if [ "${SKIP_BUILD:-0}" != 1 ]; then
        while pgrep -x cargo >/dev/null; do
            log "another cargo process is running; waiting ..."
            sleep 5
        done
        log "cargo build --release --bin rqctl"
        (cd "$ROOT" && cargo build --release --bin rqctl) >&2
    fi
    [ -x "$RQCTL" ] || die "$RQCTL not found (build it, or set RQCTL=)"
    for sub in requeue empty; do
        if ! "$RQCTL" "$sub" --help >/dev/null 2>&1; then
            die "rqctl has no '$sub' subcommand yet ($RQCTL $sub --help failed); set SKIP_RQCTL=1 to measure rq only"
        fi
    done
    # Pass --yes only where the subcommand has it (requeue may not ask for confirmation).
    REQUEUE_YES=()
    if "$RQCTL" requeue --help 2>/dev/null | grep -q -- '--yes'; then REQUEUE_YES=(--yes); fi
fi

# ------------------------------------------------------------------ redis
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT="$(free_port)"
[ "$RPORT" != 6379 ] || die "got port 6379, retry"
URL="redis://127.0.0.1:$RPORT/0"
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    --logfile "$WORK/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$RPORT" ping >/dev/null || die "redis-server did not start"
REDIS_VERSION="$(redis-cli -p "$RPORT" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')"
rc() { redis-cli -p "$RPORT" "$@"; }

fill_failed() { "$PY" "$BENCH/fill.py" --url "$URL" --flush --names "$Q" --queued 0 --failed "$1" --workers 0 --extras 0; }
fill_queued() { "$PY" "$BENCH/fill.py" --url "$URL" --flush --names "$Q" --queued "$1" --failed 0 --workers 0 --extras 0; }

# Runs a command, its output to $WORK/cmd.log; prints the wall time in seconds.
timed() {
    "$PY" - "$@" <<'EOF'
import subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "w") as log:
    r = subprocess.run(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT)
dt = time.perf_counter() - t
if r.returncode != 0:
    sys.stderr.write(open(sys.argv[1]).read()[-3000:])
    sys.exit(f"exit status {r.returncode}: {' '.join(sys.argv[2:])}")
print(f"{dt:.4f}")
EOF
}
commands_processed() { rc info stats | sed -n 's/^total_commands_processed:\([0-9]*\)\r$/\1/p'; }

RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
record() { # name tool jobs seconds commands [probe.json]
    "$PY" - "$@" >>"$RESULTS" <<'EOF'
import json, sys
name, tool, jobs, secs, cmds = sys.argv[1:6]
rec = {"bench": name, "tool": tool, "jobs": int(jobs), "seconds": float(secs), "commands": int(cmds),
       "jobs_per_s": int(jobs) / float(secs)}
if len(sys.argv) > 6:
    rec["probe"] = json.load(open(sys.argv[6]))
print(json.dumps(rec))
EOF
}
check_eq() { [ "$1" = "$2" ] || die "check failed: $3: got $1, expected $2"; }

# ------------------------------------------------------------------ requeue
log "requeue: rq, $RQ_N failed jobs"
fill_failed "$RQ_N"
c0="$(commands_processed)"
t="$(timed "$WORK/cmd.log" "$RQ" requeue --all --queue "$Q" --url "$URL")"
c1="$(commands_processed)"
check_eq "$(rc llen "rq:queue:$Q")" "$RQ_N" "rq requeue: LLEN rq:queue:$Q"
check_eq "$(rc zcard "rq:failed:$Q")" 0 "rq requeue: ZCARD rq:failed:$Q"
record requeue rq "$RQ_N" "$t" "$((c1 - c0 - 1))"
log "rq requeue: $t s"

if [ "$SKIP_RQCTL" != 1 ]; then
    log "requeue: rqctl, $N failed jobs"
    fill_failed "$N"
    c0="$(commands_processed)"
    t="$(timed "$WORK/cmd.log" "$RQCTL" --url "$URL" requeue --all failed --queue "$Q" "${REQUEUE_YES[@]}")"
    c1="$(commands_processed)"
    check_eq "$(rc llen "rq:queue:$Q")" "$N" "rqctl requeue: LLEN rq:queue:$Q"
    check_eq "$(rc zcard "rq:failed:$Q")" 0 "rqctl requeue: ZCARD rq:failed:$Q"
    record requeue rqctl "$N" "$t" "$((c1 - c0 - 1))"
    log "rqctl requeue: $t s"
fi

# ------------------------------------------------------------------ empty, with a PING probe
empty_run() { # tool cmd...
    local tool="$1"
    shift
    log "empty: $tool, $EMPTY_N queued jobs"
    fill_queued "$EMPTY_N"
    local keys_before
    keys_before="$(rc dbsize)"
    "$PY" "$BENCH/pingprobe.py" --url "$URL" --interval "$PROBE_INTERVAL" --out "$WORK/probe.json" &
    PROBE_PID=$!
    sleep 1
    c0="$(commands_processed)"
    t="$(timed "$WORK/cmd.log" "$@")"
    c1="$(commands_processed)"
    sleep 0.5
    kill "$PROBE_PID"
    wait "$PROBE_PID" || true
    PROBE_PID=""
    check_eq "$(rc llen "rq:queue:$Q")" 0 "$tool empty: LLEN rq:queue:$Q"
    local left
    left="$(rc eval "return #redis.call('keys', 'rq:job:*')" 0)"
    check_eq "$left" 0 "$tool empty: job hashes left (of $keys_before keys before)"
    # The probe's own PINGs are subtracted only roughly (not known exactly): report the raw delta.
    record empty "$tool" "$EMPTY_N" "$t" "$((c1 - c0 - 1))" "$WORK/probe.json"
    log "$tool empty: $t s, probe max $("$PY" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["max_ms"],1))' "$WORK/probe.json") ms"
}
empty_run rq "$RQ" empty "$Q" --url "$URL"
if [ "$SKIP_RQCTL" != 1 ]; then
    empty_run rqctl "$RQCTL" --url "$URL" empty "$Q" --yes
fi

# ------------------------------------------------------------------ report
{
    echo "### rq vs rqctl, mutating commands — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores; redis-server $REDIS_VERSION; rq $("$PY" -c 'import rq; print(rq.__version__)');" \
        "rqctl $( [ "$SKIP_RQCTL" = 1 ] && echo '(skipped)' || "$RQCTL" --version 2>/dev/null | awk '{print $2}')" \
        "($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))."
    echo
    "$PY" - "$RESULTS" "$N" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
print("| benchmark | tool | jobs | wall (s) | jobs/s | Redis commands (server-side count) | max PING latency seen by another client (ms) | PINGs > 100 ms |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for r in recs:
    p = r.get("probe")
    print(f"| {r['bench']} | {r['tool']} | {r['jobs']:,} | {r['seconds']:.2f} | {r['jobs_per_s']:,.0f} | {r['commands']:,} "
          f"| {p['max_ms']:.1f} | {p['over_100ms']} |" if p else
          f"| {r['bench']} | {r['tool']} | {r['jobs']:,} | {r['seconds']:.2f} | {r['jobs_per_s']:,.0f} | {r['commands']:,} | – | – |")
print()
by = {(r["bench"], r["tool"]): r for r in recs}
rq, rc = by.get(("requeue", "rq")), by.get(("requeue", "rqctl"))
if rq:
    print(f"* rq requeue extrapolated to {n:,} jobs: {n / rq['jobs_per_s']:.1f} s ({rq['jobs_per_s']:.0f} jobs/s).")
if rq and rc:
    print(f"* requeue: rqctl {rc['jobs_per_s'] / rq['jobs_per_s']:.0f}x the jobs/s of rq.")
eq, ec = by.get(("empty", "rq")), by.get(("empty", "rqctl"))
if eq and ec:
    print(f"* empty: rq {eq['seconds']:.2f} s (max PING {eq['probe']['max_ms']:.0f} ms) vs rqctl {ec['seconds']:.2f} s "
          f"(max PING {ec['probe']['max_ms']:.1f} ms).")
print("* Redis commands = total_commands_processed delta around the command, which includes commands run inside Lua scripts and the probe's PINGs "
      "during `empty` (about duration / interval).")
EOF
} | tee "$OUT/table.md"
log "results in $OUT"
