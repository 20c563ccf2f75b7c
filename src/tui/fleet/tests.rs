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

fn draw_at(f: &mut Fleet, width: u16, height: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
    t.draw(|frame| super::view::render(frame, f, &Theme::color(), fixtures::now()))
        .unwrap();
    format!("{}", t.backend())
}

/// Two targets of 20 queues each, with long names: a narrow terminal cuts them with `…`, and
/// PgDn shows the next screen whole (not one new row).
#[test]
fn fleet_tables_cut_with_an_ellipsis_and_page_by_screens() {
    let mut f = Fleet::new(vec![
        ("production-eu-west-1".into(), false),
        ("production-us-east-1".into(), false),
    ]);
    for i in 0..2 {
        let mut ov = fixtures::overview();
        let proto = ov.queues[0].clone();
        ov.queues = (0..20)
            .map(|n| {
                let mut q = proto.clone();
                q.name = format!("emails-transactional-priority-{n:02}");
                q
            })
            .collect();
        f.update(FleetMsg::Loaded(i, Box::new(ov), fixtures::now()));
    }
    let screen = draw_at(&mut f, 60, 15);
    // 15 lines: header, tabs, the table's borders and header, 8 rows, status and keys.
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("│product")).collect();
    assert_eq!(rows.len(), 8, "{screen}");
    // Cut in the middle, so that rows still tell their queues apart.
    for (n, row) in rows.iter().enumerate() {
        assert!(
            row.contains('…') && row.contains(&format!("-{n:02} ")),
            "{screen}"
        );
    }
    assert!(
        screen.contains("QUEUED") && screen.contains("FAILED"),
        "{screen}"
    );

    key(&mut f, KeyCode::PageDown);
    assert_eq!(f.nav.selected, 8);
    let next = draw_at(&mut f, 60, 15);
    let rows: Vec<&str> = next.lines().filter(|l| l.contains("│product")).collect();
    assert_eq!(rows.len(), 8, "{next}");
    // The second screen starts where the first ended: queues 08 to 15.
    for (n, row) in rows.iter().enumerate() {
        assert!(row.contains(&format!("-{:02} ", n + 8)), "{next}");
    }
    key(&mut f, KeyCode::PageUp);
    assert_eq!(f.nav.selected, 0);
    assert!(draw_at(&mut f, 60, 15).contains("-00 "));
    // At 120 columns nothing is cut.
    let wide = draw_at(&mut f, 120, 15);
    assert!(
        wide.contains("production-eu-west-1") && wide.contains("emails-transactional-priority-07"),
        "{wide}"
    );
    assert!(
        !wide
            .lines()
            .any(|l| l.contains("emails-") && l.contains('…')),
        "{wide}"
    );
}
