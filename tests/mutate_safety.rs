//! Mutations are safe beside running workers and survive a cut in the middle: every job id
//! is accounted for exactly once, and running the command again finishes the work.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redis::Commands;
use support::{RedisServer, Rq, rqctl, rqctl_json, wait_for};

/// Where each id is: queue list entries, registry memberships, and whether its hash exists.
fn places(c: &mut redis::Connection, queue: &str, ids: &[String]) -> HashMap<String, Vec<String>> {
    let mut at: HashMap<String, Vec<String>> =
        ids.iter().map(|i| (i.clone(), Vec::new())).collect();
    let listed: Vec<String> = c.lrange(format!("rq:queue:{queue}"), 0, -1).unwrap();
    for id in listed {
        at.entry(id).or_default().push("queue".into());
    }
    for reg in [
        "failed",
        "finished",
        "wip",
        "canceled",
        "deferred",
        "scheduled",
    ] {
        let members: Vec<String> = c.zrange(format!("rq:{reg}:{queue}"), 0, -1).unwrap();
        for m in members {
            let id = m.split(':').next().unwrap().to_string();
            at.entry(id).or_default().push(reg.into());
        }
    }
    for id in ids {
        let exists: bool = c.exists(format!("rq:job:{id}")).unwrap();
        if !exists {
            at.get_mut(id).unwrap().push("deleted".into());
        }
    }
    at
}

/// Writes `n` failed jobs shaped as RQ 2.12 leaves them (hash + failed registry entry).
fn seed_failed(c: &mut redis::Connection, queue: &str, n: usize) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("job-{i:06}")).collect();
    let mut pipe = redis::pipe();
    pipe.sadd("rq:queues", format!("rq:queue:{queue}")).ignore();
    for (i, id) in ids.iter().enumerate() {
        pipe.hset_multiple(
            format!("rq:job:{id}"),
            &[
                ("status", "failed"),
                ("origin", queue),
                ("description", "labjobs.add(1, 2)"),
                ("created_at", "2026-11-23T19:35:51.040728Z"),
                ("enqueued_at", "2026-11-23T19:35:51.040728Z"),
                ("started_at", "2026-11-23T19:35:52.000000Z"),
                ("ended_at", "2026-11-23T19:35:53.000000Z"),
                ("timeout", "180"),
            ],
        )
        .ignore();
        pipe.zadd(format!("rq:failed:{queue}"), id, 1_900_000_000 + i as i64)
            .ignore();
    }
    let () = pipe.query(c).unwrap();
    ids
}

/// After a cut: each id exactly once, in the failed registry or the queue, with the
/// status that goes with the place.
fn assert_each_once(c: &mut redis::Connection, queue: &str, ids: &[String]) -> (usize, usize) {
    let at = places(c, queue, ids);
    let (mut queued, mut failed) = (0, 0);
    for (id, where_) in &at {
        assert_eq!(where_.len(), 1, "{id} is in {where_:?}");
        let status: String = c.hget(format!("rq:job:{id}"), "status").unwrap();
        match where_[0].as_str() {
            "queue" => {
                queued += 1;
                assert_eq!(status, "queued", "{id}");
            }
            "failed" => {
                failed += 1;
                assert_eq!(status, "failed", "{id}");
            }
            other => panic!("{id} ended up in {other}"),
        }
    }
    (queued, failed)
}

fn spawn_requeue(url: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", url, "requeue", "--all", "failed", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the requeue is under way (some, not all, moved).
fn wait_mid_way(c: &mut redis::Connection, queue: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let moved: usize = c.llen(format!("rq:queue:{queue}")).unwrap();
        if moved > 0 && moved < n {
            return;
        }
        assert!(moved < n, "finished before it could be cut: use more jobs");
        assert!(Instant::now() < deadline, "requeue never started");
    }
}

#[test]
fn client_killed_mid_requeue_loses_nothing_and_a_rerun_finishes() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    let n = 60_000;
    let ids = seed_failed(&mut c, "q", n);
    let mut child = spawn_requeue(&url);
    wait_mid_way(&mut c, "q", n);
    child.kill().unwrap();
    child.wait().unwrap();
    let (queued, failed) = assert_each_once(&mut c, "q", &ids);
    assert!(
        queued > 0 && failed > 0,
        "cut mid-way: {queued} queued, {failed} failed"
    );

    let again = rqctl_json(&url, &["requeue", "--all", "failed"]);
    assert_eq!(again["reports"][0]["done"], failed as u64);
    let (queued, failed) = assert_each_once(&mut c, "q", &ids);
    assert_eq!((queued, failed), (n, 0));
}

#[test]
fn connection_cut_mid_requeue_reports_and_a_rerun_finishes() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    let n = 60_000;
    let ids = seed_failed(&mut c, "q", n);
    let child = spawn_requeue(&url);
    wait_mid_way(&mut c, "q", n);
    // Cut every other client's connection (ours is skipped).
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .exec(&mut c)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (queued, failed) = assert_each_once(&mut c, "q", &ids);
    if out.status.success() {
        // The cut landed between two round trips and the reconnect carried on: all done.
        assert_eq!((queued, failed), (n, 0));
    } else {
        assert_eq!(out.status.code(), Some(1));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(report["reports"][0]["error"].is_string(), "{report}");
        assert_eq!(report["ok"], false);
    }
    let again = rqctl(&url, &["requeue", "--all", "failed"]);
    assert!(again.status.success());
    assert_eq!(assert_each_once(&mut c, "q", &ids), (n, 0));
}

#[test]
fn real_workers_consume_while_requeue_and_empty_run() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    // 150 jobs failed by a real worker (the flag makes them fail), then 400 queued jobs.
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nr.set('flag', 1)\nfor i in range(150):\n    q.enqueue(labjobs.fail_while, 'flag', i, job_id=f'f{i:03}')",
    );
    Rq::V2.burst(&url, "default");
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nfor i in range(400):\n    q.enqueue(labjobs.add, i, i, job_id=f'a{i:03}')",
    );
    let ids: Vec<String> = (0..150)
        .map(|i| format!("f{i:03}"))
        .chain((0..400).map(|i| format!("a{i:03}")))
        .collect();
    assert_eq!(rqctl_json(&url, &["info"])["queues"][0]["failed"], 150);

    let _workers: Vec<_> = (0..2)
        .map(|i| Rq::V2.simple_worker(&url, &format!("cw{i}"), &["default"]))
        .collect();
    wait_for(Duration::from_secs(20), || {
        let n: usize = c.llen("rq:queue:default").unwrap();
        (n < 400).then_some(())
    })
    .expect("workers start consuming");
    let requeue = spawn_requeue(&url);
    let empty = Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", &url, "empty", "default", "--yes", "--json"])
        .output()
        .unwrap();
    let requeue = requeue.wait_with_output().unwrap();
    assert!(
        requeue.status.success(),
        "{}",
        String::from_utf8_lossy(&requeue.stderr)
    );
    assert!(
        empty.status.success(),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
    let emptied: serde_json::Value = serde_json::from_slice(&empty.stdout).unwrap();
    let removed = emptied["reports"][0]["done"].as_u64().unwrap() as usize;

    // Let the workers drain whatever is left (requeued jobs fail again: the flag is set).
    // A worker pops a job before it registers it as started: for that instant the job is in
    // neither, so the queue counts as drained only when it stays so a while.
    let drained = |c: &mut redis::Connection| {
        let queued: usize = c.llen("rq:queue:default").unwrap();
        let running: usize = c.zcard("rq:wip:default").unwrap();
        queued == 0 && running == 0
    };
    wait_for(Duration::from_secs(60), || {
        let settled = drained(&mut c) && {
            std::thread::sleep(Duration::from_millis(300));
            drained(&mut c)
        };
        settled.then_some(())
    })
    .expect("queue drains");
    let at = places(&mut c, "default", &ids);
    let mut deleted = 0;
    for (id, where_) in &at {
        assert_eq!(where_.len(), 1, "{id} is in {where_:?}");
        match where_[0].as_str() {
            "deleted" => deleted += 1,
            "finished" => assert!(
                id.starts_with('a'),
                "{id} cannot succeed while the flag is set"
            ),
            "failed" => assert!(id.starts_with('f'), "{id} cannot fail"),
            other => panic!("{id} left in {other}"),
        }
    }
    assert_eq!(
        deleted, removed,
        "every emptied job, and only those, is gone"
    );
}

/// A call that times out on the client may still run on the server: the report says what
/// is known (done at least, how many unknown), the truth lies within it, and a re-run
/// reports the true state. CLIENT PAUSE holds the scripts (they may write) past rqctl's
/// --timeout, then lets them run.
#[test]
fn a_batch_that_times_out_but_runs_is_reported_as_unknown_not_undercounted() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    let n = 6_000;
    let ids = seed_failed(&mut c, "default", n);
    for args in [
        vec!["--timeout", "500ms", "requeue", "--all", "failed", "--json"],
        vec!["--timeout", "500ms", "requeue", "--json"],
    ] {
        let mut args = args;
        let named: Vec<String> = ids.iter().take(3_000).cloned().collect();
        if !args.contains(&"--all") {
            args.extend(named.iter().map(String::as_str));
        }
        let _: () = redis::cmd("CLIENT")
            .arg(&["PAUSE", "1500", "WRITE"])
            .query(&mut c)
            .unwrap();
        let out = rqctl(&url, &args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let report = &doc["reports"][0];
        let done = report["done"].as_u64().unwrap();
        let unknown = report["unknown"].as_u64().unwrap();
        assert!(unknown > 0, "{report}");
        // The paused calls run once the pause ends.
        std::thread::sleep(Duration::from_millis(1_800));
        let (queued, _) = assert_each_once(&mut c, "default", &ids);
        assert!(
            done <= queued as u64 && queued as u64 <= done + unknown,
            "report said {done} done and {unknown} unknown; {queued} are queued: {report}"
        );
        // Put the state back for the next form.
        let _: () = c.del("rq:queue:default").unwrap();
        let _ = seed_failed(&mut c, "default", n);
    }
    // The text form says it in words.
    let _: () = redis::cmd("CLIENT")
        .arg(&["PAUSE", "1500", "WRITE"])
        .query(&mut c)
        .unwrap();
    let out = rqctl(&url, &["--timeout", "500ms", "requeue", "--all", "failed"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("at least") && text.contains("unknown"),
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(1_800));
    // A re-run moves the rest and the totals add up: each id once.
    let again = rqctl_json(&url, &["requeue", "--all", "failed"]);
    assert_eq!(again["ok"], true, "{again}");
    let (queued, failed) = assert_each_once(&mut c, "default", &ids);
    assert_eq!((queued, failed), (n, 0));
}
