//! Drawing the fleet view: a header with every target's state, the Queues or Workers table
//! with a TARGET column, a status line and key hints. Every name is someone's text: made
//! safe before it is drawn.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::rows::{QUEUE_SORTS, WORKER_SORTS, queue_rows, worker_rows};
use super::{Fleet, FleetTab, Target};
use crate::present::{self, safe, thousands};
use crate::rq::Liveness;
use crate::tui::msg::ConnState;
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, f: &mut Fleet, theme: &Theme, now: SystemTime) {
    let area = frame.area();
    let [header, tabs, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(frame, header, f, theme);
    render_tabs(frame, tabs, f, theme);
    f.page_rows = usize::from(body.height.saturating_sub(4)).max(1);
    match f.tab {
        FleetTab::Queues => queues(frame, body, f, theme),
        FleetTab::Workers => workers(frame, body, f, theme, now),
    }
    let line = if f.filtering {
        Line::from(vec![
            Span::styled("/", theme.key),
            Span::raw(format!("{}▏", safe(&f.filter))),
            Span::styled("  Enter keep · Esc clear", theme.muted),
        ])
    } else if let Some(s) = &f.status {
        Line::from(Span::styled(format!(" {}", safe(s)), theme.warn))
    } else if let Some((name, error)) = f.targets.iter().find_map(|t| match &t.state {
        ConnState::Reconnecting { error, .. } => Some((&t.name, error)),
        _ => None,
    }) {
        Line::from(Span::styled(
            format!(
                " {} unreachable: {}; its last data stays",
                safe(name),
                safe(error)
            ),
            theme.bad,
        ))
    } else if !f.filter.is_empty() {
        Line::from(Span::styled(
            format!(" filter: {} (Esc clears)", safe(&f.filter)),
            theme.muted,
        ))
    } else {
        Line::default()
    };
    frame.render_widget(Paragraph::new(line), status);
    let mut spans = Vec::new();
    let keys: &[(&str, &str)] = match (&f.confirm, f.tab) {
        (Some(_), _) => &[("y", "yes"), ("n/Esc", "no")],
        (None, FleetTab::Queues) => &[
            ("?", "help"),
            ("1/2", "tab"),
            ("/", "filter"),
            ("s", "sort"),
            ("E", "empty"),
            ("R", "requeue failed"),
            ("q", "quit"),
        ],
        (None, FleetTab::Workers) => &[
            ("?", "help"),
            ("1/2", "tab"),
            ("/", "filter"),
            ("s", "sort"),
            ("W", "shutdown"),
            ("K", "kill job"),
            ("q", "quit"),
        ],
    };
    for (k, h) in keys {
        spans.push(Span::styled(format!(" {k}"), theme.key));
        spans.push(Span::raw(format!(" {h} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), hints);
    if let Some(p) = &f.confirm {
        confirm(frame, body, &p.text, theme);
    }
}

/// The question, target first, over the table.
fn confirm(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    let width = area.width.min(60);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + area.height.saturating_sub(7) / 2,
        width,
        height: area.height.min(7),
    };
    frame.render_widget(ratatui::widgets::Clear, rect);
    let lines = vec![
        Line::from(safe(text).into_owned()),
        Line::default(),
        Line::from(vec![
            Span::styled("y", theme.key),
            Span::raw(" yes   "),
            Span::styled("n", theme.key),
            Span::raw("/"),
            Span::styled("Esc", theme.key),
            Span::raw(" no"),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .block(
                ratatui::widgets::Block::default()
                    .borders(ratatui::widgets::Borders::ALL)
                    .border_style(theme.warn)
                    .title(Line::from(" Confirm ").style(theme.title)),
            )
            .wrap(ratatui::widgets::Wrap { trim: true }),
        rect,
    );
}

/// A target's state as the header shows it, and whether it is trouble.
fn state_word(t: &Target) -> (&'static str, bool) {
    match &t.state {
        ConnState::Connecting => ("connecting", false),
        ConnState::Live => ("● live", false),
        ConnState::Polling { .. } => ("○ polling", false),
        ConnState::Reconnecting { .. } => ("⟳ reconnecting", true),
    }
}

/// Every target with its state when that fits; else how many are in each state, naming the
/// ones in trouble (20 targets never fit one line).
fn render_header(frame: &mut Frame, area: Rect, f: &Fleet, theme: &Theme) {
    let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
    let mut spans = vec![Span::raw(" rqtop fleet")];
    for t in &f.targets {
        let (word, bad) = state_word(t);
        spans.push(Span::raw(" │ "));
        spans.push(Span::styled(safe(&t.name).into_owned(), bold));
        spans.push(Span::styled(
            format!(" {word}"),
            if bad { theme.bad } else { Style::new() },
        ));
        if t.read_only {
            spans.push(Span::raw(" read-only"));
        }
    }
    let wide: usize = spans.iter().map(|s| present::width(&s.content)).sum();
    if wide > usize::from(area.width) {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for t in &f.targets {
            let word = state_word(t).0;
            match counts.iter_mut().find(|(w, _)| *w == word) {
                Some((_, n)) => *n += 1,
                None => counts.push((word, 1)),
            }
        }
        let down: Vec<String> = f
            .targets
            .iter()
            .filter(|t| state_word(t).1)
            .map(|t| safe(&t.name).into_owned())
            .collect();
        // The ones in trouble first: they are what a person looks for.
        spans = vec![Span::raw(format!(
            " rqtop fleet │ {} targets",
            f.targets.len()
        ))];
        if !down.is_empty() {
            spans.push(Span::raw(" │ "));
            spans.push(Span::styled(format!("⟳ {}", down.join(", ")), theme.bad));
        }
        for (word, n) in counts.into_iter().filter(|(w, _)| !w.starts_with('⟳')) {
            spans.push(Span::raw(format!(" │ {n} {word}")));
        }
        let ro = f.targets.iter().filter(|t| t.read_only).count();
        if ro > 0 {
            spans.push(Span::raw(format!(" │ {ro} read-only")));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), area);
}

fn render_tabs(frame: &mut Frame, area: Rect, f: &Fleet, theme: &Theme) {
    let count = |tab| match tab {
        FleetTab::Queues => f
            .targets
            .iter()
            .filter_map(|t| t.overview.as_ref())
            .map(|o| o.queues.len())
            .sum::<usize>(),
        FleetTab::Workers => f
            .targets
            .iter()
            .filter_map(|t| t.overview.as_ref())
            .map(|o| o.workers.len())
            .sum(),
    };
    let mut spans = Vec::new();
    for (i, (tab, name)) in [(FleetTab::Queues, "Queues"), (FleetTab::Workers, "Workers")]
        .into_iter()
        .enumerate()
    {
        let style = if tab == f.tab {
            theme.tab_active
        } else {
            theme.tab
        };
        spans.push(Span::styled(
            format!(" {} {name} ({}) ", i + 1, count(tab)),
            style,
        ));
    }
    spans.push(Span::styled(
        format!("  {} targets", f.targets.len()),
        theme.muted,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn table<'a>(
    rows: Vec<Row<'a>>,
    header: &[&'a str],
    widths: &[Constraint],
    title: String,
    theme: &Theme,
) -> Table<'a> {
    Table::new(rows, widths.to_vec())
        .header(Row::new(header.iter().map(|h| Cell::from(*h))).style(theme.title))
        .block(
            ratatui::widgets::Block::default()
                .borders(ratatui::widgets::Borders::ALL)
                .border_style(theme.border)
                .title(Line::from(title).style(theme.title)),
        )
        .row_highlight_style(theme.selected)
}

fn queues(frame: &mut Frame, area: Rect, f: &Fleet, theme: &Theme) {
    let rows = queue_rows(f);
    let n = rows.len();
    let body: Vec<Row> = rows
        .iter()
        .map(|(t, q)| {
            Row::new(vec![
                Cell::from(safe(&f.targets[*t].name).into_owned()),
                Cell::from(safe(&q.name).into_owned()),
                Cell::from(Line::from(thousands(q.queued)).right_aligned()),
                Cell::from(Line::from(thousands(q.started)).right_aligned()),
                Cell::from(Line::from(thousands(q.failed)).right_aligned()).style(
                    if q.failed > 0 {
                        theme.bad
                    } else {
                        Style::new()
                    },
                ),
                Cell::from(Line::from(thousands(q.finished)).right_aligned()),
                Cell::from(Line::from(thousands(q.workers)).right_aligned()),
            ])
        })
        .collect();
    let title = format!(
        " Queues of every target · sort: {} ",
        QUEUE_SORTS.get(f.sort).unwrap_or(&"target")
    );
    let widths = [
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(4),
    ];
    let t = table(
        body,
        &[
            "TARGET",
            "QUEUE",
            "  QUEUED",
            " STARTED",
            "  FAILED",
            " FINISHED",
            " WKR",
        ],
        &widths,
        title,
        theme,
    );
    let mut state =
        ratatui::widgets::TableState::default().with_selected((n > 0).then_some(f.selected));
    frame.render_stateful_widget(t, area, &mut state);
}

fn workers(frame: &mut Frame, area: Rect, f: &Fleet, theme: &Theme, now: SystemTime) {
    let rows = worker_rows(f);
    let n = rows.len();
    let body: Vec<Row> = rows
        .iter()
        .map(|(t, w)| {
            let state = match w.liveness {
                Liveness::Alive => w.state.clone(),
                Liveness::Stopping => format!("{} (stopping)", w.state),
                Liveness::Dead => "dead".to_string(),
            };
            Row::new(vec![
                Cell::from(safe(&f.targets[*t].name).into_owned()),
                Cell::from(safe(&w.name).into_owned()),
                Cell::from(safe(&state).into_owned()).style(theme.status(&state)),
                Cell::from(safe(&w.queues.join(",")).into_owned()),
                Cell::from(safe(w.current_job.as_deref().unwrap_or("-")).into_owned()),
                Cell::from(present::ago(w.last_heartbeat, now)),
            ])
        })
        .collect();
    let title = format!(
        " Workers of every target · sort: {} ",
        WORKER_SORTS.get(f.sort).unwrap_or(&"target")
    );
    let widths = [
        Constraint::Length(12),
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(11),
    ];
    let t = table(
        body,
        &[
            "TARGET",
            "WORKER",
            "STATE",
            "QUEUES",
            "CURRENT JOB",
            "HEARTBEAT",
        ],
        &widths,
        title,
        theme,
    );
    let mut state =
        ratatui::widgets::TableState::default().with_selected((n > 0).then_some(f.selected));
    frame.render_stateful_widget(t, area, &mut state);
}
