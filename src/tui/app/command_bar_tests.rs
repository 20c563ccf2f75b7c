//! The command bar: every command, completion, history, and what it says to nonsense.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Popup, Tab};
use crate::rq::{JobSource, Registry};
use crate::tui::fixtures;
use crate::tui::msg::{Command, Msg};

fn app() -> App {
    let mut app = App::new("redis://127.0.0.1:6379/0", false);
    app.contexts = vec!["prod-eu".into(), "prod-us".into(), "staging".into()];
    app.context = Some("staging".into());
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.update(
        Msg::KeyPressed(KeyEvent::new(code, KeyModifiers::NONE)),
        fixtures::now(),
    )
}

fn typed(app: &mut App, text: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(press(app, KeyCode::Char(c)));
    }
    out
}

/// Types `:line` and Enter; returns the commands for the console.
fn run(app: &mut App, line: &str) -> Vec<Command> {
    let mut out = typed(app, &format!(":{line}"));
    out.extend(press(app, KeyCode::Enter));
    out
}

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

#[test]
fn tab_commands_and_quit() {
    let mut app = app();
    run(&mut app, "workers");
    assert_eq!(app.tab, Tab::Workers);
    assert!(app.bar.is_none(), "Enter closes the bar");
    run(&mut app, "schedules");
    assert_eq!(app.tab, Tab::Schedules);
    run(&mut app, "failures");
    assert_eq!(app.tab, Tab::Failures);
    run(&mut app, "queues");
    assert_eq!(app.tab, Tab::Queues);
    run(&mut app, "help");
    assert!(matches!(app.popup, Some(Popup::Help { .. })));
    app.popup = None;
    run(&mut app, "q");
    assert!(app.should_quit);
}

#[test]
fn jobs_and_job_open_what_they_name() {
    let mut app = app();
    run(&mut app, "jobs emails failed");
    assert_eq!(app.tab, Tab::Jobs);
    assert_eq!(app.jobs.queue.as_deref(), Some("emails"));
    assert_eq!(app.jobs.source, JobSource::Registry(Registry::Failed));
    run(&mut app, "jobs low");
    assert_eq!(app.jobs.source, JobSource::Queue);
    run(&mut app, "job 9f1c2d3e");
    assert_eq!(app.detail.as_ref().map(|d| d.id.as_str()), Some("9f1c2d3e"));
    // A tab command closes the open job.
    run(&mut app, "queues");
    assert!(app.detail.is_none());
}

#[test]
fn nonsense_gets_a_message_never_a_crash() {
    let mut app = app();
    run(&mut app, "frobnicate now");
    assert_eq!(
        status(&app),
        "unknown command :frobnicate (Tab completes; ? lists every command)"
    );
    run(&mut app, "jobs");
    assert_eq!(status(&app), "usage: :jobs QUEUE [REGISTRY]");
    run(&mut app, "queues extra");
    assert_eq!(status(&app), "usage: :queues");
    run(&mut app, "jobs nosuch");
    assert!(
        status(&app).starts_with("no such queue: nosuch"),
        "{}",
        status(&app)
    );
    run(&mut app, "jobs default bogus");
    assert!(
        status(&app).starts_with("no registry bogus (queued, started"),
        "{}",
        status(&app)
    );
    assert_eq!(app.tab, Tab::Queues, "a refused command changes nothing");
    run(&mut app, "\u{1b}[2J\u{0}");
    assert!(
        status(&app).starts_with("unknown command"),
        "{}",
        status(&app)
    );
    // An empty line, Esc, and Backspace on an empty bar just close it.
    run(&mut app, "");
    typed(&mut app, ":x");
    press(&mut app, KeyCode::Esc);
    assert!(app.bar.is_none());
    typed(&mut app, ":");
    press(&mut app, KeyCode::Backspace);
    assert!(app.bar.is_none());
    // While the bar is open, keys are text, not bindings.
    typed(&mut app, ":qE");
    assert!(!app.should_quit && app.popup.is_none());
    assert_eq!(app.bar.as_ref().unwrap().input, "qE");
}

#[test]
fn ctx_asks_the_console_to_switch() {
    let mut app = app();
    let out = run(&mut app, "ctx prod-eu");
    assert!(
        out.contains(&Command::SwitchContext("prod-eu".into())),
        "{out:?}"
    );
    assert_eq!(status(&app), "switching to context prod-eu…");
    let out = run(&mut app, "ctx prod");
    assert!(!out.iter().any(|c| matches!(c, Command::SwitchContext(_))));
    assert_eq!(
        status(&app),
        "no context prod (known: prod-eu, prod-us, staging)"
    );
    run(&mut app, "context staging");
    assert_eq!(status(&app), "already on context staging");
    app.contexts.clear();
    run(&mut app, "ctx prod-eu");
    assert!(status(&app).starts_with("no contexts"), "{}", status(&app));
}

#[test]
fn tab_completes_commands_contexts_queues_and_registries() {
    let mut app = app();
    typed(&mut app, ":wo");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.bar.as_ref().unwrap().input, "workers ");
    press(&mut app, KeyCode::Esc);
    typed(&mut app, ":jo");
    assert_eq!(app.bar_candidates(), ["jobs", "job"]);
    press(&mut app, KeyCode::Tab);
    assert_eq!(
        app.bar.as_ref().unwrap().input,
        "job",
        "as far as both agree"
    );
    typed(&mut app, "s e");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.bar.as_ref().unwrap().input, "jobs emails ");
    typed(&mut app, "fa");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.bar.as_ref().unwrap().input, "jobs emails failed ");
    press(&mut app, KeyCode::Esc);
    typed(&mut app, ":ctx prod");
    assert_eq!(app.bar_candidates(), ["prod-eu", "prod-us"]);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.bar.as_ref().unwrap().input, "ctx prod-");
    typed(&mut app, "u");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.bar.as_ref().unwrap().input, "ctx prod-us ");
    // Nothing to complete: Tab leaves the line alone.
    press(&mut app, KeyCode::Esc);
    typed(&mut app, ":zz");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.bar.as_ref().unwrap().input, "zz");
}

#[test]
fn history_walks_back_and_forth() {
    let mut app = app();
    run(&mut app, "workers");
    run(&mut app, "jobs low");
    run(&mut app, "jobs low"); // the same line twice is kept once
    assert_eq!(app.bar_history, ["workers", "jobs low"]);
    typed(&mut app, ":sch");
    press(&mut app, KeyCode::Up);
    assert_eq!(app.bar.as_ref().unwrap().input, "jobs low");
    press(&mut app, KeyCode::Up);
    assert_eq!(app.bar.as_ref().unwrap().input, "workers");
    press(&mut app, KeyCode::Up);
    assert_eq!(
        app.bar.as_ref().unwrap().input,
        "workers",
        "stops at the oldest"
    );
    press(&mut app, KeyCode::Down);
    assert_eq!(app.bar.as_ref().unwrap().input, "jobs low");
    press(&mut app, KeyCode::Down);
    assert_eq!(
        app.bar.as_ref().unwrap().input,
        "sch",
        "back to what was typed"
    );
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Jobs);
}

#[test]
fn every_command_is_in_help_and_parses() {
    for c in crate::tui::keymap::COMMANDS {
        assert!(!c.help.is_empty());
        assert!(crate::tui::keymap::command(c.name).is_some());
        for a in c.aliases {
            assert_eq!(crate::tui::keymap::command(a).map(|x| x.name), Some(c.name));
        }
    }
}
