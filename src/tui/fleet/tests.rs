//! The fleet view: rows of every target with their TARGET, filtering and sorting across
//! targets, the header's per-target states, and 80x24 snapshots.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::rows::{queue_rows, worker_rows};
use super::{Fleet, FleetMsg, FleetTab};
use crate::tui::fixtures;
use crate::tui::msg::ConnState;
use crate::tui::theme::Theme;

/// Three targets: prod-eu and prod-us (read-only) loaded, staging unreachable.
fn fleet() -> Fleet {
    let mut f = Fleet::new(vec![
        ("prod-eu".into(), false),
        ("prod-us".into(), true),
        ("staging".into(), false),
    ]);
    let mut us = fixtures::overview();
    us.queues.truncate(2);
    us.queues[0].queued = 5;
    us.workers.truncate(1);
    us.workers[0].name = "us-worker".into();
    for (i, ov) in [fixtures::overview(), us].into_iter().enumerate() {
        f.update(FleetMsg::Loaded(i, Box::new(ov), fixtures::now()));
        f.update(FleetMsg::State(
            i,
            ConnState::Polling {
                every: std::time::Duration::from_secs(2),
                why: String::new(),
            },
        ));
    }
    f.update(FleetMsg::State(
        2,
        ConnState::Reconnecting {
            attempt: 3,
            error: "cannot connect to redis://10.0.0.9:6379/0: Connection refused".into(),
        },
    ));
    f
}

fn key(f: &mut Fleet, code: KeyCode) {
    f.update(FleetMsg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(f: &mut Fleet, s: &str) {
    for c in s.chars() {
        key(f, KeyCode::Char(c));
    }
}

fn draw(f: &mut Fleet) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|frame| super::view::render(frame, f, &Theme::color(), fixtures::now()))
        .unwrap();
    t
}

#[test]
fn rows_of_every_target_filtered_and_sorted_across_them() {
    let mut f = fleet();
    let rows = queue_rows(&f);
    assert_eq!(
        rows.len(),
        5,
        "3 queues of prod-eu, 2 of prod-us, none of staging"
    );
    assert_eq!((rows[3].0, rows[3].1.name.as_str()), (1, "default"));
    // Sorted by queued across targets: prod-eu's default (1,204) first, prod-us's (5) next.
    key(&mut f, KeyCode::Char('s'));
    let rows = queue_rows(&f);
    assert_eq!((rows[0].0, rows[0].1.queued), (0, 1204));
    assert_eq!((rows[1].0, rows[1].1.queued), (1, 5));
    // The filter matches queue names and target names.
    typed(&mut f, "/prod-us");
    key(&mut f, KeyCode::Enter);
    assert!(queue_rows(&f).iter().all(|(t, _)| *t == 1));
    key(&mut f, KeyCode::Esc);
    typed(&mut f, "/emails");
    assert_eq!(queue_rows(&f).len(), 2);
    key(&mut f, KeyCode::Esc);
    key(&mut f, KeyCode::Char('2'));
    assert_eq!(f.tab, FleetTab::Workers);
    assert_eq!(worker_rows(&f).len(), 4);
    typed(&mut f, "/us-w");
    assert_eq!(worker_rows(&f).len(), 1);
}

#[test]
fn actions_go_to_the_row_target_and_name_it_first() {
    let mut f = fleet();
    // The last row is prod-us's emails queue, and prod-us is read-only.
    key(&mut f, KeyCode::Char('G'));
    key(&mut f, KeyCode::Char('E'));
    assert_eq!(
        f.status.as_deref(),
        Some("prod-us is read-only: nothing changed")
    );
    assert!(f.confirm.is_none());
    // The first row is prod-eu's default queue.
    key(&mut f, KeyCode::Char('g'));
    key(&mut f, KeyCode::Char('E'));
    let p = f.confirm.clone().unwrap();
    assert_eq!(p.target, 0);
    assert!(
        p.text
            .starts_with("prod-eu: Empty queue default: delete its 1,204"),
        "{}",
        p.text
    );
    assert_eq!(
        p.mutation,
        crate::tui::msg::Mutation::Empty("default".into())
    );
    // n changes nothing; y hands the change to the loop, for prod-eu.
    let no = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(f.update(FleetMsg::Key(no)).is_none());
    assert_eq!(f.status.as_deref(), Some("nothing changed"));
    key(&mut f, KeyCode::Char('E'));
    let yes = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(f.update(FleetMsg::Key(yes)).map(|p| p.target), Some(0));
    f.update(FleetMsg::ActionFinished {
        target: 0,
        label: "empty".into(),
        result: Ok(Vec::new()),
    });
    assert_eq!(f.status.as_deref(), Some("prod-eu: empty: 0 done"));
    // Other keys say where to go for them.
    key(&mut f, KeyCode::Char('2'));
    key(&mut f, KeyCode::Char('D'));
    assert!(
        f.status.as_deref().unwrap().contains("rqtop -c prod-eu"),
        "{:?}",
        f.status
    );
    key(&mut f, KeyCode::Char('q'));
    assert!(f.should_quit);
}

#[test]
fn fleet_confirm_names_the_target_first() {
    let mut f = fleet();
    key(&mut f, KeyCode::Char('E'));
    insta::assert_snapshot!(draw(&mut f).backend());
}

#[test]
fn hostile_target_and_queue_names_are_shown_escaped() {
    let mut f = Fleet::new(vec![("ev\u{1b}[2Jil".into(), false)]);
    let mut ov = fixtures::overview();
    ov.queues[0].name = "q\u{202e}x".into();
    f.update(FleetMsg::Loaded(0, Box::new(ov), fixtures::now()));
    let screen = format!("{}", draw(&mut f).backend());
    assert!(
        screen.contains("ev\\x1b[2Jil") && screen.contains("q\\u202ex"),
        "{screen}"
    );
}

#[test]
fn fleet_queues_tab() {
    let mut f = fleet();
    insta::assert_snapshot!(draw(&mut f).backend());
}

#[test]
fn fleet_workers_tab() {
    let mut f = fleet();
    key(&mut f, KeyCode::Char('2'));
    insta::assert_snapshot!(draw(&mut f).backend());
}
