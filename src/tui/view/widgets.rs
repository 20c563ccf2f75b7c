//! Small shared pieces of the views.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::theme::Theme;

/// The bordered block every table sits in.
pub fn block<'a>(title: impl Into<Line<'a>>, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title.into().style(theme.title))
}

/// A muted message in the middle of an empty table.
pub fn empty(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    let inner = Rect {
        y: area.y + area.height / 2,
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(text.to_string())
            .style(theme.muted)
            .alignment(ratatui::layout::Alignment::Center),
        inner,
    );
}

/// Marked rows stand out; the selection is drawn by the table's highlight style.
pub fn row_style(marked: bool, theme: &Theme) -> Style {
    if marked { theme.marked } else { Style::new() }
}

/// A table state selecting `selected` (ratatui scrolls to keep it visible).
pub fn selection(selected: usize, len: usize) -> ratatui::widgets::TableState {
    ratatui::widgets::TableState::default().with_selected((len > 0).then_some(selected))
}

/// A header row whose numeric columns (named in `right`) are right-aligned like their cells.
pub fn header<'a>(names: &[&'a str], right: &[&str], theme: &Theme) -> ratatui::widgets::Row<'a> {
    let cells = names.iter().map(|n| {
        let line = Line::from(*n);
        ratatui::widgets::Cell::from(if right.contains(n) {
            line.right_aligned()
        } else {
            line
        })
    });
    ratatui::widgets::Row::new(cells.collect::<Vec<_>>()).style(theme.muted)
}

/// `· /text ` for a table title while a filter narrows it (the status line may be busy).
pub fn filter_note(filter: &str) -> String {
    if filter.is_empty() {
        String::new()
    } else {
        format!("· /{filter} ")
    }
}
