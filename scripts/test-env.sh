#!/usr/bin/env bash
# Prepare the environment for the Python RQ interop tests.
#
#  * makes sure redis-server, tmux, openssl and prometheus (with promtool) are installed
#    (apt-get when missing; needs root),
#  * creates .venv/rq3, .venv/rq2 and .venv/rq1 (relative to the repo root) from the
#    pinned tests/interop/requirements-rq{3,2,1}.txt.
#
# Idempotent: a venv is only (re)built when its marker file does not match the
# current pins and interpreter. Prints a single summary line on success; all
# other output goes to stderr (and only on failure).
#
# Environment: PYTHON=<interpreter used to create the venvs> (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INTEROP="$ROOT/tests/interop"
VENVS="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"

die() {
    echo "test-env: $*" >&2
    exit 1
}

# ---------------------------------------------------------------- system packages
# install_missing COMMAND PACKAGE: apt-get installs PACKAGE when COMMAND is not on PATH.
install_missing() {
    local cmd="$1" pkg="$2"
    command -v "$cmd" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" != 0 ]; then
        die "$cmd is not on PATH and we are not root; install it (e.g. 'sudo apt-get install -y $pkg')"
    fi
    command -v apt-get >/dev/null 2>&1 || die "$cmd is not on PATH and apt-get is not available"
    local log
    log="$(mktemp)"
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "installing $pkg with apt-get failed (output above)"
    fi
    rm -f "$log"
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd still not on PATH after apt-get install $pkg"
}
install_missing redis-server redis-server
install_missing tmux tmux   # the end-to-end test drives the real rqtop in tmux
install_missing openssl openssl   # the TLS test makes its own certificate
install_missing prometheus prometheus   # a real Prometheus scrapes rqctl metrics --listen
install_missing promtool prometheus     # promtool check metrics (same package)
redis_version="$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
[ -n "$redis_version" ] || die "could not determine the redis-server version"

# ---------------------------------------------------------------- python
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON=...)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || die "$PYTHON is $("$PYTHON" --version 2>&1); rq 2.12 needs Python >= 3.10"
py_id="$("$PYTHON" -c 'import sys; print(sys.version.split()[0], sys.executable)')"

mkdir -p "$VENVS"
# Serialise concurrent runs (e.g. two test processes starting at once).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENVS/.test-env.lock"
    flock 9
fi

# ensure_venv NAME REQUIREMENTS_FILE
ensure_venv() {
    local name="$1" req="$2"
    local venv="$VENVS/$name"
    local marker="$venv/.interop-pins"
    [ -f "$req" ] || die "missing $req"
    local want
    want="$(printf 'python: %s\n' "$py_id"; grep -v '^[[:space:]]*\(#\|$\)' "$req")"

    if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] \
        && "$venv/bin/python" -c 'import rq, rq_scheduler, redis' >/dev/null 2>&1; then
        return 0
    fi

    rm -rf "$venv"
    local log
    log="$(mktemp)"
    if ! { "$PYTHON" -m venv "$venv" \
            && "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req"; } \
            >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        rm -rf "$venv"
        die "creating .venv/$name from $(basename "$req") failed (output above)"
    fi
    rm -f "$log"
    # Written last: an interrupted build has no marker and is rebuilt next time.
    printf '%s\n' "$want" >"$marker"
}

ensure_venv rq3 "$INTEROP/requirements-rq3.txt"
ensure_venv rq2 "$INTEROP/requirements-rq2.txt"
ensure_venv rq1 "$INTEROP/requirements-rq1.txt"

rq3_version="$("$VENVS/rq3/bin/python" -c 'import rq; print(rq.__version__)')"
rq2_version="$("$VENVS/rq2/bin/python" -c 'import rq; print(rq.__version__)')"
rq1_version="$("$VENVS/rq1/bin/python" -c 'import rq; print(rq.__version__)')"

echo "test-env: redis-server $redis_version, rq $rq3_version (.venv/rq3), rq $rq2_version (.venv/rq2), rq $rq1_version (.venv/rq1)"
