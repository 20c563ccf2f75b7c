//! The refresh task against a real redis-server, feeding the real App, drawn on a
//! TestBackend: writes to Redis show up on screen; storms are coalesced; a lost server is
//! survived.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::time::{Duration, Instant, SystemTime};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use redis::Commands;
use rqtop::rq::{ConnectOptions, RqClient};
use rqtop::tui::app::App;
use rqtop::tui::msg::{Command, ConnState, Msg};
use rqtop::tui::refresh::{self, RefreshConfig};
use rqtop::tui::theme::Theme;
use support::{RedisServer, Rq};
use tokio::sync::mpsc;

struct Live {
    app: App,
    cmds: mpsc::Sender<Command>,
    msgs: mpsc::Receiver<Msg>,
    overviews: usize,
}

impl Live {
    async fn start(url: &str, cfg: RefreshConfig) -> Self {
        let client = RqClient::connect(&ConnectOptions::new(url)).await.unwrap();
        let (cmds, cmd_rx) = mpsc::channel(16);
        let (msg_tx, msgs) = mpsc::channel(16);
        tokio::spawn(refresh::run(client, cmd_rx, msg_tx, cfg));
        Self {
            app: App::new(url, false),
            cmds,
            msgs,
            overviews: 0,
        }
    }

    /// Feeds messages to the app until `done` holds (or the timeout passes).
    async fn until(&mut self, timeout: Duration, mut done: impl FnMut(&App) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(msg)) = tokio::time::timeout(left, self.msgs.recv()).await else {
                return false;
            };
            if matches!(msg, Msg::OverviewLoaded(..)) {
                self.overviews += 1;
            }
            for c in self.app.update(msg, SystemTime::now()) {
                self.cmds.send(c).await.unwrap();
            }
        }
        true
    }

    fn screen(&mut self) -> String {
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| rqtop::tui::view::render(f, &mut self.app, &Theme::mono(), SystemTime::now()))
            .unwrap();
        format!("{}", t.backend())
    }
}

fn queued(app: &App, name: &str) -> Option<u64> {
    app.overview
        .as_ref()?
        .queues
        .iter()
        .find(|q| q.name == name)
        .map(|q| q.queued)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_rq_enqueues_show_up_through_keyspace_events() {
    let server = RedisServer::start();
    let url = server.url();
    let mut live = Live::start(
        &url,
        RefreshConfig {
            safety_poll: Duration::from_secs(60),
            ..RefreshConfig::default()
        },
    )
    .await;
    assert!(
        live.until(Duration::from_secs(10), |a| a.conn == ConnState::Live)
            .await,
        "subscribes"
    );
    Rq::V2.script(&url, "from rq import Queue\nimport labjobs\nq = Queue('mail', connection=r)\nfor i in range(7):\n    q.enqueue(labjobs.add, i, i)");
    assert!(
        live.until(Duration::from_secs(5), |a| queued(a, "mail") == Some(7))
            .await,
        "sees 7 queued"
    );
    let screen = live.screen();
    assert!(
        screen.contains("mail") && screen.contains("● live"),
        "{screen}"
    );
    let row = screen.lines().find(|l| l.contains("│mail")).unwrap();
    assert!(row.split_whitespace().nth(1) == Some("7"), "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_notifications_it_polls_and_says_so() {
    let server = RedisServer::start_plain();
    let url = server.url();
    let cfg = RefreshConfig {
        poll: Duration::from_millis(300),
        ..RefreshConfig::default()
    };
    let mut live = Live::start(&url, cfg).await;
    assert!(
        live.until(Duration::from_secs(5), |a| matches!(
            a.conn,
            ConnState::Polling { .. }
        ))
        .await
    );
    let _: () = server.conn().rpush("rq:queue:poll", "x").unwrap();
    let _: () = server.conn().sadd("rq:queues", "rq:queue:poll").unwrap();
    assert!(
        live.until(Duration::from_secs(5), |a| queued(a, "poll") == Some(1))
            .await,
        "poll picked it up"
    );
    assert!(live.screen().contains("polling"), "header says polling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_storm_is_coalesced_into_a_few_reads() {
    let server = RedisServer::start();
    let url = server.url();
    let cfg = RefreshConfig {
        safety_poll: Duration::from_secs(60),
        ..RefreshConfig::default()
    };
    let mut live = Live::start(&url, cfg).await;
    assert!(
        live.until(Duration::from_secs(10), |a| a.conn == ConnState::Live)
            .await
    );
    live.overviews = 0;
    // ~10,000 keyspace events per second for two seconds, from another connection.
    let storm = std::thread::spawn({
        let url = url.clone();
        move || {
            let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
            let start = Instant::now();
            let mut sent = 0;
            while start.elapsed() < Duration::from_secs(2) {
                let mut p = redis::pipe();
                for i in 0..500 {
                    p.hset("rq:worker:storm", "last_heartbeat", i).ignore();
                }
                let () = p.query(&mut c).unwrap();
                sent += 500;
                std::thread::sleep(Duration::from_millis(50));
            }
            sent
        }
    });
    let _ = live.until(Duration::from_millis(2500), |_| false).await;
    let sent = storm.join().unwrap();
    assert!(sent >= 15_000, "storm too small: {sent}");
    // min_interval 500 ms: at most ~2 overview reads per second, plus one for the tail.
    assert!(
        live.overviews <= 7,
        "{} overview reads for {sent} events",
        live.overviews
    );
    assert!(live.overviews >= 2, "still refreshing during the storm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_server_shows_reconnecting_and_recovers() {
    let mut server = RedisServer::start();
    let url = server.url();
    // A slow safety poll: the loss must be noticed through the subscription ending.
    let cfg = RefreshConfig {
        poll: Duration::from_millis(300),
        safety_poll: Duration::from_secs(60),
        ..RefreshConfig::default()
    };
    let mut live = Live::start(&url, cfg).await;
    assert!(
        live.until(Duration::from_secs(10), |a| a.conn == ConnState::Live)
            .await
    );
    server.kill();
    // Within a couple of seconds, not at the next (60 s) safety poll.
    assert!(
        live.until(Duration::from_secs(3), |a| matches!(
            a.conn,
            ConnState::Reconnecting { .. }
        ))
        .await,
        "reports the loss"
    );
    assert!(live.screen().contains("reconnecting"));
    server.restart();
    let _: () = server.conn().sadd("rq:queues", "rq:queue:back").unwrap();
    assert!(
        live.until(Duration::from_secs(20), |a| queued(a, "back") == Some(0)
            && a.conn == ConnState::Live)
            .await,
        "resyncs and resubscribes after the server is back: {:?}",
        live.app.conn
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_action_runs_through_the_library_and_the_screen_follows() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nQueue('default', connection=r).enqueue(labjobs.fail, 'x', job_id='f0')",
    );
    Rq::V2.burst(&url, "default");
    let mut live = Live::start(&url, RefreshConfig::default()).await;
    let failed = |a: &App| a.overview.as_ref().map(|o| o.queues[0].failed);
    assert!(
        live.until(Duration::from_secs(10), |a| failed(a) == Some(1))
            .await
    );
    live.cmds
        .send(Command::Run(rqtop::tui::msg::Mutation::Requeue(vec![
            "f0".into(),
        ])))
        .await
        .unwrap();
    assert!(
        live.until(Duration::from_secs(10), |a| failed(a) == Some(0)
            && queued(a, "default") == Some(1))
            .await,
        "the requeue shows on the next refresh"
    );
    assert!(
        live.screen().contains("requeue: 1 done"),
        "{}",
        live.screen()
    );
}
