//! Fleet benchmark (ignored by default; `bench/fleet_bench.sh` runs it): 20 real
//! redis-servers with 10 queues and 50 workers each, filled by `bench/fill.py`.
//!
//! Measures, for rqtop's fleet view (its poll tasks, as `rqtop --all-contexts` runs them):
//! when the first target's data arrives, when every target's has; the round trips one full
//! refresh costs a target (counted by `bench/rtproxy.py` in front of target 0); the same
//! with a 21st target that accepts connections and never answers; and `rqctl --all-contexts
//! queues --json` end to end.

#![allow(clippy::unwrap_used)] // a benchmark: a failed unwrap is a failed run

mod support;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rqtop::rq::ConnectOptions;
use rqtop::tui::fleet::FleetMsg;
use rqtop::tui::fleet::poll::watch_target;
use support::{RedisServer, Rq, repo_root, wait_for};
use tokio::sync::mpsc;

const TARGETS: usize = 20;

struct Proxy {
    child: Child,
    port: u16,
    stats: std::path::PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn proxy(target: u16) -> Proxy {
    let port = free_port();
    let stats = std::env::temp_dir().join(format!("rqtop-fleet-bench-{port}.json"));
    let child = Command::new(Rq::V2.python())
        .arg(repo_root().join("bench/rtproxy.py"))
        .args(["--listen", &port.to_string()])
        .args(["--target", &format!("127.0.0.1:{target}")])
        .arg("--stats")
        .arg(&stats)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .map(|_| ())
    });
    assert!(up.is_some(), "rtproxy did not start");
    Proxy { child, port, stats }
}

fn fill(server: &RedisServer) {
    let out = Command::new(Rq::V2.python())
        .arg(repo_root().join("bench/fill.py"))
        .args(["--url", &server.url(), "--flush", "--queues", "10"])
        .args([
            "--queued",
            "2000",
            "--failed",
            "200",
            "--workers",
            "50",
            "--extras",
            "0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fill.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs every target's poll task; returns (first data, all data) times since the start.
async fn first_refresh(urls: &[(String, Duration)], real: usize) -> (Duration, Duration, usize) {
    let (tx, mut rx) = mpsc::channel(4 * urls.len());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (url, timeout)) in urls.iter().enumerate() {
        let mut opts = ConnectOptions::new(url.clone());
        opts.connect_timeout = *timeout;
        opts.response_timeout = *timeout;
        tasks.push(tokio::spawn(watch_target(
            i,
            opts,
            Duration::from_secs(60),
            tx.clone(),
            rqtop::tui::fleet::poll::Slot::default(),
        )));
    }
    drop(tx);
    let mut loaded = vec![false; urls.len()];
    let mut first = None;
    let deadline = started + Duration::from_secs(30);
    while loaded.iter().filter(|l| **l).count() < real && Instant::now() < deadline {
        let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await else {
            break;
        };
        if let FleetMsg::Loaded(i, ov, _) = msg {
            assert_eq!(ov.queues.len(), 10);
            assert_eq!(ov.workers.len(), 50);
            first.get_or_insert(started.elapsed());
            loaded[i] = true;
        }
    }
    let all = started.elapsed();
    for t in tasks {
        t.abort();
    }
    (
        first.unwrap_or(all),
        all,
        loaded.iter().filter(|l| **l).count(),
    )
}

fn proxy_round_trips(p: &Proxy) -> serde_json::Value {
    let _ = Command::new("kill")
        .args(["-USR2", &p.child.id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&p.stats).unwrap()).unwrap();
    doc["totals"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run bench/fleet_bench.sh"]
async fn fleet_of_twenty() {
    let servers: Vec<RedisServer> = (0..TARGETS).map(|_| RedisServer::start_plain()).collect();
    for s in &servers {
        fill(s);
    }
    let counted = proxy(servers[0].port);
    let timeout = Duration::from_secs(5);
    let mut urls: Vec<(String, Duration)> = servers.iter().map(|s| (s.url(), timeout)).collect();
    urls[0].0 = format!("redis://127.0.0.1:{}/0", counted.port);

    let (first, all, n) = first_refresh(&urls, TARGETS).await;
    let rt = proxy_round_trips(&counted);
    println!("fleet: {n}/{TARGETS} targets (10 queues, 50 workers each)");
    println!("fleet: first target's data after {first:?}, every target's after {all:?}");
    println!(
        "fleet: target 0's first refresh: {} round trips ({} handshake), {} commands",
        rt["round_trips"], rt["handshake_round_trips"], rt["commands"]
    );
    assert_eq!(n, TARGETS);
    assert!(
        rt["round_trips_excl_handshake"].as_u64().unwrap() <= 3,
        "{rt}"
    );

    // A 21st target that accepts and never answers, with a 1s connect timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut with_silent = urls.clone();
    with_silent.push((
        format!(
            "redis://127.0.0.1:{}/0",
            silent.local_addr().unwrap().port()
        ),
        Duration::from_secs(1),
    ));
    let (first2, all2, n2) = first_refresh(&with_silent, TARGETS).await;
    println!("fleet + 1 silent target: first after {first2:?}, every live one after {all2:?}");
    assert_eq!(n2, TARGETS);

    // rqctl over the 20 contexts, end to end (process start included).
    let dir = std::env::temp_dir().join(format!("rqtop-fleet-bench-{}", servers[0].port));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let text: String = servers
        .iter()
        .enumerate()
        .map(|(i, s)| format!("[contexts.t{i:02}]\nurl = \"{}\"\n", s.url()))
        .collect();
    std::fs::write(&config, text).unwrap();
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_rqctl"))
            .arg("--config")
            .arg(&config)
            .args(["--all-contexts", "queues", "--json"])
            .output()
            .unwrap();
        times.push(started.elapsed());
        assert!(out.status.success());
    }
    times.sort();
    println!(
        "rqctl --all-contexts queues --json (20 targets): median {:?}",
        times[2]
    );
    drop(silent);
    let _ = std::fs::remove_dir_all(dir);
}
