//! Drawing. Views read the app state and build widgets; they do no I/O and take `now` as a
//! parameter so that snapshots are deterministic.

#[cfg(test)]
mod command_bar_tests;
#[cfg(test)]
mod context_tests;
mod detail;
mod failures;
#[cfg(test)]
mod failures_tests;
mod jobs;
mod popup;
mod queues;
mod schedules;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod fit_tests {
    #[test]
    fn status_lines_are_cut_at_words() {
        assert_eq!(super::fit_words(" requeued 3 jobs", 80), " requeued 3 jobs");
        assert_eq!(
            super::fit_words(" requeued 1,204 jobs from failed", 20),
            " requeued 1,204…"
        );
        assert_eq!(super::fit_words("abcdefghij", 5), "abcd…");
    }
}
pub(crate) mod widgets;
mod workers;

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Popup, TABS, Tab};
use super::keymap;
use super::msg::ConnState;
use super::theme::Theme;
use crate::present;

/// Below this the layout cannot show a table: say so instead of garbling.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Draws the whole screen.
pub fn render(frame: &mut Frame, app: &mut App, theme: &Theme, now: SystemTime) {
    draw(frame, app, theme, now);
    scrub(frame.buffer_mut());
}

/// The last line of defence for untrusted text: ratatui drops control characters but keeps
/// zero-width ones (bidi overrides, zero-width marks) inside the cell before them. Every
/// path that shows Redis text makes it visible with `present::safe`; whatever one missed
/// is dropped here, never sent to the terminal.
fn scrub(buf: &mut ratatui::buffer::Buffer) {
    for cell in &mut buf.content {
        let sym = cell.symbol();
        if sym.chars().any(hidden) {
            let kept: String = sym.chars().filter(|c| !hidden(*c)).collect();
            cell.set_symbol(if kept.is_empty() { " " } else { &kept });
        }
    }
}

fn hidden(c: char) -> bool {
    c.is_control() || present::safe(c.encode_utf8(&mut [0; 4])).len() > c.len_utf8()
}

fn draw(frame: &mut Frame, app: &mut App, theme: &Theme, now: SystemTime) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small: {}x{} (rqtop needs {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, tabs, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(frame, header, app, theme, now);
    render_tabs(frame, tabs, app, theme);
    // Rows a page key moves: the body minus borders and the table header.
    app.page_rows = usize::from(body.height.saturating_sub(4)).max(1);
    if app.detail.is_some() {
        detail::render(frame, body, app, theme, now);
    } else {
        match app.tab {
            Tab::Queues => queues::render(frame, body, app, theme, now),
            Tab::Workers => workers::render(frame, body, app, theme, now),
            Tab::Jobs => jobs::render(frame, body, app, theme, now),
            Tab::Schedules => schedules::render(frame, body, app, theme, now),
            Tab::Failures => failures::render(frame, body, app, theme, now),
        }
    }
    render_status(frame, status, app, theme);
    render_hints(frame, hints, app, theme);
    match &app.popup {
        Some(Popup::Help { scroll }) => popup::help(frame, body, *scroll, theme),
        Some(Popup::Confirm { text, .. }) => popup::confirm(frame, body, text, theme),
        None => {}
    }
}

fn render_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now: SystemTime) {
    let conn = match &app.conn {
        ConnState::Connecting => "connecting…".to_string(),
        ConnState::Live => "● live".to_string(),
        ConnState::Polling { every, .. } => {
            format!("○ polling {}", humantime::format_duration(*every))
        }
        ConnState::Reconnecting { attempt, .. } => format!("⟳ reconnecting (attempt {attempt})"),
    };
    // Whole seconds: a header that ticks through "0.3s ago" draws the eye for nothing.
    let updated = app
        .updated_at
        .map(|t| match now.duration_since(t) {
            Ok(age) if age.as_secs() >= 1 => {
                format!("updated {} ago", present::span(age.as_secs() as f64))
            }
            _ => "updated just now".to_string(),
        })
        .unwrap_or_default();
    // Segments in the order shown; a narrow terminal drops or cuts them whole, never mid-word:
    // first the age, then the URL is cut in the middle, then the problem text is cut.
    let mut target = app.target.clone(); // cut below from the whole URL, never twice
    let mut badges: Vec<(String, ratatui::style::Style)> = Vec::new();
    // The context first: which of several servers this is matters most.
    if let Some(name) = &app.context {
        badges.push((
            format!("ctx {}", present::safe(name)),
            Style::new().add_modifier(ratatui::style::Modifier::BOLD),
        ));
    }
    badges.push((conn, Style::new()));
    // RQ 3.0's RQ_KEY_PREFIX: another prefix is another set of queues on the same server.
    if let Some(p) = app.overview.as_ref().map(|o| o.redis.prefix.as_str())
        && p != "rq"
    {
        badges.push((format!("prefix {}", present::safe(p)), Style::new()));
    }
    if let Some(o) = app.overview.as_ref().filter(|o| o.suspended) {
        // RQ workers notice suspension only between jobs: say so until all of them have.
        let alive: Vec<_> = o
            .workers
            .iter()
            .filter(|w| w.liveness != crate::rq::Liveness::Dead)
            .collect();
        let done = alive.iter().filter(|w| w.state == "suspended").count();
        let left = o
            .resumes_in
            .map(|s| format!(" {} left", present::span(s)))
            .unwrap_or_default();
        let text = if done == alive.len() {
            format!("SUSPENDED{left}")
        } else {
            format!("SUSPENDING {done}/{}", alive.len())
        };
        badges.push((text, theme.bad));
    }
    if app.read_only {
        badges.push(("read-only".into(), Style::new()));
    }
    // The numbers below are incomplete: that must not look like a quiet server.
    let problem = app
        .overview
        .as_ref()
        .and_then(|o| o.problems.first())
        .map(|p| format!("⚠ {}", present::safe(p)));
    let width = usize::from(area.width);
    let mut label = " rqtop │ ";
    let fixed = |label: &str, target: &str, problem: &str, updated: &str| {
        let parts = std::iter::once(target)
            .chain(badges.iter().map(|b| b.0.as_str()))
            .chain([problem, updated].into_iter().filter(|s| !s.is_empty()));
        present::width(label) + parts.map(|p| present::width(p) + 3).sum::<usize>() - 2
    };
    let mut updated = updated;
    let mut problem = problem.unwrap_or_default();
    // Live, the age says little; cut off, it says how old the numbers are: keep it longer.
    let live = matches!(app.conn, ConnState::Live);
    let steps: [u8; 5] = if live {
        [0, 1, 2, 3, 4]
    } else {
        [1, 2, 3, 0, 4]
    };
    for step in steps {
        let over = fixed(label, &target, &problem, &updated).saturating_sub(width);
        if over == 0 {
            break;
        }
        match step {
            0 => updated.clear(),
            1 | 3 => {
                // Host, port and db say which server; the scheme and user go first.
                let least = if step == 1 { 16 } else { 10 };
                let keep = present::width(&target).saturating_sub(over).max(least);
                let full = app.target.as_str();
                let short = full
                    .split_once('@')
                    .or_else(|| full.split_once("://"))
                    .map_or(full, |(_, rest)| rest);
                target = widgets::fit_middle(short, keep);
            }
            2 => label = " ",
            _ if !problem.is_empty() => {
                let keep = present::width(&problem).saturating_sub(over).max(8);
                problem = widgets::fit(&problem, keep);
            }
            _ => {}
        }
    }
    let mut spans = vec![Span::raw(label), Span::raw(target)];
    for (text, style) in badges {
        spans.push(Span::raw(" │ "));
        spans.push(Span::styled(text, style));
    }
    if !problem.is_empty() {
        spans.push(Span::raw(" │ "));
        spans.push(Span::styled(problem, theme.bad));
    }
    if !updated.is_empty() {
        spans.push(Span::raw(format!(" │ {updated}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), area);
}

fn render_tabs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // Every tab stays named whole: a narrow bar drops the counts, then the gaps, then
    // shortens the names, never cuts one.
    let labels = |counts: bool, gap: &str, short: bool| -> Vec<String> {
        TABS.iter()
            .enumerate()
            .map(|(i, tab)| {
                let count = match (tab, &app.overview, counts) {
                    (Tab::Queues, Some(o), true) => format!(" ({})", o.queues.len()),
                    (Tab::Workers, Some(o), true) => format!(" ({})", o.workers.len()),
                    _ => String::new(),
                };
                let title = tab.title();
                let name = if short {
                    &title[..title.len().min(5)]
                } else {
                    title
                };
                format!("{gap}{} {name}{count}{gap}", i + 1)
            })
            .collect()
    };
    let width = usize::from(area.width);
    // Padded labels sit side by side; bare ones get one space between them.
    let (chosen, gap) = [(true, " ", false), (false, " ", false), (false, "", false)]
        .into_iter()
        .map(|(c, g, s)| (labels(c, g, s), if g.is_empty() { " " } else { "" }))
        .find(|(l, gap)| {
            let gaps = gap.len() * l.len().saturating_sub(1);
            l.iter().map(|s| present::width(s)).sum::<usize>() + gaps <= width
        })
        .unwrap_or_else(|| (labels(false, "", true), " "));
    let mut spans = Vec::new();
    for (tab, label) in TABS.iter().zip(chosen) {
        let style = if *tab == app.tab {
            theme.tab_active
        } else {
            theme.tab
        };
        if !spans.is_empty() {
            spans.push(Span::raw(gap));
        }
        spans.push(Span::styled(label, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_status(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = if let Some(bar) = &app.bar {
        command_bar_line(app, &bar.input, usize::from(area.width), theme)
    } else if app.filtering {
        Line::from(vec![
            Span::styled("/", theme.key),
            Span::raw(format!("{}▏", app.filter)),
            Span::styled("  Enter keep · Esc clear", theme.muted),
        ])
    } else if let ConnState::Reconnecting { error, .. } = &app.conn {
        Line::from(Span::styled(
            format!(
                " Redis unreachable: {}; showing the last data",
                present::safe(error)
            ),
            theme.bad,
        ))
    } else if let Some(s) = &app.status {
        // Action results name jobs and queues: untrusted text, one line, cut at a word.
        Line::from(Span::styled(
            fit_words(
                &format!(" {}", present::safe(&s.text)),
                usize::from(area.width),
            ),
            theme.tone(s.tone),
        ))
    } else if !app.filter.is_empty() {
        Line::from(Span::styled(
            format!(" filter: {} (Esc clears)", app.filter),
            theme.muted,
        ))
    } else if let ConnState::Polling { why, .. } = &app.conn {
        Line::from(Span::styled(
            format!(" {why}: polling (rqtop --enable-events turns them on)"),
            theme.muted,
        ))
    } else {
        Line::default()
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// `text` cut to `width` columns at a word boundary, the cut marked with `…`.
fn fit_words(text: &str, width: usize) -> String {
    if present::width(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split_inclusive(' ') {
        if present::width(&out) + present::width(word) + 1 > width {
            break;
        }
        out.push_str(word);
    }
    if out.trim().is_empty() {
        // One word longer than the line: cut it.
        return present::clip(text, width);
    }
    format!("{}…", out.trim_end())
}

/// `:input▏  candidate · candidate`: what is typed (made safe) and what Tab could complete.
fn command_bar_line<'a>(app: &App, input: &str, width: usize, theme: &Theme) -> Line<'a> {
    let typed = format!("{}▏", present::safe(input));
    let mut spans = vec![Span::styled(":", theme.key), Span::raw(typed.clone())];
    let mut room = width.saturating_sub(present::width(&typed) + 1);
    let candidates = app.bar_candidates();
    if candidates.is_empty() {
        return Line::from(spans);
    }
    let mut shown = Vec::new();
    for c in &candidates {
        let c = present::safe(c);
        let need = present::width(&c) + 3;
        if need > room {
            shown.push("…".to_string());
            break;
        }
        room -= need;
        shown.push(c.into_owned());
    }
    spans.push(Span::styled(
        format!("  {}", shown.join(" · ")),
        theme.muted,
    ));
    Line::from(spans)
}

fn render_hints(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    if app.bar.is_some() {
        // The bar takes every key: say which ones it understands.
        for (key, hint) in [
            ("Enter", "run"),
            ("Tab", "complete"),
            ("↑/↓", "history"),
            ("Esc", "close"),
        ] {
            spans.push(Span::styled(format!(" {key}"), theme.key));
            spans.push(Span::raw(format!(" {hint} ")));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    // `?` first: when the line is cut at the right edge, the way to every key stays visible.
    let mut hints = keymap::hints(&app.scopes(), app.read_only, |a| {
        // The open job hides the table that filter and sort act on.
        let table_key = matches!(
            a,
            crate::tui::action::Action::Filter | crate::tui::action::Action::Sort
        );
        app.not_applicable(a).is_none() && !(app.detail.is_some() && table_key)
    });
    hints.sort_by_key(|(key, _)| *key != "?");
    // Whole hints only: the ones that do not fit are left out, never cut mid-word.
    let mut room = usize::from(area.width);
    for (key, hint) in hints {
        let (k, mut h) = (format!(" {key}"), format!(" {hint} "));
        let need = present::width(&k) + present::width(&h);
        // The trailing space may fall off the edge; a letter of the hint may not.
        if need - 1 > room {
            break;
        }
        if need > room {
            h.pop();
        }
        room = room.saturating_sub(need);
        spans.push(Span::styled(k, theme.key));
        spans.push(Span::raw(h));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
