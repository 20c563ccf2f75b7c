//! The Schedules tab: one timeline of what runs next.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table};

use super::widgets::{block, empty};
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
    // A cron expression is never cut (`*/15 * * *` reads as another schedule): EVERY is as
    // wide as its longest entry, and ID and FUNCTION share what is left.
    let every_width = rows
        .iter()
        .map(|e| {
            e.cron
                .as_deref()
                .map_or(6, |c| present::width(&present::safe(c)))
        })
        .max()
        .unwrap_or(6)
        .clamp(5, 40);
    let widths = [
        Constraint::Length(11),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Fill(2),
        Constraint::Fill(2),
        Constraint::Length(u16::try_from(every_width).unwrap_or(40)),
        Constraint::Length(6),
    ];
    let header = [
        "NEXT RUN", "SOURCE", "QUEUE", "ID", "FUNCTION", "EVERY", "REPEAT",
    ];
    let cols = super::widgets::column_widths(area, &widths);
    let col = |i: usize| cols.get(i).copied().unwrap_or(usize::MAX);
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|e| {
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
            Row::new(vec![
                Cell::from(next_text).style(if next.is_some_and(|s| s < 0.0) {
                    theme.warn
                } else {
                    ratatui::style::Style::new()
                }),
                Cell::from(match e.source {
                    ScheduleSource::Scheduled => "scheduled",
                    ScheduleSource::RqCron => "rq cron",
                    ScheduleSource::RqScheduler => "rq-scheduler",
                }),
                Cell::from(super::widgets::fit(
                    &present::safe(e.queue.as_deref().unwrap_or("-")),
                    col(2),
                )),
                Cell::from(super::widgets::fit_middle(
                    &if e.missing {
                        format!("{} (gone)", present::safe(&e.id))
                    } else {
                        present::safe(&e.id).into_owned()
                    },
                    col(3),
                ))
                .style(if e.missing {
                    theme.bad
                } else {
                    ratatui::style::Style::new()
                }),
                Cell::from(super::widgets::fit(
                    &present::safe(e.func_name.as_deref().unwrap_or("-")),
                    col(4),
                )),
                Cell::from(present::safe(&every).into_owned()),
                Cell::from(e.repeat.map_or_else(|| "-".into(), |r| r.to_string())),
            ])
        })
        .collect();
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(theme.muted))
        .block(b)
        .row_highlight_style(theme.selected);
    let (_, mut state) = super::widgets::scrolled(&app.sched_nav, rows.len(), area);
    frame.render_stateful_widget(table, area, &mut state);
}
