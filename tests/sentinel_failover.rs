//! Redis Sentinel with real parts: a master, a replica and three `redis-server --sentinel`
//! on free ports. `SENTINEL FAILOVER` promotes the replica while rqtop's refresh task, rqctl
//! and a real RQ worker (redis-py's `Sentinel.master_for`) are connected through Sentinel:
//! rqtop follows the new master and says so, its data keeps flowing, rqctl's changes go to the
//! master, a change sent to the demoted replica is a clear READONLY error that changed
//! nothing, and the worker keeps working.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

#[path = "sentinel_support/cluster.rs"]
mod cluster;
mod support;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use redis::Commands;
use rqtop::rq::{ConnectOptions, RqClient};
use rqtop::tui::app::App;
use rqtop::tui::msg::{Command as TuiCommand, Msg};
use rqtop::tui::refresh::{self, RefreshConfig};
use support::{RedisServer, wait_for};
use tokio::sync::mpsc;

use cluster::{Cluster, MASTER, MASTER_PW, SENTINEL_PW, Sentinel};

fn rqctl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(args)
        .env_remove("RQ_REDIS_URL")
        .env_remove("REDIS_URL")
        .env_remove("RQTOP_CONTEXT")
        .env_remove("RQTOP_CONFIG")
        .env_remove("REDISCLI_AUTH")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn queued(app: &App, name: &str) -> Option<u64> {
    app.overview
        .as_ref()?
        .queues
        .iter()
        .find(|q| q.name == name)
        .map(|q| q.queued)
}

/// Feeds the refresh task's messages to the app until `done` holds.
async fn until(
    app: &mut App,
    msgs: &mut mpsc::Receiver<Msg>,
    cmds: &mpsc::Sender<TuiCommand>,
    timeout: Duration,
    done: impl Fn(&App) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    while !done(app) {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(msg)) = tokio::time::timeout(left, msgs.recv()).await else {
            return false;
        };
        for c in app.update(msg, SystemTime::now()) {
            cmds.send(c).await.unwrap();
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rqtop_rqctl_and_a_real_worker_follow_a_sentinel_failover() {
    let cluster = Cluster::start();
    let url = cluster.url();
    let (old, new) = (cluster.master.port, cluster.replica.port);

    // rqtop's refresh task through Sentinel: it is on the master and says which one.
    let client = RqClient::connect(&ConnectOptions::new(url.clone()))
        .await
        .unwrap();
    assert_eq!(client.master(), Some(format!("127.0.0.1:{old}").as_str()));
    let mut app = App::new(rqtop::tui::target_label(&client), false);
    assert!(
        app.target.contains(&format!("master 127.0.0.1:{old}")),
        "{}",
        app.target
    );
    let (cmds, cmd_rx) = mpsc::channel(16);
    let (msg_tx, mut msgs) = mpsc::channel(16);
    let cfg = RefreshConfig {
        poll: Duration::from_millis(300),
        ..RefreshConfig::default()
    };
    tokio::spawn(refresh::run(client, cmd_rx, msg_tx, cfg));
    // The fleet view's poll task for the same target, beside it.
    let slot = rqtop::tui::fleet::poll::Slot::default();
    let (fleet_tx, mut fleet_rx) = mpsc::channel(64);
    tokio::spawn(rqtop::tui::fleet::poll::watch_target(
        0,
        ConnectOptions::new(url.clone()),
        Duration::from_millis(300),
        fleet_tx,
        slot.clone(),
    ));
    tokio::spawn(async move { while fleet_rx.recv().await.is_some() {} });
    let fleet_master = move || {
        slot.lock()
            .ok()
            .and_then(|c| c.as_ref().and_then(|c| c.master().map(str::to_string)))
    };

    // A real worker through Sentinel, and jobs for it before the failover.
    let mut worker = cluster.worker("work");
    cluster.enqueue("work", 3);
    assert!(
        wait_for(Duration::from_secs(20), || (cluster.finished("work") >= 3)
            .then_some(()))
        .is_some(),
        "the worker did not run the first jobs"
    );
    cluster.enqueue("seen", 2);
    assert!(
        until(&mut app, &mut msgs, &cmds, Duration::from_secs(10), |a| {
            queued(a, "seen") == Some(2)
        })
        .await,
        "rqtop did not see the first jobs"
    );
    // rqctl through Sentinel changes the master.
    let o = rqctl(&["--url", &url, "empty", "seen", "--yes"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The failover.
    let mut s0 = cluster.sentinels[0].conn().unwrap();
    let _: () = redis::cmd("SENTINEL")
        .arg("FAILOVER")
        .arg(MASTER)
        .query(&mut s0)
        .unwrap();
    let promoted = wait_for(Duration::from_secs(30), || {
        cluster
            .sentinels
            .iter()
            .all(|s| s.master_port() == Some(new))
            .then_some(())
    });
    assert!(promoted.is_some(), "Sentinel never promoted the replica");

    // rqtop moves to the new master by itself, says so, and its data keeps flowing.
    let moved = until(&mut app, &mut msgs, &cmds, Duration::from_secs(20), |a| {
        a.target.contains(&format!("master 127.0.0.1:{new}"))
    })
    .await;
    assert!(moved, "rqtop stayed on {}", app.target);
    let fleet_moved = wait_for(Duration::from_secs(15), || {
        (fleet_master() == Some(format!("127.0.0.1:{new}"))).then_some(())
    });
    assert!(
        fleet_moved.is_some(),
        "the fleet poll stayed on {:?}",
        fleet_master()
    );
    let status = app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(status.contains("Sentinel failover"), "{status}");
    cluster.enqueue("seen", 4);
    assert!(
        until(&mut app, &mut msgs, &cmds, Duration::from_secs(15), |a| {
            queued(a, "seen") == Some(4)
        })
        .await,
        "rqtop's data stopped after the failover"
    );

    // rqctl through Sentinel reaches the new master and can change data.
    let o = rqctl(&["--url", &url, "empty", "seen", "--yes", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = rqctl(&["--url", &url, "queues", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let seen = doc
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["name"] == "seen"))
        .map(|q| q["queued"].clone());
    assert_eq!(seen, Some(serde_json::json!(0)), "{doc}");

    // The demoted old master is a replica once Sentinel reconfigures it: a change sent
    // straight to it is a clear READONLY error, and nothing changed.
    let demoted = wait_for(Duration::from_secs(30), || {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query(&mut cluster.master.conn())
            .ok()?;
        (info.contains("role:slave") && info.contains("master_link_status:up")).then_some(())
    });
    assert!(demoted.is_some(), "the old master never became a replica");
    cluster.enqueue("kept", 2);
    let in_sync = wait_for(Duration::from_secs(10), || {
        let n: usize = cluster.master.conn().llen("rq:queue:kept").ok()?;
        (n == 2).then_some(())
    });
    assert!(in_sync.is_some());
    let direct = format!("redis://127.0.0.1:{old}/0");
    let o = rqctl(&["--url", &direct, "empty", "kept", "--yes"]);
    let err = support::text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("read-only replica") && err.contains("redis+sentinel://"),
        "{err}"
    );
    assert!(err.contains("removed 0 jobs"), "{err}");
    let n: usize = cluster.replica.conn().llen("rq:queue:kept").unwrap();
    assert_eq!(n, 2, "a refused change still changed something");

    // The worker kept working across the failover.
    cluster.enqueue("work", 3);
    let done = wait_for(Duration::from_secs(40), || {
        (cluster.finished("work") >= 6).then_some(())
    });
    let _ = worker.kill();
    let _ = worker.wait();
    assert!(
        done.is_some(),
        "the worker through Sentinel stopped after the failover"
    );
}

#[tokio::test]
async fn no_sentinel_answering_is_one_clear_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut opts = ConnectOptions::new(format!(
        "redis+sentinel://:s3cret@127.0.0.1:{port}/mymaster/0"
    ));
    opts.connect_timeout = Duration::from_secs(1);
    let e = RqClient::connect(&opts).await.unwrap_err().to_string();
    assert!(
        e.contains("no sentinel gave the address of master \"mymaster\""),
        "{e}"
    );
    assert!(e.contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(!e.contains("s3cret"), "{e}");
    let o = rqctl(&["--url", "redis+sentinel://127.0.0.1:1", "queues"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a malformed Sentinel URL is a usage error"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no master name"));
}

/// Separate credentials: the sentinel wants one password (from the environment), the master
/// another (from a file), both named by a config-file context; neither is ever printed.
#[test]
fn a_context_gives_sentinel_and_master_their_own_passwords() {
    let master = RedisServer::start_with(&["--requirepass", MASTER_PW]);
    let sentinel = Sentinel::start_with(
        master.port,
        1,
        &format!("requirepass {SENTINEL_PW}\nsentinel auth-pass {MASTER} {MASTER_PW}\n"),
    );
    let dir = std::env::temp_dir().join(format!("rqtop-sentinel-ctx-{}", sentinel.port));
    std::fs::create_dir_all(&dir).unwrap();
    let pw = dir.join("master.pw");
    std::fs::write(&pw, MASTER_PW).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contexts.ha]\npassword_file = \"{}\"\n[contexts.ha.sentinel]\nhosts = [\"127.0.0.1:{}\"]\nmaster = \"{MASTER}\"\npassword_env = \"SENT_PW\"\n",
            pw.display(),
            sentinel.port
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let run = |env: &[(&str, &str)], args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rqctl"))
            .args(["--config", cfg, "-c", "ha"])
            .args(args)
            .env_remove("RQ_REDIS_URL")
            .env_remove("REDIS_URL")
            .env_remove("REDISCLI_AUTH")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let o = run(&[("SENT_PW", SENTINEL_PW)], &["queues", "--json"]);
    let all = support::text(&o);
    assert!(o.status.success(), "{all}");
    assert!(!all.contains("S3cret"), "{all}");
    // The sentinel's password wrong: the error says which sentinel refused, no password.
    let o = run(&[("SENT_PW", "wrong-S3cret")], &["queues"]);
    let all = support::text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!("127.0.0.1:{}", sentinel.port)),
        "{all}"
    );
    assert!(!all.contains("S3cret"), "{all}");
    // rqctl contexts shows the sentinels, never a password.
    let o = run(&[("SENT_PW", SENTINEL_PW)], &["contexts"]);
    let all = support::text(&o);
    assert!(
        all.contains(&format!(
            "redis+sentinel://127.0.0.1:{}/{MASTER}/0",
            sentinel.port
        )),
        "{all}"
    );
    assert!(!all.contains("S3cret"), "{all}");
    let _ = std::fs::remove_dir_all(dir);
}
