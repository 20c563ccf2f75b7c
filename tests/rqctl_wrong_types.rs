//! Keys that are not what RQ keeps under its names never read as a quiet, empty server: a
//! top-level key of the wrong type is a reported problem (exit 1), a key of the wrong type
//! under any RQ name never crashes a command, and a queue named by bytes that are not UTF-8
//! is read by those bytes.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use redis::Commands;
use support::{RedisServer, Rq, rqctl, text};

/// A small state of every kind RQ 2.12 writes: queued, started-by-nobody, finished,
/// failed, scheduled, deferred, canceled, a worker, rq-scheduler and a result stream.
fn rq_state(url: &str) {
    Rq::V2.script(
        url,
        r#"
from rq import Queue
import labjobs
q = Queue('default', connection=r)
a = q.enqueue(labjobs.add, 1, 1, job_id='done1')
q.enqueue(labjobs.fail, 'x', job_id='failed1')
"#,
    );
    Rq::V2.burst(url, "default");
    Rq::V2.script(
        url,
        r#"
from rq import Queue
from rq_scheduler import Scheduler
import labjobs
q = Queue('default', connection=r)
p = q.enqueue(labjobs.add, 1, 1, job_id='queued1')
q.enqueue(labjobs.add, 1, 1, job_id='child1', depends_on=p)
q.enqueue_in(datetime.timedelta(hours=1), labjobs.add, 2, 2, job_id='sched1')
q.enqueue(labjobs.add, 3, 3, job_id='cancel1').cancel()
Scheduler(queue_name='default', connection=r).schedule(
    scheduled_time=datetime.datetime.utcnow() + datetime.timedelta(minutes=10),
    func=labjobs.add, args=[1, 1], interval=60, id='periodic')
"#,
    );
}

#[test]
fn top_level_keys_of_the_wrong_type_are_problems_not_an_empty_server() {
    let server = RedisServer::start();
    let url = server.url();
    rq_state(&url);
    let mut con = server.conn();
    let _: () = con.del("rq:queues").unwrap();
    let _: () = con.set("rq:queues", "oops").unwrap();
    for args in [vec!["info"], vec!["queues"], vec!["workers"]] {
        let out = rqctl(&url, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("rq:queues is not a set"),
            "{}",
            text(&out)
        );
    }
    let out = rqctl(&url, &["info", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["problems"][0]
            .as_str()
            .unwrap()
            .contains("rq:queues is not a set"),
        "{doc}"
    );
    let _: () = con.del("rq:queues").unwrap();
    let _: () = con.sadd("rq:queues", "rq:queue:default").unwrap();
    let _: () = con.del("rq:workers").unwrap();
    let _: () = con.hset("rq:workers", "a", "b").unwrap();
    let out = rqctl(&url, &["workers"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("rq:workers is not a set"),
        "{}",
        text(&out)
    );

    // A registered worker whose key is not a hash: reported, in the full read (workers) and
    // in the lean one (metrics), never just left out.
    let _: () = con.del("rq:workers").unwrap();
    let _: () = con.sadd("rq:workers", "rq:worker:odd").unwrap();
    let _: () = con.set("rq:worker:odd", "not a hash").unwrap();
    let out = rqctl(&url, &["workers"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("rq:worker:odd") && text(&out).contains("WRONGTYPE"),
        "{}",
        text(&out)
    );
    let out = rqctl(&url, &["metrics"]);
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(body.contains("\nrq_problems 1\n"), "{body}");
}

#[test]
fn a_wrong_type_under_any_rq_key_never_crashes_a_command() {
    let server = RedisServer::start();
    let url = server.url();
    rq_state(&url);
    let mut con = server.conn();
    let keys: Vec<String> = con
        .scan::<String>()
        .unwrap()
        .filter_map(Result::ok)
        .filter(|k| k.starts_with("rq:"))
        .collect();
    assert!(keys.len() > 15, "{keys:?}");
    let commands: Vec<Vec<&str>> = vec![
        vec!["info"],
        vec!["workers"],
        vec!["jobs", "default"],
        vec!["jobs", "default", "--registry", "failed"],
        vec!["jobs", "default", "--registry", "scheduled"],
        vec!["job", "failed1"],
        vec!["job", "child1"],
        vec!["schedules"],
        vec!["requeue", "failed1"],
        vec!["requeue", "--all", "failed"],
        vec!["cancel", "sched1", "--yes"],
        vec!["delete", "queued1", "--yes"],
        vec!["enqueue-now", "sched1"],
        vec!["clean", "--dry-run"],
        vec!["empty", "default", "--registry", "canceled", "--yes"],
    ];
    for key in &keys {
        // Swap the key for one of another type, run everything, put it back. (The
        // mutations change the state as they go; a key they removed is passed over.)
        let dump: Option<Vec<u8>> = redis::cmd("DUMP").arg(key).query(&mut con).unwrap();
        let Some(dump) = dump else { continue };
        let kind: String = redis::cmd("TYPE").arg(key).query(&mut con).unwrap();
        let _: () = con.del(key).unwrap();
        if kind == "string" {
            let _: () = con.hset(key, "f", "\x1b[2J").unwrap();
        } else {
            let _: () = con.set(key, "\x1b[2J not what RQ keeps").unwrap();
        }
        for args in &commands {
            let out = rqctl(&url, args);
            let code = out.status.code();
            assert!(
                matches!(code, Some(0..=2)),
                "{key} as the wrong type: {args:?} exited {code:?}: {}",
                text(&out)
            );
            assert!(
                !text(&out).contains("panicked"),
                "{key}: {args:?}: {}",
                text(&out)
            );
        }
        let out = rqctl(&url, &["info", "--json"]);
        assert!(
            serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok(),
            "{key}: info --json is not a document: {}",
            text(&out)
        );
        let _: () = con.del(key).unwrap();
        let _: () = redis::cmd("RESTORE")
            .arg(key)
            .arg(0)
            .arg(dump)
            .query(&mut con)
            .unwrap();
    }
}

#[test]
fn a_queue_named_by_bytes_that_are_not_utf8_is_read_by_those_bytes() {
    let server = RedisServer::start();
    let url = server.url();
    let mut con = server.conn();
    let name: &[u8] = b"q\xff\xfe";
    let list = [b"rq:queue:".as_slice(), name].concat();
    let _: () = con.sadd("rq:queues", &list).unwrap();
    for id in ["a", "b", "c"] {
        let _: () = con.rpush(&list, id).unwrap();
        let _: () = con
            .hset_multiple(
                format!("rq:job:{id}"),
                &[("status", "queued"), ("origin", "q?")],
            )
            .unwrap();
    }
    let out = rqctl(&url, &["info"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    let row = shown
        .lines()
        .find(|l| l.starts_with("q\\xff\\xfe"))
        .unwrap_or_else(|| panic!("no row for the queue: {shown}"));
    assert!(
        row.split_whitespace().nth(1) == Some("3"),
        "the queue holds 3: {row}"
    );
}

/// A custom description says anything: the function comes from the job's data, in the
/// Schedules view too.
#[test]
fn schedules_take_the_function_from_data_not_the_description() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nQueue('default', connection=r).enqueue_in(datetime.timedelta(hours=1), labjobs.add, 1, 2, job_id='s1', description='nightly billing run')",
    );
    let doc = support::rqctl_json(&url, &["schedules"]);
    let entry = &doc["entries"][0];
    assert_eq!(entry["id"], "s1", "{doc}");
    assert_eq!(entry["func_name"], "labjobs.add", "{doc}");
    assert_eq!(entry["description"], "nightly billing run", "{doc}");
}

/// rq-scheduler 0.13 (with rq 1.16) writes no `status`: RQ's `get_status()` says None, and so
/// do we (null in JSON), rather than invent `created`.
#[test]
fn a_job_without_a_status_is_shown_as_stored() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V1.script(
        &url,
        "from rq_scheduler import Scheduler\nimport labjobs\nScheduler(queue_name='default', connection=r).enqueue_in(datetime.timedelta(hours=1), labjobs.add, 1, 2, job_id='nostatus')\nfrom rq.job import Job\nprint(Job.fetch('nostatus', connection=r).get_status())",
    );
    let mut con = server.conn();
    let stored: Option<String> = con.hget("rq:job:nostatus", "status").unwrap();
    assert_eq!(stored, None, "rq-scheduler 0.13 writes no status");
    let job = support::rqctl_json(&url, &["job", "nostatus"]);
    assert_eq!(job["status"], serde_json::Value::Null, "{job}");
    let sched = support::rqctl_json(&url, &["schedules"]);
    assert_eq!(
        sched["entries"][0]["status"],
        serde_json::Value::Null,
        "{sched}"
    );
}
