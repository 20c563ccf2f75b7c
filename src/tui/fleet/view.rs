//! Drawing the fleet view: a header with every target's state, the Queues or Workers table
//! with a TARGET column, a status line and key hints. Every name is someone's text: made
//! safe before it is drawn.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::tui::view::widgets::{self, Col};

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

fn block<'a>(title: String, theme: &Theme) -> ratatui::widgets::Block<'a> {
    ratatui::widgets::Block::default()
        .borders(ratatui::widgets::Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title).style(theme.title))
}

/// The rows a bordered table in `area` shows, scrolled as `nav` remembers, and the state
/// that selects the cursor's row among them.
fn on_screen<'r, T>(
    nav: &crate::tui::app::TableNav,
    rows: &'r [T],
    area: Rect,
) -> (&'r [T], ratatui::widgets::TableState) {
    let height = usize::from(area.height.saturating_sub(3));
    let shown = crate::tui::app::rows::window(nav, rows.len(), height);
    let selected = nav.selected.saturating_sub(shown.start);
    let visible = rows.get(shown).unwrap_or_default();
    (visible, widgets::selection(selected, visible.len()))
}

const QUEUE_HEADER: [&str; 7] = [
    "TARGET", "QUEUE", "QUEUED", "STARTED", "FAILED", "FINISHED", "WKR",
];

/// Only the rows on screen are built; columns are sized by what those rows hold (the
/// target's name whole first), and a cut name shows `…` where it was cut.
fn queues(frame: &mut Frame, area: Rect, f: &Fleet, theme: &Theme) {
    let rows = queue_rows(f);
    let (visible, mut state) = on_screen(&f.nav, &rows, area);
    let texts: Vec<[String; 7]> = visible
        .iter()
        .map(|(t, q)| {
            [
                safe(&f.targets[*t].name).into_owned(),
                safe(&q.name).into_owned(),
                thousands(q.queued),
                thousands(q.started),
                thousands(q.failed),
                thousands(q.finished),
                thousands(q.workers),
            ]
        })
        .collect();
    let sized = widgets::size_columns(
        area.width,
        &QUEUE_HEADER,
        &texts,
        |i, need| match i {
            0 => Col::flex(need, 6),
            1 => Col::flex(need, 8),
            5 => Col::droppable(need),
            _ => Col::whole(need),
        },
        // The target first (it tells the rows of a fleet apart), then the queue name, which
        // (listed again last) also takes what is left.
        &[0, 1, 1],
    );
    let body: Vec<Row> = visible
        .iter()
        .zip(&texts)
        .map(|((_, q), text)| {
            let cells = sized.keep.iter().map(|&i| {
                let cell = &text[i];
                match i {
                    // Cut in the middle: names of one fleet often differ only at the end
                    // (`prod-eu-west-1`, `emails-07`).
                    0 | 1 => Cell::from(widgets::fit_middle(cell, sized.width(i))),
                    4 => Cell::from(Line::from(cell.clone()).right_aligned()).style(
                        if q.failed > 0 {
                            theme.bad
                        } else {
                            Style::new()
                        },
                    ),
                    _ => Cell::from(Line::from(cell.clone()).right_aligned()),
                }
            });
            Row::new(cells.collect::<Vec<_>>())
        })
        .collect();
    let title = format!(
        " Queues of every target · sort: {} ",
        QUEUE_SORTS.get(f.nav.sort).unwrap_or(&"target")
    );
    let t = Table::new(body, sized.constraints.clone())
        .header(widgets::header(
            &sized.header,
            &["QUEUED", "STARTED", "FAILED", "FINISHED", "WKR"],
            theme,
        ))
        .block(block(title, theme))
        .row_highlight_style(theme.selected);
    frame.render_stateful_widget(t, area, &mut state);
}

const WORKER_HEADER: [&str; 6] = [
    "TARGET",
    "WORKER",
    "STATE",
    "QUEUES",
    "CURRENT JOB",
    "HEARTBEAT",
];

/// As `queues`: the target's name whole first, then the worker's, its queues and the job id
/// (cut in the middle).
fn workers(frame: &mut Frame, area: Rect, f: &Fleet, theme: &Theme, now: SystemTime) {
    let rows = worker_rows(f);
    let (visible, mut state) = on_screen(&f.nav, &rows, area);
    let texts: Vec<[String; 6]> = visible
        .iter()
        .map(|(t, w)| {
            let state = match w.liveness {
                Liveness::Alive => w.state.clone(),
                Liveness::Stopping => format!("{} (stopping)", w.state),
                Liveness::Dead => "dead".to_string(),
            };
            [
                safe(&f.targets[*t].name).into_owned(),
                safe(&w.name).into_owned(),
                safe(&state).into_owned(),
                safe(&w.queues.join(",")).into_owned(),
                safe(w.current_job.as_deref().unwrap_or("-")).into_owned(),
                present::ago(w.last_heartbeat, now),
            ]
        })
        .collect();
    let sized = widgets::size_columns(
        area.width,
        &WORKER_HEADER,
        &texts,
        |i, need| match i {
            0 => Col::flex(need, 6),
            1 => Col::flex(need, 8),
            3 => Col::flex(need, 6),
            4 => Col::flex(need, 8),
            _ => Col::whole(need),
        },
        // The target, the worker, its queues, then the job id (cut in the middle); what is
        // left goes to the queues (listed again last).
        &[0, 1, 3, 4, 3],
    );
    let body: Vec<Row> = texts
        .iter()
        .map(|text| {
            let cells = sized.keep.iter().map(|&i| {
                let cell = &text[i];
                match i {
                    2 => Cell::from(cell.clone()).style(theme.status(cell)),
                    0 | 1 | 4 => Cell::from(widgets::fit_middle(cell, sized.width(i))),
                    5 => Cell::from(Line::from(cell.clone()).right_aligned()),
                    _ => Cell::from(widgets::fit(cell, sized.width(i))),
                }
            });
            Row::new(cells.collect::<Vec<_>>())
        })
        .collect();
    let title = format!(
        " Workers of every target · sort: {} ",
        WORKER_SORTS.get(f.nav.sort).unwrap_or(&"target")
    );
    let t = Table::new(body, sized.constraints.clone())
        .header(widgets::header(&sized.header, &["HEARTBEAT"], theme))
        .block(block(title, theme))
        .row_highlight_style(theme.selected);
    frame.render_stateful_widget(t, area, &mut state);
}
