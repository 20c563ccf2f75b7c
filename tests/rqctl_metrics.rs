//! `rqctl metrics`: the exposition passes `promtool check metrics`, a real Prometheus scrapes
//! `rqctl metrics --listen` and answers queries with the counts real rq workers produced,
//! rq_up follows Redis going away and coming back, concurrent scrapes share one read, and
//! bad addresses fail with one clear line.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{RedisServer, Rq, ensure_test_env, rqctl, text, wait_for};

/// A child process killed on drop (rqctl metrics --listen, prometheus).
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// A plain HTTP/1.1 GET (the test's own client; the server side is axum): status and body.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Starts `rqctl metrics --listen 127.0.0.1:<free port>` and waits until /healthz answers.
fn start_exporter(url: &str) -> (Proc, u16) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", url, "metrics", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let p = Proc(child);
    let up = wait_for(Duration::from_secs(10), || {
        http_get(port, "/healthz").filter(|(s, _)| *s == 200)
    });
    assert!(up.is_some(), "rqctl metrics --listen answers /healthz");
    (p, port)
}

/// The value of the first sample line `name{labels}` (labels as written, in order).
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

fn promtool_accepts(body: &str) {
    ensure_test_env();
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (scripts/test-env.sh installs the prometheus package)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics refused:\n{}{}\n--- body:\n{body}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Jobs on `emails` run by a real rq 2.12 worker named `w-metrics`: 5 succeed, 3 fail; 4
/// jobs wait on `reports`, which nobody listens to.
fn real_work(url: &str) -> support::BackgroundWorker {
    Rq::V2.script(
        url,
        "from rq import Queue\n\
         q = Queue('emails', connection=r)\n\
         for i in range(5): q.enqueue('labjobs.add', i, 1)\n\
         for i in range(3): q.enqueue('labjobs.fail', 'boom', failure_ttl=3600)\n\
         rq2 = Queue('reports', connection=r)\n\
         for i in range(4): rq2.enqueue('labjobs.add', i, 2)\n",
    );
    let w = Rq::V2.simple_worker(url, "w-metrics", &["emails"]);
    let done = wait_for(Duration::from_secs(30), || {
        let info = support::rqctl_json(url, &["info"]);
        let q = info["queues"]
            .as_array()?
            .iter()
            .find(|q| q["name"] == "emails")?
            .clone();
        (q["finished"] == 5 && q["failed"] == 3 && q["started"] == 0).then_some(())
    });
    assert!(done.is_some(), "the worker ran the jobs");
    w
}

#[test]
fn prometheus_scrapes_the_counts_real_workers_produced() {
    let server = RedisServer::start();
    let url = server.url();
    let _worker = real_work(&url);
    let (_exporter, port) = start_exporter(&url);

    let (status, body) = http_get(port, "/metrics").unwrap();
    assert_eq!(status, 200);
    promtool_accepts(&body);
    assert_eq!(sample(&body, "rq_up"), Some(1.0));
    assert_eq!(
        sample(&body, r#"rq_jobs{queue="emails",status="finished"}"#),
        Some(5.0),
        "{body}"
    );

    // A real Prometheus scraping every second.
    let dir = std::env::temp_dir().join(format!("rqctl-prom-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: rq\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let prom_port = free_port();
    let prom = Proc(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (scripts/test-env.sh installs the prometheus package)"),
    );
    let query = |q: &str| -> Option<f64> {
        let path = format!("/api/v1/query?query={}", encode(q));
        let (status, body) = http_get(prom_port, &path)?;
        if status != 200 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    };
    let expect = |q: &str, want: f64| {
        let got = wait_for(Duration::from_secs(60), || {
            query(q).filter(|v| (*v - want).abs() < 1e-9)
        });
        assert!(
            got.is_some(),
            "Prometheus: {q} should be {want}, is {:?}",
            query(q)
        );
    };
    expect(r#"rq_jobs{job="rq",queue="emails",status="finished"}"#, 5.0);
    expect(r#"rq_jobs{queue="emails",status="failed"}"#, 3.0);
    expect(r#"rq_jobs{queue="reports",status="queued"}"#, 4.0);
    expect(
        r#"rq_workers_success_total{name="w-metrics",queues="emails"}"#,
        5.0,
    );
    expect(r#"rq_workers_failed_total{name="w-metrics"}"#, 3.0);
    expect(r#"count(rq_workers{state="idle"})"#, 1.0);
    expect(r#"rq_queue_workers{queue="reports"}"#, 0.0);
    expect(r#"rq_queue_workers{queue="emails"}"#, 1.0);
    let age = query(r#"rq_queue_oldest_job_age_seconds{queue="reports"}"#);
    assert!(age.is_some_and(|a| a >= 0.0), "oldest job age: {age:?}");
    expect("rq_up", 1.0);
    // The Grafana dashboard's panels (grafana.com 12196) find their series.
    expect(r#"sum by (status) (rq_jobs{status="queued"})"#, 4.0);
    let rate = wait_for(Duration::from_secs(30), || {
        query("rate(rq_request_processing_seconds_count[1m])")
    });
    assert!(rate.is_some_and(|r| r > 0.0), "scrape rate: {rate:?}");
    drop(prom);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Percent-encodes a PromQL query for a URL.
fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn rq_up_follows_redis_away_and_back_and_the_endpoint_stays_200() {
    let mut server = RedisServer::start();
    let url = server.url();
    let (_exporter, port) = start_exporter(&url);
    let (status, body) = http_get(port, "/metrics").unwrap();
    assert_eq!((status, sample(&body, "rq_up")), (200, Some(1.0)));

    server.kill();
    let down = wait_for(Duration::from_secs(20), || {
        http_get(port, "/metrics").filter(|(s, b)| *s == 200 && sample(b, "rq_up") == Some(0.0))
    });
    let (_, body) = down.expect("rq_up 0 with a 200 while Redis is down");
    promtool_accepts(&body);
    assert!(!body.contains("rq_jobs{"), "no stale counts: {body}");

    server.restart();
    let back = wait_for(Duration::from_secs(20), || {
        http_get(port, "/metrics").filter(|(s, b)| *s == 200 && sample(b, "rq_up") == Some(1.0))
    });
    assert!(back.is_some(), "rq_up is 1 again after Redis restarts");
    assert_eq!(
        http_get(port, "/healthz").unwrap(),
        (200, "ok\n".to_string())
    );
    assert_eq!(http_get(port, "/nope").unwrap().0, 404);
}

#[test]
fn an_exporter_started_while_redis_is_down_serves_rq_up_0_then_1() {
    let mut server = RedisServer::start();
    let url = server.url();
    server.kill();
    let (_exporter, port) = start_exporter(&url);
    let (status, body) = http_get(port, "/metrics").unwrap();
    assert_eq!((status, sample(&body, "rq_up")), (200, Some(0.0)));
    server.restart();
    let back = wait_for(Duration::from_secs(20), || {
        http_get(port, "/metrics").filter(|(_, b)| sample(b, "rq_up") == Some(1.0))
    });
    assert!(back.is_some(), "it connects once Redis is there");
}

#[test]
fn scrapes_that_arrive_together_share_one_read() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nq = Queue('a', connection=r)\nq.enqueue('labjobs.add', 1, 2)\n",
    );
    let (_exporter, port) = start_exporter(&url);
    // Let the cache of the /healthz wait expire, then scrape from 12 threads at once.
    std::thread::sleep(Duration::from_millis(700));
    let bodies: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|_| s.spawn(|| http_get(port, "/metrics").unwrap().1))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let reads: Vec<f64> = bodies
        .iter()
        .map(|b| sample(b, "rq_request_processing_seconds_count").unwrap())
        .collect();
    assert!(
        reads.iter().all(|n| *n <= 2.0),
        "12 scrapes at once made at most 2 reads: {reads:?}"
    );
}

#[test]
fn one_shot_output_passes_promtool_and_escapes_hostile_names() {
    let server = RedisServer::start();
    let url = server.url();
    // A queue name with a quote, a backslash, a newline and an escape sequence.
    Rq::V2.script(
        &url,
        "from rq import Queue\nq = Queue('we\"ird\\\\q\\n\\x1b[31m', connection=r)\nq.enqueue('labjobs.add', 1, 2)\n",
    );
    let out = rqctl(&url, &["metrics"]);
    assert!(out.status.success(), "{}", text(&out));
    let body = String::from_utf8(out.stdout).unwrap();
    promtool_accepts(&body);
    assert!(
        body.contains("rq_jobs{queue=\"we\\\"ird\\\\q\\n\u{1b}[31m\",status=\"queued\"} 1"),
        "label exact (format escapes only) in a pipe: {body}"
    );

    // Redis unreachable: rq_up 0 on stdout, the error on stderr, exit 1.
    let out = rqctl("redis://127.0.0.1:1/0", &["metrics"]);
    assert_eq!(out.status.code(), Some(1));
    let body = String::from_utf8_lossy(&out.stdout);
    assert_eq!(sample(&body, "rq_up"), Some(0.0), "{body}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}

#[test]
fn bad_addresses_are_one_line_errors() {
    let server = RedisServer::start();
    let url = server.url();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = rqctl(&url, &["metrics", "--listen", &format!("127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("already in use"), "{err}");

    for bad in ["nonsense", ":99999", "1.2.3.4"] {
        let out = rqctl(&url, &["metrics", "--listen", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--listen"), "{err}");
    }
    let out = rqctl(&url, &["metrics", "--json"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Kills the fixture's background processes even when an assertion fails.
struct Pids(Vec<i64>);
impl Drop for Pids {
    fn drop(&mut self) {
        support::kill_pids(&self.0);
    }
}

/// The interop fixture (rq 2.12: every registry, a busy worker, rq-scheduler entries, a
/// running `rq cron`): every rq_jobs sample equals RQ's own count, and the extras see the
/// schedules.
#[test]
fn metrics_match_rqs_own_counts_on_the_interop_state() {
    let server = RedisServer::start();
    let url = server.url();
    let work = std::env::temp_dir().join(format!("rqctl-metrics-state-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let out = Command::new(Rq::V2.python())
        .arg(support::interop_dir().join("build_state.py"))
        .args(["--url", &url, "--workdir", &work.to_string_lossy()])
        .env("PYTHONPATH", support::interop_dir())
        .output()
        .unwrap();
    let expected: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let _pids = Pids(
        expected["pids"]
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
            .unwrap_or_default(),
    );
    assert!(
        out.status.success(),
        "build_state.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = rqctl(&url, &["metrics"]);
    assert!(out.status.success(), "{}", text(&out));
    let body = String::from_utf8(out.stdout).unwrap();
    promtool_accepts(&body);
    for q in expected["queues"].as_array().unwrap() {
        let name = q["name"].as_str().unwrap();
        for status in [
            "queued",
            "started",
            "deferred",
            "finished",
            "failed",
            "scheduled",
            "canceled",
        ] {
            let Some(want) = q[status].as_f64() else {
                continue;
            };
            let series = format!(r#"rq_jobs{{queue="{name}",status="{status}"}}"#);
            assert_eq!(sample(&body, &series), Some(want), "{series}\n{body}");
        }
        let listeners = format!(r#"rq_queue_workers{{queue="{name}"}}"#);
        assert_eq!(
            sample(&body, &listeners),
            q["workers"].as_f64(),
            "{listeners}"
        );
    }
    let busy = r#"rq_workers{name="busy-w",state="busy",queues="slowq"}"#;
    assert_eq!(sample(&body, busy), Some(1.0), "{body}");
    assert_eq!(sample(&body, "rq_scheduler_jobs"), Some(2.0), "{body}");
    // build_state.py leaves one `rq cron` running.
    assert_eq!(sample(&body, "rq_cron_schedulers"), Some(1.0), "{body}");
    assert!(sample(&body, "rq_scheduler_next_run_timestamp_seconds").is_some());
    let cron = sample(
        &body,
        r#"rq_cron_last_enqueue_age_seconds{name="rq-cron-interval"}"#,
    );
    assert!(
        cron.is_some_and(|age| (0.0..300.0).contains(&age)),
        "{body}"
    );
    let next = sample(
        &body,
        r#"rq_queue_next_scheduled_timestamp_seconds{queue="default"}"#,
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        next.is_some_and(|t| (now + 3000.0..now + 3700.0).contains(&t)),
        "job-sched runs in an hour: {next:?}"
    );
    let _ = std::fs::remove_dir_all(&work);
}
