//! Several targets at once: `rqctl info|queues|workers` over three real servers (one stopped
//! midway) and one that accepts connections but never answers. Every target is read in
//! parallel; a dead or silent one is its own error entry and costs no more than its timeouts.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::tmux::Tmux;
use support::{RedisServer, text};

fn seed(server: &RedisServer, queue: &str, jobs: usize) {
    let mut c = server.conn();
    let _: () = redis::cmd("SADD")
        .arg("rq:queues")
        .arg(format!("rq:queue:{queue}"))
        .query(&mut c)
        .unwrap();
    for i in 0..jobs {
        let _: () = redis::cmd("RPUSH")
            .arg(format!("rq:queue:{queue}"))
            .arg(format!("job-{i}"))
            .query(&mut c)
            .unwrap();
    }
}

fn rqctl(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RQ_REDIS_URL")
        .env_remove("REDIS_URL")
        .env_remove("RQTOP_CONTEXT")
        .env_remove("REDISCLI_AUTH")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn entry<'a>(doc: &'a serde_json::Value, ctx: &str) -> &'a serde_json::Value {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["context"] == ctx)
        .unwrap()
}

#[test]
fn three_servers_one_stopped_midway_and_one_that_never_answers() {
    let a = RedisServer::start();
    let b = RedisServer::start();
    let mut c = RedisServer::start();
    seed(&a, "alpha", 1);
    seed(&b, "beta", 2);
    seed(&c, "gamma", 3);
    // Accepts TCP connections (the kernel's backlog) and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("rqtop-fleet-{}", a.port));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let ctx = |name: &str, port: u16, extra: &str| {
        format!("[contexts.{name}]\nurl = \"redis://127.0.0.1:{port}/0\"\n{extra}")
    };
    std::fs::write(
        &config,
        [
            ctx("a", a.port, ""),
            ctx("b", b.port, ""),
            ctx("c", c.port, ""),
            ctx(
                "silent",
                silent_port,
                "connect_timeout = \"1s\"\ntimeout = \"1s\"\n",
            ),
        ]
        .join(""),
    )
    .unwrap();

    // All three up: one document, one entry per target, each with its own queues.
    let o = rqctl(
        &config,
        &["-c", "a", "-c", "b", "-c", "c", "queues", "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], true);
    assert_eq!(entry(&doc, "b")["queues"][0]["name"], "beta");
    assert_eq!(entry(&doc, "c")["queues"][0]["queued"], 3);
    assert_eq!(
        entry(&doc, "a")["target"],
        format!("redis://127.0.0.1:{}/0", a.port)
    );

    // c stops: a and b still answer; c is an error entry; exit 1.
    c.kill();
    let o = rqctl(
        &config,
        &["-c", "a", "-c", "b", "-c", "c", "info", "--json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(entry(&doc, "a")["info"]["queues"][0]["name"], "alpha");
    assert_eq!(entry(&doc, "b")["ok"], true);
    let err = entry(&doc, "c")["error"].as_str().unwrap();
    assert!(err.contains("cannot connect"), "{err}");
    // The text form: one section per target, the dead one says why.
    let o = rqctl(&config, &["-c", "a", "-c", "c", "-c", "b", "workers"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("== a (redis://") && out.contains("== b ("),
        "{out}"
    );
    assert!(
        out.contains("== c (") && out.contains("error: cannot connect"),
        "{out}"
    );

    // Every context, with one that never answers: it costs its own timeouts (1s + 1s), in
    // parallel with the others, not more.
    let started = Instant::now();
    let o = rqctl(&config, &["--all-contexts", "queues", "--json"]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["targets"].as_array().unwrap().len(), 4);
    assert_eq!(entry(&doc, "a")["ok"], true);
    assert_eq!(entry(&doc, "b")["queues"][0]["queued"], 2);
    assert_eq!(entry(&doc, "silent")["ok"], false);
    assert!(took < Duration::from_millis(3500), "took {took:?}");
    drop(silent);

    // Several contexts are for reads; other uses are usage errors.
    let o = rqctl(&config, &["-c", "a", "-c", "b", "empty", "alpha", "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = rqctl(
        &config,
        &["-c", "a", "-c", "b", "--url", "redis://x", "queues"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = rqctl(&config, &["-c", "a", "-c", "nope", "queues"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("known: a, b, c, silent"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(dir);
}

/// rqtop's fleet view in tmux over three real servers: every target's queues with their
/// TARGET; one server stopped midway shows as reconnecting while the others keep updating.
#[test]
fn rqtop_fleet_view_keeps_the_live_targets_flowing_when_one_stops() {
    let a = RedisServer::start();
    let b = RedisServer::start();
    let mut c = RedisServer::start();
    seed(&a, "alpha", 1);
    seed(&b, "beta", 2);
    seed(&c, "gamma", 3);
    let dir = std::env::temp_dir().join(format!("rqtop-fleet-tui-{}", a.port));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let ctx = |name: &str, port: u16| {
        format!(
            "[contexts.{name}]\nurl = \"redis://127.0.0.1:{port}/0\"\ninterval = \"300ms\"\nconnect_timeout = \"1s\"\ntimeout = \"1s\"\n"
        )
    };
    std::fs::write(
        &config,
        [ctx("a", a.port), ctx("b", b.port), ctx("c", c.port)].join(""),
    )
    .unwrap();
    let socket = format!("rqtop-fleet-{}", a.port);
    let cmd = format!(
        "env -u REDIS_URL -u RQ_REDIS_URL {} --config {} --all-contexts",
        env!("CARGO_BIN_EXE_rqtop"),
        config.display()
    );
    let tmux = Tmux::start(&socket, 80, 24, &cmd);
    let row = |sc: &str, target: &str, queue: &str| -> Option<String> {
        sc.lines()
            .find(|l| l.starts_with(&format!("│{target} ")) && l.contains(&format!(" {queue} ")))
            .map(|l| l.split_whitespace().nth(2).unwrap_or("").to_string())
    };
    tmux.wait_screen("every target's rows", |sc: &str| {
        row(sc, "a", "alpha").as_deref() == Some("1")
            && row(sc, "b", "beta").as_deref() == Some("2")
            && row(sc, "c", "gamma").as_deref() == Some("3")
    });
    c.kill();
    seed(&a, "alpha", 4); // 1 + 4 queued
    let sc = tmux.wait_screen("c down, a still updating", |sc: &str| {
        sc.contains("⟳ reconnecting") && row(sc, "a", "alpha").as_deref() == Some("5")
    });
    tmux.kill();
    let head = sc.lines().next().unwrap_or_default();
    assert!(
        head.contains("c ⟳ reconnecting") && head.contains("a ○ polling"),
        "{sc}"
    );
    assert!(
        row(&sc, "c", "gamma").is_some(),
        "the stopped target's last data stays:\n{sc}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// An action in the fleet view goes to the row's own target, whose name the confirmation
/// gives first: two servers with a queue of the same name, and only the chosen one changes.
#[test]
fn rqtop_fleet_actions_go_to_the_row_target() {
    let a = RedisServer::start();
    let b = RedisServer::start();
    seed(&a, "same", 1);
    seed(&b, "same", 2);
    let dir = std::env::temp_dir().join(format!("rqtop-fleet-act-{}", a.port));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contexts.a]\nurl = \"redis://127.0.0.1:{}/0\"\ninterval = \"300ms\"\n[contexts.b]\nurl = \"redis://127.0.0.1:{}/0\"\ninterval = \"300ms\"\n",
            a.port, b.port
        ),
    )
    .unwrap();
    let socket = format!("rqtop-fleet-act-{}", a.port);
    let cmd = format!(
        "env -u REDIS_URL -u RQ_REDIS_URL {} --config {} -c a -c b",
        env!("CARGO_BIN_EXE_rqtop"),
        config.display()
    );
    let tmux = Tmux::start(&socket, 80, 24, &cmd);
    tmux.wait_screen("both targets", |sc: &str| {
        sc.contains("│a ") && sc.contains("│b ")
    });
    tmux.run(&["send-keys", "-t", "t", "j", "E"]);
    tmux.wait_screen("the confirmation naming b", |sc: &str| {
        sc.contains("b: Empty queue same: delete its 2 queued")
    });
    tmux.run(&["send-keys", "-t", "t", "y"]);
    tmux.wait_screen("the result", |sc: &str| sc.contains("b: empty: 2 done"));
    tmux.kill();
    let len = |s: &RedisServer| -> i64 {
        redis::cmd("LLEN")
            .arg("rq:queue:same")
            .query(&mut s.conn())
            .unwrap()
    };
    assert_eq!(len(&b), 0, "b's queue was emptied");
    assert_eq!(len(&a), 1, "a's queue of the same name was left alone");
    let _ = std::fs::remove_dir_all(dir);
}
