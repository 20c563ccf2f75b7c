//! Failure signatures on hostile data: tracebacks that are garbage, empty, 1 MB, binary or
//! bad base64; job keys of the wrong type; a failed registry that is not a sorted set; and
//! a registry that changes while it is scanned. Never a panic, never a job counted twice.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::HashSet;
use std::io::Write;

use redis::Commands;
use rqtop::rq::select::parse;
use rqtop::rq::{ConnectOptions, JobSource, Registry, RqClient};
use support::{RedisServer, rqctl, rqctl_json};

fn z(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A failed job in `q` whose latest result holds `exc_string` (already encoded).
fn failed(c: &mut redis::Connection, q: &str, id: &str, exc_string: &[u8]) {
    let _: () = c.sadd("rq:queues", format!("rq:queue:{q}")).unwrap();
    let _: () = c
        .hset_multiple(
            format!("rq:job:{id}"),
            &[
                ("status", "failed"),
                ("origin", q),
                ("ended_at", "2026-11-29T10:00:00.000000Z"),
            ],
        )
        .unwrap();
    let _: () = c
        .zadd(format!("rq:failed:{q}"), id, 4_000_000_000_u64)
        .unwrap();
    let _: () = redis::cmd("XADD")
        .arg(format!("rq:results:{id}"))
        .arg("*")
        .arg("type")
        .arg("2")
        .arg("exc_string")
        .arg(exc_string)
        .query(c)
        .unwrap();
}

#[test]
fn hostile_tracebacks_get_signatures_of_their_own() {
    let server = RedisServer::start();
    let mut c = server.conn();
    let huge = format!(
        "Traceback (most recent call last):\n{}KeyError: 'x'\n",
        "  File \"a.py\", line 1, in f\n".repeat(40_000)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "garbage",
            b64(&z(b"!!! not a traceback \x1b[2J at all")).into_bytes(),
        ),
        ("empty", b64(&z(b"")).into_bytes()),
        (
            "binary",
            b64(&z(&[0xff, 0xfe, 0x00, 0x80, 0x9b, 0x31])).into_bytes(),
        ),
        ("badbase64", b"%%%not base64%%%".to_vec()),
        ("huge", b64(&z(huge.as_bytes())).into_bytes()),
        (
            "plain",
            b"Traceback (most recent call last):\nValueError: 3".to_vec(),
        ),
        ("bomb", b64(&z(&vec![b'a'; 64 << 20])).into_bytes()),
    ];
    for (id, exc) in &cases {
        failed(&mut c, "q", id, exc);
    }
    // Keys that are not jobs, listed in the registry.
    let _: () = c.set("rq:job:notahash", "x").unwrap();
    let _: () = c.zadd("rq:failed:q", "notahash", 1).unwrap();
    let _: () = c.zadd("rq:failed:q", "gone", 1).unwrap();
    let doc = rqctl_json(&server.url(), &["failures"]);
    let sigs = doc["signatures"].as_array().unwrap();
    let ids: HashSet<&str> = sigs.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), sigs.len());
    assert_eq!(doc["jobs"], cases.len() as u64, "{doc:#}");
    assert_eq!(
        doc["missing"], 2,
        "not-a-hash and gone are counted apart: {doc:#}"
    );
    // Every hostile text is a cause of its own (empty and binary are not merged with text).
    assert!(sigs.len() >= cases.len() - 1, "{doc:#}");
    for s in sigs {
        assert!(s["message"].as_str().unwrap().len() <= 300);
    }
    // The text table escapes what it prints.
    let out = rqctl(&server.url(), &["failures"]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn a_registry_of_the_wrong_type_is_an_error_not_a_panic() {
    let server = RedisServer::start();
    let mut c = server.conn();
    let _: () = c.sadd("rq:queues", "rq:queue:q").unwrap();
    let _: () = c.set("rq:failed:q", "x").unwrap();
    let out = rqctl(&server.url(), &["failures"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("WRONGTYPE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_changing_under_a_scan_never_yields_a_job_twice() {
    let server = RedisServer::start();
    let mut c = server.conn();
    let exc = b64(&z(b"Traceback (most recent call last):\nKeyError: 'k'\n"));
    for i in 0..4000 {
        failed(&mut c, "q", &format!("j{i}"), exc.as_bytes());
    }
    // Meanwhile another client removes and adds members.
    let url = server.url();
    let churn = std::thread::spawn(move || {
        let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
        for i in 0..4000 {
            let _: () = c
                .zrem("rq:failed:q", format!("j{}", (i * 7) % 4000))
                .unwrap();
            let _: () = c.zadd("rq:failed:q", format!("new{i}"), i).unwrap();
        }
    });
    let mut client = RqClient::connect(&ConnectOptions::new(server.url()))
        .await
        .unwrap();
    let sel = parse("exc=KeyError").unwrap();
    let mut seen = HashSet::new();
    let mut twice = 0;
    let matches = client
        .select_jobs(
            JobSource::Registry(Registry::Failed),
            &["q".to_string()],
            &sel,
            |j| {
                if !seen.insert(j.id.clone()) {
                    twice += 1;
                }
            },
        )
        .await
        .unwrap();
    churn.join().unwrap();
    assert_eq!(twice, 0);
    let ids: HashSet<&String> = matches[0].ids.iter().collect();
    assert_eq!(ids.len(), matches[0].ids.len());
    assert!(matches[0].ids.len() <= 4000);
}
