//! The Jobs tab: one page of a queue or registry, with the registry strip above it.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::widgets::{self, Col, block, empty, row_style};
use crate::present::{self, thousands};
use crate::rq::{JobSource, JobSummary, Registry};
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now: SystemTime) {
    let [strip, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    render_strip(frame, strip, app, theme);
    let Some(queue) = &app.jobs.queue else {
        frame.render_widget(block(" Jobs ", theme), table_area);
        empty(frame, table_area, "no queue to show", theme);
        return;
    };
    let order = present::order_words(app.jobs.source, app.jobs.newest_first);
    let rows = app.visible_jobs();
    // The rows on screen, not the page loaded.
    let (shown, mut state) = widgets::scrolled(&app.jobs_nav, rows.len(), table_area);
    let (first, last) = (shown.start, shown.end);
    let range = match (&app.search, &app.jobs.page) {
        // A search: the selector is in the title's filter note; the order is the scan's.
        (Some(s), _) => format!(
            "{} of {} match{}",
            thousands(s.matched),
            thousands(s.scanned),
            match (&s.error, s.done) {
                (Some(e), _) => format!(" · stopped: {}", present::safe(e)),
                (None, true) => String::new(),
                (None, false) => " · scanning, Esc stops".into(),
            }
        ),
        (None, page) => match page {
            Some(p) if !rows.is_empty() && app.filter.is_empty() => format!(
                "{}-{} of {}",
                thousands(p.offset + first as u64 + 1),
                thousands(p.offset + last as u64),
                thousands(p.total)
            ),
            Some(_) if !rows.is_empty() => format!(
                "{}-{} of {} matching on this page",
                thousands(first as u64 + 1),
                thousands(last as u64),
                thousands(rows.len() as u64)
            ),
            Some(p) => format!("0 of {}", thousands(p.total)),
            None => "loading…".into(),
        },
    };
    let marked = app.jobs_nav.marked.len();
    let mut title = format!(
        " {} @ {} · {}{range} ",
        app.jobs.source,
        present::safe(queue),
        if app.search.is_some() {
            String::new()
        } else {
            format!("{order} · ")
        }
    );
    if marked > 0 {
        title.push_str(&format!("· {marked} marked "));
    }
    title.push_str(&widgets::filter_note(&app.filter));
    let b = block(title, theme);
    if rows.is_empty() {
        frame.render_widget(b, table_area);
        let text = match (&app.jobs.page, app.filter.is_empty()) {
            (None, _) => "loading…".to_string(),
            (Some(_), true) => format!("no {} jobs in {queue}", app.jobs.source),
            (Some(_), false) => "no job on this page matches the filter".to_string(),
        };
        empty(frame, table_area, &text, theme);
        return;
    }
    // The last column shows a job's error when it has one, else its description.
    let errors = rows.iter().filter(|j| j.error.is_some()).count();
    let tail = match errors {
        0 => "DESCRIPTION",
        n if n == rows.len() => "ERROR",
        _ => "ERROR / DESCRIPTION",
    };
    let header = [
        "ID",
        "STATUS",
        "FUNCTION",
        when_header(app.jobs.source),
        tail,
    ];
    // Widths by content and priority: where jobs have errors the error reads first, else the
    // function; ids are cut in the middle (whole uuids from 120 columns).
    let shown = &rows[first..last];
    let need = |i: usize, f: &dyn Fn(&JobSummary) -> String| {
        shown
            .iter()
            .map(|j| present::width(&present::safe(&f(j))))
            .chain(std::iter::once(header[i].len()))
            .max()
            .unwrap_or(0)
    };
    let source = app.jobs.source;
    let id_min = if area.width >= 120 { 36 } else { 14 };
    let cols = [
        Col::flex(need(0, &|j| j.id.clone()) + 1, id_min),
        Col::whole(need(1, &|j| status_text(j, source, now))),
        // A long dotted path is cut so that the description gets room too.
        Col::flex(need(2, &function).min(28), 16),
        Col::whole(need(3, &|j| when_text(j, source, now))),
        Col::flex(need(4, &tail_text), 16),
    ];
    let priority: &[usize] = if errors > 0 { &[4, 2, 0] } else { &[2, 0, 4] };
    let allotted = widgets::allot(usize::from(area.width.saturating_sub(2)), &cols, priority);
    let widths: Vec<Constraint> = allotted
        .iter()
        .map(|w| Constraint::Length(u16::try_from(w.unwrap_or(0)).unwrap_or(u16::MAX)))
        .collect();
    let cols = widgets::column_widths(table_area, &widths);
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|j| {
            let marked = app.jobs_nav.marked.contains(&j.id);
            job_row(j, app.jobs.source, marked, &cols, theme, now)
        })
        .collect();
    let table = Table::new(table_rows, widths)
        .header(widgets::header(&header, &[], theme))
        .block(b)
        .row_highlight_style(theme.selected);
    frame.render_stateful_widget(table, table_area, &mut state);
}

fn job_row<'a>(
    j: &JobSummary,
    source: JobSource,
    marked: bool,
    cols: &[usize],
    theme: &Theme,
    now: SystemTime,
) -> Row<'a> {
    // A cut value shows it was cut.
    let col =
        |i: usize, text: String| widgets::fit(&text, cols.get(i).copied().unwrap_or(usize::MAX));
    let status = status_text(j, source, now);
    let tail = tail_text(j);
    Row::new(vec![
        Cell::from(widgets::fit_middle(
            &format!("{}{}", if marked { "*" } else { "" }, present::safe(&j.id)),
            cols.first().copied().unwrap_or(usize::MAX),
        )),
        Cell::from(present::safe(&status).into_owned()).style(theme.status(&status)),
        Cell::from(col(2, present::safe(&function(j)).into_owned())),
        Cell::from(when_text(j, source, now)),
        Cell::from(col(4, present::safe(&tail).into_owned())).style(
            if j.error.is_some() || j.missing {
                theme.bad
            } else {
                theme.muted
            },
        ),
    ])
    .style(row_style(marked, theme))
}

fn status_text(j: &JobSummary, source: JobSource, now: SystemTime) -> String {
    match &j.status {
        _ if j.abandoned(source, now) => "abandoned".to_string(),
        Some(s) => s.to_string(),
        None => "MISSING".to_string(),
    }
}

/// The error when there is one, else the description.
fn tail_text(j: &JobSummary) -> String {
    if j.missing {
        "job hash is gone (dangling id)".to_string()
    } else {
        j.error.clone().unwrap_or_else(|| description(j))
    }
}

/// The time column's name for a source: each registry has the one time that matters.
fn when_header(source: JobSource) -> &'static str {
    match source {
        JobSource::Queue | JobSource::Registry(Registry::Ready) => "WAITING",
        JobSource::Registry(Registry::Started) => "RUNNING",
        JobSource::Registry(Registry::Finished | Registry::Failed) => "ENDED",
        JobSource::Registry(Registry::Scheduled) => "RUNS",
        JobSource::Registry(Registry::Deferred) => "CREATED",
        JobSource::Registry(Registry::Canceled) => "CANCELED",
    }
}

/// How long it has waited or run (a duration), or when it ended, runs or was canceled.
fn when_text(j: &JobSummary, source: JobSource, now: SystemTime) -> String {
    match source {
        JobSource::Queue | JobSource::Registry(Registry::Ready) => {
            present::age(j.enqueued_at.or(j.created_at), now)
        }
        JobSource::Registry(Registry::Started) => present::age(j.started_at, now),
        JobSource::Registry(Registry::Finished | Registry::Failed) => present::ago(j.ended_at, now),
        JobSource::Registry(Registry::Scheduled | Registry::Canceled) => {
            present::ago(j.score_at, now)
        }
        JobSource::Registry(Registry::Deferred) => present::ago(j.created_at, now),
    }
}

/// The function from `data`; `?` when it cannot be read (never the description's text).
fn function(j: &JobSummary) -> String {
    match &j.func_name {
        Some(f) => f.clone(),
        None if j.missing => "-".into(),
        None => "?".into(),
    }
}

/// The description as far as the row read it, its cut marked. RQ's default description
/// is the call (`app.mail.send('a@b')`): the function is in its own column, so only the
/// arguments are shown; a custom description says more and is shown whole.
fn description(j: &JobSummary) -> String {
    let text = match (&j.description, j.description_truncated) {
        (Some(d), true) => format!("{d}…"),
        (Some(d), false) => d.clone(),
        (None, true) => return "(description too long to read here: open the job)".into(),
        (None, false) => return String::new(),
    };
    match &j.func_name {
        Some(f) if text.starts_with(&format!("{f}(")) => text[f.len()..].to_string(),
        _ => text,
    }
}

/// `queued 3 │ started 1 │ failed 2 …` for the current queue, the current source highlighted.
fn render_strip(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let q = app.overview.as_ref().and_then(|o| {
        o.queues
            .iter()
            .find(|q| Some(&q.name) == app.jobs.queue.as_ref())
    });
    // Full names where they fit; short ones keep all seven visible at 80 columns.
    let wide = area.width >= 100;
    let mut spans = vec![Span::raw(" ")];
    let sources = std::iter::once(JobSource::Queue)
        .chain(Registry::ALL.iter().map(|r| JobSource::Registry(*r)));
    for (i, source) in sources.enumerate() {
        let count = q.map(|q| match source {
            JobSource::Queue => q.queued,
            JobSource::Registry(r) => q.count(r),
        });
        if i > 0 {
            spans.push(Span::styled(if wide { " │ " } else { " " }, theme.muted));
        }
        let name = if wide {
            source.to_string()
        } else {
            short(source).to_string()
        };
        let text = format!("{name} {}", count.map(thousands).unwrap_or_default());
        let style = if source == app.jobs.source {
            theme.tab_active
        } else {
            theme.tab
        };
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn short(source: JobSource) -> &'static str {
    match source {
        JobSource::Queue => "queued",
        JobSource::Registry(Registry::Started) => "started",
        JobSource::Registry(Registry::Deferred) => "defer",
        JobSource::Registry(Registry::Finished) => "finish",
        JobSource::Registry(Registry::Failed) => "failed",
        JobSource::Registry(Registry::Scheduled) => "sched",
        JobSource::Registry(Registry::Canceled) => "cancel",
        JobSource::Registry(Registry::Ready) => "ready",
    }
}

#[cfg(test)]
mod tests {
    use super::{description, function};
    use crate::tui::fixtures::job_row;

    #[test]
    fn function_and_description_as_read() {
        let mut j = job_row("a");
        assert_eq!(function(&j), "app.tasks.send_email");
        j.func_name = None;
        assert_eq!(function(&j), "?", "unknown, never the description's text");
        j.missing = true;
        assert_eq!(function(&j), "-");
        j.description = Some("process(aaa".into());
        j.description_truncated = true;
        assert_eq!(description(&j), "process(aaa…");
        // RQ's own description repeats the function: the row shows the arguments only.
        j.func_name = Some("app.tasks.send_email".into());
        j.description = Some("app.tasks.send_email('alice@example.com')".into());
        j.description_truncated = false;
        assert_eq!(description(&j), "('alice@example.com')");
        j.description = Some("nightly billing run".into());
        assert_eq!(
            description(&j),
            "nightly billing run",
            "a custom one says more"
        );
        j.description_truncated = true;
        j.description = None;
        assert!(description(&j).contains("too long"));
    }
}
