//! Every mutation checks all it will write before it writes: a key of the wrong type under
//! an RQ name, or a Redis user who may do only part of the job, leaves the job exactly as it
//! was (proved with a digest of every key), and the refusal says why. A job that moved
//! after it was selected is left alone. The data is written by real RQ 2.12.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;

use redis::Commands;
use support::{RedisServer, Rq, rqctl, text};

/// Every key with its type, serialized value (DUMP) and whether it has a TTL.
fn digest(con: &mut redis::Connection) -> BTreeMap<Vec<u8>, (String, Vec<u8>, bool)> {
    let keys: Vec<Vec<u8>> = con
        .scan::<Vec<u8>>()
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    keys.into_iter()
        .map(|k| {
            let t: String = redis::cmd("TYPE").arg(&k).query(con).unwrap();
            let dump: Vec<u8> = redis::cmd("DUMP").arg(&k).query(con).unwrap();
            let ttl: i64 = con.pttl(&k).unwrap();
            (k, (t, dump, ttl > 0))
        })
        .collect()
}

/// A queued job, a scheduled one, two failed ones and a canceled one, written by real RQ.
fn rq_state(url: &str) {
    Rq::V2.script(
        url,
        r#"
from rq import Queue
import labjobs
q = Queue('default', connection=r)
q.enqueue(labjobs.add, 1, 1, job_id='queued1')
q.enqueue(labjobs.add, 1, 2, job_id='queued2')
q.enqueue_in(datetime.timedelta(hours=1), labjobs.add, 2, 2, job_id='sched1')
q.enqueue(labjobs.fail, 'boom', job_id='failed1')
q.enqueue(labjobs.fail, 'boom', job_id='failed2')
"#,
    );
    Rq::V2.burst(url, "default");
    Rq::V2.script(
        url,
        r#"
from rq import Queue
import labjobs
q = Queue('default', connection=r)
q.enqueue(labjobs.add, 1, 1, job_id='queued1')
q.enqueue(labjobs.add, 1, 2, job_id='queued2')
"#,
    );
}

/// Runs `args`, expecting a refusal that leaves every key but `except` as it was.
fn refused_untouched(
    url: &str,
    con: &mut redis::Connection,
    args: &[&str],
    expect: &str,
    except: &[u8],
) {
    let mut before = digest(con);
    before.remove(except);
    let out = rqctl(url, args);
    let mut after = digest(con);
    after.remove(except);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
    assert!(text(&out).contains(expect), "{args:?}: {}", text(&out));
    for (k, v) in &before {
        assert_eq!(
            after.get(k),
            Some(v),
            "{args:?} changed {}",
            String::from_utf8_lossy(k)
        );
    }
    assert_eq!(before.len(), after.len(), "{args:?} added or removed keys");
}

#[test]
fn wrong_type_keys_leave_every_job_as_it_was() {
    let server = RedisServer::start();
    let url = server.url();
    rq_state(&url);
    let mut con = server.conn();

    // cancel: the canceled registry is a string.
    let _: () = con.set("rq:canceled:default", "not a zset").unwrap();
    refused_untouched(
        &url,
        &mut con,
        &["cancel", "queued1", "--yes"],
        "rq:canceled:default is a string",
        b"",
    );
    let _: () = con.del("rq:canceled:default").unwrap();

    // enqueue-now and requeue: the queue is a hash.
    let queue: Vec<String> = con.lrange("rq:queue:default", 0, -1).unwrap();
    let _: () = con.del("rq:queue:default").unwrap();
    let _: () = con.hset("rq:queue:default", "x", "y").unwrap();
    refused_untouched(
        &url,
        &mut con,
        &["enqueue-now", "sched1"],
        "rq:queue:default is a hash",
        b"",
    );
    refused_untouched(
        &url,
        &mut con,
        &["requeue", "failed1"],
        "rq:queue:default is a hash",
        b"",
    );
    refused_untouched(
        &url,
        &mut con,
        &["requeue", "--all", "failed", "--queue", "default"],
        "rq:queue:default is a hash",
        b"",
    );
    let _: () = con.del("rq:queue:default").unwrap();
    let _: () = con.rpush("rq:queue:default", &queue).unwrap();

    // A job key that is not a hash is refused, never rewritten.
    let _: () = con.set("rq:job:imposter", "x").unwrap();
    let _: () = con.zadd("rq:failed:default", "imposter", 1e12).unwrap();
    let out = rqctl(&url, &["requeue", "imposter"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(con.get::<_, String>("rq:job:imposter").unwrap(), "x");

    // With the keys repaired, the same commands work.
    let _: () = con.zrem("rq:failed:default", "imposter").unwrap();
    for args in [
        vec!["cancel", "queued1", "--yes"],
        vec!["enqueue-now", "sched1"],
        vec!["requeue", "failed1"],
    ] {
        let out = rqctl(&url, &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    }
    let state = Rq::V2.state(&url, &["queued1", "sched1", "failed1"]);
    assert_eq!(
        state["jobs"]["queued1"]["status"], "JobStatus.CANCELED",
        "{state}"
    );
    assert_eq!(
        state["jobs"]["sched1"]["status"], "JobStatus.QUEUED",
        "{state}"
    );
    assert_eq!(
        state["jobs"]["failed1"]["status"], "JobStatus.QUEUED",
        "{state}"
    );
}

#[test]
fn a_user_who_may_do_only_part_of_a_mutation_changes_nothing() {
    let server = RedisServer::start();
    let url = server.url();
    rq_state(&url);
    let mut con = server.conn();
    // May read everything but write only job hashes, their results and queue lists.
    let _: () = redis::cmd("ACL")
        .arg(&["SETUSER", "ops", "on", ">pw", "+@all", "resetkeys", "%R~*"])
        .arg(&[
            "~rq:job:*",
            "~rq:results:*",
            "~rq:queue:*",
            "resetchannels",
            "&*",
        ])
        .query(&mut con)
        .unwrap();
    let limited = format!("redis://ops:pw@127.0.0.1:{}/0", server.port);
    for (args, key) in [
        (
            vec!["cancel", "queued1", "--yes"],
            "ZADD on rq:canceled:default",
        ),
        (vec!["delete", "failed1", "--yes"], "on rq:failed:default"),
        (vec!["requeue", "failed1"], "rq:failed:default"),
        (
            vec!["requeue", "--all", "failed", "--queue", "default"],
            "rq:failed:default",
        ),
        (vec!["enqueue-now", "sched1"], "on rq:scheduled:default"),
        (
            vec!["empty", "default", "--registry", "failed", "--yes"],
            "on rq:failed:default",
        ),
    ] {
        refused_untouched(&limited, &mut con, &args, key, b"");
        let out = rqctl(&limited, &args);
        assert!(
            text(&out).contains("no permission") && text(&out).contains("ACL SETUSER"),
            "{args:?} should say which permission is missing and what to do: {}",
            text(&out)
        );
    }
    // What the user may do, it does: emptying the queue touches only jobs, their results and
    // the list.
    let out = rqctl(&limited, &["empty", "default", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(con.llen::<_, i64>("rq:queue:default").unwrap(), 0);
}

#[test]
fn a_job_that_left_the_registry_after_it_was_selected_is_left_alone() {
    let server = RedisServer::start();
    let url = server.url();
    rq_state(&url);
    let mut con = server.conn();
    // Selected while scheduled; then RQ's scheduler would move it to its queue.
    let selected = vec!["sched1".to_string()];
    Rq::V2.script(
        &url,
        r#"
from rq import Queue
from rq.registry import ScheduledJobRegistry
q = Queue('default', connection=r)
ScheduledJobRegistry(queue=q).requeue('sched1')
"#,
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt.block_on(async {
        let mut client = rqtop::rq::RqClient::connect(&rqtop::rq::ConnectOptions::new(&url))
            .await
            .unwrap();
        client
            .delete_from_registry(rqtop::rq::Registry::Scheduled, "default", &selected, false)
            .await
            .unwrap()
    });
    assert_eq!(report.done, 0, "{report:?}");
    assert_eq!(report.skipped_count, 1, "{report:?}");
    assert!(
        report.skipped[0].reason.contains("no longer there"),
        "{report:?}"
    );
    let queue: Vec<String> = con.lrange("rq:queue:default", 0, -1).unwrap();
    assert!(queue.contains(&"sched1".to_string()), "{queue:?}");
    assert!(con.exists::<_, bool>("rq:job:sched1").unwrap());
}

/// RQ 3.0 data under an ACL written before RQ 3.0 (no `rq:rl*` keys), and a waiting set that
/// holds an id whose key is not a job hash: the plain job is requeued whole, the
/// rate-limited one is refused whole (digest unchanged), and a re-run never duplicates.
#[test]
fn rate_limited_requeue_under_a_partial_acl_and_a_hostile_waiting_set() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V3.script(
        &url,
        "import subprocess\nfrom rq import Queue\nfrom rq.rate_limit import RateLimit\nimport labjobs\nq = Queue('a', connection=r)\nq.enqueue(labjobs.fail, 'x', job_id='j1')\nq.enqueue(labjobs.fail, 'x', job_id='j2', rate_limit=RateLimit('stripe', 1))\nsubprocess.run([sys.executable, '-m', 'rq.cli', 'worker', '--burst', '--url', URL, 'a'], check=True, capture_output=True)",
    );
    let mut con = server.conn();
    let _: () = redis::cmd("ACL")
        .arg(&["SETUSER", "old", "on", ">pw", "+@all", "resetkeys"])
        .arg(&[
            "~rq:job:*",
            "~rq:failed:*",
            "~rq:queue:*",
            "~rq:results:*",
            "resetchannels",
            "&*",
        ])
        .query(&mut con)
        .unwrap();
    let old = format!("redis://old:pw@127.0.0.1:{}/0", server.port);
    let mut before = digest(&mut con);
    let out = rqctl(&old, &["requeue", "j1", "j2"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("j2: no permission"), "{}", text(&out));
    let queue: Vec<String> = con.lrange("rq:queue:a", 0, -1).unwrap();
    assert_eq!(queue, ["j1"], "the plain job is requeued whole");
    let mut after = digest(&mut con);
    for k in ["rq:job:j1", "rq:queue:a", "rq:failed:a"] {
        before.remove(k.as_bytes());
        after.remove(k.as_bytes());
    }
    assert_eq!(
        before, after,
        "the refused job and everything else as they were"
    );

    // A waiting set with an id whose key is a string: requeue --all twice, each id once.
    let _: () = con.zadd("rq:rl:stripe:rate_limited", "zz", 1).unwrap();
    let _: () = con.set("rq:job:zz", "not a hash").unwrap();
    let _: () = con.zadd("rq:rl:stripe:rate_limited", "zz", 1).unwrap();
    for _ in 0..2 {
        let out = rqctl(&url, &["requeue", "--all", "failed"]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    }
    let queue: Vec<String> = con.lrange("rq:queue:a", 0, -1).unwrap();
    let mut seen = std::collections::HashSet::new();
    assert!(
        queue.iter().all(|id| seen.insert(id.clone())),
        "duplicated: {queue:?}"
    );
    let failed: Vec<String> = con.zrange("rq:failed:a", 0, -1).unwrap();
    let waiting: Vec<String> = con.zrange("rq:rl:stripe:rate_limited", 0, -1).unwrap();
    let allowed: Vec<String> = con.zrange("rq:rl:stripe:allowed", 0, -1).unwrap();
    for id in ["j1", "j2"] {
        let places = [&queue, &failed, &waiting]
            .iter()
            .filter(|l| l.contains(&id.to_string()))
            .count();
        assert_eq!(
            places, 1,
            "{id}: queue {queue:?} failed {failed:?} waiting {waiting:?}"
        );
    }
    assert!(allowed.len() <= 1, "the limit holds: {allowed:?}");
}
