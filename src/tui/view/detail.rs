//! One job, whole, scrollable: the same text as `rqctl job`.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::{block, empty};
use crate::present::job_text;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme, now: SystemTime) {
    let Some(detail) = &mut app.detail else {
        return;
    };
    let title = format!(" Job {} ", detail.id);
    let b = block(title, theme);
    let text = match &detail.job {
        None => {
            frame.render_widget(b, area);
            empty(frame, area, "loading…", theme);
            return;
        }
        Some(Err(e)) => {
            frame.render_widget(b, area);
            empty(frame, area, e, theme);
            return;
        }
        Some(Ok(job)) => job_text(job, now),
    };
    let mut in_traceback = false;
    let lines: Vec<Line> = text
        .lines()
        .map(|l| {
            if l.starts_with("Traceback:") {
                in_traceback = true;
                return Line::from(Span::styled(l.to_string(), theme.title));
            }
            if l.starts_with("Fields:") {
                in_traceback = false;
                return Line::from(Span::styled(l.to_string(), theme.title));
            }
            if in_traceback {
                Line::from(Span::styled(l.to_string(), theme.bad))
            } else {
                Line::from(l.to_string())
            }
        })
        .collect();
    let inner_height = area.height.saturating_sub(2);
    // Rows after wrapping, so that End reaches the real last line.
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let total = u16::try_from(rows).unwrap_or(u16::MAX);
    // Clamp so that End shows the last page and scrolling stops at the bottom.
    detail.scroll = detail.scroll.min(total.saturating_sub(inner_height));
    let para = Paragraph::new(lines)
        .block(b)
        .wrap(Wrap { trim: false })
        .scroll((detail.scroll, 0));
    frame.render_widget(para, area);
}
