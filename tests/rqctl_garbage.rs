//! Foreign and broken data: every case gets a clear message or a marked row, never a panic.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use redis::Commands;
use support::{RedisServer, rqctl, rqctl_json};

fn random_bytes(seed: &mut u64, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed & 0xff) as u8
        })
        .collect()
}

#[test]
fn random_bytes_in_every_field_of_a_job() {
    let server = RedisServer::start();
    let mut c = server.conn();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let fields = [
        "status",
        "created_at",
        "data",
        "origin",
        "description",
        "enqueued_at",
        "started_at",
        "ended_at",
        "worker_name",
        "timeout",
        "meta",
        "exc_info",
        "result",
        "dependency_ids",
        "result_ttl",
    ];
    for i in 0..20 {
        let id = format!("garbage-{i}");
        for f in fields {
            let v = random_bytes(&mut seed, 1 + i * 7);
            let _: () = c.hset(format!("rq:job:{id}"), f, v).unwrap();
        }
        let _: () = c.rpush("rq:queue:junk", &id).unwrap();
        let _: () = c.zadd("rq:failed:junk", &id, 1.0e12).unwrap();
        let _: String = redis::cmd("XADD")
            .arg(format!("rq:results:{id}"))
            .arg("*")
            .arg("type")
            .arg(random_bytes(&mut seed, 3))
            .arg("exc_string")
            .arg(random_bytes(&mut seed, 40))
            .arg("return_value")
            .arg(random_bytes(&mut seed, 40))
            .query(&mut c)
            .unwrap();
        let job = rqctl_json(&server.url(), &["job", &id]);
        assert_eq!(job["id"], id.as_str());
        // Undecodable data is reported with its size, and the rest of the job still shows.
        assert!(
            job["data_error"].is_string() || job["func_name"].is_string(),
            "{job}"
        );
        assert!(job["fields"]["data"].is_string());
        let text = rqctl(&server.url(), &["job", &id]);
        assert!(
            text.status.success(),
            "{}",
            String::from_utf8_lossy(&text.stderr)
        );
    }
    let _: () = c.sadd("rq:queues", "rq:queue:junk").unwrap();
    let page = rqctl_json(&server.url(), &["jobs", "junk", "--limit", "50"]);
    assert_eq!(page["total"], 20);
    assert_eq!(page["jobs"].as_array().unwrap().len(), 20);
    let failed = rqctl_json(&server.url(), &["jobs", "junk", "--registry", "failed"]);
    assert_eq!(failed["total"], 20);
    let info = rqctl_json(&server.url(), &["info"]);
    assert_eq!(info["queues"][0]["queued"], 20);
}

#[test]
fn dangling_ids_are_marked_not_fatal() {
    let server = RedisServer::start();
    let mut c = server.conn();
    let _: () = c.sadd("rq:queues", "rq:queue:q").unwrap();
    let _: () = c.rpush("rq:queue:q", &["ghost-1", "ghost-2"]).unwrap();
    let _: () = c.zadd("rq:failed:q", "ghost-3", 1.0e12).unwrap();
    let page = rqctl_json(&server.url(), &["jobs", "q"]);
    assert_eq!(page["jobs"][0]["missing"], true);
    assert_eq!(page["jobs"][0]["status"], serde_json::Value::Null);
    let text = rqctl(&server.url(), &["jobs", "q", "--registry", "failed"]);
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains("dangling"));
    let missing = rqctl(&server.url(), &["job", "ghost-1"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr).trim(),
        "rqctl: error: no such job: ghost-1"
    );
}

#[test]
fn non_rq_keys_under_rq_prefix() {
    let server = RedisServer::start();
    let mut c = server.conn();
    // A "queue" whose key is a hash, a registry that is a string, a worker set member
    // without a hash, and stray keys.
    let _: () = c
        .sadd("rq:queues", &["rq:queue:weird", "not-a-queue-key"])
        .unwrap();
    let _: () = c.hset("rq:queue:weird", "a", "b").unwrap();
    let _: () = c.set("rq:failed:weird", "surprise").unwrap();
    let _: () = c.sadd("rq:workers", "rq:worker:gone").unwrap();
    let _: () = c.set("rq:something-new", "1").unwrap();
    let out = rqctl(&server.url(), &["info"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("queue weird") && stderr.contains("WRONGTYPE"),
        "{stderr}"
    );
    let info = rqctl_json(&server.url(), &["info"]);
    assert_eq!(info["queues"].as_array().unwrap().len(), 1);
    assert!(
        info["queues"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("rq:failed:weird")
    );
    assert_eq!(
        info["workers"].as_array().unwrap().len(),
        0,
        "stale worker registration"
    );
    let page = rqctl(&server.url(), &["jobs", "weird"]);
    assert_eq!(page.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&page.stderr).contains("WRONGTYPE"));
}

#[test]
fn ten_megabyte_data_field() {
    let server = RedisServer::start();
    let mut c = server.conn();
    let mut seed = 42;
    let big = random_bytes(&mut seed, 10 * 1024 * 1024);
    let _: () = c
        .hset_multiple(
            "rq:job:big",
            &[("status", b"queued".to_vec()), ("data", big)],
        )
        .unwrap();
    let job = rqctl_json(&server.url(), &["job", "big"]);
    assert_eq!(job["data_size"], 10 * 1024 * 1024);
    assert!(
        job["data_error"]
            .as_str()
            .unwrap()
            .contains("10485760 bytes")
    );
    assert_eq!(job["status"], "queued");
}

#[test]
fn unknown_status_is_shown_verbatim() {
    let server = RedisServer::start();
    let mut c = server.conn();
    let _: () = c.hset("rq:job:future", "status", "rate_limited").unwrap();
    let job = rqctl_json(&server.url(), &["job", "future"]);
    assert_eq!(job["status"], "rate_limited");
}
