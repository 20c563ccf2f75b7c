//! `/` on the Jobs tab: a selector scan of the whole queue or registry.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::rq::{JobSource, Registry};
use crate::tui::app::App;
use crate::tui::fixtures;
use crate::tui::msg::{Command, ConnState, Msg};

fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.update(
        Msg::KeyPressed(KeyEvent::new(code, KeyModifiers::NONE)),
        fixtures::now(),
    )
}

fn typed(app: &mut App, text: &str) -> Vec<Command> {
    key(app, KeyCode::Char('/'));
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter)
}

fn jobs_app() -> App {
    let mut app = App::new("redis://127.0.0.1:6379/0", false);
    app.update(Msg::ConnectionChanged(ConnState::Live), fixtures::now());
    app.update(
        Msg::OverviewLoaded(Box::new(fixtures::overview()), fixtures::now()),
        fixtures::now(),
    );
    key(&mut app, KeyCode::Char('3'));
    app.jobs.source = JobSource::Registry(Registry::Failed);
    app
}

fn searches(out: &[Command]) -> Vec<Option<crate::tui::msg::SearchRequest>> {
    out.iter()
        .filter_map(|c| match c {
            Command::Search(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_selector_scans_the_whole_registry_and_esc_stops_it() {
    let mut app = jobs_app();
    let out = typed(&mut app, "exc~timeout age>1h");
    let found = searches(&out);
    let [Some(req)] = found.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(req.selector, "exc~timeout age>1h");
    assert_eq!(req.source, JobSource::Registry(Registry::Failed));
    let generation = req.generation;
    // Matches arrive in batches; the count grows; an older search's are ignored.
    for (batch, (g, n)) in [(generation, 3), (generation + 7, 5), (generation, 2)]
        .into_iter()
        .enumerate()
    {
        app.update(
            Msg::SearchProgress {
                generation: g,
                scanned: 1000,
                matches: (0..n)
                    .map(|i| fixtures::job_row(&format!("m{batch}-{i}")))
                    .collect(),
                done: false,
                error: None,
            },
            fixtures::now(),
        );
    }
    assert_eq!(app.visible_jobs().len(), 5);
    assert_eq!(app.search.as_ref().unwrap().matched, 5);
    // `*` marks every match: R then asks about all of them.
    key(&mut app, KeyCode::Char('*'));
    assert_eq!(app.jobs_nav.marked.len(), 5);
    key(&mut app, KeyCode::Char('R'));
    let Some(crate::tui::app::Popup::Confirm { text, .. }) = &app.popup else {
        panic!("no confirmation");
    };
    assert!(text.contains("5 jobs"), "{text}");
    key(&mut app, KeyCode::Char('n'));
    // Esc ends the search and stops the scan.
    let out = key(&mut app, KeyCode::Esc);
    assert_eq!(searches(&out), vec![None]);
    assert!(app.search.is_none());
}

#[test]
fn a_bad_selector_says_which_term_and_scans_nothing() {
    let mut app = jobs_app();
    let out = typed(&mut app, "agee>1h");
    assert!(searches(&out).is_empty());
    let status = app.status.as_ref().unwrap();
    assert!(
        status.text.contains("agee>1h") && status.text.contains("Fields"),
        "{}",
        status.text
    );
}

#[test]
fn plain_words_stay_a_substring_search() {
    let mut app = jobs_app();
    let out = typed(&mut app, "kaboom");
    let found = searches(&out);
    let [Some(req)] = found.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(req.selector, "kaboom");
}

#[test]
fn leaving_the_registry_stops_the_search() {
    let mut app = jobs_app();
    typed(&mut app, "queue=x");
    let out = key(&mut app, KeyCode::Char('>'));
    assert_eq!(searches(&out), vec![None]);
    assert!(app.search.is_none() && app.filter.is_empty());
}

#[test]
fn an_action_on_matches_scans_again() {
    let mut app = jobs_app();
    typed(&mut app, "exc~x");
    let before = app.search.as_ref().unwrap().generation;
    let out = app.update(
        Msg::ActionFinished {
            label: "requeue".into(),
            result: Ok(Vec::new()),
        },
        fixtures::now(),
    );
    let again = searches(&out);
    assert!(
        matches!(again.as_slice(), [Some(r)] if r.generation > before && r.selector == "exc~x"),
        "{out:?}"
    );
}
