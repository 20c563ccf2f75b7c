//! rqtop's Failures tab live: the real refresh task and App against real RQ 2.12 failures.
//! The tab groups them by cause, R on a signature requeues exactly its jobs, and when a real
//! worker fails them again the tab shows them back, read incrementally.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::process::Command as Process;
use std::time::{Duration, Instant, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use redis::Commands;
use rqtop::rq::{ConnectOptions, RqClient};
use rqtop::tui::app::App;
use rqtop::tui::msg::{Command, Msg};
use rqtop::tui::refresh::{self, RefreshConfig};
use rqtop::tui::theme::Theme;
use support::{RedisServer, Rq, interop_dir};
use tokio::sync::mpsc;

struct Live {
    app: App,
    cmds: mpsc::Sender<Command>,
    msgs: mpsc::Receiver<Msg>,
}

impl Live {
    async fn until(&mut self, timeout: Duration, mut done: impl FnMut(&App) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(msg)) = tokio::time::timeout(left, self.msgs.recv()).await else {
                return false;
            };
            for c in self.app.update(msg, SystemTime::now()) {
                self.cmds.send(c).await.unwrap();
            }
        }
        true
    }

    async fn key(&mut self, c: char) {
        let ev = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        for cmd in self.app.update(Msg::KeyPressed(ev), SystemTime::now()) {
            self.cmds.send(cmd).await.unwrap();
        }
    }

    fn screen(&mut self) -> String {
        let mut t = Terminal::new(TestBackend::new(100, 24)).unwrap();
        t.draw(|f| rqtop::tui::view::render(f, &mut self.app, &Theme::mono(), SystemTime::now()))
            .unwrap();
        format!("{}", t.backend())
    }
}

fn groups(app: &App) -> usize {
    app.failures.as_ref().map_or(0, |r| r.groups.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failures_tab_groups_real_failures_and_requeues_one_cause() {
    let server = RedisServer::start();
    let url = server.url();
    let out = Process::new(Rq::V2.python())
        .arg(interop_dir().join("make_failures.py"))
        .arg(&url)
        .env("PYTHONPATH", interop_dir())
        .current_dir(interop_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client = RqClient::connect(&ConnectOptions::new(&url)).await.unwrap();
    let (cmds, cmd_rx) = mpsc::channel(16);
    let (msg_tx, msgs) = mpsc::channel(16);
    let cfg = RefreshConfig {
        poll: Duration::from_millis(300),
        ..RefreshConfig::default()
    };
    tokio::spawn(refresh::run(client, cmd_rx, msg_tx, cfg));
    let mut live = Live {
        app: App::new(&url, false),
        cmds,
        msgs,
    };
    live.key('5').await;
    assert!(
        live.until(Duration::from_secs(15), |a| groups(a) == 7)
            .await,
        "seven causes"
    );
    let screen = live.screen();
    assert!(screen.contains("KeyError: '<str>'"), "{screen}");
    assert!(screen.contains("6 ") || screen.contains(" 6"), "{screen}");

    // Select the connection errors and requeue them all.
    let row = live
        .app
        .visible_failures()
        .iter()
        .position(|g| g.signature.function == "failjobs.sync_cache")
        .unwrap();
    for _ in 0..row {
        live.key('j').await;
    }
    live.key('R').await;
    let Some(rqtop::tui::app::Popup::Confirm { text, .. }) = &live.app.popup else {
        panic!("no confirmation: {}", live.screen());
    };
    assert!(
        text.contains("3 jobs") && text.contains("emails (3)"),
        "{text}"
    );
    live.key('y').await;
    assert!(
        live.until(Duration::from_secs(15), |a| groups(a) == 6)
            .await,
        "the requeued cause leaves: {}",
        live.screen()
    );
    let queued: usize = server.conn().llen("rq:queue:emails").unwrap();
    assert_eq!(queued, 3);

    // A real worker fails them again: the tab shows the cause back, three jobs (read as
    // they fail, a refresh at a time).
    let out = Rq::V2.cli(&url, &["worker", "--burst", "emails"]);
    assert!(out.status.success());
    let count = |a: &App| {
        a.failures.as_ref().and_then(|r| {
            r.groups
                .iter()
                .find(|g| g.signature.function == "failjobs.sync_cache")
                .map(|g| g.count)
        })
    };
    assert!(
        live.until(Duration::from_secs(15), |a| groups(a) == 7
            && count(a) == Some(3))
            .await,
        "the cause is back with its three jobs: {}",
        live.screen()
    );
    assert_eq!(live.app.failures.as_ref().unwrap().jobs, 22);
}

/// `/` on the Jobs tab scans the whole failed registry for a selector with a real refresh
/// task: the matches are exactly the jobs of that cause, across the registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_searches_the_whole_registry_with_a_selector() {
    let server = RedisServer::start();
    let url = server.url();
    let out = Process::new(Rq::V2.python())
        .arg(interop_dir().join("make_failures.py"))
        .arg(&url)
        .env("PYTHONPATH", interop_dir())
        .current_dir(interop_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let causes: std::collections::BTreeMap<String, Vec<String>> =
        serde_json::from_slice(&out.stdout).unwrap();
    let client = RqClient::connect(&ConnectOptions::new(&url)).await.unwrap();
    let (cmds, cmd_rx) = mpsc::channel(16);
    let (msg_tx, msgs) = mpsc::channel(16);
    tokio::spawn(refresh::run(
        client,
        cmd_rx,
        msg_tx,
        RefreshConfig::default(),
    ));
    let mut live = Live {
        app: App::new(&url, false),
        cmds,
        msgs,
    };
    assert!(
        live.until(Duration::from_secs(10), |a| a.overview.is_some())
            .await
    );
    // `3` from the Queues tab shows the queue selected there; then pick emails' failed jobs.
    live.key('3').await;
    live.app.jobs.queue = Some("emails".into());
    live.app.jobs.source = rqtop::rq::JobSource::Registry(rqtop::rq::Registry::Failed);
    live.key('/').await;
    for c in "exc~ConnectionError ended<1h".chars() {
        live.key(c).await;
    }
    let ev = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    for cmd in live.app.update(Msg::KeyPressed(ev), SystemTime::now()) {
        live.cmds.send(cmd).await.unwrap();
    }
    assert!(
        live.until(Duration::from_secs(10), |a| a
            .search
            .as_ref()
            .is_some_and(|s| s.done))
            .await,
        "the search ends"
    );
    let s = live.app.search.clone().unwrap();
    let mut got: Vec<String> = s.rows.iter().map(|j| j.id.clone()).collect();
    got.sort();
    let mut want = causes["connection"].clone();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(s.scanned, 8, "every failed job of emails was looked at");
    let screen = live.screen();
    assert!(screen.contains("3 of 8 match"), "{screen}");
}
