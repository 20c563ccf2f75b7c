//! What an `rq` user types works as they expect (`rqctl info high default`, `--interval`),
//! a near-miss queue name gets a suggestion, and every command's `--json` is one of the
//! documented documents: the report document for changes, `{"ok": false, "error"}` for
//! errors (usage errors included).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{RedisServer, Rq, rqctl, rqctl_json};

fn setup(url: &str) {
    Rq::V2.script(
        url,
        "from rq import Queue\nimport labjobs\nfor name in ['high', 'default', 'low']:\n    Queue(name, connection=r).enqueue(labjobs.add, 1, 1)",
    );
}

#[test]
fn info_takes_queue_names_and_an_interval_as_rq_info_does() {
    let server = RedisServer::start();
    let url = server.url();
    setup(&url);
    let doc = rqctl_json(&url, &["info", "high", "default"]);
    let names: Vec<&str> = doc["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "high"]);

    let mut child = Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", &url, "info", "--interval", "200ms", "low"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(900));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.matches("Redis redis://").count() >= 2,
        "repeats in a pipe: {text}"
    );
    assert!(!text.contains('\u{1b}'), "no screen clearing in a pipe");
}

#[test]
fn a_near_miss_queue_name_gets_a_suggestion() {
    let server = RedisServer::start();
    let url = server.url();
    setup(&url);
    for typo in ["Default", "defualt", "defaults"] {
        let out = rqctl(&url, &["jobs", typo]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        if typo == "defualt" {
            assert!(
                !err.contains("did you mean"),
                "two letters swapped is two edits: {err}"
            );
        } else {
            assert!(err.contains("did you mean `default`?"), "{typo}: {err}");
        }
    }
}

#[test]
fn every_json_output_is_a_documented_document() {
    let server = RedisServer::start();
    let url = server.url();
    setup(&url);
    let parse = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    };
    // Usage errors.
    for args in [
        vec!["bogus", "--json"],
        vec!["suspend", "--duration", "bogus", "--json"],
        vec!["jobs", "--json"],
    ] {
        let out = rqctl(&url, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let doc = parse(&out);
        assert_eq!(doc["ok"], false, "{args:?}: {doc}");
        assert!(doc["error"].as_str().is_some(), "{args:?}: {doc}");
    }
    // Changes: the report document.
    for args in [vec!["suspend", "--duration", "1m"], vec!["resume"]] {
        let doc = rqctl_json(&url, &args);
        assert_eq!(doc["ok"], true);
        assert_eq!(doc["dry_run"], false);
        assert!(doc["reports"][0]["action"].is_string(), "{doc}");
    }
    // A refusal is a skipped job in a report, exit 1.
    let out = rqctl(&url, &["stop-job", "nope", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = parse(&out);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["reports"][0]["skipped"][0]["id"], "nope", "{doc}");
    // Completions.
    let doc = rqctl_json(&url, &["completions", "bash"]);
    assert!(doc["script"].as_str().unwrap().contains("rqctl"));
}

/// `--interval` stops when nobody reads any more (`| head`), refuses intervals under 100ms,
/// and a rate-limit key that does not exist is an error, not "0 waiting".
#[test]
fn repeating_stops_with_its_reader_and_typos_are_errors() {
    let server = RedisServer::start();
    let url = server.url();
    setup(&url);
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", &url, "queues", "--interval", "100ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read one line, then close the pipe as `head -1` would.
    {
        let mut out = child.stdout.take().unwrap();
        let mut buf = [0_u8; 64];
        let _ = std::io::Read::read(&mut out, &mut buf).unwrap();
    }
    let ended = support::wait_for(Duration::from_secs(10), || child.try_wait().ok().flatten());
    if ended.is_none() {
        let _ = child.kill();
    }
    assert!(
        ended.is_some(),
        "rqctl kept polling after its reader went away"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let out = rqctl(&url, &["queues", "--interval", "0s"]);
    assert_eq!(out.status.code(), Some(2));
    let out = rqctl(&url, &["ratelimits", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such rate limit: nope"));
    // The prefix read is said, and an empty answer hints at it.
    let out = rqctl(&url, &["--prefix", "myapp", "info"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("prefix myapp") && text.contains("need the same --prefix"),
        "{text}"
    );
}

/// A registry's score is a time: the scheduled registry says when each job runs (text and
/// an RFC 3339 `score_at` in JSON); failed ones say when RQ drops them.
#[test]
fn registry_scores_read_as_times() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nQueue('default', connection=r).enqueue_in(datetime.timedelta(hours=2), labjobs.add, 1, 2, job_id='later')",
    );
    let out = rqctl(&url, &["jobs", "default", "--registry", "scheduled"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("RUNS") && (text.contains("in 2h 0m") || text.contains("in 1h 59m")),
        "{text}"
    );
    let doc = rqctl_json(&url, &["jobs", "default", "--registry", "scheduled"]);
    let at = doc["jobs"][0]["score_at"].as_str().unwrap();
    assert!(at.ends_with('Z') && at.contains('T'), "{doc}");
}

/// A job RQ scheduled (`enqueue_in`) says when it runs, in text and as RFC 3339 in JSON.
#[test]
fn a_scheduled_job_says_when_it_runs() {
    let server = RedisServer::start();
    let url = server.url();
    let id = Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nj = Queue('emails', connection=r).enqueue_in(datetime.timedelta(hours=2), labjobs.add, 1, 1)\nprint(j.id)",
    );
    let id = id.trim();
    let doc = rqctl_json(&url, &["job", id]);
    let at = doc["scheduled_for"].as_str().unwrap();
    assert!(at.contains('T') && at.ends_with('Z'), "RFC 3339: {at}");
    let out = rqctl(&url, &["job", id]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("Runs at")).unwrap();
    assert!(
        line.contains("(in 1h 59m") || line.contains("(in 2h"),
        "{line}"
    );
}

/// A started entry whose expiry passed (its worker died) is listed as abandoned, as the
/// counts (which leave it out) imply, with what to do about it.
#[test]
fn abandoned_started_entries_are_marked() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "import time\nfrom rq import Queue\nfrom rq.job import JobStatus\nimport labjobs\nq = Queue('default', connection=r)\nfor name, score in [('alive', 600), ('gone', -60)]:\n    j = q.enqueue(labjobs.add, 1, 1, job_id=name)\n    q.remove(j)\n    j.set_status(JobStatus.STARTED)\n    r.zadd('rq:wip:default', {name + ':' + 'ab' * 16: time.time() + score})",
    );
    let out = rqctl(&url, &["jobs", "default", "-r", "started"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |id: &str| text.lines().find(|l| l.starts_with(id)).unwrap_or_default();
    assert!(line("alive").contains("started"), "{text}");
    assert!(line("gone").contains("abandoned"), "{text}");
    assert!(text.contains("1 job abandoned"), "{text}");
    let info = rqctl_json(&url, &["info", "default"]);
    assert_eq!(info["queues"][0]["started"], 1, "counts leave it out");
}

/// `rqctl workers` says how long a busy worker's job has been running.
#[test]
fn workers_say_how_long_the_current_job_runs() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nQueue('slowq', connection=r).enqueue(labjobs.slow, 30, job_id='job-slow')",
    );
    let _worker = Rq::V2.worker(&url, "busy-w", &["slowq"]);
    let text = support::wait_for(Duration::from_secs(20), || {
        std::thread::sleep(Duration::from_millis(1500));
        let out = rqctl(&url, &["workers"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.contains("job-slow").then_some(text)
    })
    .unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.contains("RUNNING FOR"), "{text}");
    let row = text.lines().find(|l| l.starts_with("busy-w")).unwrap();
    assert!(
        row.split_whitespace()
            .any(|c| c.ends_with('s') && c[..c.len() - 1].parse::<f64>().is_ok()),
        "{row}"
    );
    assert!(
        text.contains("\n1 worker\n") || text.ends_with("1 worker\n"),
        "{text}"
    );
}
