//! The Schedules tab: one timeline of what runs next.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Cell, Row, Table};

use super::widgets::{Col, block, empty};
use crate::present;
use crate::rq::ScheduleSource;
use crate::tui::app::App;
use crate::tui::app::Tab;
use crate::tui::app::rows::sort_names;
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now: SystemTime) {
    let rows = app.visible_schedules();
    let mut title = format!(
        " Schedules · sort: {} ",
        sort_names(Tab::Schedules)[app.sched_nav.sort % 3]
    );
    if app.schedules.as_ref().is_some_and(|s| s.truncated) {
        title.push_str("· first 500 ");
    }
    title.push_str(&super::widgets::filter_note(&app.filter));
    let b = block(title, theme);
    if rows.is_empty() {
        frame.render_widget(b, area);
        let text = match (&app.schedules, app.filter.is_empty()) {
            (None, _) => "loading…",
            (Some(_), true) => "nothing scheduled",
            (Some(_), false) => "no entry matches the filter",
        };
        empty(frame, area, text, theme);
        return;
    }
    // Widths by content and priority. A cron expression is never cut (`*/15 * * *` reads as
    // another schedule); then the queue, the function and the id grow to what they need;
    // REPEAT comes in only when all of that fits.
    let texts: Vec<[String; 7]> = rows.iter().map(|e| texts(e, now)).collect();
    let sized = super::widgets::size_columns(
        area.width,
        &HEADER,
        &texts,
        |i, need| match i {
            1 => Col::droppable(need),
            2 => Col::flex(need, 7),
            3 => Col::flex(need, 11),
            4 => Col::flex(need, 10),
            6 => Col::optional(need),
            _ => Col::whole(need),
        },
        &[2, 4, 3, 6],
    );
    let table_rows: Vec<Row> = rows
        .iter()
        .zip(&texts)
        .map(|(e, t)| {
            let cells = sized.keep.iter().map(|&i| {
                let width = sized.width(i);
                match i {
                    0 => Cell::from(t[0].clone()).style(if t[0].starts_with("due") {
                        theme.warn
                    } else {
                        ratatui::style::Style::new()
                    }),
                    3 => Cell::from(super::widgets::fit_middle(&t[3], width)).style(if e.missing {
                        theme.bad
                    } else {
                        ratatui::style::Style::new()
                    }),
                    _ => Cell::from(super::widgets::fit(&t[i], width)),
                }
            });
            Row::new(cells.collect::<Vec<_>>())
        })
        .collect();
    let table = Table::new(table_rows, sized.constraints)
        .header(Row::new(sized.header).style(theme.muted))
        .block(b)
        .row_highlight_style(theme.selected);
    let (_, mut state) = super::widgets::scrolled(&app.sched_nav, rows.len(), area);
    frame.render_stateful_widget(table, area, &mut state);
}

const HEADER: [&str; 7] = [
    "NEXT RUN", "SOURCE", "QUEUE", "ID", "FUNCTION", "EVERY", "REPEAT",
];

/// One entry's cells as text, in `HEADER` order (measured before the columns are sized).
fn texts(e: &crate::rq::Schedule, now: SystemTime) -> [String; 7] {
    let every = match (&e.cron, e.interval) {
        (Some(c), _) => c.clone(),
        (None, Some(i)) => present::span(i),
        (None, None) => "once".into(),
    };
    let next = e.next_run.map(|t| -t.age_secs(now));
    let next_text = match next {
        Some(s) if s < 0.0 => format!("due {}", present::span(-s)),
        Some(s) => format!("in {}", present::span(s)),
        None => "-".into(),
    };
    let id = if e.missing {
        format!("{} (gone)", present::safe(&e.id))
    } else {
        present::safe(&e.id).into_owned()
    };
    [
        next_text,
        match e.source {
            ScheduleSource::Scheduled => "scheduled",
            ScheduleSource::RqCron => "rq cron",
            ScheduleSource::RqScheduler => "rq-scheduler",
        }
        .to_string(),
        present::safe(e.queue.as_deref().unwrap_or("-")).into_owned(),
        id,
        present::safe(e.func_name.as_deref().unwrap_or("-")).into_owned(),
        present::safe(&every).into_owned(),
        e.repeat.map_or_else(|| "-".into(), |r| r.to_string()),
    ]
}
