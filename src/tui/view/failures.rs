//! The Failures tab: failed jobs grouped by signature across all queues, live; Enter opens
//! one signature (its error, where it comes from, sample jobs and one whole traceback).

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::widgets::{Col, block, empty, fit, header};
use crate::present::{self, safe, thousands};
use crate::rq::failures::FailureGroup;
use crate::tui::app::rows::sort_names;
use crate::tui::app::{App, Tab};
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme, now: SystemTime) {
    if app.signature_open.is_some() {
        render_open(frame, area, app, theme, now);
        return;
    }
    render_table(frame, area, app, theme);
}

fn render_table(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = app.visible_failures();
    let mut title = format!(
        " Failures · sort: {} ",
        sort_names(Tab::Failures)[app.fail_nav.sort % 3]
    );
    if let Some(r) = &app.failures {
        title.push_str(&format!(
            "· {} failed in {} signature{} ",
            thousands(r.jobs),
            thousands(r.groups.len() as u64),
            if r.groups.len() == 1 { "" } else { "s" }
        ));
    }
    if let Some(r) = app.failures.as_ref().filter(|r| r.unread > 0) {
        title.push_str(&format!("· reading {} more… ", thousands(r.unread)));
    }
    title.push_str(&super::widgets::filter_note(&app.filter));
    let b = block(title, theme);
    if rows.is_empty() {
        frame.render_widget(b, area);
        let text = match (&app.failures, app.filter.is_empty()) {
            (None, _) => "reading failed jobs…",
            (Some(_), true) => "no failed jobs",
            (Some(_), false) => "no signature matches the filter",
        };
        empty(frame, area, text, theme);
        return;
    }
    // Widths by content and priority: enough of the function to tell signatures apart, then
    // the error; QUEUES only when everything else fits whole.
    let texts: Vec<[String; 6]> = rows
        .iter()
        .map(|g| {
            let function = if g.signature.function.is_empty() {
                "?"
            } else {
                &g.signature.function
            };
            // Still failing (with how many in the last 10 minutes), or stopped.
            let now_text = match g.trend() {
                "stopped" => "stopped".to_string(),
                trend => format!("{trend} {}", thousands(g.recent)),
            };
            [
                g.signature.id.clone(),
                thousands(g.count),
                safe(&queues(g)).into_owned(),
                safe(function).into_owned(),
                safe(&g.signature.error()).into_owned(),
                now_text,
            ]
        })
        .collect();
    let sized = super::widgets::size_columns(
        area.width,
        &HEADER,
        &texts,
        |i, need| match i {
            2 => Col::optional_cut(need, 14),
            3 => Col::flex(need.min(20), 8),
            // Counted whole at 50 columns, so that QUEUES can come in on a wide terminal;
            // what is left still widens the error.
            4 => Col::flex(need.min(50), 16),
            _ => Col::whole(need),
        },
        &[3, 4, 2],
    );
    let table_rows: Vec<Row> = texts
        .iter()
        .map(|t| {
            let cells = sized.keep.iter().map(|&i| match i {
                1 => Cell::from(Line::from(t[1].clone()).right_aligned()),
                5 if t[5] == "stopped" => Cell::from(t[5].clone()).style(theme.muted),
                5 => Cell::from(t[5].clone()).style(theme.bad),
                _ => Cell::from(fit(&t[i], sized.width(i))),
            });
            Row::new(cells.collect::<Vec<_>>())
        })
        .collect();
    let table = Table::new(table_rows, sized.constraints.clone())
        .header(header(&sized.header, &["COUNT"], theme))
        .block(b)
        .row_highlight_style(theme.selected);
    let (_, mut state) = super::widgets::scrolled(&app.fail_nav, rows.len(), area);
    frame.render_stateful_widget(table, area, &mut state);
}

const HEADER: [&str; 6] = ["SIG", "COUNT", "QUEUES", "FUNCTION", "ERROR", "NOW"];

fn queues(g: &FailureGroup) -> String {
    g.queues
        .iter()
        .map(|(q, n)| format!("{q} ({})", thousands(*n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One signature, scrollable: what it is, where, sample jobs, a whole traceback.
fn render_open(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme, now: SystemTime) {
    let Some(g) = app.open_group() else {
        let b = block(" Signature ", theme);
        frame.render_widget(b, area);
        empty(
            frame,
            area,
            "no failed job has this signature any more",
            theme,
        );
        return;
    };
    let s = &g.signature;
    let b = block(
        format!(" Signature {} · R requeue · D delete · C cancel all ", s.id),
        theme,
    );
    let mut lines: Vec<Line> = vec![
        Line::from(vec![
            Span::styled("Error     ", theme.muted),
            Span::raw(safe(&s.error()).into_owned()),
        ]),
        Line::from(vec![
            Span::styled("Function  ", theme.muted),
            Span::raw(safe(&s.function).into_owned()),
        ]),
        Line::from(vec![
            Span::styled("Frame     ", theme.muted),
            Span::raw(safe(s.frame.as_deref().unwrap_or("-")).into_owned()),
        ]),
        Line::from(vec![
            Span::styled("Jobs      ", theme.muted),
            Span::raw(format!("{} in {}", thousands(g.count), safe(&queues(g)))),
        ]),
        Line::from(vec![
            Span::styled("Failed    ", theme.muted),
            Span::raw(format!(
                "first {}, last {}; {} in the last 10 min, {} in the 10 before",
                present::ago(g.first, now),
                present::ago(g.last, now),
                g.recent,
                g.previous
            )),
        ]),
        Line::from(Span::styled("Sample jobs", theme.title)),
    ];
    for id in &g.sample_ids {
        lines.push(Line::from(format!("  {}", safe(id))));
    }
    lines.push(Line::from(Span::styled("Sample traceback", theme.title)));
    match &g.sample_traceback {
        Some(tb) => lines.extend(
            tb.lines()
                .map(|l| Line::from(Span::styled(safe(l).into_owned(), theme.bad))),
        ),
        None => lines.push(Line::from("  (none recorded)")),
    }
    let inner_height = area.height.saturating_sub(2);
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let total = u16::try_from(rows).unwrap_or(u16::MAX);
    let scroll = app.signature_open.as_mut().map_or(0, |(_, scroll)| {
        *scroll = (*scroll).min(total.saturating_sub(inner_height));
        *scroll
    });
    let para = Paragraph::new(lines)
        .block(b)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(para, area);
}
