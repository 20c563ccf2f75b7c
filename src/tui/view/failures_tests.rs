//! The Failures tab: snapshots at 80x24 and 60x15, an opened signature, and R/D/C asking
//! with the count and the queues before acting on every job of the signature.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::rq::failures::{FailureGroup, FailureReport, signature};
use crate::tui::app::{App, Popup};
use crate::tui::fixtures;
use crate::tui::msg::{Command, ConnState, Msg, Mutation, SignatureAction};
use crate::tui::theme::Theme;

const CONN: &str = "Traceback (most recent call last):
  File \"/srv/app/app/sync.py\", line 29, in sync_cache
    return client.ping()
  File \"/venv/lib/python3.11/site-packages/redis/client.py\", line 867, in ping
    return self.execute_command()
redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.7:6379. Connection refused.
";

fn group(func: &str, tb: &str, queues: &[(&str, u64)], recent: u64, last: u64) -> FailureGroup {
    let signature = signature::of(Some(func), Some(tb));
    FailureGroup {
        count: queues.iter().map(|(_, n)| n).sum(),
        queues: queues
            .iter()
            .map(|(q, n)| ((*q).to_string(), *n))
            .collect::<BTreeMap<_, _>>(),
        first: fixtures::ago(3600),
        last: fixtures::ago(last),
        recent,
        previous: 2,
        sample_ids: vec![
            format!("{}-job-1", signature.id),
            format!("{}-job-2", signature.id),
        ],
        sample_traceback: Some(tb.to_string()),
        signature,
    }
}

fn report() -> FailureReport {
    FailureReport {
        groups: vec![
            group(
                "app.sync.sync_cache",
                CONN,
                &[("emails", 1200), ("reports", 4)],
                40,
                5,
            ),
            group(
                "app.billing.lookup",
                "Traceback (most recent call last):\n  File \"/srv/app/app/billing.py\", line 3, in lookup\nKeyError: 'user-1034'\n",
                &[("billing", 310)],
                0,
                1800,
            ),
            group(
                "app.report.render",
                "Work-horse terminated unexpectedly; waitpid returned 9 (signal 9); ",
                &[("reports", 7)],
                1,
                30,
            ),
        ],
        jobs: 1521,
        missing: 0,
        queues: vec!["billing".into(), "emails".into(), "reports".into()],
        unread: 0,
    }
}

fn app() -> App {
    let mut app = App::new("redis://:***@127.0.0.1:6379/0", false);
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    key(&mut app, KeyCode::Char('5'));
    app.update(Msg::FailuresLoaded(report()), fixtures::now());
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.update(
        Msg::KeyPressed(KeyEvent::new(code, KeyModifiers::NONE)),
        fixtures::now(),
    )
}

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::render(f, app, &Theme::color(), fixtures::now()))
        .unwrap();
    t
}

#[test]
fn failures_tab() {
    let mut app = app();
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn failures_tab_small() {
    let mut app = app();
    insta::assert_snapshot!(draw(&mut app, 60, 15).backend());
}

#[test]
fn failures_tab_wide_shows_queues() {
    let mut app = app();
    let text = format!("{:?}", draw(&mut app, 120, 24).backend());
    assert!(text.contains("QUEUES"), "{text}");
    assert!(text.contains("emails (1,200)"), "{text}");
}

#[test]
fn an_open_signature_shows_a_sample_traceback_and_its_jobs() {
    let mut app = app();
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
    key(&mut app, KeyCode::Esc);
    assert!(app.signature_open.is_none());
}

#[test]
fn enter_on_an_open_signature_lists_its_jobs_on_the_jobs_tab() {
    let mut app = app();
    let sig = report().groups[0].signature.id.clone();
    key(&mut app, KeyCode::Enter);
    let out = key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, crate::tui::app::Tab::Jobs);
    assert_eq!(app.jobs.queue.as_deref(), Some("emails"));
    let req = out
        .iter()
        .find_map(|c| match c {
            Command::Search(Some(r)) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(req.selector, format!("sig={sig}"));
    assert_eq!(
        req.source,
        crate::rq::JobSource::Registry(crate::rq::Registry::Failed)
    );
}

#[test]
fn r_d_c_act_on_every_job_of_the_signature_after_asking() {
    let mut app = app();
    let sig = report().groups[0].signature.id.clone();
    for (k, what) in [
        ('R', SignatureAction::Requeue),
        ('D', SignatureAction::Delete),
        ('C', SignatureAction::Cancel),
    ] {
        key(&mut app, KeyCode::Char(k));
        let Some(Popup::Confirm { text, mutation }) = &app.popup else {
            panic!("no confirmation for {k}");
        };
        assert!(text.contains("1,204 jobs"), "{text}");
        assert!(text.contains("emails (1,200)"), "{text}");
        assert_eq!(*mutation, Mutation::Signature(what, sig.clone()));
        let out = key(&mut app, KeyCode::Char('y'));
        assert!(
            out.contains(&Command::Run(Mutation::Signature(what, sig.clone()))),
            "{out:?}"
        );
    }
    // From an opened signature too.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('D'));
    let Some(Popup::Confirm { text, .. }) = &app.popup else {
        panic!("no confirmation");
    };
    assert!(
        text.contains("310 jobs") && text.contains("billing (310)"),
        "{text}"
    );
}

#[test]
fn read_only_refuses_signature_actions() {
    let mut app = App::new("redis://127.0.0.1:6379/0", true);
    key(&mut app, KeyCode::Char('5'));
    app.update(Msg::FailuresLoaded(report()), fixtures::now());
    key(&mut app, KeyCode::Char('R'));
    assert!(app.popup.is_none());
}

#[test]
fn the_failures_tab_asks_the_refresh_task_for_signatures() {
    let mut app = App::new("redis://127.0.0.1:6379/0", false);
    let out = key(&mut app, KeyCode::Char('5'));
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::SetWatch(w) if w.failures)),
        "{out:?}"
    );
}

#[test]
fn jobs_tab_while_a_selector_search_runs() {
    let mut app = App::new("redis://:***@127.0.0.1:6379/0", false);
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('/'));
    for c in "exc~timeout age>1h".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let out = key(&mut app, KeyCode::Enter);
    let generation = out
        .iter()
        .find_map(|c| match c {
            Command::Search(Some(r)) => Some(r.generation),
            _ => None,
        })
        .unwrap();
    app.update(
        Msg::SearchProgress {
            generation,
            scanned: 40_000,
            matches: (0..3)
                .map(|i| fixtures::job_row(&format!("match-{i}")))
                .collect(),
            done: false,
            error: None,
        },
        fixtures::now(),
    );
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}
