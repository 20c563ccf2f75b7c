//! Test fixtures: a private redis-server per test, the rqctl binary, and the Python RQ venvs.
#![allow(dead_code)]

pub mod tmux;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A redis-server on a free port, killed and reaped on drop.
pub struct RedisServer {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts a server with keyspace notifications on.
    pub fn start() -> Self {
        Self::start_with(&["--notify-keyspace-events", "KEA"])
    }

    /// Starts a server with notifications off (the Redis default).
    pub fn start_plain() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Self {
        ensure_test_env();
        ensure_redis_server();
        for _attempt in 0..5 {
            let port = free_port();
            let dir =
                std::env::temp_dir().join(format!("rqtop-test-{}-{port}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--dir"])
                .arg(&dir)
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server could not be started (is it on PATH?)");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // port taken between our probe and its bind: try another
                }
                if answers_ping(port) {
                    return Self { child, port, dir };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start redis-server on a free port");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("connect to test redis")
    }

    /// Kills the server (for fault tests) without waiting for drop.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// True once the server answers PING at all (`+PONG`, or `-NOAUTH` when it wants a password).
fn answers_ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 1];
    s.write_all(b"PING\r\n").is_ok()
        && s.read_exact(&mut buf).is_ok()
        && matches!(buf[0], b'+' | b'-')
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

fn ensure_redis_server() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            panic!("redis-server is not installed: run scripts/test-env.sh (it installs it)");
        }
    });
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs rqctl against `url` with the given arguments (no ambient Redis environment).
pub fn rqctl(url: &str, args: &[&str]) -> Output {
    rqctl_with_stdin(url, args, "")
}

pub fn rqctl_with_stdin(url: &str, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", url])
        .args(args)
        .env_remove("RQ_REDIS_URL")
        .env_remove("REDIS_URL")
        .env_remove("RQTOP_READ_ONLY")
        // No config file of the person running the tests (its contexts would change them).
        .env("XDG_CONFIG_HOME", "/nonexistent-rqtop-test-config")
        .env_remove("RQTOP_CONFIG")
        .env_remove("RQTOP_CONTEXT")
        .env_remove("REDISCLI_AUTH")
        .env_remove("RQ_KEY_PREFIX")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rqctl");
    if let Some(mut s) = child.stdin.take() {
        let _ = s.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("rqctl output")
}

/// Runs rqctl and parses its stdout as JSON; panics with stderr when it fails.
pub fn rqctl_json(url: &str, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = rqctl(url, &all);
    assert!(
        out.status.success(),
        "rqctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "rqctl {args:?} printed invalid JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Which real RQ to run.
#[derive(Clone, Copy, Debug)]
pub enum Rq {
    V3,
    V2,
    V1,
}

impl Rq {
    pub fn venv(self) -> PathBuf {
        repo_root().join(".venv").join(match self {
            Rq::V3 => "rq3",
            Rq::V2 => "rq2",
            Rq::V1 => "rq1",
        })
    }

    pub fn python(self) -> PathBuf {
        ensure_test_env();
        self.venv().join("bin/python")
    }

    /// Runs `python -m rq.cli ARGS` with the interop job module importable.
    pub fn cli(self, url: &str, args: &[&str]) -> Output {
        Command::new(self.python())
            .args(["-m", "rq.cli"])
            .args(args)
            .args(["--url", url])
            .env("PYTHONPATH", interop_dir())
            .current_dir(interop_dir())
            .output()
            .expect("run rq cli")
    }

    /// Runs a Python snippet (with `URL` bound to the server URL and labjobs importable)
    /// and returns its stdout; panics with stderr on failure.
    pub fn script(self, url: &str, code: &str) -> String {
        let prelude = format!(
            "import json, sys, datetime\nfrom redis import Redis\nURL = {url:?}\nr = Redis.from_url(URL)\n"
        );
        let out = Command::new(self.python())
            .args(["-c", &format!("{prelude}{code}")])
            .env("PYTHONPATH", interop_dir())
            .current_dir(interop_dir())
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "python failed:\n{code}\n--- stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

pub fn interop_dir() -> PathBuf {
    repo_root().join("tests/interop")
}

/// Creates the pinned venvs once per test binary (scripts/test-env.sh is idempotent and
/// serialises concurrent runs with a lock).
pub fn ensure_test_env() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/test-env.sh"))
            .output()
            .expect("run scripts/test-env.sh");
        assert!(
            out.status.success(),
            "scripts/test-env.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Kills background processes a Python fixture started.
pub fn kill_pids(pids: &[i64]) {
    for pid in pids {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
}

/// Polls `f` until it returns Some or the timeout passes (for state that real RQ processes
/// change asynchronously).
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl Rq {
    /// What RQ's own Python API reports about every queue and the given jobs.
    pub fn state(self, url: &str, ids: &[&str]) -> serde_json::Value {
        let out = Command::new(self.python())
            .arg(repo_root().join("tests/support/rqstate.py"))
            .arg(url)
            .args(ids)
            .env("PYTHONPATH", interop_dir())
            .output()
            .expect("run rqstate.py");
        assert!(
            out.status.success(),
            "rqstate.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("rqstate JSON")
    }

    /// Runs a real `rq worker --burst` (SimpleWorker: no fork, fast) over `queue`.
    pub fn burst(self, url: &str, queue: &str) {
        let out = self.cli(
            url,
            &["worker", "--burst", "-w", "rq.worker.SimpleWorker", queue],
        );
        assert!(
            out.status.success(),
            "rq worker --burst: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts a long-running real worker in the background (killed on drop).
    pub fn worker(self, url: &str, name: &str, queues: &[&str]) -> BackgroundWorker {
        self.spawn_worker(url, name, queues, &[])
    }

    /// Like `worker`, as a SimpleWorker (jobs run in the worker process itself).
    pub fn simple_worker(self, url: &str, name: &str, queues: &[&str]) -> BackgroundWorker {
        self.spawn_worker(url, name, queues, &["-w", "rq.worker.SimpleWorker"])
    }

    fn spawn_worker(
        self,
        url: &str,
        name: &str,
        queues: &[&str],
        extra: &[&str],
    ) -> BackgroundWorker {
        let child = Command::new(self.python())
            .args(["-m", "rq.cli", "worker", "--name", name, "--url", url])
            .args(extra)
            .args(queues)
            .env("PYTHONPATH", interop_dir())
            .current_dir(interop_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rq worker");
        BackgroundWorker { child }
    }
}

/// A real `rq worker` process; killed (with its work-horse group) on drop.
pub struct BackgroundWorker {
    pub child: Child,
}

impl BackgroundWorker {
    /// Waits for the worker process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        wait_for(timeout, || self.child.try_wait().ok().flatten()).is_some()
    }
}

impl Drop for BackgroundWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A URL for another database of the same server.
pub fn with_db(url: &str, db: u8) -> String {
    match url.rfind('/') {
        Some(i) => format!("{}/{db}", &url[..i]),
        None => format!("{url}/{db}"),
    }
}

impl RedisServer {
    /// Starts a fresh server on the same port after `kill` (for reconnect tests).
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--notify-keyspace-events",
                "KEA",
                "--dir",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("restart redis-server");
        self.child = child;
        assert!(
            wait_for(Duration::from_secs(5), || answers_ping(self.port)
                .then_some(()))
            .is_some(),
            "restarted server answers"
        );
    }
}

/// Stdout and stderr of a finished command, as one text (for assertions on what a person sees).
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
