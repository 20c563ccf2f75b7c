//! rqctl's mutations on data real RQ wrote: refusals, confirmations, registries, queues,
//! compaction, cleanup and rq-scheduler, checked with RQ's own API where it has one.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::process::Command;
use std::time::Duration;

use redis::Commands;
use support::{RedisServer, Rq, interop_dir, rqctl, rqctl_json, wait_for, with_db};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn destructive_commands_need_yes_without_a_terminal() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(&url, "from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nfor i in range(3):\n    q.enqueue(labjobs.add, i, i, job_id=f'e{i}')");
    for args in [
        vec!["empty", "default"],
        vec!["delete", "e0"],
        vec!["cancel", "e0"],
        vec!["delete-queue", "default"],
    ] {
        let out = rqctl(&url, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("pass --yes"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let plan = rqctl(&url, &["empty", "default"]);
    assert!(
        stderr(&plan).contains("Delete 3 jobs from queue default?"),
        "{}",
        stderr(&plan)
    );
    assert_eq!(
        rqctl_json(&url, &["info"])["queues"][0]["queued"],
        3,
        "nothing changed"
    );
    let dry = rqctl_json(&url, &["empty", "default", "--dry-run"]);
    assert_eq!(dry["reports"][0]["matched"], 3);
    assert_eq!(
        dry["reports"][0]["sample"],
        serde_json::json!(["e0", "e1", "e2"])
    );
    let done = rqctl(&url, &["empty", "default", "--yes"]);
    assert!(
        stdout(&done).contains("removed 3 jobs from queue default"),
        "{}",
        stdout(&done)
    );
}

#[test]
fn running_and_periodic_jobs_are_refused_unless_forced() {
    let server = RedisServer::start();
    let url = server.url();
    let _w = Rq::V2.worker(&url, "w-run", &["default"]);
    Rq::V2.script(
        &url,
        r#"
from rq import Queue
from rq_scheduler import Scheduler
import labjobs
Queue('default', connection=r).enqueue(labjobs.slow, 60, job_id='running', job_timeout=300)
Scheduler(queue_name='default', connection=r).schedule(
    scheduled_time=datetime.datetime.utcnow() + datetime.timedelta(minutes=10),
    func=labjobs.add, args=[1, 1], interval=60, repeat=3, id='periodic')
"#,
    );
    wait_for(Duration::from_secs(20), || {
        (rqctl_json(&url, &["job", "running"])["status"] == "started").then_some(())
    })
    .expect("job starts");
    let out = rqctl(&url, &["delete", "running", "periodic", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("running: job is running"), "{text}");
    assert!(
        text.contains("periodic: periodic rq-scheduler job"),
        "{text}"
    );
    let cancel = rqctl(&url, &["cancel", "running", "--yes"]);
    assert_eq!(cancel.status.code(), Some(1));
    let forced = rqctl_json(&url, &["delete", "periodic", "--force", "--yes"]);
    assert_eq!(forced["reports"][0]["done"], 1);
    let left: Vec<String> = server
        .conn()
        .zrange("rq:scheduler:scheduled_jobs", 0, -1)
        .unwrap();
    assert!(
        left.is_empty(),
        "deleted job left in rq-scheduler's set: {left:?}"
    );
}

#[test]
fn empty_registry_and_delete_queue_as_rq_sees_them() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        r#"
from rq import Queue
import labjobs
q = Queue('default', connection=r)
r.set('flag', 1)
for i in range(4):
    q.enqueue(labjobs.fail_while, 'flag', i, job_id=f'f{i}')
"#,
    );
    Rq::V2.burst(&url, "default");
    Rq::V2.script(&url, "from rq import Queue\nimport labjobs\nQueue('default', connection=r).enqueue(labjobs.add, 1, 1, job_id='e0')");
    let out = rqctl_json(&url, &["empty", "default", "--registry", "failed", "--yes"]);
    assert_eq!(out["reports"][0]["done"], 4);
    let state = Rq::V2.state(&url, &["f0", "e0"]);
    assert_eq!(
        state["queues"]["default"]["registries"]["failed"],
        serde_json::json!([])
    );
    assert_eq!(state["jobs"]["f0"], serde_json::Value::Null, "job deleted");
    assert_eq!(
        state["jobs"]["e0"]["status"], "JobStatus.QUEUED",
        "queue untouched"
    );
    let results: bool = server.conn().exists("rq:results:f0").unwrap();
    assert!(!results, "results stream deleted with the job");
    let refused = rqctl(
        &url,
        &["empty", "default", "--registry", "started", "--yes"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("running jobs"));

    let gone = rqctl(&url, &["delete-queue", "default", "--yes"]);
    assert!(gone.status.success(), "{}", stderr(&gone));
    let state = Rq::V2.state(&url, &["e0"]);
    assert!(state["queues"].get("default").is_none(), "{state}");
    assert_eq!(state["jobs"]["e0"], serde_json::Value::Null);
}

#[test]
fn compact_drops_dangling_ids_and_keeps_order() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(&url, "from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nfor i in range(6):\n    q.enqueue(labjobs.add, i, i, job_id=f'e{i}')");
    let mut c = server.conn();
    let _: () = c.del(&["rq:job:e1", "rq:job:e4"]).unwrap();
    let dry = rqctl_json(&url, &["compact", "default", "--dry-run"]);
    assert_eq!(dry["reports"][0]["matched"], 2);
    let out = rqctl_json(&url, &["compact", "default"]);
    assert_eq!(out["reports"][0]["done"], 2);
    let ids: Vec<String> = c.lrange("rq:queue:default", 0, -1).unwrap();
    assert_eq!(ids, ["e0", "e2", "e3", "e5"]);
    Rq::V2.burst(&url, "default");
    assert_eq!(
        Rq::V2.state(&url, &[])["queues"]["default"]["registries"]["finished"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

/// A job a real worker started and then died on (SIGKILL), with its heartbeat run out.
fn abandoned(url: &str) {
    let mut worker = Rq::V2.simple_worker(url, "doomed", &["default"]);
    Rq::V2.script(url, "from rq import Queue\nimport labjobs\nQueue('default', connection=r).enqueue(labjobs.slow, 60, job_id='lost', job_timeout=300)\nQueue('default', connection=r).enqueue(labjobs.add, 1, 1, job_id='waiting')");
    wait_for(Duration::from_secs(20), || {
        (rqctl_json(url, &["job", "lost"])["status"] == "started").then_some(())
    })
    .expect("job starts");
    worker.child.kill().unwrap();
    worker.child.wait().unwrap();
    // Its heartbeat expiry (score) passes as it would ~90 s later.
    Rq::V2.script(url, "for m in r.zrange('rq:wip:default', 0, -1):\n    r.zadd('rq:wip:default', {m: 1000}, xx=True)");
}

#[test]
fn clean_fails_abandoned_jobs_as_rq_does() {
    let server = RedisServer::start();
    let (theirs, ours) = (with_db(&server.url(), 1), with_db(&server.url(), 2));
    abandoned(&theirs);
    abandoned(&ours);
    let preview = rqctl_json(&ours, &["clean", "--dry-run"]);
    assert_eq!(preview["reports"][0]["abandoned_failed"], 1);
    assert_eq!(
        rqctl_json(&ours, &["job", "lost"])["status"],
        "started",
        "dry run changed nothing"
    );

    Rq::V2.script(&theirs, "from rq import Queue\nfrom rq.registry import StartedJobRegistry\nStartedJobRegistry(queue=Queue('default', connection=r)).cleanup()");
    let out = rqctl_json(&ours, &["clean", "default"]);
    assert_eq!(out["reports"][0]["abandoned_failed"], 1, "{out}");
    let ids = ["lost", "waiting"];
    assert_eq!(Rq::V2.state(&ours, &ids), Rq::V2.state(&theirs, &ids));
    let text = Rq::V2.script(
        &ours,
        "from rq.job import Job\nprint(Job.fetch('lost', connection=r).latest_result().exc_string)",
    );
    assert!(
        text.contains("Moved to FailedJobRegistry, due to AbandonedJobError"),
        "{text}"
    );
}

#[test]
fn enqueue_now_hands_rq_scheduler_jobs_to_rqscheduler() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        r#"
from rq_scheduler import Scheduler
import labjobs
Scheduler(queue_name='default', connection=r).schedule(
    scheduled_time=datetime.datetime.utcnow() + datetime.timedelta(hours=2),
    func=labjobs.add, args=[1, 1], interval=600, repeat=3, id='periodic')
"#,
    );
    let out = rqctl_json(&url, &["enqueue-now", "periodic"]);
    assert_eq!(out["reports"][0]["done"], 1, "{out}");
    let burst = Command::new(Rq::V2.venv().join("bin/rqscheduler"))
        .args(["--burst", "--url", &url])
        .env("PYTHONPATH", interop_dir())
        .output()
        .unwrap();
    assert!(burst.status.success(), "{}", stderr(&burst));
    let queued: Vec<String> = server.conn().lrange("rq:queue:default", 0, -1).unwrap();
    assert_eq!(queued, ["periodic"], "rqscheduler enqueued it at once");
    let next = rqctl_json(&url, &["job", "periodic"])["rq_scheduler_next_run"].clone();
    assert!(next.is_string(), "still periodic: {next}");
}

#[test]
fn ids_named_twice_act_once() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(&url, "from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nq.enqueue(labjobs.fail, 'x', job_id='f0')");
    Rq::V2.burst(&url, "default");
    let out = rqctl_json(&url, &["requeue", "f0", "f0"]);
    assert_eq!(out["reports"][0]["done"], 1);
    let ids: Vec<String> = server.conn().lrange("rq:queue:default", 0, -1).unwrap();
    assert_eq!(ids, ["f0"]);
}

#[test]
fn a_bad_field_in_one_job_never_half_moves_the_batch() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    for (id, ttl) in [
        ("a", "60"),
        ("b", "1.5"),
        ("c", "not-a-number"),
        ("d", "99999999999999"),
    ] {
        let _: () = c
            .hset_multiple(
                format!("rq:job:{id}"),
                &[("status", "failed"), ("origin", "q"), ("ttl", ttl)],
            )
            .unwrap();
        let _: () = c.zadd("rq:failed:q", id, 4e9).unwrap();
    }
    // A job key of the wrong type, and a queue whose key is not a list.
    let _: () = c.set("rq:job:e", "garbage").unwrap();
    let _: () = c.zadd("rq:failed:q", "e", 4e9).unwrap();
    let _: () = c
        .hset_multiple("rq:job:f", &[("status", "failed"), ("origin", "broken")])
        .unwrap();
    let _: () = c.zadd("rq:failed:q", "f", 4e9).unwrap();
    let _: () = c.set("rq:queue:broken", "not a list").unwrap();
    let _: () = c.sadd("rq:queues", "rq:queue:q").unwrap();

    let out = rqctl(&url, &["requeue", "--all", "failed", "--json"]);
    assert_eq!(out.status.code(), Some(1), "partly done");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["reports"][0]["done"], 4, "{report}");
    let skipped: Vec<&str> = report["reports"][0]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["e", "f"]);
    let queued: Vec<String> = c.lrange("rq:queue:q", 0, -1).unwrap();
    assert_eq!(queued, ["a", "b", "c", "d"]);
    let left: Vec<String> = c.zrange("rq:failed:q", 0, -1).unwrap();
    assert_eq!(left, ["e", "f"], "refused jobs stay where they were");
    let ttl_b: i64 = c.ttl("rq:job:b").unwrap();
    assert_eq!(ttl_b, 1, "1.5 s is applied as 1 s, not an error");
}

#[test]
fn requeue_all_started_takes_only_abandoned_jobs() {
    let server = RedisServer::start();
    let url = server.url();
    let _w = Rq::V2.worker(&url, "w-live", &["default"]);
    Rq::V2.script(&url, "from rq import Queue\nimport labjobs\nQueue('default', connection=r).enqueue(labjobs.slow, 60, job_id='running', job_timeout=300)");
    wait_for(Duration::from_secs(20), || {
        (rqctl_json(&url, &["job", "running"])["status"] == "started").then_some(())
    })
    .expect("job starts");
    let out = rqctl_json(&url, &["requeue", "--all", "started"]);
    assert_eq!(out["ok"], true, "a running job is not a target: {out}");
    assert_eq!(out["reports"][0]["matched"], 0);
    assert_eq!(rqctl_json(&url, &["job", "running"])["status"], "started");
}

#[test]
fn cancel_refuses_periodic_rq_scheduler_jobs_unless_forced() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        r#"
from rq_scheduler import Scheduler
import labjobs
Scheduler(queue_name='default', connection=r).cron('*/5 * * * *', func=labjobs.say, args=['x'], id='cronjob')
"#,
    );
    let out = rqctl(&url, &["cancel", "cronjob", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("periodic rq-scheduler job"),
        "{}",
        stdout(&out)
    );
    assert_eq!(rqctl_json(&url, &["job", "cronjob"])["status"], "scheduled");
}

#[test]
fn requeue_all_started_takes_abandoned_jobs_back() {
    let server = RedisServer::start();
    let url = server.url();
    abandoned(&url);
    let out = rqctl_json(&url, &["requeue", "--all", "started"]);
    assert_eq!(out["reports"][0]["done"], 1, "{out}");
    assert_eq!(
        out["reports"][0]["sample"],
        serde_json::json!(["lost"]),
        "2.x member parsed to its id"
    );
    let state = Rq::V2.state(&url, &["lost"]);
    assert_eq!(state["jobs"]["lost"]["status"], "JobStatus.QUEUED");
    assert_eq!(
        state["queues"]["default"]["registries"]["started"],
        serde_json::json!([])
    );
    assert_eq!(
        state["queues"]["default"]["job_ids"],
        serde_json::json!(["waiting", "lost"])
    );
}

#[test]
fn suspend_duration_is_honoured_to_the_millisecond_or_refused() {
    let server = RedisServer::start();
    let url = server.url();
    let mut con = server.conn();
    let out = rqctl(&url, &["suspend", "--duration", "1500ms", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["duration"], 1.5);
    let pttl: i64 = con.pttl("rq:suspended").unwrap();
    assert!((1000..=1500).contains(&pttl), "suspended for {pttl} ms");
    let _: () = con.del("rq:suspended").unwrap();
    for bad in ["0s", "1ns", "bogus"] {
        let out = rqctl(&url, &["suspend", "--duration", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("'{bad}'")),
            "{}",
            stderr(&out)
        );
        assert!(
            !con.exists::<_, bool>("rq:suspended").unwrap(),
            "{bad} suspended"
        );
    }
}

/// `rq requeue --all` cleans the registry first, so an entry whose expiry has passed is
/// dropped, never requeued; rqctl leaves it for RQ's cleanup and says so.
#[test]
fn requeue_all_leaves_expired_entries_as_rq_does() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nfor i in range(3):\n    q.enqueue(labjobs.fail, 'x', job_id=f'f{i}')",
    );
    Rq::V2.burst(&url, "default");
    let mut con = server.conn();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let _: () = con.zadd("rq:failed:default", "f1", now - 60).unwrap();
    let dry = rqctl_json(&url, &["requeue", "--all", "failed", "--dry-run"]);
    assert_eq!(dry["reports"][0]["matched"], 2, "{dry}");
    assert_eq!(dry["reports"][0]["expired_left"], 1, "{dry}");
    let out = rqctl(&url, &["requeue", "--all", "failed"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("requeued 2 jobs from failed@default"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("left 1 expired entry in failed@default"),
        "{}",
        stdout(&out)
    );
    let state = Rq::V2.state(&url, &["f0", "f1", "f2"]);
    assert_eq!(state["jobs"]["f1"]["status"], "JobStatus.FAILED", "{state}");
    assert_eq!(state["jobs"]["f0"]["status"], "JobStatus.QUEUED", "{state}");
    let queued: Vec<String> = con.lrange("rq:queue:default", 0, -1).unwrap();
    assert_eq!(queued, vec!["f0", "f2"]);
}

/// Flask-RQ2's `.schedule()` with no interval and no cron makes a one-off rq-scheduler job:
/// deleting or canceling it ends nothing, so it needs no `--force` (only repeating ones do),
/// and a canceled one-off is also taken out of rq-scheduler's set, so rq-scheduler never
/// runs it. Both rq-scheduler versions (0.14 with rq 2.12, 0.13 with rq 1.16).
#[test]
fn one_off_rq_scheduler_jobs_need_no_force() {
    for rq in [Rq::V2, Rq::V1] {
        let server = RedisServer::start();
        let url = server.url();
        rq.script(
            &url,
            r#"
from rq_scheduler import Scheduler
import labjobs
s = Scheduler(queue_name='default', connection=r)
past = datetime.datetime.utcnow() - datetime.timedelta(seconds=5)
s.schedule(scheduled_time=past, func=labjobs.add, args=[1, 1], id='once1')
s.schedule(scheduled_time=past, func=labjobs.add, args=[1, 2], id='once2')
s.schedule(scheduled_time=past, func=labjobs.add, args=[1, 3], interval=60, id='every')
"#,
        );
        let out = rqctl(&url, &["cancel", "once1", "--yes"]);
        assert_eq!(out.status.code(), Some(0), "{rq:?}: {}", stdout(&out));
        let out = rqctl(&url, &["delete", "once2", "--yes"]);
        assert_eq!(out.status.code(), Some(0), "{rq:?}: {}", stdout(&out));
        let out = rqctl(&url, &["delete", "every", "--yes"]);
        assert_eq!(out.status.code(), Some(1), "{rq:?}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("periodic rq-scheduler job"),
            "{}",
            stdout(&out)
        );
        // rq-scheduler's own pass: the canceled one-off must not be enqueued.
        let burst = std::process::Command::new(rq.venv().join("bin/rqscheduler"))
            .args(["--burst", "--url", &url])
            .current_dir(interop_dir())
            .env("PYTHONPATH", interop_dir())
            .output()
            .unwrap();
        assert!(
            burst.status.success(),
            "{}",
            String::from_utf8_lossy(&burst.stderr)
        );
        let mut c = server.conn();
        let queued: Vec<String> = c.lrange("rq:queue:default", 0, -1).unwrap();
        assert_eq!(queued, ["every"], "{rq:?}: only the periodic job runs");
        let state = rq.state(&url, &["once1"]);
        // rq 2 prints the enum, rq 1 the bare value.
        let status = state["jobs"]["once1"]["status"]
            .as_str()
            .unwrap()
            .to_lowercase();
        assert_eq!(
            status.trim_start_matches("jobstatus."),
            "canceled",
            "{state}"
        );
    }
}

/// Requeuing jobs that already ran repeats their side effects: confirmed like the other
/// destructive commands, with a question that says how many, from where and to where, in
/// the right number. Failed jobs are requeued without a question (the incident routine).
#[test]
fn requeuing_jobs_that_already_ran_is_confirmed() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nq.enqueue(labjobs.add, 1, 1, job_id='ran1')\nq.enqueue(labjobs.add, 1, 2, job_id='ran2')\nq.enqueue(labjobs.fail, 'x', job_id='bad1')",
    );
    Rq::V2.burst(&url, "default");
    let out = rqctl(&url, &["requeue", "--all", "finished"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("Requeue 2 jobs from finished@default to queue default? They already ran"),
        "{}",
        stderr(&out)
    );
    let out = rqctl(&url, &["requeue", "ran1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Requeue 1 job (1 already finished, canceled or stopped)?"),
        "{}",
        stderr(&out)
    );
    let mut c = server.conn();
    assert_eq!(
        c.llen::<_, i64>("rq:queue:default").unwrap(),
        0,
        "nothing moved"
    );
    let out = rqctl(&url, &["requeue", "bad1"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "failed jobs need no question: {}",
        stderr(&out)
    );
    let out = rqctl(&url, &["requeue", "--all", "finished", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(c.llen::<_, i64>("rq:queue:default").unwrap(), 3);
    // The other questions, one and many.
    let out = rqctl(&url, &["delete", "ran1"]);
    assert!(
        stderr(&out).contains("Delete 1 job and its results"),
        "{}",
        stderr(&out)
    );
    let out = rqctl(&url, &["cancel", "ran1", "ran2"]);
    assert!(
        stderr(&out).contains("Cancel 2 jobs? They move to the canceled registry of their queue"),
        "{}",
        stderr(&out)
    );
}
