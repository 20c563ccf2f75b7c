//! `rqctl check` as a monitoring plugin: each threshold's exit code and status line on
//! states built with real RQ (rq 2.12 workers, rq-scheduler, rq suspend), perfdata, --json,
//! and UNKNOWN (3) for what it cannot judge.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::time::Duration;

use support::{RedisServer, Rq, rqctl, text};

/// Exit code and the one status line.
fn check(url: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = rqctl(url, &all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(stdout.lines().count(), 1, "one status line: {}", text(&out));
    (out.status.code().unwrap(), stdout.trim_end().to_string())
}

fn enqueue(url: &str, queue: &str, n: usize) {
    Rq::V2.script(
        url,
        &format!(
            "from rq import Queue\nq = Queue({queue:?}, connection=r)\n\
             for i in range({n}): q.enqueue('labjobs.add', i, 1)\n"
        ),
    );
}

#[test]
fn queued_per_queue_and_for_all() {
    let server = RedisServer::start();
    let url = server.url();
    enqueue(&url, "emails", 3);
    enqueue(&url, "low", 1);

    let (code, line) = check(&url, &["--queued", "1:2"]);
    assert_eq!(code, 2, "{line}");
    assert!(
        line.starts_with("RQ CRITICAL - emails: 3 queued (crit 2) | "),
        "{line}"
    );
    assert!(
        line.contains("emails_queued=3;1;2;0; low_queued=1;1;2;0;"),
        "{line}"
    );

    let (code, line) = check(&url, &["--queued", "5:10", "--queued", "emails=1:5"]);
    assert_eq!(code, 1, "{line}");
    assert!(
        line.starts_with("RQ WARNING - emails: 3 queued (warn 1)"),
        "{line}"
    );

    let (code, line) = check(&url, &["--queued", "10:20"]);
    assert_eq!(code, 0, "{line}");
    assert!(
        line.starts_with(
            "RQ OK - 2 queues, 4 queued, 0 workers; 2 checks within their thresholds |"
        ),
        "{line}"
    );
    // Only the named queue is checked when no threshold covers the others.
    let (code, line) = check(&url, &["--queued", "low=0:5"]);
    assert_eq!(code, 1, "{line}");
    assert!(!line.contains("emails"), "{line}");
}

#[test]
fn oldest_queued_job_age() {
    let server = RedisServer::start();
    let url = server.url();
    enqueue(&url, "emails", 1);
    std::thread::sleep(Duration::from_millis(2100));
    let (code, line) = check(&url, &["--oldest", "1s:1h"]);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("emails: oldest queued job waits "), "{line}");
    assert!(line.contains("s (warn 1s) | emails_oldest="), "{line}");
    let (code, line) = check(&url, &["--oldest", "10m:1h"]);
    assert_eq!(code, 0, "{line}");
}

#[test]
fn failed_and_recent_failures_and_no_worker() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nq = Queue('emails', connection=r)\n\
         for i in range(3): q.enqueue('labjobs.fail', 'boom')\n\
         for i in range(2): q.enqueue('labjobs.fail', 'short', failure_ttl=3600)\n",
    );
    Rq::V2.burst(&url, "emails");
    enqueue(&url, "orphans", 2);

    let (code, line) = check(&url, &["--failed", "1:4"]);
    assert_eq!(code, 2, "{line}");
    assert!(line.contains("emails: 5 failed (crit 4)"), "{line}");

    // Scores are failure time + failure_ttl: with the default (1 year) the 3 default jobs
    // count; jobs that keep their failure for an hour count with --failure-ttl 1h.
    let (code, line) = check(&url, &["--failed-recent", "emails=2:10/10m"]);
    assert_eq!(code, 1, "{line}");
    assert!(
        line.contains("emails: 3 failed in the last 10m (warn 2)"),
        "{line}"
    );
    let (code, line) = check(
        &url,
        &["--failed-recent", "emails=1:10/10m", "--failure-ttl", "1h"],
    );
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("emails: 5 failed in the last 10m"), "{line}");
    let (code, line) = check(&url, &["--failed-recent", "1:2"]);
    assert_eq!(code, 3, "{line}");
    assert!(line.contains("needs its window"), "{line}");

    // orphans has jobs and nobody listens; emails is empty.
    let (code, line) = check(&url, &["--no-worker"]);
    assert_eq!(code, 2, "{line}");
    assert!(
        line.contains("orphans: 2 queued and no worker listens"),
        "{line}"
    );
    assert!(!line.contains("emails: 0 queued and no worker"), "{line}");
    let (code, _) = check(&url, &["--no-worker", "warning"]);
    assert_eq!(code, 1);
    let (code, line) = check(&url, &["--no-worker", "emails"]);
    assert_eq!(code, 0, "only emails is checked, and it is empty: {line}");
    let _w = Rq::V2.worker(&url, "w-orphans", &["nothing-here", "orphans"]);
    let listened = support::wait_for(Duration::from_secs(20), || {
        let (code, line) = check(&url, &["--no-worker"]);
        (code == 0).then_some(line)
    });
    assert!(listened.is_some(), "a worker on orphans clears the check");
}

#[test]
fn stale_workers_and_suspension() {
    let server = RedisServer::start();
    let url = server.url();
    let mut w = Rq::V2.worker(&url, "w-stale", &["default"]);
    let registered = support::wait_for(Duration::from_secs(20), || {
        let out = support::rqctl_json(&url, &["workers"]);
        (out.as_array().map(Vec::len) == Some(1)).then_some(())
    });
    assert!(registered.is_some());
    // SIGKILL: no clean death, the key stays while the heartbeat ages.
    w.child.kill().unwrap();
    let _ = w.child.wait();
    std::thread::sleep(Duration::from_millis(2100));
    let (code, line) = check(&url, &["--stale-workers", "0:1/1s"]);
    assert_eq!(code, 1, "{line}");
    assert!(
        line.contains("1 workers without a heartbeat for 1s (warn 0)"),
        "{line}"
    );
    let (code, line) = check(&url, &["--stale-workers", "0:1/1h"]);
    assert_eq!(code, 0, "{line}");

    let (code, line) = check(&url, &["--suspended-for", "1s:1h"]);
    assert_eq!(code, 0, "{line}");
    assert!(line.contains("suspended_for=0s;1;3600;0;"), "{line}");
    // rqctl suspend records when; RQ's own does not.
    let out = rqctl(&url, &["suspend"]);
    assert!(out.status.success(), "{}", text(&out));
    std::thread::sleep(Duration::from_millis(2100));
    let (code, line) = check(&url, &["--suspended-for", "1s:1h"]);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("workers suspended for "), "{line}");
    assert!(line.contains("s (warn 1s) | suspended_for="), "{line}");
    let (code, _) = check(&url, &["--suspended-for", ":1s"]);
    assert_eq!(code, 2);
    let out = Rq::V2.cli(&url, &["suspend"]);
    assert!(out.status.success());
    let (code, line) = check(&url, &["--suspended-for", "1h:2h"]);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("since an unknown time"), "{line}");
}

#[test]
fn missed_runs_of_rq_scheduler_and_scheduled_jobs() {
    let server = RedisServer::start();
    let url = server.url();
    // Due 10 minutes ago, and no scheduler runs.
    Rq::V2.script(
        &url,
        "from datetime import datetime, timedelta, timezone\n\
         from rq import Queue\nfrom rq_scheduler import Scheduler\nimport labjobs\n\
         past = datetime.now(timezone.utc) - timedelta(minutes=10)\n\
         Scheduler(connection=r).enqueue_at(past.replace(tzinfo=None), labjobs.add, 1, 2)\n\
         Queue('later', connection=r).enqueue_at(datetime.now(timezone.utc) + timedelta(hours=1), labjobs.add, 1, 2)\n",
    );
    let (code, line) = check(&url, &["--missed-run", "1m:5m"]);
    assert_eq!(code, 2, "{line}");
    assert!(line.contains("rq-scheduler job "), "{line}");
    assert!(line.contains(" is 10m "), "{line}");
    assert!(line.contains("scheduled_missed_run=0s;60;300;0;"), "{line}");
    let (code, _) = check(&url, &["--missed-cron", "1h:2h"]);
    assert_eq!(code, 0, "--missed-cron is the same check");
}

#[test]
fn unknown_for_what_cannot_be_judged_and_json() {
    let server = RedisServer::start();
    let url = server.url();
    enqueue(&url, "emails", 3);
    for (args, why) in [
        (vec!["--queued", "lots"], "--queued \"lots\""),
        (vec!["--queued", "10:5"], "above the critical"),
        (vec!["--oldest", "10m:1hour-ish"], "not a duration"),
        (
            vec!["--queued", "email=1:2"],
            "no such queue: email (did you mean `emails`?",
        ),
        (vec!["--suspended-for", "q=1m:2m"], "not per queue"),
        (
            vec!["--no-worker", "emails=loud"],
            "expected warning or critical",
        ),
        (vec!["--no-worker", "emial"], "no such queue: emial"),
        (vec!["--frobnicate"], "unexpected argument"),
    ] {
        let (code, line) = check(&url, &args);
        assert_eq!(code, 3, "{args:?}: {line}");
        assert!(line.starts_with("RQ UNKNOWN - "), "{line}");
        assert!(line.contains(why), "{args:?}: {line}");
    }
    let (code, line) = check("redis://127.0.0.1:1/0", &["--queued", "1:2"]);
    assert_eq!(code, 3, "{line}");
    assert!(line.contains("cannot connect"), "{line}");

    let out = rqctl(&url, &["check", "--queued", "1:5", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "warning");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["checks"][0]["check"], "queued");
    assert_eq!(doc["checks"][0]["subject"], "emails");
    assert_eq!(doc["checks"][0]["value"], 3.0);
    assert_eq!(doc["checks"][0]["warn"], 1.0);
    assert_eq!(doc["checks"][0]["level"], "warning");
    let out = rqctl(&url, &["check", "--json", "--frobnicate"]);
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["status"], "unknown",
        "a bad flag under --json is a document too"
    );
    let out = rqctl("redis://127.0.0.1:1/0", &["check", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "unknown");
}

#[test]
fn hostile_queue_names_stay_on_one_line() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nq = Queue('evil\\n\\x1b[2Jq\\'x=y', connection=r)\n\
         for i in range(2): q.enqueue('labjobs.add', i, 1)\n",
    );
    let (code, line) = check(&url, &["--queued", "1:5"]);
    assert_eq!(code, 1, "{line}");
    assert!(!line.contains('\u{1b}'), "{line:?}");
    assert!(line.contains("'evil"), "quoted perfdata label: {line}");
}

/// A real `rq cron` runs an interval entry; while it runs, the entry is on time. Once the
/// process stops, nothing lists the entry any more (RQ drops a stopped scheduler's record),
/// so it will never run again: `--missed-run` says so instead of going quiet, and the
/// metrics count no live `rq cron`.
#[test]
fn a_stopped_rq_cron_is_a_missed_run_not_silence() {
    let server = RedisServer::start();
    let url = server.url();
    let dir = std::env::temp_dir().join(format!("rqctl-check-cron-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("cronconf.py");
    std::fs::write(
        &conf,
        "from rq import cron\nimport labjobs\n\
         cron.register(labjobs.add, queue_name='cronq', args=(1, 2), interval=3600, name='hourly-add')\n",
    )
    .unwrap();
    let mut proc = std::process::Command::new(Rq::V3.python())
        .args(["-m", "rq.cli", "cron", "--url", &url])
        .arg(&conf)
        .env("PYTHONPATH", support::interop_dir())
        .current_dir(support::interop_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut c = server.conn();
    let enqueued = support::wait_for(Duration::from_secs(30), || {
        let n: usize = redis::cmd("ZCARD")
            .arg("rq:cron_jobs")
            .query(&mut c)
            .unwrap();
        let live: usize = redis::cmd("ZCARD")
            .arg("rq:cron_schedulers")
            .query(&mut c)
            .unwrap();
        (n == 1 && live == 1).then_some(())
    });
    if enqueued.is_none() {
        let _ = proc.kill();
        panic!("rq cron never registered and enqueued");
    }
    let (code, line) = check(&url, &["--missed-run", "1m:5m"]);
    assert_eq!(code, 0, "{line}");
    assert!(line.starts_with("RQ OK"), "{line}");
    let live = || {
        let out = rqctl(&url, &["metrics"]);
        let body = String::from_utf8_lossy(&out.stdout).into_owned();
        body.lines()
            .find_map(|l| l.strip_prefix("rq_cron_schedulers "))
            .map(str::to_string)
    };
    assert_eq!(
        live().as_deref(),
        Some("1"),
        "rq_cron_schedulers while it runs"
    );

    // A clean stop (SIGTERM), as a deploy or a crash-looping supervisor would leave it.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &proc.id().to_string()])
        .status();
    let stopped = support::wait_for(Duration::from_secs(20), || proc.try_wait().ok().flatten());
    if stopped.is_none() {
        let _ = proc.kill();
    }
    let (code, line) = check(&url, &["--missed-run", "1m:5m"]);
    assert_eq!(code, 1, "{line}");
    assert!(
        line.contains("RQ cron entry hourly-add last enqueued")
            && line.contains("no live `rq cron` process runs it"),
        "{line}"
    );
    assert!(line.contains("rq_cron_unscheduled_missed_run="), "{line}");
    assert_eq!(
        live().as_deref(),
        Some("0"),
        "rq_cron_schedulers once it stopped"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
