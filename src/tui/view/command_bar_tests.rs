//! The command bar at 80x24, and its commands in the help screen.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::tui::app::App;
use crate::tui::fixtures;
use crate::tui::msg::{ConnState, Msg};
use crate::tui::theme::Theme;

fn app() -> App {
    let mut app = App::new("redis://:***@127.0.0.1:6379/0", false);
    app.context = Some("staging".into());
    app.contexts = vec!["prod-eu".into(), "prod-us".into(), "staging".into()];
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    app
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(
            Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            fixtures::now(),
        );
    }
}

fn draw(app: &mut App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| super::render(f, app, &Theme::color(), fixtures::now()))
        .unwrap();
    t
}

#[test]
fn command_bar_open() {
    let mut app = app();
    typed(&mut app, ":");
    insta::assert_snapshot!(draw(&mut app).backend());
}

#[test]
fn command_bar_completing_a_context() {
    let mut app = app();
    typed(&mut app, ":ctx prod");
    insta::assert_snapshot!(draw(&mut app).backend());
}

#[test]
fn command_bar_unknown_command() {
    let mut app = app();
    typed(&mut app, ":frobnicate");
    app.update(
        Msg::KeyPressed(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        fixtures::now(),
    );
    insta::assert_snapshot!(draw(&mut app).backend());
}

#[test]
fn typed_escapes_are_shown_not_obeyed() {
    let mut app = app();
    typed(&mut app, ":\u{1b}]0;pwned\u{7}");
    let t = draw(&mut app);
    let row: String = (0..80)
        .map(|x| t.backend().buffer()[(x, 22)].symbol().to_string())
        .collect();
    assert!(row.starts_with(":\\x1b]0;pwned\\x07"), "{row}");
}

#[test]
fn help_lists_every_command_of_the_bar() {
    let mut app = app();
    typed(&mut app, "?");
    // Tall enough to show the whole Everywhere section and the commands after it.
    let mut t = Terminal::new(TestBackend::new(80, 60)).unwrap();
    t.draw(|f| super::render(f, &mut app, &Theme::mono(), fixtures::now()))
        .unwrap();
    let screen: String = format!("{}", t.backend());
    assert!(screen.contains("Command bar (:)"), "{screen}");
    for c in crate::tui::keymap::COMMANDS {
        assert!(
            screen.contains(&format!(":{}", c.name)),
            ":{} missing\n{screen}",
            c.name
        );
    }
}
