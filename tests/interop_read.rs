//! Real RQ writes, rqctl reads: a state built by real `rq` (3.0, 2.12 and 1.16) reads back in
//! `rqctl info --json` and `rqctl job --json` exactly as RQ's own Python API reports it.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use serde_json::Value;
use support::{RedisServer, Rq, interop_dir, kill_pids, rqctl_json};

/// Kills the fixture's background workers even when an assertion fails.
struct Pids(Vec<i64>);
impl Drop for Pids {
    fn drop(&mut self) {
        kill_pids(&self.0);
    }
}

fn build_state(rq: Rq, url: &str) -> (Value, Pids) {
    let work = tempdir();
    let out = std::process::Command::new(rq.python())
        .arg(interop_dir().join("build_state.py"))
        .args(["--url", url, "--workdir", &work])
        .env("PYTHONPATH", interop_dir())
        .output()
        .expect("run build_state.py");
    let expected: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let pids = Pids(
        expected["pids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default(),
    );
    assert!(
        out.status.success(),
        "build_state.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (expected, pids)
}

fn tempdir() -> String {
    let d = std::env::temp_dir().join(format!(
        "rqtop-interop-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&d).expect("tempdir");
    d.to_string_lossy().into_owned()
}

/// `rqctl metrics` reads with `Detail::Counts` (half of Redis's work per scrape): on a state
/// real RQ built, its exposition is the same, byte for byte, as that of a full read, and it
/// agrees with the full read on every field the exposition uses. The fixture's busy worker
/// and `rq cron` keep running, so a comparison counts only when two full reads around the
/// lean one agree.
fn lean_read_gives_the_same_metrics(url: &str) {
    use rqtop::cli::metrics::exposition::{ReadStats, render};
    use rqtop::rq::{ConnectOptions, Detail, Overview, RqClient, WorkerInfo};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let now = std::time::SystemTime::now();
    let text = |o: &Overview| render(Some(o), ReadStats::default(), now);
    // What the exposition uses of a worker.
    let seen = |o: &Overview| -> Vec<_> {
        (o.workers.iter())
            .map(|w: &WorkerInfo| {
                let counts = (w.successful_job_count, w.failed_job_count);
                let when = (w.last_heartbeat, w.total_working_time);
                (&w.name, &w.state, w.liveness, &w.queues, counts, when)
            })
            .map(|t| format!("{t:?}"))
            .collect()
    };
    for _ in 0..5 {
        let (before, lean, after) = rt.block_on(async {
            let mut c = RqClient::connect(&ConnectOptions::new(url)).await.unwrap();
            let before = c.overview_with(Detail::Full).await.unwrap();
            let lean = c.overview_with(Detail::Counts).await.unwrap();
            let after = c.overview_with(Detail::Full).await.unwrap();
            (before, lean, after)
        });
        if text(&before) != text(&after) || seen(&before) != seen(&after) {
            continue; // RQ moved while we read
        }
        let busy = before.workers.iter().find(|w| w.name == "busy-w");
        assert!(
            busy.is_some_and(|w| w.successful_job_count == 1
                && w.failed_job_count == 1
                && w.total_working_time > 0.0),
            "busy-w ran one job well and one badly before job-slow: {busy:?}"
        );
        let (full, lean_text) = (text(&before), text(&lean));
        let differ: Vec<(&str, &str)> = (full.lines().zip(lean_text.lines()))
            .filter(|(f, l)| f != l)
            .collect();
        assert_eq!(differ, [], "the exposition (full read, lean read)");
        assert_eq!(full.len(), lean_text.len(), "the exposition's length");
        assert_eq!(seen(&before), seen(&lean), "workers");
        // The one count a lean read leaves out: which queue each rate-limited job is in.
        let mut queues = before.queues.clone();
        queues.iter_mut().for_each(|q| q.rate_limited = 0);
        assert_eq!(queues, lean.queues, "queues");
        assert_eq!(
            (&before.cron, &before.rate_limits),
            (&lean.cron, &lean.rate_limits)
        );
        return;
    }
    panic!("the state never held still for three reads in a row");
}

fn check_state_reads_back(rq: Rq) {
    let server = RedisServer::start();
    let url = server.url();
    let (expected, _pids) = build_state(rq, &url);
    let info = rqctl_json(&url, &["info"]);
    lean_read_gives_the_same_metrics(&url);

    // Every queue RQ lists, with every count equal to what RQ's API reports.
    let ours: Vec<&Value> = info["queues"].as_array().expect("queues").iter().collect();
    let theirs = expected["queues"].as_array().expect("expected queues");
    let names = |v: &[&Value]| v.iter().map(|q| q["name"].clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&ours),
        names(&theirs.iter().collect::<Vec<_>>()),
        "queue list"
    );
    for (o, t) in ours.iter().zip(theirs) {
        for field in [
            "queued",
            "started",
            "deferred",
            "finished",
            "failed",
            "scheduled",
            "canceled",
            "workers",
        ] {
            if t[field].is_null() {
                continue; // a registry this RQ version does not have
            }
            assert_eq!(o[field], t[field], "queue {} field {field}", t["name"]);
        }
    }

    // Workers: name, state, queues and current job as RQ sees them.
    let ours = info["workers"].as_array().expect("workers");
    let theirs = expected["workers"].as_array().expect("expected workers");
    assert_eq!(
        ours.len(),
        theirs.len(),
        "worker count: {ours:?} vs {theirs:?}"
    );
    for t in theirs {
        let o = ours
            .iter()
            .find(|o| o["name"] == t["name"])
            .unwrap_or_else(|| panic!("worker {} missing", t["name"]));
        assert_eq!(o["state"], t["state"], "worker state");
        assert_eq!(o["queues"], t["queues"], "worker queues");
        assert_eq!(o["current_job"], t["current_job"], "current job");
    }
    assert!(
        theirs
            .iter()
            .any(|w| w["state"] == "busy" && w["current_job"] == "job-slow"),
        "the fixture must have a busy worker"
    );

    // The enqueued arguments, decoded from real pickles: a datetime, a tuple, None...
    let job = rqctl_json(&url, &["job", "job-args"]);
    let t = &expected["jobs"]["job-args"];
    assert_eq!(job["args_repr"], t["args_repr"], "args as Python repr");
    assert_eq!(
        job["kwargs_repr"], t["kwargs_repr"],
        "kwargs as Python repr"
    );
    assert_eq!(job["func_name"], "labjobs.echo");
    assert_eq!(
        job["args"][1],
        serde_json::json!([1, "two", 3.5]),
        "tuple as JSON array"
    );
    assert_eq!(job["args"][2], Value::Null);
    assert_eq!(job["status"], t["status"]);

    // The traceback the worker recorded.
    let failed = rqctl_json(&url, &["job", "job-fail"]);
    let tb = expected["jobs"]["job-fail"]["exc_info"]
        .as_str()
        .expect("expected traceback");
    assert!(tb.contains("ValueError: kaboom"));
    assert_eq!(failed["exc_info"].as_str(), Some(tb), "traceback text");
    assert_eq!(failed["status"], "failed");

    // Every job RQ knows reads back with the same status (1.x rq-scheduler jobs have none).
    for (id, t) in expected["jobs"].as_object().expect("jobs") {
        let ours = rqctl_json(&url, &["job", id]);
        if let Some(status) = t["status"].as_str() {
            assert_eq!(ours["status"], status, "status of {id}");
        }
        assert_eq!(ours["origin"], t["origin"], "origin of {id}");
    }

    // Deferred job's dependency, and schedules from rq-scheduler (and RQ cron on 2.x).
    let deferred = rqctl_json(&url, &["job", "job-deferred"]);
    assert_eq!(
        deferred["dependency_ids"],
        serde_json::json!(["job-parent"])
    );
    let sched = rqctl_json(&url, &["schedules"]);
    let ids: Vec<&str> = sched["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    for want in ["job-sched", "cron-nightly", "rqs-interval"] {
        assert!(
            ids.contains(&want),
            "{want} missing from schedules: {ids:?}"
        );
    }
    let cron = sched["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["id"] == "cron-nightly")
        .expect("cron entry");
    assert_eq!(cron["cron"], "*/5 * * * *");
    assert_eq!(cron["source"], "rq_scheduler");
    if matches!(rq, Rq::V2) {
        assert!(
            sched["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .any(|e| e["source"] == "rq_cron"),
            "rq cron entries missing: {sched}"
        );
    }

    // The started registry page resolves 2.x `<id>:<execution>` and 1.x plain members alike.
    let started = rqctl_json(&url, &["jobs", "slowq", "--registry", "started"]);
    assert_eq!(started["jobs"][0]["id"], "job-slow");
    assert_eq!(started["jobs"][0]["status"], "started");
}

#[test]
fn rq_2_12_state_reads_back() {
    check_state_reads_back(Rq::V2);
}

#[test]
fn rq_1_16_state_reads_back() {
    check_state_reads_back(Rq::V1);
}

/// RQ 3.0 keeps no `current_job` in the worker hash: the busy worker's job comes from its
/// executions index, as `Worker.get_current_job_id()` finds it.
#[test]
fn rq_3_0_state_reads_back() {
    check_state_reads_back(Rq::V3);
}
