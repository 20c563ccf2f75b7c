//! The Workers tab.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

use super::widgets::{self, block, empty, row_style, selection};
use crate::present::{self, thousands};
use crate::rq::{Liveness, WorkerInfo};
use crate::tui::app::App;
use crate::tui::app::Tab;
use crate::tui::app::rows::{sort_names, window};
use crate::tui::theme::Theme;

/// RQ refreshes an idle worker's heartbeat every ~405 s and a busy one's every 30 s.
const STALE_IDLE_SECS: f64 = 480.0;
const STALE_BUSY_SECS: f64 = 90.0;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now: SystemTime) {
    let total = app.visible_worker_count();
    let marked = app.workers.marked.len();
    let mut title = format!(
        " Workers · sort: {} ",
        sort_names(Tab::Workers)[app.workers.sort % 4]
    );
    if marked > 0 {
        title.push_str(&format!("· {marked} marked "));
    }
    title.push_str(&widgets::filter_note(&app.filter));
    let b = block(title, theme);
    if total == 0 {
        frame.render_widget(b, area);
        let text = match (&app.overview, app.filter.is_empty()) {
            (None, _) => "loading…",
            (Some(_), true) => "no workers registered",
            (Some(_), false) => "no worker matches the filter",
        };
        empty(frame, area, text, theme);
        return;
    }
    // Host/pid only where it fits; 80 columns keep what an operator scans first.
    let wide = area.width >= 110;
    let mut widths = vec![
        Constraint::Fill(2),
        Constraint::Length(9),
        Constraint::Fill(2),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let mut header = vec!["WORKER", "STATE", "JOB", "FOR", "QUEUES"];
    if wide {
        widths.push(Constraint::Fill(1));
        header.push("HOST/PID");
    }
    widths.extend([
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(5),
    ]);
    header.extend(["BEAT", "OK", "FAIL"]);
    // Only the rows in view are built: 50,000 workers cost what 20 do.
    let shown = window(
        &app.workers,
        total,
        usize::from(area.height.saturating_sub(3)),
    );
    let selected = app.workers.selected.saturating_sub(shown.start);
    let rows = app.visible_worker_range(shown);
    let cols = widgets::column_widths(area, &widths);
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|w| {
            worker_row(
                w,
                app.workers.marked.contains(&w.name),
                wide,
                &cols,
                theme,
                now,
            )
        })
        .collect();
    let b = match rows.get(selected) {
        Some(w) => b.title_bottom(about(w, now)),
        None => b,
    };
    let table = Table::new(table_rows, widths)
        .header(widgets::header(
            &header,
            &["FOR", "BEAT", "OK", "FAIL"],
            theme,
        ))
        .block(b)
        .row_highlight_style(theme.selected);
    let mut state = selection(selected, rows.len());
    frame.render_stateful_widget(table, area, &mut state);
}

fn worker_row<'a>(
    w: &WorkerInfo,
    marked: bool,
    wide: bool,
    cols: &[usize],
    theme: &Theme,
    now: SystemTime,
) -> Row<'a> {
    // A cut value shows it was cut: `high,de…`, not `high,de`.
    let col =
        |i: usize, text: String| widgets::fit(&text, cols.get(i).copied().unwrap_or(usize::MAX));
    let state = match w.liveness {
        Liveness::Alive => w.state.clone(),
        Liveness::Stopping => "stopping".to_string(),
        Liveness::Dead => "dead".to_string(),
    };
    let beat_age = w.last_heartbeat.map(|t| t.age_secs(now));
    let limit = if w.state == "busy" {
        STALE_BUSY_SECS
    } else {
        STALE_IDLE_SECS
    };
    let stale = beat_age.is_some_and(|a| a > limit) && w.liveness == Liveness::Alive;
    let beat = match beat_age {
        Some(a) if stale => format!("{}!", present::span(a)),
        Some(a) => present::span(a),
        None => "-".into(),
    };
    let host = format!(
        "{}/{}",
        present::safe(w.hostname.as_deref().unwrap_or("-")),
        w.pid.map_or_else(|| "-".into(), |p| p.to_string())
    );
    let num = |n: u64| Cell::from(Line::from(thousands(n)).right_aligned());
    let right = |s: String| Cell::from(Line::from(s).right_aligned());
    let mut cells = vec![
        Cell::from(col(
            0,
            format!(
                "{}{}",
                if marked { "* " } else { "" },
                present::safe(&w.name)
            ),
        )),
        Cell::from(present::safe(&state).into_owned()).style(theme.status(&state)),
        Cell::from(widgets::fit_middle(
            &current_jobs(w),
            cols.get(2).copied().unwrap_or(usize::MAX),
        )),
        right(
            w.current_job_started_at
                .map(|t| present::span(t.age_secs(now).max(0.0)))
                .unwrap_or_default(),
        ),
        Cell::from(col(4, present::safe(&w.queues.join(",")).into_owned())),
    ];
    if wide {
        cells.push(Cell::from(col(5, host)));
    }
    cells.extend([
        right(beat).style(if stale {
            theme.bad
        } else {
            ratatui::style::Style::new()
        }),
        num(w.successful_job_count),
        Cell::from(Line::from(thousands(w.failed_job_count)).right_aligned()).style(
            if w.failed_job_count > 0 {
                theme.bad
            } else {
                theme.muted
            },
        ),
    ]);
    Row::new(cells).style(row_style(marked, theme))
}

/// The selected worker's identity, under the table: what narrow terminals have no column for.
fn about(w: &WorkerInfo, now: SystemTime) -> String {
    let mut parts = vec![w.name.clone()];
    if let Some(h) = &w.hostname {
        parts.push(h.clone());
    }
    if let Some(p) = w.pid {
        parts.push(format!("pid {p}"));
    }
    if let Some(ip) = &w.ip_address {
        parts.push(ip.clone());
    }
    if let Some(v) = &w.rq_version {
        parts.push(format!("rq {v}"));
    }
    if w.birth.is_some() {
        parts.push(format!("up {}", present::age(w.birth, now)));
    }
    format!(" {} ", present::safe(&parts.join(" · ")))
}

/// The job a worker runs, and how many more when RQ 3.0 runs several at once.
fn current_jobs(w: &WorkerInfo) -> String {
    let first = present::safe(w.current_job.as_deref().unwrap_or_default()).into_owned();
    match w.current_jobs.len() {
        0 | 1 => first,
        n => format!("{first} (+{})", n - 1),
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::tui::app::App;
    use crate::tui::fixtures;
    use crate::tui::msg::Msg;
    use crate::tui::theme::Theme;

    fn press(app: &mut App, c: char) {
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        app.update(Msg::KeyPressed(key), fixtures::now());
    }

    #[test]
    fn a_long_list_shows_the_window_around_the_selection() {
        let mut ov = fixtures::overview();
        let proto = ov.workers[1].clone();
        ov.workers = (0..500)
            .map(|i| {
                let mut w = proto.clone();
                w.name = format!("w{i:03}");
                w
            })
            .collect();
        let mut app = App::new("x", false);
        app.update(
            Msg::OverviewLoaded(Box::new(ov), fixtures::now()),
            fixtures::now(),
        );
        press(&mut app, '2');
        press(&mut app, 'G');
        press(&mut app, 'k');
        press(&mut app, ' '); // marks w498 and moves down to w499
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| crate::tui::view::render(f, &mut app, &Theme::color(), fixtures::now()))
            .unwrap();
        let screen = format!("{}", t.backend());
        // 17 rows fit (24 - 4 lines of chrome - 2 borders - the header); the selected one
        // is the last.
        assert!(screen.contains("│w483 "), "{screen}");
        assert!(!screen.contains("│w482 "), "{screen}");
        assert!(screen.contains("│* w498 "), "marked row: {screen}");
        assert!(screen.contains("│w499 "), "{screen}");
        assert!(
            screen.contains("└ w499 · "),
            "selected worker under the table: {screen}"
        );
    }
}
