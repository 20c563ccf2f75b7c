//! `rqtop --demo`: a private `redis-server` and a moving RQ 2.12 workload inside it.
//!
//! Everything the workload writes is byte-for-byte what RQ 2.12 (and rq-scheduler 0.14,
//! RQ cron) would write: real `rq info`, rq-dashboard and this project's reader see it as a
//! live deployment with producers, six workers, schedulers and failures. Nothing here
//! prints: the TUI owns the terminal.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use tokio::sync::watch;

/// The demo writes RQ's default key names (`rq:`), as the RQ it imitates does.
pub(crate) static K: std::sync::LazyLock<crate::rq::keys::Keys> =
    std::sync::LazyLock::new(crate::rq::keys::Keys::default);

mod catalog;
mod commands;
mod cron;
mod history;
pub mod jobs;
mod lifecycle;
mod outcome;
pub mod pickle_out;
mod producers;
mod rq_scheduler;
mod schedules;
mod sim;
pub mod util;
mod workers;

/// The connection the workload writes through (multiplexed, reconnecting).
pub(crate) type Conn = redis::aio::ConnectionManager;

/// A `redis-server` child on a free loopback port, with a private data directory.
/// Dropping it kills the server and removes the directory.
#[derive(Debug)]
pub struct DemoServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

const NOT_INSTALLED: &str =
    "rqtop --demo needs redis-server on PATH (apt-get install redis-server)";

impl DemoServer {
    /// Starts `redis-server` from PATH on a free 127.0.0.1 port (no persistence, keyspace
    /// notifications on) and waits up to ~5 s until it answers.
    pub fn start() -> anyhow::Result<Self> {
        let mut last_error = anyhow!("redis-server did not start");
        for _attempt in 0..5 {
            let port = free_port().context("no free port on 127.0.0.1")?;
            let dir =
                std::env::temp_dir().join(format!("rqtop-demo-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let spawned = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--notify-keyspace-events", "KEA", "--logfile", ""])
                .arg("--dir")
                .arg(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let child = match spawned {
                Ok(c) => c,
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    if e.kind() == std::io::ErrorKind::NotFound {
                        return Err(anyhow!(NOT_INSTALLED));
                    }
                    return Err(anyhow!(e).context("cannot run redis-server"));
                }
            };
            let mut server = Self { child, port, dir };
            match server.wait_ready(Duration::from_secs(5)) {
                Ok(()) => return Ok(server),
                // Most likely the port was taken between the probe and its bind: retry.
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// `redis://127.0.0.1:PORT/0`
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(anyhow!("redis-server exited at start ({status})"));
            }
            if answers_ping(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(anyhow!(
            "redis-server did not answer on port {} within {}s",
            self.port,
            limit.as_secs()
        ))
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> std::io::Result<u16> {
    TcpListener::bind("127.0.0.1:0")?
        .local_addr()
        .map(|a| a.port())
}

/// True once the server answers PING (`+PONG`).
fn answers_ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 5];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG"
}

/// The simulation's tick.
const TICK: Duration = Duration::from_millis(150);
/// Give up when Redis has been unreachable this long.
const GIVE_UP_AFTER: Duration = Duration::from_secs(10);

/// Fills the server with a realistic RQ 2.12 state and keeps it moving until `stop` turns
/// true (or its sender is dropped, or Redis stays unreachable). Never panics; returns Err
/// only if it cannot connect at all.
pub async fn run_workload(url: &str, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    let client = redis::Client::open(url).with_context(|| format!("invalid Redis URL {url}"))?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(3)))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(1));
    let connect = Conn::new_with_config(client.clone(), config);
    let conn = tokio::time::timeout(Duration::from_secs(6), connect)
        .await
        .map_err(|_| anyhow!("timed out connecting to {url}"))?
        .with_context(|| format!("cannot connect to {url}"))?;

    let mut sim = sim::Sim::new(conn, util::Rng::from_time());
    if *stop.borrow() {
        return Ok(());
    }
    let _ = sim.seed().await;
    let mut listener = commands::Listener::start(&client, &sim.worker_names()).await;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing_since: Option<Instant> = None;
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            _ = tick.tick() => {
                let commands = listener.as_mut().map(commands::Listener::drain).unwrap_or_default();
                match sim.tick(commands).await {
                    Ok(()) => failing_since = None,
                    Err(_) => {
                        let since = *failing_since.get_or_insert_with(Instant::now);
                        if since.elapsed() >= GIVE_UP_AFTER {
                            break;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
