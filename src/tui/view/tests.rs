//! Every screen as a snapshot on ratatui's TestBackend (80x24 unless the test is about size),
//! plus direct buffer checks for what only colour shows.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::rq::{JobPage, JobSource};
use crate::tui::app::App;
use crate::tui::fixtures;
use crate::tui::msg::{ConnState, Msg};
use crate::tui::theme::Theme;

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::render(f, app, &Theme::color(), fixtures::now()))
        .unwrap();
    t
}

fn key(app: &mut App, c: char) {
    app.update(
        Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        fixtures::now(),
    );
}

/// A live app showing `ov`.
fn with_overview(ov: crate::rq::Overview) -> App {
    let mut app = App::new("redis://:***@127.0.0.1:6379/0", false);
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    app.update(
        Msg::OverviewLoaded(Box::new(ov), fixtures::now()),
        fixtures::now(),
    );
    app
}

/// Shows `rows` jobs (`job-0`…) of the 1,204 queued in `default` on the Jobs tab.
fn show_queue_page(app: &mut App, rows: usize) {
    app.jobs.source = JobSource::Queue;
    app.jobs.offset = 0;
    let page = JobPage {
        queue: "default".into(),
        source: JobSource::Queue,
        total: 1204,
        offset: 0,
        newest_first: false,
        jobs: (0..rows)
            .map(|i| fixtures::job_row(&format!("job-{i}")))
            .collect(),
    };
    app.update(Msg::PageLoaded(page), fixtures::now());
}

fn loaded() -> App {
    let mut app = App::new("redis://:***@127.0.0.1:6379/0", false);
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    for _ in 0..3 {
        app.update(Msg::Ticked, fixtures::now());
    }
    app
}

#[test]
fn queues_tab() {
    let mut app = loaded();
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn queues_tab_wide_has_trend_column() {
    let mut app = loaded();
    insta::assert_snapshot!(draw(&mut app, 120, 24).backend());
}

#[test]
fn workers_tab_marks_stale_heartbeats() {
    let mut app = loaded();
    key(&mut app, '2');
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn jobs_tab() {
    let mut app = loaded();
    key(&mut app, '3');
    key(&mut app, 'l'); // → failed is three steps right; stay on the queue but show a page
    show_queue_page(&mut app, 3);
    app.detail = None;
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn schedules_tab() {
    let mut app = loaded();
    key(&mut app, '4');
    app.update(Msg::SchedulesLoaded(fixtures::schedules()), fixtures::now());
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn job_detail() {
    let mut app = loaded();
    key(&mut app, '2');
    app.update(
        Msg::KeyPressed(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        fixtures::now(),
    );
    app.update(
        Msg::JobLoaded {
            id: fixtures::job().id,
            result: Ok(Box::new(fixtures::job())),
        },
        fixtures::now(),
    );
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn help_popup() {
    let mut app = loaded();
    key(&mut app, '?');
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn confirm_popup() {
    let mut app = loaded();
    key(&mut app, 'E');
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn empty_server() {
    let mut app = App::new("redis://127.0.0.1:6379/0", false);
    let mut ov = fixtures::overview();
    ov.queues.clear();
    ov.workers.clear();
    app.update(
        Msg::ConnectionChanged(ConnState::Polling {
            every: std::time::Duration::from_secs(2),
            why: "keyspace notifications are off".into(),
        }),
        fixtures::now(),
    );
    app.update(
        Msg::OverviewLoaded(Box::new(ov), fixtures::now()),
        fixtures::now(),
    );
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn disconnected_keeps_the_last_data() {
    let mut app = loaded();
    app.update(
        Msg::ConnectionChanged(ConnState::Reconnecting {
            attempt: 3,
            error: "Connection refused (os error 111)".into(),
        }),
        fixtures::now(),
    );
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn too_small() {
    let mut app = loaded();
    insta::assert_snapshot!(draw(&mut app, 50, 10).backend());
}

#[test]
fn selection_and_failures_are_coloured() {
    let mut app = loaded();
    let t = draw(&mut app, 80, 24);
    let buf = t.backend().buffer();
    // Row 3 is the table header, row 4 the first (selected) queue.
    assert_eq!(
        buf[(2, 4)].bg,
        ratatui::style::Color::DarkGray,
        "selected row highlighted"
    );
    let failed_cell = (0..80)
        .map(|x| &buf[(x, 4)])
        .find(|c| c.symbol() == "7")
        .unwrap();
    assert_eq!(
        failed_cell.fg,
        ratatui::style::Color::Red,
        "failed count in red"
    );
}

#[test]
fn no_color_theme_has_no_colours() {
    let mut app = loaded();
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| super::render(f, &mut app, &Theme::mono(), fixtures::now()))
        .unwrap();
    let buf = t.backend().buffer();
    for y in 0..24 {
        for x in 0..80 {
            let c = &buf[(x, y)];
            assert_eq!(
                (c.fg, c.bg),
                (ratatui::style::Color::Reset, ratatui::style::Color::Reset),
                "colour at {x},{y}"
            );
        }
    }
}

#[test]
fn suspension_is_requested_until_every_worker_notices() {
    let mut app = loaded();
    let mut ov = fixtures::overview();
    ov.suspended = true;
    ov.workers[1].state = "suspended".into();
    app.update(
        Msg::OverviewLoaded(Box::new(ov.clone()), fixtures::now()),
        fixtures::now(),
    );
    let screen = format!("{}", draw(&mut app, 100, 24).backend());
    assert!(screen.contains("SUSPENDING 1/3"), "{screen}");
    for w in &mut ov.workers {
        w.state = "suspended".into();
    }
    app.update(
        Msg::OverviewLoaded(Box::new(ov), fixtures::now()),
        fixtures::now(),
    );
    let screen = format!("{}", draw(&mut app, 100, 24).backend());
    assert!(screen.contains("│ SUSPENDED"), "{screen}");
}

#[test]
fn narrow_terminal_keeps_queue_names() {
    let mut app = loaded();
    insta::assert_snapshot!(draw(&mut app, 64, 18).backend());
}

/// Names, ids, descriptions and errors from Redis reach the screen as visible escapes: no
/// cell of any tab holds a control character or a bidi / zero-width mark.
#[test]
fn hostile_text_is_shown_never_obeyed() {
    let evil = "x\u{1b}]0;t\u{7}\u{202e}cba\u{200b}";
    let mut ov = fixtures::overview();
    ov.queues[0].name = format!("q{evil}");
    ov.workers[0].name = format!("w{evil}");
    ov.workers[0].hostname = Some(format!("h{evil}"));
    ov.workers[0].current_job = Some(format!("j{evil}"));
    let mut app = with_overview(ov);
    let mut row = fixtures::job_row(&format!("id{evil}"));
    row.description = Some(format!("d{evil}"));
    row.error = Some(format!("E{evil}"));
    for tab in ['1', '2', '3', '4'] {
        key(&mut app, tab);
        if tab == '3' {
            let page = JobPage {
                queue: "default".into(),
                source: JobSource::Queue,
                total: 1,
                offset: 0,
                newest_first: false,
                jobs: vec![row.clone()],
            };
            app.jobs.source = JobSource::Queue;
            app.jobs.offset = 0;
            app.update(Msg::PageLoaded(page), fixtures::now());
        }
        let t = draw(&mut app, 160, 30);
        let mut shown = String::new();
        for cell in t.backend().buffer().content() {
            let sym = cell.symbol();
            assert!(
                !sym.chars().any(|c| c.is_control()
                    || matches!(c as u32, 0x200b..=0x200f | 0x202a..=0x202e | 0x2066..=0x2069)),
                "tab {tab}: {sym:?} reached the screen"
            );
            shown.push_str(sym);
        }
        if tab != '4' {
            assert!(
                shown.contains("\\x1b]0;t\\x07\\u202ecba"),
                "tab {tab}: {shown}"
            );
        }
    }
}

/// RQ 3.0 rate limits: the queue panel says how many of the queue's jobs wait for a slot
/// and lists every rate limit with its slots.
#[test]
fn queue_panel_shows_rate_limits() {
    let mut ov = fixtures::overview();
    ov.queues[0].rate_limited = 8;
    ov.rate_limits = vec![crate::rq::RateLimitInfo {
        key: "stripe".into(),
        concurrency: Some(2),
        allowed: 2,
        waiting: 8,
        oldest_waiting_since: None,
    }];
    let mut app = with_overview(ov);
    let t = draw(&mut app, 100, 30);
    let screen = screen_text(&t);
    assert!(screen.contains("+ 8 waiting for a rate limit"), "{screen}");
    assert!(
        screen.contains("rate limits stripe 2/2 slots held, 8 waiting"),
        "{screen}"
    );
}

/// The drain estimate never lies: a suspended server or a queue nobody listens on says so.
#[test]
fn queue_panel_says_why_a_queue_does_not_drain() {
    for (suspended, workers, expect) in [(true, 2, "suspended"), (false, 0, "no workers")] {
        let mut ov = fixtures::overview();
        ov.suspended = suspended;
        ov.queues[0].workers = workers;
        let mut app = with_overview(ov);
        let t = draw(&mut app, 100, 30);
        let screen = screen_text(&t);
        assert!(
            screen.contains(&format!("default · {expect}")),
            "{expect}: {screen}"
        );
    }
}

/// The Jobs title counts the rows on screen, not the page loaded behind them.
#[test]
fn jobs_title_counts_the_rows_on_screen() {
    let mut app = loaded();
    key(&mut app, '3');
    show_queue_page(&mut app, 20);
    let t = draw(&mut app, 80, 24);
    let screen = screen_text(&t);
    // 16 of the 20 loaded rows fit at 80x24: job-0 to job-15.
    assert!(screen.contains("· 1-16 of 1,204 "), "{screen}");
    assert!(
        screen.contains("job-15") && !screen.contains("job-16"),
        "{screen}"
    );
}

/// At 60x15, queues whose names differ only at the end stay apart, and a cut shows.
#[test]
fn narrow_queue_names_stay_distinguishable() {
    let mut ov = fixtures::overview();
    ov.queues[0].name = "billing-reconciliation-default-1".into();
    ov.queues[1].name = "billing-reconciliation-default-2".into();
    let mut app = with_overview(ov);
    let t = draw(&mut app, 60, 15);
    let lines: Vec<String> = (0..15)
        .map(|y| {
            (0..60)
                .map(|x| t.backend().buffer()[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    let names: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix('│'))
        .filter(|l| l.starts_with("billin"))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(names.len(), 2, "{lines:#?}");
    assert_ne!(names[0], names[1], "{names:?}");
    assert!(names.iter().all(|n| n.contains('…')), "{names:?}");
}

/// A five-field cron expression is never cut, even at 80 columns.
#[test]
fn cron_expressions_are_never_cut() {
    let mut app = loaded();
    let mut s = fixtures::schedules();
    s.entries[1].cron = Some("*/15 9-17 * * 1-5".into());
    app.update(Msg::SchedulesLoaded(s), fixtures::now());
    key(&mut app, '4');
    for (w, h) in [(80u16, 24u16), (60, 15)] {
        let t = draw(&mut app, w, h);
        let screen = screen_text(&t);
        assert!(screen.contains("*/15 9-17 * * 1-5"), "{w}x{h}: {screen}");
        // Next-run times are whole too: a narrow table leaves SOURCE out instead.
        assert!(screen.contains("in 1h 0m "), "{w}x{h}: {screen}");
        if w == 60 {
            assert!(!screen.contains("SOURCE"), "{screen}");
            insta::assert_snapshot!(t.backend());
        }
    }
}

fn screen_text(t: &Terminal<TestBackend>) -> String {
    t.backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect()
}

fn press(app: &mut App, code: KeyCode) {
    app.update(
        Msg::KeyPressed(KeyEvent::new(code, KeyModifiers::NONE)),
        fixtures::now(),
    );
}

/// PgDn shows the next screen: the first row after the last one shown, at 80x24 and 60x15.
#[test]
fn page_down_shows_the_next_screen() {
    for (w, h, per_screen) in [(80u16, 24u16, 16usize), (60, 15, 7)] {
        let mut app = loaded();
        key(&mut app, '3');
        show_queue_page(&mut app, 60);
        let first = screen_text(&draw(&mut app, w, h));
        let one = format!("job-{} ", per_screen - 1);
        assert!(first.contains(&one), "{w}x{h}: {first}");
        press(&mut app, KeyCode::PageDown);
        let next = screen_text(&draw(&mut app, w, h));
        let range = format!("{}-{} of 1,204", per_screen + 1, 2 * per_screen);
        assert!(next.contains(&range), "{w}x{h}: {next}");
        assert!(
            next.contains(&format!("job-{per_screen} ")) && !next.contains(&one),
            "{w}x{h}: {next}"
        );
        press(&mut app, KeyCode::PageUp);
        let back = screen_text(&draw(&mut app, w, h));
        assert!(
            back.contains(&format!("1-{per_screen} of")),
            "{w}x{h}: {back}"
        );
    }
}

/// Worker names and queues are whole before a job id is cut; host/pid appear with room.
#[test]
fn workers_columns_by_content_and_priority() {
    let mut app = loaded();
    key(&mut app, '2');
    let wide = screen_text(&draw(&mut app, 120, 24));
    assert!(
        wide.contains("HOST/PID") && wide.contains("app-1/4242"),
        "{wide}"
    );
    assert!(
        wide.contains("9f1c2d3e-aaaa-bbbb-cccc-000000000001"),
        "{wide}"
    );
    let t = draw(&mut app, 60, 15);
    let narrow = screen_text(&t);
    assert!(!narrow.contains("HOST/PID"), "{narrow}");
    assert!(narrow.contains("w-stale "), "names whole: {narrow}");
    assert!(
        narrow.contains("9f1c2…0001"),
        "the id cut in the middle: {narrow}"
    );
    insta::assert_snapshot!(t.backend());
}

/// A narrow header drops the age and cuts the URL, never the badges that change decisions.
#[test]
fn narrow_header_keeps_suspension_read_only_and_prefix() {
    let mut ov = fixtures::overview();
    ov.suspended = true;
    ov.redis.prefix = "app".into();
    for w in &mut ov.workers {
        w.state = "suspended".into();
    }
    let mut app = App::new("redis://:***@cache.internal.example.com:6380/3", true);
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    app.update(
        Msg::OverviewLoaded(Box::new(ov), fixtures::now()),
        fixtures::now(),
    );
    for (w, h) in [(80u16, 24u16), (60, 15)] {
        let t = draw(&mut app, w, h);
        let top: String = screen_text(&t).chars().take(usize::from(w)).collect();
        for badge in ["SUSPENDED", "read-only", "● live", "prefix app"] {
            assert!(top.contains(badge), "{w}x{h}: {top}");
        }
        assert!(
            top.contains(":6380/3") || top.contains("/3"),
            "{w}x{h}: {top}"
        );
        assert!(!top.contains("updated ju"), "never cut mid-word: {top}");
    }
}

/// The started registry: the time column says how long each job has run, and an entry whose
/// expiry passed (its worker is gone) says `abandoned` instead of `started`.
#[test]
fn started_jobs_show_run_time_and_abandoned_entries() {
    let mut app = loaded();
    key(&mut app, '3');
    let source = JobSource::Registry(crate::rq::Registry::Started);
    app.jobs.source = source;
    let mut running = fixtures::job_row("job-running");
    running.status = Some(crate::rq::JobStatus::Started);
    running.error = None;
    running.score_at =
        crate::rq::Timestamp::from_unix(fixtures::ago(0).unwrap().unix_secs() + 300.0);
    let mut gone = running.clone();
    gone.id = "job-gone".into();
    gone.score_at = fixtures::ago(30);
    let page = JobPage {
        queue: "default".into(),
        source,
        total: 2,
        offset: 0,
        newest_first: false,
        jobs: vec![running, gone],
    };
    app.update(Msg::PageLoaded(page), fixtures::now());
    for (w, h) in [(80u16, 24u16), (60, 15)] {
        let screen = screen_text(&draw(&mut app, w, h));
        assert!(screen.contains("RUNNING"), "{w}x{h}: {screen}");
        let rows: Vec<&str> = screen.split('│').collect();
        let row = |id: &str| rows.iter().find(|r| r.contains(id)).copied().unwrap_or("");
        assert!(row("job-runn").contains("started"), "{w}x{h}: {screen}");
        assert!(row("job-gone").contains("abandoned"), "{w}x{h}: {screen}");
        assert!(row("job-runn").contains("1m 40s"), "ran 100 s: {screen}");
    }
}
