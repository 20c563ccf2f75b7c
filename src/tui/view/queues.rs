//! The Queues tab: every queue with its counts, and the selected queue's history.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table};

use super::widgets::{self, block, empty, selection};
use crate::present::{self, thousands};
use crate::rq::QueueInfo;
use crate::tui::app::App;
use crate::tui::app::Tab;
use crate::tui::app::rows::{sort_names, window};
use crate::tui::history::spark;
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now: SystemTime) {
    let panel = if area.height >= 16 { 7 } else { 0 };
    let [table_area, panel_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(panel)]).areas(area);
    let total = app.visible_queue_count();
    let title = format!(
        " Queues · sort: {} {}",
        sort_names(Tab::Queues)[app.queues.sort % 4],
        widgets::filter_note(&app.filter)
    );
    let b = block(title, theme);
    if app.overview.is_none() {
        frame.render_widget(b, table_area);
        empty(frame, table_area, "loading…", theme);
        return;
    }
    if total == 0 {
        frame.render_widget(b, table_area);
        let text = if app.filter.is_empty() {
            "no queues: RQ's set of queues is empty"
        } else {
            "no queue matches the filter"
        };
        empty(frame, table_area, text, theme);
        return;
    }
    // Below 80 columns the three quiet counts (deferred, scheduled, canceled) give way so
    // that queue names stay readable; the Jobs tab's strip still shows them.
    let wide = area.width >= 100;
    let full = area.width >= 80;
    let columns: Vec<(&str, u16)> = [
        ("QUEUED", 8),
        ("STARTED", 7),
        ("FAILED", 7),
        ("FINISHED", 8),
        ("DEFER", 5),
        ("SCHED", 5),
        ("CANC", 4),
        ("WKR", 3),
        ("OLDEST", 7),
    ]
    .into_iter()
    .filter(|(name, _)| full || !matches!(*name, "DEFER" | "SCHED" | "CANC"))
    .collect();
    let mut header: Vec<&str> = std::iter::once("QUEUE")
        .chain(columns.iter().map(|c| c.0))
        .collect();
    let mut widths: Vec<Constraint> = std::iter::once(Constraint::Min(10))
        .chain(columns.iter().map(|c| Constraint::Length(c.1)))
        .collect();
    if wide {
        header.push("TREND");
        widths.push(Constraint::Length(20));
    }
    let num = |n: u64| Cell::from(Line::from(thousands(n)).right_aligned());
    // Queue names cut in the middle: `default-1` and `default-2` stay apart.
    let name_width = widgets::column_widths(table_area, &widths)
        .first()
        .copied()
        .unwrap_or(usize::MAX);
    // Only the rows in view get cells (and a history lookup): 100,000 queues cost what 20 do.
    let shown = window(
        &app.queues,
        total,
        usize::from(table_area.height.saturating_sub(3)),
    );
    let first = shown.start;
    let rows = app.visible_queue_range(shown);
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|q| {
            let mut cells = vec![
                Cell::from(widgets::fit_middle(&present::safe(&q.name), name_width)),
                num(q.queued),
                num(q.started),
                Cell::from(Line::from(thousands(q.failed)).right_aligned())
                    .style(if q.failed > 0 { theme.bad } else { theme.muted }),
                num(q.finished),
            ];
            if full {
                cells.extend([num(q.deferred), num(q.scheduled), num(q.canceled)]);
            }
            cells.extend([
                num(q.workers),
                Cell::from(Line::from(present::age(q.oldest_queued_at, now)).right_aligned()),
            ]);
            if wide {
                let depth: Vec<u64> = app
                    .history
                    .samples(&q.name)
                    .iter()
                    .map(|s| s.queued)
                    .collect();
                cells.push(Cell::from(spark(&depth, 20)).style(theme.title));
            }
            let row = Row::new(cells);
            if q.problem.is_some() {
                row.style(theme.warn)
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(table_rows, widths)
        .header(widgets::header(
            &header,
            &[
                "QUEUED", "STARTED", "FAILED", "FINISHED", "DEFER", "SCHED", "CANC", "WKR",
                "OLDEST",
            ],
            theme,
        ))
        .block(b)
        .row_highlight_style(theme.selected);
    let selected = app.queues.selected.saturating_sub(first);
    let mut state = selection(selected, rows.len());
    frame.render_stateful_widget(table, table_area, &mut state);
    if let Some(q) = rows.get(selected)
        && panel > 0
    {
        render_panel(frame, panel_area, app, q, theme);
    }
}

/// Depth and throughput of the selected queue, from what rqtop has seen.
fn render_panel(frame: &mut Frame, area: Rect, app: &App, info: &QueueInfo, theme: &Theme) {
    let queue = info.name.as_str();
    let samples = app.history.samples(queue);
    // Say what is true before guessing: suspended or unattended queues do not drain.
    let suspended = app.overview.as_ref().is_some_and(|o| o.suspended);
    let eta = match app.history.drain_eta(queue) {
        _ if info.queued == 0 => "empty".to_string(),
        _ if suspended => "suspended".to_string(),
        _ if info.workers == 0 => "no workers".to_string(),
        Some(secs) => format!("drains in ~{}", present::span(secs)),
        None => "not draining".to_string(),
    };
    let current = Some(info.queued);
    let problem = info.problem.clone();
    let shown = present::safe(queue);
    let title = match problem {
        Some(p) => format!(" {shown} · {} ", present::safe(&p)),
        None => format!(" {shown} · {eta} "),
    };
    let b = block(title, theme);
    let mut inner = b.inner(area);
    frame.render_widget(b, area);
    // RQ 3.0 rate limits: every key's slots and waiting jobs on the panel's last line.
    let limits = app
        .overview
        .as_ref()
        .map(|o| o.rate_limits.as_slice())
        .unwrap_or_default();
    if !limits.is_empty() && inner.height > 2 {
        let [rest, line] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
        inner = rest;
        let mut spans = vec![Span::styled("rate limits ", theme.muted)];
        for l in limits {
            spans.push(Span::raw(format!(
                "{} {}/{} slots held, {} waiting  ",
                present::safe(&l.key),
                thousands(l.allowed),
                l.concurrency.map_or_else(|| "?".into(), thousands),
                thousands(l.waiting)
            )));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), line);
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    let [l_label, l_spark] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(left);
    // Each sparkline under its own label: under NO_COLOR colour cannot tell them apart.
    let [r_label, r_fin, r_fail_label, r_fail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(right);
    let width = usize::from(left.width);
    let tail = |v: Vec<u64>| v[v.len().saturating_sub(width)..].to_vec();
    let depth = tail(samples.iter().map(|s| s.queued).collect());
    let fin = tail(samples.iter().map(|s| s.finished).collect());
    let fail = tail(samples.iter().map(|s| s.failed).collect());
    let (f_sum, x_sum): (u64, u64) = (fin.iter().sum(), fail.iter().sum());
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("depth ", theme.muted),
            // The table's own count: the sparkline's last sample can be a tick older.
            Span::raw(current.map_or("-".into(), thousands)),
            Span::styled(
                if info.rate_limited > 0 {
                    format!(
                        "  + {} waiting for a rate limit",
                        thousands(info.rate_limited)
                    )
                } else {
                    String::new()
                },
                theme.warn,
            ),
        ])),
        l_label,
    );
    frame.render_widget(
        Sparkline::default().data(&depth).style(theme.title),
        l_spark,
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("finished ", theme.muted),
            Span::styled(thousands(f_sum), theme.good),
            Span::styled(format!(" in the last {}s", fin.len()), theme.muted),
        ])),
        r_label,
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("failed ", theme.muted),
            Span::styled(thousands(x_sum), theme.bad),
        ])),
        r_fail_label,
    );
    frame.render_widget(Sparkline::default().data(&fin).style(theme.good), r_fin);
    frame.render_widget(Sparkline::default().data(&fail).style(theme.bad), r_fail);
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

    fn many(n: u64) -> App {
        let mut ov = fixtures::overview();
        let proto = ov.queues[0].clone();
        ov.queues = (0..n)
            .map(|i| {
                let mut q = proto.clone();
                q.name = format!("q{i:04}");
                q.queued = i;
                q
            })
            .collect();
        let mut app = App::new("x", false);
        app.update(
            Msg::OverviewLoaded(Box::new(ov), fixtures::now()),
            fixtures::now(),
        );
        app
    }

    fn press(app: &mut App, c: char) {
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        app.update(Msg::KeyPressed(key), fixtures::now());
    }

    /// The queue names in the table's rows, top to bottom, and the panel's title line.
    fn shown(app: &mut App) -> (Vec<String>, String) {
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| crate::tui::view::render(f, app, &Theme::color(), fixtures::now()))
            .unwrap();
        let buf = t.backend().buffer();
        let line = |y: u16| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>();
        let names = (4..14)
            .map(line)
            .filter_map(|l| {
                l.split_whitespace()
                    .next()
                    .map(|w| w.trim_matches('│').to_string())
            })
            .filter(|w| !w.is_empty())
            .collect();
        (names, line(15))
    }

    fn range(a: u64, b: u64) -> Vec<String> {
        (a..=b).map(|i| format!("q{i:04}")).collect()
    }

    #[test]
    fn the_rows_in_view_are_those_ratatui_would_scroll_to() {
        // 10 table rows at 80x24; only the rows in view are built, and the view moves just
        // enough to hold the cursor.
        let mut app = many(1000);
        assert_eq!(shown(&mut app).0, range(0, 9));
        press(&mut app, 'G');
        let (names, panel) = shown(&mut app);
        assert_eq!(names, range(990, 999));
        assert!(panel.contains(" q0999 · "), "{panel}");
        for _ in 0..3 {
            press(&mut app, 'k');
        }
        let (names, panel) = shown(&mut app);
        assert_eq!(
            names,
            range(990, 999),
            "the view stays while the cursor is in it"
        );
        assert!(panel.contains(" q0996 · "), "{panel}");
        press(&mut app, 'g');
        for _ in 0..12 {
            press(&mut app, 'j');
        }
        assert_eq!(shown(&mut app).0, range(3, 12));
        // Sorted by queued (largest first): the window follows the sorted order.
        press(&mut app, 's');
        let (names, panel) = shown(&mut app);
        assert_eq!(names, range(990, 999).into_iter().rev().collect::<Vec<_>>());
        assert!(panel.contains(" q0999 · "), "{panel}");
    }
}
