//! Popups: help (every key, from the keymap) and confirmation.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::widgets::block;
use crate::tui::keymap::{BINDINGS, COMMANDS, Scope};
use crate::tui::theme::Theme;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

pub fn help(frame: &mut Frame, area: Rect, scroll: u16, theme: &Theme) {
    let mut lines = Vec::new();
    let scopes = [
        Scope::Global,
        Scope::Queues,
        Scope::Workers,
        Scope::Jobs,
        Scope::Schedules,
        Scope::Failures,
        Scope::Detail,
        Scope::Confirm,
        Scope::Help,
    ];
    for scope in scopes {
        lines.push(Line::from(Span::styled(scope.title(), theme.title)));
        for b in BINDINGS.iter().filter(|b| b.scope == scope) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<8}", b.label), theme.key),
                Span::raw(b.help),
            ]));
        }
        lines.push(Line::default());
        if scope == Scope::Global {
            // The command bar's commands, from the same table the bar runs.
            lines.push(Line::from(Span::styled("Command bar (:)", theme.title)));
            for c in COMMANDS {
                let usage = format!(":{} {}", c.name, c.args);
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<22}", usage.trim_end()), theme.key),
                    Span::raw(c.help),
                ]));
            }
            lines.push(Line::default());
        }
    }
    let rect = centered(area, 64, area.height.saturating_sub(2).max(8));
    let total = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let scroll = scroll.min(total.saturating_sub(rect.height.saturating_sub(2)));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(" Keys (Esc closes, j/k scroll) ", theme))
            .scroll((scroll, 0)),
        rect,
    );
}

pub fn confirm(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    let rect = centered(area, 60, 7);
    frame.render_widget(Clear, rect);
    let lines = vec![
        Line::from(crate::present::safe(text).into_owned()),
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
            .block(block(" Confirm ", theme).border_style(theme.warn))
            .wrap(Wrap { trim: true }),
        rect,
    );
}
