//! RQ 3.0.0, both directions, key by key. One state is built by real rq 3.0.0 (failed,
//! queued, deferred, scheduled, canceled and rate-limited jobs), copied whole into a second
//! db (COPY keeps every value and TTL), then RQ's own operation runs on one copy and
//! rqctl's on the other. Every key must then match: type, every field, member, score and
//! TTL (times compared to the second, since the two ran a moment apart). The same with a
//! custom `RQ_KEY_PREFIX`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;

use redis::Commands;
use support::{RedisServer, Rq, rqctl, with_db};

/// The state. `rl*` share `RateLimit('stripe', 1)`: rl0 holds the slot (queued), rl1 and
/// rl2 wait; `rf0` failed while rate-limited.
const SETUP: &str = r#"
import subprocess
from rq import Queue
from rq.rate_limit import RateLimit
import labjobs
q = Queue('default', connection=r)
r.set('flag', 1)
for i in range(3):
    q.enqueue(labjobs.fail_while, 'flag', i, job_id=f'f{i}')
q.enqueue(labjobs.fail_while, 'flag', 9, job_id='rf0', rate_limit=RateLimit('card', 1))
subprocess.run([sys.executable, '-m', 'rq.cli', 'worker', '--burst', '--url', URL, 'default'],
               check=True, capture_output=True)
for i in range(3):
    q.enqueue(labjobs.add, i, i, job_id=f'e{i}')
Queue('other', connection=r).enqueue(labjobs.add, 1, 1, job_id='parent')
q.enqueue(labjobs.add, 2, 2, job_id='child', depends_on='parent')
q.enqueue_in(datetime.timedelta(hours=1), labjobs.add, 3, 3, job_id='s1')
for i in range(3):
    q.enqueue(labjobs.add, i, 10, job_id=f'rl{i}', rate_limit=RateLimit('stripe', 1))
q.enqueue_in(datetime.timedelta(hours=1), labjobs.add, 4, 4, job_id='s2', rate_limit=RateLimit('stripe', 1))
"#;

/// A value that is a time (RQ timestamp or epoch seconds) compares to the second.
fn norm(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v).into_owned();
    let ts = s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T';
    let epoch = s.parse::<f64>().is_ok_and(|f| f > 1.7e9 && f < 2.2e9);
    if ts || epoch { "<time>".into() } else { s }
}

/// Every key of a db: type, a normalised content, and whether/roughly how long it lives.
fn dump(con: &mut redis::Connection, prefix: &str) -> BTreeMap<String, String> {
    let keys: Vec<Vec<u8>> = con
        .scan::<Vec<u8>>()
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    let mut out = BTreeMap::new();
    for k in keys {
        let name = String::from_utf8_lossy(&k).into_owned();
        if name == "flag" || name.starts_with(&format!("{prefix}:clean")) {
            continue; // the fixture's flag; RQ's maintenance locks
        }
        let t: String = redis::cmd("TYPE").arg(&k).query(con).unwrap();
        let content = match t.as_str() {
            "hash" => {
                let m: BTreeMap<Vec<u8>, Vec<u8>> = con.hgetall(&k).unwrap();
                let m: BTreeMap<String, String> = m
                    .into_iter()
                    .map(|(f, v)| (String::from_utf8_lossy(&f).into_owned(), norm(&v)))
                    .collect();
                format!("{m:?}")
            }
            "list" => format!("{:?}", con.lrange::<_, Vec<String>>(&k, 0, -1).unwrap()),
            "set" => {
                let mut m: Vec<String> = con.smembers(&k).unwrap();
                m.sort();
                format!("{m:?}")
            }
            "zset" => {
                let m: Vec<(String, f64)> = con.zrange_withscores(&k, 0, -1).unwrap();
                // By member: scores that are times may cross a second between the copies.
                let mut m: Vec<(String, String)> = m
                    .into_iter()
                    .map(|(m, s)| (m, norm(s.to_string().as_bytes())))
                    .collect();
                m.sort();
                format!("{m:?}")
            }
            "stream" => {
                let n: i64 = redis::cmd("XLEN").arg(&k).query(con).unwrap();
                format!("{n} entries")
            }
            "string" => norm(&con.get::<_, Vec<u8>>(&k).unwrap()),
            other => other.to_string(),
        };
        let ttl: i64 = con.ttl(&k).unwrap();
        // TTLs to ten seconds: the two copies were changed a moment apart.
        let life = if ttl < 0 {
            "no ttl".into()
        } else {
            format!("ttl~{}", (ttl + 5) / 10)
        };
        out.insert(name, format!("{t} {life} {content}"));
    }
    out
}

/// Builds the state once in db 1, copies it to db 2, runs RQ's operation on db 1 and
/// rqctl's on db 2, and compares the two key by key.
fn parity(prefix: &str, rq_op: &str, rqctl_args: &[&str]) {
    parity_with(prefix, "", rq_op, rqctl_args);
}

/// `parity` with `more` run after the common setup (same imports).
fn parity_with(prefix: &str, more: &str, rq_op: &str, rqctl_args: &[&str]) {
    let server = RedisServer::start();
    let (theirs, ours) = (with_db(&server.url(), 1), with_db(&server.url(), 2));
    let env = format!("import os\nos.environ['RQ_KEY_PREFIX'] = {prefix:?}\n");
    Rq::V3.script(
        &theirs,
        &format!("{env}{SETUP}from rq.job import Job\n{more}"),
    );
    let mut c1 = redis::Client::open(theirs.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut c2 = redis::Client::open(ours.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<Vec<u8>> = c1
        .scan::<Vec<u8>>()
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    for k in &keys {
        let _: () = redis::cmd("COPY")
            .arg(k)
            .arg(k)
            .arg("DB")
            .arg(2)
            .query(&mut c1)
            .unwrap();
    }
    assert_eq!(
        dump(&mut c1, prefix),
        dump(&mut c2, prefix),
        "identical copies"
    );
    let ran = format!(
        "{env}from rq.job import Job\nfrom rq import Queue\nfrom rq.registry import *\nq = Queue('default', connection=r)\n{rq_op}"
    );
    Rq::V3.script(&theirs, &ran);
    let mut args = vec!["--prefix", prefix];
    args.extend_from_slice(rqctl_args);
    let out = rqctl(&ours, &args);
    assert!(
        out.status.success(),
        "rqctl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (dump(&mut c1, prefix), dump(&mut c2, prefix));
    let mut diffs = Vec::new();
    for k in a
        .keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        if a.get(k) != b.get(k) {
            diffs.push(format!(
                "{k}\n  rq:    {:?}\n  rqctl: {:?}",
                a.get(k),
                b.get(k)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "[{prefix}] after rqctl {rqctl_args:?} vs rq 3.0 `{rq_op}`:\n{}",
        diffs.join("\n")
    );
}

fn both_prefixes(rq_op: &str, rqctl_args: &[&str]) {
    for prefix in ["rq", "myapp"] {
        parity(prefix, rq_op, rqctl_args);
    }
}

#[test]
fn delete_matches_rq_3() {
    both_prefixes(
        "for i in ['e1', 'f0', 'rl2', 'rl0']:\n    Job.fetch(i, connection=r).delete()",
        &["delete", "e1", "f0", "rl2", "rl0", "--yes"],
    );
}

#[test]
fn cancel_matches_rq_3() {
    both_prefixes(
        "for i in ['e2', 's1', 'f1', 'child', 'rl1', 'rl0']:\n    Job.fetch(i, connection=r).cancel()",
        &["cancel", "e2", "s1", "f1", "child", "rl1", "rl0", "--yes"],
    );
}

#[test]
fn requeue_matches_rq_3() {
    both_prefixes(
        "FailedJobRegistry(queue=q).requeue('f2')\nFailedJobRegistry(queue=q).requeue('rf0')",
        &["requeue", "f2", "rf0"],
    );
}

#[test]
fn requeue_all_matches_rq_3_cli() {
    both_prefixes(
        "import subprocess\nsubprocess.run([sys.executable, '-m', 'rq.cli', 'requeue', '--queue', 'default', '--all', '--url', URL], check=True, env=os.environ)",
        &["requeue", "--all", "failed"],
    );
}

#[test]
fn empty_matches_rq_3() {
    both_prefixes("q.empty()", &["empty", "default", "--yes"]);
}

#[test]
fn enqueue_now_matches_rq_3() {
    both_prefixes(
        "ScheduledJobRegistry(queue=q).requeue('s1')\nScheduledJobRegistry(queue=q).requeue('s2')",
        &["enqueue-now", "s1", "s2"],
    );
}

/// rq 3.0 writes, rqctl reads: ten jobs behind `RateLimit('stripe', 2)` show as 2 queued and
/// 8 waiting, per queue and per key; the waiting jobs are listed and shown with their status;
/// a custom prefix is followed, and only with it are the queues seen.
#[test]
fn rate_limits_and_a_custom_prefix_read_back() {
    let server = RedisServer::start();
    let url = server.url();
    for prefix in ["rq", "myapp"] {
        let db = with_db(&url, if prefix == "rq" { 3 } else { 4 });
        Rq::V3.script(
            &db,
            &format!(
                "import os\nos.environ['RQ_KEY_PREFIX'] = {prefix:?}\nfrom rq import Queue\nfrom rq.rate_limit import RateLimit\nimport labjobs\nq = Queue('api', connection=r)\nfor i in range(10):\n    q.enqueue(labjobs.add, i, i, job_id=f'rl{{i}}', rate_limit=RateLimit('stripe', 2))"
            ),
        );
        let json = |args: &[&str]| {
            let mut all = vec!["--prefix", prefix];
            all.extend_from_slice(args);
            support::rqctl_json(&db, &all)
        };
        let info = json(&["info"]);
        let api = &info["queues"][0];
        assert_eq!(api["name"], "api", "{info}");
        assert_eq!(
            (api["queued"].as_u64(), api["rate_limited"].as_u64()),
            (Some(2), Some(8)),
            "{info}"
        );
        let limit = &info["rate_limits"][0];
        assert_eq!(limit["key"], "stripe");
        assert_eq!(
            (
                limit["concurrency"].as_u64(),
                limit["allowed"].as_u64(),
                limit["waiting"].as_u64()
            ),
            (Some(2), Some(2), Some(8)),
            "{info}"
        );
        let all = json(&["ratelimits"]);
        assert_eq!(all["rate_limits"][0]["waiting"], 8, "{all}");
        let waiting = json(&["ratelimits", "stripe", "--limit", "3"]);
        assert_eq!(waiting["waiting"], 8);
        assert_eq!(waiting["jobs"].as_array().unwrap().len(), 3);
        assert_eq!(waiting["jobs"][0]["status"], "rate_limited", "{waiting}");
        assert_eq!(json(&["job", "rl9"])["status"], "rate_limited");
        let text = rqctl(&db, &["--prefix", prefix, "info"]);
        let text = String::from_utf8_lossy(&text.stdout).into_owned();
        assert!(
            text.contains("LIMITED") && text.contains("stripe 2/2 slots held, 8 waiting"),
            "{text}"
        );
        if prefix != "rq" {
            let blind = support::rqctl_json(&db, &["info"]);
            assert_eq!(
                blind["queues"].as_array().unwrap().len(),
                0,
                "another prefix sees nothing"
            );
            let out = rqctl(&db, &["--prefix", "bad prefix", "info"]);
            assert_eq!(out.status.code(), Some(2));
        }
    }
    let out = rqctl(&url, &["jobs", "api", "--limit", "0"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--limit 0 is refused, not one row"
    );
}

/// `rqctl clean` against RQ 3.0's `clean_registries` on the same copy: a dependent left in
/// the ready registry (its worker died between the two steps) is enqueued, the slots that
/// `Queue.empty()` leaked are freed and given to waiting jobs, expired entries go.
#[test]
fn clean_matches_rq_3() {
    let setup = "\nfrom rq.registry import ReadyJobRegistry, FinishedJobRegistry\nq2 = Queue('other', connection=r)\nchild = Job.fetch('child', connection=r)\nwith r.pipeline() as p:\n    ReadyJobRegistry(queue=q).register_jobs([child], pipeline=p)\n    p.execute()\nr.zadd(FinishedJobRegistry(queue=q).key, {'e0': 1000})\nlim = Queue('lim', connection=r)\nfor i in range(3):\n    lim.enqueue(labjobs.add, i, 1, job_id=f'lk{i}', rate_limit=RateLimit('leak', 1))\nlim.empty()\nfor i in range(3, 5):\n    lim.enqueue(labjobs.add, i, 1, job_id=f'lk{i}', rate_limit=RateLimit('leak', 1))\n";
    for prefix in ["rq", "myapp"] {
        parity_with(
            prefix,
            setup,
            "clean_registries(q)\nclean_registries(Queue('lim', connection=r))",
            &["clean", "default", "lim"],
        );
    }
}

/// We change, real rq 3.0 carries on: rate-limited and plain failed jobs requeued by rqctl
/// (under a custom prefix) are run to the end by a real `rq worker --burst`, and the
/// rate-limit sets are left empty, as RQ leaves them after its own runs.
#[test]
fn requeued_jobs_run_on_a_real_rq_3_worker() {
    let server = RedisServer::start();
    let url = server.url();
    let env = "import os\nos.environ['RQ_KEY_PREFIX'] = 'myapp'\n";
    Rq::V3.script(&url, &format!("{env}{SETUP}"));
    let mut con = server.conn();
    let _: () = con.del("flag").unwrap(); // fail_while now succeeds
    let out = rqctl(&url, &["--prefix", "myapp", "requeue", "--all", "failed"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Rq::V3.script(
        &url,
        &format!("{env}import subprocess\nsubprocess.run([sys.executable, '-m', 'rq.cli', 'worker', '--burst', '--url', URL, 'default'], check=True, capture_output=True, env=os.environ)"),
    );
    let doc = support::rqctl_json(&url, &["--prefix", "myapp", "info"]);
    let default = doc["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "default")
        .unwrap();
    assert_eq!(default["failed"], 0, "{doc}");
    assert_eq!(default["queued"], 0, "{doc}");
    assert_eq!(default["rate_limited"], 0, "{doc}");
    for id in ["f0", "f1", "f2", "rf0", "rl0", "rl1", "rl2"] {
        let status: Option<String> = con.hget(format!("myapp:job:{id}"), "status").unwrap();
        assert_eq!(status.as_deref(), Some("finished"), "{id}");
    }
    let allowed: i64 = con.zcard("myapp:rl:card:allowed").unwrap();
    assert_eq!(allowed, 0, "slots released by the worker");
}
