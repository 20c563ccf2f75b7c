//! The header with a config file's context: its name, read-only state and accent colour; a
//! context's queue list cuts the tables down.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::tui::app::App;
use crate::tui::fixtures;
use crate::tui::msg::{ConnState, Msg};
use crate::tui::theme::Theme;

fn app_in(context: &str, read_only: bool, only: &[&str]) -> App {
    let mut app = App::new("redis://:***@10.0.0.5:6379/0", read_only);
    app.context = Some(context.to_string());
    app.only_queues = only.iter().map(ToString::to_string).collect();
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    app
}

fn draw(app: &mut App, theme: &Theme) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| super::render(f, app, theme, fixtures::now()))
        .unwrap();
    t
}

fn header(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    (0..buf.area.width)
        .map(|x| buf[(x, 0)].symbol().to_string())
        .collect()
}

#[test]
fn header_names_the_context_and_its_read_only_state_in_its_accent() {
    let mut app = app_in("prod-eu", true, &[]);
    let t = draw(&mut app, &Theme::color().with_accent(Some("red")));
    let head = header(&t);
    assert!(head.contains("ctx prod-eu"), "{head}");
    assert!(head.contains("read-only"), "{head}");
    assert!(!head.contains("s3cret"), "{head}");
    let cell = &t.backend().buffer()[(1, 0)];
    assert_eq!(cell.bg, Color::Red, "the header takes the context's accent");
    assert_eq!(cell.fg, Color::White, "dark accents get light text");
    // Without an accent the header keeps the theme's colour; mono ignores accents.
    let t = draw(&mut app, &Theme::color().with_accent(None));
    assert_eq!(t.backend().buffer()[(1, 0)].bg, Color::Cyan);
    let t = draw(&mut app, &Theme::mono().with_accent(Some("red")));
    assert_eq!(t.backend().buffer()[(1, 0)].bg, Color::Reset);
}

#[test]
fn a_hostile_context_name_is_shown_escaped() {
    let mut app = app_in("prod\u{1b}[2J\u{202e}", false, &[]);
    let head = header(&draw(&mut app, &Theme::color()));
    assert!(head.contains("ctx prod\\x1b[2J"), "{head}");
    assert!(
        !head.contains('\u{1b}') && !head.contains('\u{202e}'),
        "{head}"
    );
}

#[test]
fn a_context_queue_list_shows_only_those_queues_and_their_workers() {
    let all = fixtures::overview();
    let keep = all.queues[0].name.clone();
    let app = app_in("staging", false, &[keep.as_str()]);
    let ov = app.overview.as_ref().unwrap();
    assert_eq!(ov.queues.len(), 1);
    assert_eq!(ov.queues[0].name, keep);
    assert!(ov.workers.iter().all(|w| w.queues.contains(&keep)));
    assert!(
        ov.workers.len() < all.workers.len()
            || all.workers.iter().all(|w| w.queues.contains(&keep))
    );
}

#[test]
fn a_sentinel_target_keeps_its_master_in_a_narrow_header() {
    let label = "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381/mymaster/0 master 127.0.0.1:6380";
    let mut app = App::new(label, false);
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    let head = header(&draw(&mut app, &Theme::color()));
    assert!(head.contains("127.0.0.1:6380"), "{head}");
}
