//! The Workers tab.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

use super::widgets::{self, Col, block, empty, row_style, selection};
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
    // Only the rows in view are built: 50,000 workers cost what 20 do.
    let shown = window(
        &app.workers,
        total,
        usize::from(area.height.saturating_sub(3)),
    );
    let selected = app.workers.selected.saturating_sub(shown.start);
    let rows = app.visible_worker_range(shown);
    let texts: Vec<Texts> = rows
        .iter()
        .map(|w| Texts::of(w, app.workers.marked.contains(&w.name), now))
        .collect();
    // Widths by content and priority: the worker name whole first, then its queues, then
    // the job id (cut in the middle); host/pid only when everything else fits whole.
    let cells: Vec<[String; 9]> = texts.iter().map(|t| t.cells.clone()).collect();
    let sized = widgets::size_columns(
        area.width,
        &HEADER,
        &cells,
        |i, need| match i {
            0 => Col::flex(need, 8),
            2 => Col::flex(need, 10),
            4 => Col::flex(need, 6),
            5 => Col::optional(need),
            _ => Col::whole(need),
        },
        &[0, 4, 2, 5],
    );
    let table_rows: Vec<Row> = rows
        .iter()
        .zip(&texts)
        .map(|(w, t)| worker_row(w, t, &sized, theme))
        .collect();
    let b = match rows.get(selected) {
        Some(w) => b.title_bottom(about(w, now)),
        None => b,
    };
    let table = Table::new(table_rows, sized.constraints.clone())
        .header(widgets::header(
            &sized.header,
            &["FOR", "BEAT", "OK", "FAIL"],
            theme,
        ))
        .block(b)
        .row_highlight_style(theme.selected);
    let mut state = selection(selected, rows.len());
    frame.render_stateful_widget(table, area, &mut state);
}

const HEADER: [&str; 9] = [
    "WORKER", "STATE", "JOB", "FOR", "QUEUES", "HOST/PID", "BEAT", "OK", "FAIL",
];

/// One worker's cells as text (in `HEADER` order), measured before the columns are sized.
struct Texts {
    cells: [String; 9],
    stale: bool,
    marked: bool,
}

impl Texts {
    fn of(w: &WorkerInfo, marked: bool, now: SystemTime) -> Self {
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
        let running_for = w
            .current_job_started_at
            .map(|t| present::span(t.age_secs(now).max(0.0)))
            .unwrap_or_default();
        Self {
            cells: [
                format!(
                    "{}{}",
                    if marked { "* " } else { "" },
                    present::safe(&w.name)
                ),
                present::safe(&state).into_owned(),
                current_jobs(w),
                running_for,
                present::safe(&w.queues.join(",")).into_owned(),
                host,
                beat,
                thousands(w.successful_job_count),
                thousands(w.failed_job_count),
            ],
            stale,
            marked,
        }
    }
}

fn worker_row<'a>(w: &WorkerInfo, t: &Texts, sized: &widgets::Sized, theme: &Theme) -> Row<'a> {
    let cells = sized.keep.iter().map(|&i| {
        let width = sized.width(i);
        let text = &t.cells[i];
        match HEADER[i] {
            // A cut value shows it was cut: `high,de…`, not `high,de`; ids in the middle.
            "JOB" => Cell::from(widgets::fit_middle(text, width)),
            "STATE" => Cell::from(text.clone()).style(theme.status(text)),
            "FOR" | "OK" => Cell::from(Line::from(text.clone()).right_aligned()),
            "BEAT" => Cell::from(Line::from(text.clone()).right_aligned()).style(if t.stale {
                theme.bad
            } else {
                ratatui::style::Style::new()
            }),
            "FAIL" => Cell::from(Line::from(text.clone()).right_aligned()).style(
                if w.failed_job_count > 0 {
                    theme.bad
                } else {
                    theme.muted
                },
            ),
            _ => Cell::from(widgets::fit(text, width)),
        }
    });
    Row::new(cells.collect::<Vec<_>>()).style(row_style(t.marked, theme))
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
