//! rqctl mutates, real RQ agrees: each mutation leaves the state RQ's own operation leaves
//! on identical data, and real `rq worker`s consume, stop and suspend as RQ intends.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{RedisServer, Rq, rqctl, rqctl_json, wait_for, with_db};

/// Jobs in every state RQ has, with fixed ids; `f*` were failed by a real burst worker.
const SETUP: &str = r#"
import subprocess
from rq import Queue
import labjobs
q = Queue('default', connection=r)
r.set('flag', 1)
for i in range(3):
    q.enqueue(labjobs.fail_while, 'flag', i, job_id=f'f{i}')
subprocess.run([sys.executable, '-m', 'rq.cli', 'worker', '--burst', '--url', URL, 'default'],
               check=True, capture_output=True)
for i in range(3):
    q.enqueue(labjobs.add, i, i, job_id=f'e{i}')
Queue('other', connection=r).enqueue(labjobs.add, 1, 1, job_id='parent')
q.enqueue(labjobs.add, 2, 2, job_id='child', depends_on='parent')
q.enqueue_in(datetime.timedelta(hours=1), labjobs.add, 3, 3, job_id='s1')
"#;

const IDS: &[&str] = &["f0", "f1", "f2", "e0", "e1", "e2", "parent", "child", "s1"];

/// Builds the same state in db 1 and db 2, applies RQ's operation to one and rqctl's to
/// the other, and compares what RQ's own API reports.
fn parity(rq_op: &str, rqctl_args: &[&str]) {
    let server = RedisServer::start();
    let (theirs, ours) = (with_db(&server.url(), 1), with_db(&server.url(), 2));
    Rq::V2.script(&theirs, SETUP);
    Rq::V2.script(&ours, SETUP);
    assert_eq!(
        Rq::V2.state(&theirs, IDS),
        Rq::V2.state(&ours, IDS),
        "identical setup"
    );
    Rq::V2.script(&theirs, &format!("from rq.job import Job\nfrom rq import Queue\nfrom rq.registry import *\nq = Queue('default', connection=r)\n{rq_op}"));
    let out = rqctl(&ours, rqctl_args);
    assert!(
        out.status.success(),
        "rqctl {rqctl_args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        Rq::V2.state(&ours, IDS),
        Rq::V2.state(&theirs, IDS),
        "after rqctl {rqctl_args:?} vs rq: {rq_op}"
    );
}

#[test]
fn empty_matches_rq() {
    parity("q.empty()", &["empty", "default", "--yes"]);
}

#[test]
fn delete_matches_rq() {
    parity(
        "Job.fetch('e1', connection=r).delete()\nJob.fetch('f0', connection=r).delete()",
        &["delete", "e1", "f0", "--yes"],
    );
}

#[test]
fn cancel_matches_rq() {
    parity(
        "for i in ['e2', 's1', 'f1', 'child']:\n    Job.fetch(i, connection=r).cancel()",
        &["cancel", "e2", "s1", "f1", "child", "--yes"],
    );
}

#[test]
fn enqueue_now_matches_rq() {
    parity(
        "ScheduledJobRegistry(queue=q).requeue('s1')",
        &["enqueue-now", "s1"],
    );
}

#[test]
fn requeue_one_matches_rq() {
    parity(
        "FailedJobRegistry(queue=q).requeue('f2')",
        &["requeue", "f2"],
    );
}

#[test]
fn requeue_all_matches_rq_cli() {
    parity(
        "import subprocess\nsubprocess.run([sys.executable, '-m', 'rq.cli', 'requeue', '--queue', 'default', '--all', '--url', URL], check=True)",
        &["requeue", "--all", "failed"],
    );
}

#[test]
fn requeued_jobs_run_on_a_real_worker_and_dangling_ids_are_removed_as_rq_would() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(&url, SETUP);
    // A dangling id in the failed registry: `rq requeue --all` would crash on it.
    let mut c = server.conn();
    redis::cmd("ZADD")
        .arg("rq:failed:default")
        .arg(4e9)
        .arg("ghost")
        .exec(&mut c)
        .unwrap();
    redis::cmd("DEL").arg("flag").exec(&mut c).unwrap();

    let dry = rqctl_json(&url, &["requeue", "--all", "failed", "--dry-run"]);
    assert_eq!(dry["reports"][0]["matched"], 3, "{dry}");
    assert_eq!(dry["reports"][0]["dangling_removed"], 1, "{dry}");
    assert_eq!(dry["reports"][0]["skipped_count"], 0, "{dry}");
    assert_eq!(
        Rq::V2.state(&url, &[])["queues"]["default"]["registries"]["failed"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "dry run changed nothing"
    );

    // A dangling id is routine (RQ let its hash expire): removed as RQ's cleanup would,
    // said so, and no failure (`requeue --all failed || alert` must not fire for it).
    let out = rqctl(&url, &["requeue", "--all", "failed"]);
    assert_eq!(out.status.code(), Some(0), "dangling ids alone exit 0");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("requeued 3 jobs from failed@default"),
        "{text}"
    );
    assert!(
        text.contains("removed 1 dangling id (job hash gone) from failed@default"),
        "{text}"
    );
    let ghost: Option<f64> = redis::cmd("ZSCORE")
        .arg("rq:failed:default")
        .arg("ghost")
        .query(&mut c)
        .unwrap();
    assert_eq!(ghost, None, "the dangling id was removed");

    let burst = Rq::V2.cli(&url, &["worker", "--burst", "default"]);
    assert!(burst.status.success());
    let state = Rq::V2.state(&url, &["f0", "f1", "f2"]);
    for id in ["f0", "f1", "f2"] {
        assert_eq!(
            state["jobs"][id]["status"], "JobStatus.FINISHED",
            "{id}: {state}"
        );
    }
    assert_eq!(
        state["queues"]["default"]["registries"]["failed"],
        Value::Array(vec![])
    );
}

fn worker_state(url: &str, name: &str) -> Option<Value> {
    let info = rqctl_json(url, &["workers"]);
    info.as_array()?.iter().find(|w| w["name"] == name).cloned()
}

#[test]
fn worker_shutdown_stops_a_real_worker() {
    let server = RedisServer::start();
    let url = server.url();
    let mut w = Rq::V2.worker(&url, "w-shut", &["default"]);
    wait_for(Duration::from_secs(20), || worker_state(&url, "w-shut")).expect("worker registers");
    let dry = rqctl_json(
        &url,
        &["worker", "shutdown", "w-shut", "nobody", "--dry-run"],
    );
    assert_eq!(dry["reports"][0]["matched"], 1);
    assert_eq!(dry["reports"][0]["skipped"][0]["id"], "nobody");
    let refused = rqctl(&url, &["worker", "shutdown", "w-shut"]);
    assert_eq!(refused.status.code(), Some(2), "no terminal and no --yes");
    let out = rqctl(&url, &["worker", "shutdown", "w-shut", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(w.wait_exit(Duration::from_secs(20)), "worker exited");
}

#[test]
fn stop_job_stops_a_real_running_job() {
    stop_job_with(Rq::V2);
}

/// RQ 3.0 names the running job only in the worker's executions index.
#[test]
fn stop_job_stops_a_real_running_job_on_rq_3() {
    stop_job_with(Rq::V3);
}

fn stop_job_with(rq: Rq) {
    let server = RedisServer::start();
    let url = server.url();
    let _w = rq.worker(&url, "w-stop", &["default"]);
    rq.script(&url, "from rq import Queue\nimport labjobs\nQueue('default', connection=r).enqueue(labjobs.slow, 60, job_id='long', job_timeout=300)");
    wait_for(Duration::from_secs(20), || {
        (rqctl_json(&url, &["job", "long"])["status"] == "started").then_some(())
    })
    .expect("job starts");
    let out = rqctl(&url, &["stop-job", "long"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for(Duration::from_secs(20), || {
        (rqctl_json(&url, &["job", "long"])["status"] == "stopped").then_some(())
    })
    .expect("job stopped by its worker");
    let again = rqctl(&url, &["stop-job", "long"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stdout).contains("not running"));
}

#[test]
fn suspend_makes_a_real_worker_stop_taking_jobs() {
    let server = RedisServer::start();
    let url = server.url();
    let _w = Rq::V2.worker(&url, "w-susp", &["default"]);
    wait_for(Duration::from_secs(20), || worker_state(&url, "w-susp")).expect("worker registers");
    let out = rqctl(&url, &["suspend", "--duration", "10m"]);
    assert!(out.status.success());
    assert_eq!(rqctl_json(&url, &["info"])["suspended"], true);
    // RQ: an idle worker runs one more job before it notices; the next ones stay queued.
    Rq::V2.script(&url, "from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nfor i in range(3):\n    q.enqueue(labjobs.add, i, i, job_id=f'a{i}')");
    wait_for(Duration::from_secs(20), || {
        worker_state(&url, "w-susp").filter(|w| w["state"] == "suspended")
    })
    .expect("worker reports suspended");
    std::thread::sleep(Duration::from_secs(2)); // a suspended worker must stay idle
    let queued = rqctl_json(&url, &["info"])["queues"][0]["queued"]
        .as_u64()
        .unwrap();
    assert!(
        queued >= 2,
        "suspended worker kept taking jobs: {queued} left"
    );
    assert!(rqctl(&url, &["resume"]).status.success());
    wait_for(Duration::from_secs(30), || {
        (rqctl_json(&url, &["info"])["queues"][0]["queued"] == 0).then_some(())
    })
    .expect("resumed worker drains the queue");
}

#[test]
fn read_only_refuses_before_touching_redis() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(&url, SETUP);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args([
            "--url",
            "redis://127.0.0.1:1/0",
            "empty",
            "default",
            "--yes",
        ])
        .env("RQTOP_READ_ONLY", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("read-only"),
        "refused before connecting to a closed port"
    );
    let out = rqctl(&url, &["--read-only", "requeue", "--all", "failed"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        rqctl_json(&url, &["info"])["queues"][0]["failed"],
        3,
        "nothing changed"
    );
}
