//! `rqctl wait`, `rqctl watch` and `rqctl suspend --wait` against real rq 2.12 workers
//! draining real jobs: exit codes (0 done, 1 a job ended badly or never existed, 4
//! --max-wait), one final line in a pipe, --json, keyspace events and polling, and a Redis
//! restart in the middle of a wait.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{RedisServer, Rq, rqctl, text, wait_for};

/// `rqctl ARGS` in the background, stdout and stderr piped.
fn spawn(url: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", url])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the child to exit (killing it after `limit`): exit code, stdout, stderr.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String, String) {
    let done = wait_for(limit, || child.try_wait().ok().flatten());
    if done.is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Enqueues with rq 2.12 and prints the ids, one per line.
fn enqueue(url: &str, queue: &str, calls: &[&str]) -> Vec<String> {
    let mut code = format!("from rq import Queue\nq = Queue({queue:?}, connection=r)\n");
    for c in calls {
        code.push_str(&format!("print(q.enqueue({c}).id)\n"));
    }
    Rq::V2
        .script(url, &code)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn wait_drained_follows_a_real_worker_and_prints_one_line_in_a_pipe() {
    let server = RedisServer::start(); // keyspace events on
    let url = server.url();
    let calls = ["'labjobs.slow', 0.05"; 30];
    enqueue(&url, "emails", &calls);
    let waiter = spawn(&url, &["wait", "--drained", "emails", "--max-wait", "60s"]);
    std::thread::sleep(Duration::from_millis(500));
    let _w = Rq::V2.simple_worker(&url, "w-drain", &["emails"]);
    let (code, stdout, stderr) = finish(waiter, Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the final line in a pipe: {stdout:?}"
    );
    assert!(stdout.starts_with("done after "), "{stdout}");
    assert!(stdout.contains("emails: drained"), "{stdout}");
    let info = support::rqctl_json(&url, &["info"]);
    let q = &info["queues"][0];
    assert_eq!(
        (q["queued"].as_u64(), q["finished"].as_u64()),
        (Some(0), Some(30))
    );
}

#[test]
fn wait_job_says_which_failed_by_polling_without_events() {
    let server = RedisServer::start_plain(); // no keyspace events: polling
    let url = server.url();
    let ids = enqueue(
        &url,
        "jobs",
        &[
            "'labjobs.add', 1, 2",
            "'labjobs.fail', 'boom'",
            "'labjobs.add', 3, 4",
        ],
    );
    let mut args = vec!["wait", "--json", "--interval", "200ms", "--job"];
    args.extend(ids.iter().map(String::as_str));
    let waiter = spawn(&url, &args);
    std::thread::sleep(Duration::from_millis(300));
    Rq::V2.burst(&url, "jobs");
    let (code, stdout, stderr) = finish(waiter, Duration::from_secs(30));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["outcome"], "job_failed");
    assert_eq!(doc["ok"], false);
    let summary = doc["summary"].as_str().unwrap();
    assert!(summary.contains(&format!("{} failed", ids[1])), "{summary}");
    assert!(!summary.contains(&ids[0]), "{summary}");
    assert_eq!(doc["jobs"][0]["status"], "finished");
    assert_eq!(doc["jobs"][1]["status"], "failed");

    // All finished: 0.
    let ok = [ids[0].as_str(), ids[2].as_str()];
    let out = rqctl(&url, &["wait", "--job", ok[0], ok[1]]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("2 of 2 jobs ended"), "{}", text(&out));
}

#[test]
fn bad_input_fails_at_once() {
    let server = RedisServer::start();
    let url = server.url();
    let ids = enqueue(&url, "emails", &["'labjobs.add', 1, 2"]);
    let t = Instant::now();
    let out = rqctl(&url, &["wait", "--job", &ids[0], "never-was"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(t.elapsed() < Duration::from_secs(3), "at once");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no such job: never-was"), "{err}");

    let out = rqctl(&url, &["watch", "never-was"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = rqctl(&url, &["wait", "--empty", "emial"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no such queue"), "{}", text(&out));
    let out = rqctl(&url, &["wait"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = rqctl(&url, &["wait", "--empty", "emails", "--max-wait", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = rqctl(&url, &["wait", "--empty", "emails", "--interval", "1ms"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = rqctl(&url, &["suspend", "--max-wait", "1s"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--max-wait needs --wait: {}",
        text(&out)
    );
}

#[test]
fn max_wait_ends_with_exit_code_4() {
    let server = RedisServer::start();
    let url = server.url();
    enqueue(
        &url,
        "stuck",
        &["'labjobs.add', 1, 2", "'labjobs.add', 1, 2"],
    );
    let t = Instant::now();
    let out = rqctl(&url, &["wait", "--empty", "stuck", "--max-wait", "1s"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(t.elapsed() < Duration::from_secs(5));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim_end(),
        "gave up after 1s (--max-wait): stuck: 2 queued, 0 started"
    );
    let out = rqctl(
        &url,
        &["wait", "--empty", "stuck", "--max-wait", "1s", "--json"],
    );
    assert_eq!(out.status.code(), Some(4));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["outcome"], "timed_out");
    assert_eq!(doc["queues"][0]["queued"], 2);
}

#[test]
fn a_wait_survives_a_redis_restart() {
    let mut server = RedisServer::start();
    let url = server.url();
    enqueue(&url, "emails", &["'labjobs.add', 1, 2"; 10]);
    let mut con = server.conn();
    let _: () = redis::cmd("SAVE").query(&mut con).unwrap();
    let waiter = spawn(&url, &["wait", "--empty", "emails", "--max-wait", "90s"]);
    std::thread::sleep(Duration::from_millis(800));
    server.kill();
    std::thread::sleep(Duration::from_secs(2));
    let mut waiter = waiter;
    assert!(
        waiter.try_wait().unwrap().is_none(),
        "rqctl wait keeps waiting while Redis is away"
    );
    server.restart(); // loads the saved jobs
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        waiter.try_wait().unwrap().is_none(),
        "the jobs are back, still queued"
    );
    let _w = Rq::V2.simple_worker(&url, "w-after-restart", &["emails"]);
    let (code, stdout, stderr) = finish(waiter, Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("emails: empty"), "{stdout}");
}

#[test]
fn watch_prints_each_change_as_json_lines() {
    let server = RedisServer::start();
    let url = server.url();
    let ids = enqueue(
        &url,
        "w",
        &["'labjobs.slow', 0.6", "'labjobs.fail', 'boom'"],
    );
    let watcher = spawn(&url, &["watch", "--json", &ids[0], &ids[1]]);
    std::thread::sleep(Duration::from_millis(500));
    let _w = Rq::V2.simple_worker(&url, "w-watch", &["w"]);
    let (code, stdout, stderr) = finish(watcher, Duration::from_secs(60));
    assert_eq!(code, Some(1), "a job failed: {stdout}{stderr}");
    let changes: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |id: &str| -> Vec<String> {
        changes
            .iter()
            .filter(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap().to_string())
            .collect()
    };
    let first = of(&ids[0]);
    assert_eq!(
        first.first().map(String::as_str),
        Some("queued"),
        "{stdout}"
    );
    assert!(
        first.contains(&"started".to_string()),
        "a 0.6 s job is seen running: {stdout}"
    );
    assert_eq!(first.last().map(String::as_str), Some("finished"));
    assert_eq!(of(&ids[1]).last().map(String::as_str), Some("failed"));
    let started = changes
        .iter()
        .find(|c| c["id"] == ids[0].as_str() && c["status"] == "started")
        .unwrap();
    assert_eq!(started["worker_name"], "w-watch");
    assert!(started["started_at"].is_string());
}

#[test]
fn suspend_wait_returns_once_the_running_job_is_done() {
    let server = RedisServer::start();
    let url = server.url();
    let ids = enqueue(&url, "deploy", &["'labjobs.slow', 2"]);
    let _w = Rq::V2.simple_worker(&url, "w-deploy", &["deploy"]);
    let running = wait_for(Duration::from_secs(20), || {
        let out = rqctl(&url, &["watch", "--max-wait", "100ms", &ids[0]]);
        text(&out).contains(" started").then_some(())
    });
    assert!(running.is_some(), "the job runs");
    let t = Instant::now();
    let out = rqctl(&url, &["suspend", "--wait", "--max-wait", "30s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("suspended"), "{stdout}");
    assert!(stdout.contains("no worker busy"), "{stdout}");
    assert!(
        t.elapsed() > Duration::from_millis(300),
        "it waited for the job"
    );
    let out = rqctl(&url, &["job", "--json", &ids[0]]);
    let job: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job["status"], "finished");
}

#[test]
fn keyspace_events_end_a_wait_long_before_the_poll_would() {
    let server = RedisServer::start(); // events on
    let url = server.url();
    enqueue(&url, "fast", &["'labjobs.add', 1, 2"; 3]);
    let t = Instant::now();
    let waiter = spawn(&url, &["wait", "--empty", "fast", "--interval", "60s"]);
    std::thread::sleep(Duration::from_millis(500));
    Rq::V2.burst(&url, "fast");
    let (code, stdout, stderr) = finish(waiter, Duration::from_secs(50));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "an event woke it, not the 60 s poll: {:?}",
        t.elapsed()
    );
}
