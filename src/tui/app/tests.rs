//! The reducer without a terminal: messages in, state and commands out.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Popup, Tab};
use crate::rq::mutate::WorkerCommand;
use crate::rq::{JobPage, JobSource, JobSummary, Registry};
use crate::tui::fixtures;
use crate::tui::msg::{Command, ConnState, Msg, Mutation};

fn key(c: char) -> Msg {
    Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(k: KeyCode) -> Msg {
    Msg::KeyPressed(KeyEvent::new(k, KeyModifiers::NONE))
}

fn loaded() -> App {
    let mut app = App::new("redis://127.0.0.1:6379/0", false);
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    app
}

#[test]
fn first_overview_picks_the_first_queue_and_asks_for_nothing_else() {
    let mut app = App::new("x", false);
    let cmds = app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    assert_eq!(app.jobs.queue.as_deref(), Some("default"));
    assert_eq!(
        cmds,
        vec![Command::SetWatch(app.watch())],
        "watch announced once"
    );
    assert!(app.watch().page.is_none(), "queues tab needs no page");
    assert!(
        app.update(Msg::Ticked, fixtures::now()).is_empty(),
        "no repeated watch"
    );
}

#[test]
fn enter_on_a_queue_opens_its_jobs_and_watches_that_page() {
    let mut app = loaded();
    app.update(key('j'), fixtures::now());
    let cmds = app.update(code(KeyCode::Enter), fixtures::now());
    assert_eq!(app.tab, Tab::Jobs);
    assert_eq!(app.jobs.queue.as_deref(), Some("emails"));
    let Some(Command::SetWatch(w)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let q = w.page.as_ref().unwrap();
    assert_eq!(
        (q.queue.as_str(), q.source, q.offset),
        ("emails", JobSource::Queue, 0)
    );
}

#[test]
fn registry_and_queue_cycling() {
    let mut app = loaded();
    app.update(key('3'), fixtures::now());
    app.update(code(KeyCode::Right), fixtures::now());
    assert_eq!(app.jobs.source, JobSource::Registry(Registry::Started));
    app.update(code(KeyCode::Left), fixtures::now());
    app.update(code(KeyCode::Left), fixtures::now());
    assert_eq!(
        app.jobs.source,
        JobSource::Registry(Registry::Ready),
        "RQ 3.0's"
    );
    app.update(code(KeyCode::Left), fixtures::now());
    assert_eq!(app.jobs.source, JobSource::Registry(Registry::Canceled));
    app.update(key(']'), fixtures::now());
    assert_eq!(app.jobs.queue.as_deref(), Some("emails"));
    app.update(key('o'), fixtures::now());
    assert!(app.watch().page.unwrap().newest_first);
}

fn page(total: u64, offset: u64, n: usize) -> JobPage {
    JobPage {
        queue: "default".into(),
        source: JobSource::Queue,
        total,
        offset,
        newest_first: false,
        jobs: (0..n)
            .map(|i| fixtures::job_row(&format!("j{}", offset as usize + i)))
            .collect::<Vec<JobSummary>>(),
    }
}

#[test]
fn paging_past_the_loaded_page_asks_for_the_next_one() {
    let mut app = loaded();
    app.update(key('3'), fixtures::now());
    app.update(Msg::PageLoaded(page(1_000_000, 0, 200)), fixtures::now());
    app.update(key('G'), fixtures::now());
    assert_eq!(app.jobs_nav.selected, 199);
    let cmds = app.update(key('j'), fixtures::now());
    assert_eq!(app.jobs.offset, 200);
    assert!(
        matches!(cmds.as_slice(), [Command::SetWatch(w)] if w.page.as_ref().unwrap().offset == 200)
    );
    // A stale page for the old offset is ignored.
    app.update(Msg::PageLoaded(page(1_000_000, 0, 200)), fixtures::now());
    assert!(app.jobs.page.is_none());
    app.update(Msg::PageLoaded(page(1_000_000, 200, 200)), fixtures::now());
    app.update(key('k'), fixtures::now());
    assert_eq!(app.jobs.offset, 0, "up from the top goes back a page");
    assert_eq!(app.jobs_nav.selected, 199);
}

#[test]
fn marked_jobs_are_the_target_and_confirmation_says_how_many() {
    let mut app = loaded();
    app.update(key('3'), fixtures::now());
    app.update(Msg::PageLoaded(page(10, 0, 10)), fixtures::now());
    app.update(code(KeyCode::Char(' ')), fixtures::now());
    app.update(code(KeyCode::Char(' ')), fixtures::now());
    app.update(key('D'), fixtures::now());
    let Some(Popup::Confirm { text, mutation }) = &app.popup else {
        panic!("no confirm")
    };
    assert!(text.contains("Delete 2 jobs"), "{text}");
    assert_eq!(mutation, &Mutation::Delete(vec!["j0".into(), "j1".into()]));
    let cmds = app.update(key('y'), fixtures::now());
    assert!(cmds.contains(&Command::Run(Mutation::Delete(vec![
        "j0".into(),
        "j1".into()
    ]))));
    assert!(app.popup.is_none());
}

#[test]
fn denying_changes_nothing_and_read_only_never_asks() {
    let mut app = loaded();
    app.update(key('E'), fixtures::now());
    assert!(
        matches!(&app.popup, Some(Popup::Confirm { text, .. }) if text.contains("Empty queue default: delete its 1,204 queued jobs"))
    );
    let cmds = app.update(code(KeyCode::Esc), fixtures::now());
    assert!(app.popup.is_none() && !cmds.iter().any(|c| matches!(c, Command::Run(_))));

    let mut ro = App::new("x", true);
    ro.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    ro.update(key('E'), fixtures::now());
    assert!(ro.popup.is_none());
    assert!(ro.status.as_ref().unwrap().text.contains("read-only"));
}

#[test]
fn worker_actions_and_suspend_toggle() {
    let mut app = loaded();
    app.update(key('2'), fixtures::now());
    app.update(key('W'), fixtures::now());
    assert!(
        matches!(&app.popup, Some(Popup::Confirm { mutation: Mutation::Worker(names, WorkerCommand::Shutdown), .. }) if names == &vec!["w-busy".to_string()])
    );
    app.update(key('n'), fixtures::now());
    app.update(key('S'), fixtures::now());
    assert!(matches!(
        &app.popup,
        Some(Popup::Confirm {
            mutation: Mutation::Suspend,
            ..
        })
    ));
}

#[test]
fn filter_narrows_rows_and_escape_clears() {
    let mut app = loaded();
    app.update(key('/'), fixtures::now());
    for c in "mail".chars() {
        app.update(key(c), fixtures::now());
    }
    app.update(code(KeyCode::Enter), fixtures::now());
    assert_eq!(app.visible_queues().len(), 1);
    app.update(code(KeyCode::Esc), fixtures::now());
    assert_eq!(app.visible_queues().len(), 3);
}

#[test]
fn quit_keys_and_help() {
    let mut app = loaded();
    app.update(key('?'), fixtures::now());
    assert!(matches!(app.popup, Some(Popup::Help { .. })));
    app.update(key('q'), fixtures::now());
    assert!(
        app.popup.is_none() && !app.should_quit,
        "q closes help first"
    );
    app.update(
        Msg::KeyPressed(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        fixtures::now(),
    );
    assert!(app.should_quit);
}

#[test]
fn action_results_land_in_the_status_line_and_trigger_a_refresh() {
    let mut app = loaded();
    let cmds = app.update(
        Msg::ActionFinished {
            label: "requeue".into(),
            result: Err("connection refused".into()),
        },
        fixtures::now(),
    );
    assert!(cmds.contains(&Command::RefreshNow));
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("requeue failed: connection refused")
    );
    app.update(
        Msg::ConnectionChanged(ConnState::Reconnecting {
            attempt: 2,
            error: "x".into(),
        }),
        fixtures::now(),
    );
    assert!(matches!(
        app.conn,
        ConnState::Reconnecting { attempt: 2, .. }
    ));
}

#[test]
fn ticks_record_history_for_sparklines() {
    let mut app = loaded();
    for i in 0..5 {
        app.update(Msg::Ticked, fixtures::now() + Duration::from_secs(i));
    }
    assert_eq!(app.history.samples("default").len(), 5);
    let _ = SystemTime::now();
}

#[test]
fn the_cursor_follows_its_item_when_rows_move() {
    let mut app = loaded();
    app.update(key('2'), fixtures::now());
    app.update(key('j'), fixtures::now()); // w-idle
    let mut ov = fixtures::overview();
    ov.workers.insert(0, ov.workers[0].clone());
    ov.workers[0].name = "a-new-worker".into();
    app.update(
        Msg::OverviewLoaded(Box::new(ov), fixtures::now()),
        fixtures::now(),
    );
    assert_eq!(app.visible_workers()[app.workers.selected].name, "w-idle");
}

#[test]
fn an_error_for_another_job_is_not_shown_and_marks_clear_after_actions() {
    let mut app = loaded();
    app.update(key('3'), fixtures::now());
    app.update(Msg::PageLoaded(page(10, 0, 10)), fixtures::now());
    app.update(code(KeyCode::Char(' ')), fixtures::now());
    app.update(code(KeyCode::Enter), fixtures::now());
    app.update(
        Msg::JobLoaded {
            id: "other".into(),
            result: Err("no such job".into()),
        },
        fixtures::now(),
    );
    assert!(app.detail.as_ref().unwrap().job.is_none());
    app.update(
        Msg::ActionFinished {
            label: "requeue".into(),
            result: Ok(Vec::new()),
        },
        fixtures::now(),
    );
    assert!(app.jobs_nav.marked.is_empty());
}

#[test]
fn refresh_gives_feedback_and_results_stay_on_their_tab() {
    let mut app = loaded();
    let cmds = app.update(key('r'), fixtures::now());
    assert!(cmds.contains(&Command::RefreshNow));
    assert_eq!(
        app.status.as_ref().map(|s| s.text.as_str()),
        Some("refreshing…")
    );
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    assert_eq!(
        app.status.as_ref().map(|s| s.text.as_str()),
        Some("refreshed")
    );
    app.update(key('2'), fixtures::now());
    assert_eq!(
        app.status, None,
        "a result does not follow the user to another tab"
    );
}

/// Shows a page of `source` jobs of queue default on the Jobs tab.
fn registry_page(app: &mut App, source: JobSource) {
    app.update(key('3'), fixtures::now());
    app.jobs.source = source;
    let mut p = page(3, 0, 3);
    p.source = source;
    app.update(Msg::PageLoaded(p), fixtures::now());
}

#[test]
fn job_keys_that_do_not_apply_say_why_and_ask_nothing() {
    let mut app = loaded();
    registry_page(&mut app, JobSource::Queue);
    for (k, why) in [
        (
            'T',
            "only a running job can be stopped (this one is queued)",
        ),
        ('N', "only a scheduled job can be enqueued now"),
        ('R', "only a job that ended can be requeued"),
    ] {
        app.update(key(k), fixtures::now());
        assert!(app.popup.is_none(), "{k}");
        let status = app
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default();
        assert!(status.contains(why), "{k}: {status}");
    }
    app.update(key('C'), fixtures::now());
    assert!(app.popup.is_some(), "a queued job can be canceled");
}

#[test]
fn requeue_confirmation_says_from_where_to_where_and_warns_of_reruns() {
    let mut app = loaded();
    registry_page(&mut app, JobSource::Registry(Registry::Failed));
    app.update(key('R'), fixtures::now());
    let Some(Popup::Confirm { text, .. }) = &app.popup else {
        panic!("no confirm: {:?}", app.status)
    };
    assert_eq!(text, "Requeue job j0 from failed@default to queue default?");
    app.update(key('n'), fixtures::now());
    registry_page(&mut app, JobSource::Registry(Registry::Finished));
    app.update(code(KeyCode::Char(' ')), fixtures::now());
    app.update(code(KeyCode::Char(' ')), fixtures::now());
    app.update(key('R'), fixtures::now());
    let Some(Popup::Confirm { text, .. }) = &app.popup else {
        panic!("no confirm")
    };
    assert!(
        text.starts_with(
            "Requeue 2 jobs from finished@default to queue default? They have already run"
        ),
        "{text}"
    );
    app.update(key('n'), fixtures::now());
    app.update(key('C'), fixtures::now());
    assert!(app.popup.is_none(), "finished jobs are not canceled");
}

#[test]
fn the_jobs_tab_key_shows_the_queue_selected_on_the_queues_tab() {
    let mut app = loaded();
    app.update(key('3'), fixtures::now());
    assert_eq!(app.jobs.queue.as_deref(), Some("default"));
    app.update(key('1'), fixtures::now());
    app.update(key('j'), fixtures::now());
    let cmds = app.update(key('3'), fixtures::now());
    assert_eq!(app.jobs.queue.as_deref(), Some("emails"));
    assert!(
        matches!(cmds.as_slice(), [Command::SetWatch(w)] if w.page.as_ref().is_some_and(|p| p.queue == "emails")),
        "{cmds:?}"
    );
    // Moving between other tabs keeps the queue the Jobs tab shows.
    app.update(key(']'), fixtures::now());
    let shown = app.jobs.queue.clone();
    app.update(key('2'), fixtures::now());
    app.update(key('3'), fixtures::now());
    assert_eq!(app.jobs.queue, shown);
}
