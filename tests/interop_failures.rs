//! Failure signatures against real RQ: real 2.12, 1.16 and 3.0 workers fail jobs with seven
//! causes over three queues (tests/interop/make_failures.py: ZeroDivisionError in two
//! functions, a redis ConnectionError whose host and port vary, a KeyError whose key
//! varies, an application exception class, a real job timeout, a work-horse killed with
//! SIGKILL). `rqctl failures` must group them as a person would, and `rqctl requeue
//! --signature` must requeue exactly one cause: a real worker then runs those and no others.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;
use support::{RedisServer, Rq, interop_dir, rqctl, rqctl_json, with_db};

/// Runs make_failures.py with a real forking `rq worker --burst`: cause -> job ids.
fn make_failures(rq: Rq, url: &str) -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(rq.python())
        .arg(interop_dir().join("make_failures.py"))
        .arg(url)
        .env("PYTHONPATH", interop_dir())
        .current_dir(interop_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_failures.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let causes: BTreeMap<String, Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    causes
        .into_iter()
        .filter(|(c, _)| c != "ok")
        .map(|(c, ids)| (c, ids.into_iter().collect()))
        .collect()
}

fn results_len(server: &RedisServer, db: u8, id: &str) -> i64 {
    let mut conn = server.conn();
    redis::cmd("SELECT").arg(db).exec(&mut conn).unwrap();
    redis::cmd("XLEN")
        .arg(format!("rq:results:{id}"))
        .query(&mut conn)
        .unwrap()
}

fn check(rq: Rq, db: u8) {
    let server = RedisServer::start();
    let url = with_db(&server.url(), db);
    let causes = make_failures(rq, &url);
    let doc = rqctl_json(&url, &["failures"]);
    let sigs = doc["signatures"].as_array().unwrap();
    // One signature per cause: its jobs (all of them: no cause has more than the 10
    // sample ids) are exactly the cause's jobs.
    assert_eq!(sigs.len(), causes.len(), "{doc:#}");
    let mut by_cause: BTreeMap<String, Value> = BTreeMap::new();
    for s in sigs {
        let ids: BTreeSet<String> = s["sample_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let cause = causes
            .iter()
            .find(|(_, c)| **c == ids)
            .map(|(c, _)| c.clone())
            .unwrap_or_else(|| panic!("signature {} mixes causes: {ids:?}", s["id"]));
        assert_eq!(s["count"], ids.len() as u64);
        assert!(s["sample_traceback"].is_string(), "{s:#}");
        by_cause.insert(cause, s.clone());
    }
    assert_eq!(
        by_cause["keyerror"]["queues"],
        serde_json::json!({"billing": 3, "reports": 3})
    );
    assert_eq!(
        by_cause["zerodiv"]["error"],
        "ZeroDivisionError: division by zero"
    );
    assert_eq!(
        by_cause["zerodiv-average"]["error"],
        "ZeroDivisionError: division by zero"
    );
    assert_ne!(by_cause["zerodiv"]["id"], by_cause["zerodiv-average"]["id"]);
    assert_eq!(
        by_cause["connection"]["error"],
        "redis.exceptions.ConnectionError: Error <n> connecting to <host:port>. Connection refused."
    );
    assert_eq!(
        by_cause["timeout"]["exc_type"],
        "rq.timeouts.JobTimeoutException"
    );
    assert_eq!(by_cause["killed"]["source"], "text");
    assert_eq!(by_cause["appexc"]["exc_type"], "failjobs.PaymentDeclined");
    assert_eq!(by_cause["connection"]["still_happening"], true);

    // The plan first: the connection errors, on their one queue.
    let sig = by_cause["connection"]["id"].as_str().unwrap().to_string();
    let plan = rqctl_json(
        &url,
        &[
            "requeue",
            "--all",
            "failed",
            "--signature",
            &sig,
            "--dry-run",
        ],
    );
    let reports = plan["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{plan:#}");
    assert_eq!(reports[0]["source"], "failed@emails");
    assert_eq!(reports[0]["matched"], 3);
    // The same through --where.
    let plan = rqctl_json(
        &url,
        &[
            "requeue",
            "--all",
            "failed",
            "--where",
            "exc~ConnectionError ended<1h",
            "--dry-run",
        ],
    );
    assert_eq!(plan["reports"][0]["matched"], 3, "{plan:#}");

    let done = rqctl_json(&url, &["requeue", "--all", "failed", "--signature", &sig]);
    assert_eq!(done["reports"][0]["done"], 3, "{done:#}");
    let out = rq.cli(&url, &["worker", "--burst", "emails", "billing", "reports"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The requeued jobs ran again (a second result each) and no other job did.
    for (cause, ids) in &causes {
        let want = if cause == "connection" { 2 } else { 1 };
        for id in ids {
            assert_eq!(results_len(&server, db, id), want, "{cause} job {id}");
        }
    }
    // They failed again, for the same reason: the same signature, counted once each.
    let after = rqctl_json(&url, &["failures", "--where", &format!("sig={sig}")]);
    assert_eq!(after["signatures"][0]["count"], 3, "{after:#}");
    assert_eq!(after["signatures"].as_array().unwrap().len(), 1);
    let total = rqctl_json(&url, &["failures"]);
    assert_eq!(total["jobs"], 22);
}

#[test]
fn rq2_failures_group_by_cause_and_requeue_by_signature() {
    check(Rq::V2, 2);
}

#[test]
fn rq3_failures_group_by_cause_and_requeue_by_signature() {
    check(Rq::V3, 3);
}

#[test]
fn rq1_failures_group_by_cause_and_requeue_by_signature() {
    check(Rq::V1, 1);
}

#[test]
fn a_bad_selector_names_the_term_and_the_fields() {
    let server = RedisServer::start();
    let out = rqctl(&server.url(), &["failures", "--where", "queue=a agee>1h"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'agee>1h'"), "{err}");
    assert!(err.contains("queue, func, worker"), "{err}");
}

/// rqtop's Failures view: the tracker reads each failed job once; later refreshes read only
/// new failures, and jobs that leave the registry leave their group without a rescan.
#[test]
fn the_failure_tracker_reads_only_what_changed() {
    use rqtop::rq::failures::FailureTracker;
    use rqtop::rq::{ConnectOptions, RqClient};
    let server = RedisServer::start();
    let url = with_db(&server.url(), 2);
    let causes = make_failures(Rq::V2, &url);
    let total: usize = causes.values().map(BTreeSet::len).sum();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let queues: Vec<String> = ["billing", "emails", "reports"].map(String::from).to_vec();
    let mut tracker = FailureTracker::new();
    let mut client = rt
        .block_on(RqClient::connect(&ConnectOptions::new(url.clone())))
        .unwrap();
    let first = rt
        .block_on(client.track_failures(&mut tracker, &queues))
        .unwrap();
    assert_eq!(first.groups.len(), causes.len());
    assert_eq!(first.jobs as usize, total);
    assert_eq!(tracker.jobs_read as usize, total);
    // Nothing changed: nothing is read.
    rt.block_on(client.track_failures(&mut tracker, &queues))
        .unwrap();
    assert_eq!(tracker.jobs_read as usize, total);
    // One cause requeued: its group goes, no job is read.
    let sig = first
        .groups
        .iter()
        .find(|g| g.signature.function == "failjobs.sync_cache")
        .unwrap()
        .signature
        .id
        .clone();
    let done = rqctl_json(&url, &["requeue", "--all", "failed", "--signature", &sig]);
    assert_eq!(done["reports"][0]["done"], 3);
    let after = rt
        .block_on(client.track_failures(&mut tracker, &queues))
        .unwrap();
    assert_eq!(after.groups.len(), causes.len() - 1);
    assert_eq!(after.jobs as usize, total - 3);
    assert_eq!(tracker.jobs_read as usize, total);
    // They fail again: exactly those three are read, back in their group.
    let out = Rq::V2.cli(&url, &["worker", "--burst", "emails"]);
    assert!(out.status.success());
    let again = rt
        .block_on(client.track_failures(&mut tracker, &queues))
        .unwrap();
    assert_eq!(again.groups.len(), causes.len());
    assert_eq!(again.jobs as usize, total);
    assert_eq!(tracker.jobs_read as usize, total + 3);
    let g = again.groups.iter().find(|g| g.signature.id == sig).unwrap();
    assert_eq!(g.count, 3);
}
