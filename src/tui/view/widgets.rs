//! Small shared pieces of the views.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::TableNav;
use crate::tui::app::rows::window;
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

/// The state of a table of `len` rows drawn whole in `area` (borders and header take three
/// lines), scrolled as `nav` remembers; also returns the rows on screen.
pub fn scrolled(
    nav: &TableNav,
    len: usize,
    area: Rect,
) -> (std::ops::Range<usize>, ratatui::widgets::TableState) {
    let shown = window(nav, len, usize::from(area.height.saturating_sub(3)));
    let state = ratatui::widgets::TableState::default()
        .with_offset(shown.start)
        .with_selected(len.checked_sub(1).map(|last| nav.selected.min(last)));
    (shown, state)
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

/// The width of each column a bordered `Table` with `constraints` gets in `area` (ratatui's
/// own layout: one space between columns), so cells can be cut with an ellipsis that shows
/// they were cut, instead of silently at the edge.
#[must_use]
pub fn column_widths(
    area: ratatui::layout::Rect,
    constraints: &[ratatui::layout::Constraint],
) -> Vec<usize> {
    let inner = area.inner(ratatui::layout::Margin::new(1, 1));
    ratatui::layout::Layout::horizontal(constraints.to_vec())
        .spacing(1)
        .split(inner)
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// `text` cut to `width` columns with `…` when it does not fit.
#[must_use]
pub fn fit(text: &str, width: usize) -> String {
    if crate::present::width(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        let next = crate::present::width(&format!("{out}{c}"));
        if next + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// An id cut to `width` columns in the middle (`9f1c2d…000001`): ids that differ at the end
/// (uuids, counters) stay distinguishable.
#[must_use]
pub fn fit_middle(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if crate::present::width(text) <= width || width < 5 || chars.len() != text.len() {
        // Not cut, too narrow to help, or wide characters: the plain cut is safer.
        return fit(text, width);
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}…{end}")
}

#[cfg(test)]
mod fit_tests {
    #[test]
    fn cuts_show_and_ids_stay_apart() {
        assert_eq!(super::fit("high,default", 7), "high,d…");
        assert_eq!(super::fit("low", 7), "low");
        let a = super::fit_middle("9f1c2d3e-aaaa-bbbb-cccc-000000000001", 14);
        let b = super::fit_middle("9f1c2d3e-aaaa-bbbb-cccc-000000000002", 14);
        assert_ne!(a, b);
        assert_eq!(a, "9f1c2d3…000001");
        assert_eq!(super::fit("日本語テキスト", 5), "日本…");
    }
}

/// A column for [`allot`]: what its widest cell needs, the least it may get, and whether it
/// is dropped (rather than squeezed) when the table is narrow.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub need: usize,
    pub min: usize,
    pub optional: bool,
    /// Left out (rather than squeezing whole columns) when the minimums do not fit.
    pub droppable: bool,
}

impl Col {
    /// A column that always shows whole (numbers, states).
    #[must_use]
    pub fn whole(need: usize) -> Self {
        Self {
            need,
            min: need,
            optional: false,
            droppable: false,
        }
    }

    /// A whole column that a narrow table leaves out first.
    #[must_use]
    pub fn droppable(need: usize) -> Self {
        Self {
            droppable: true,
            ..Self::whole(need)
        }
    }

    /// A column that may be cut down to `min`.
    #[must_use]
    pub fn flex(need: usize, min: usize) -> Self {
        Self {
            need,
            min: min.min(need),
            optional: false,
            droppable: false,
        }
    }

    /// A column shown only when everything else fits whole, cut down to `min` at most.
    #[must_use]
    pub fn optional_cut(need: usize, min: usize) -> Self {
        Self {
            min: min.min(need),
            ..Self::optional(need)
        }
    }

    /// A column shown only when everything else fits whole.
    #[must_use]
    pub fn optional(need: usize) -> Self {
        Self {
            need,
            min: need,
            optional: true,
            droppable: false,
        }
    }
}

/// Column widths for `cols` in `width` columns (one space between columns), by content and
/// priority: every column starts at its minimum, then columns grow to what their content
/// needs in `priority` order (indices into `cols`), optional columns come in only when all
/// others are whole, and what is left goes to the last required column in `priority`. None
/// marks a dropped column.
#[must_use]
pub fn allot(width: usize, cols: &[Col], priority: &[usize]) -> Vec<Option<usize>> {
    let required: Vec<usize> = (0..cols.len()).filter(|&i| !cols[i].optional).collect();
    let gaps = |n: usize| n.saturating_sub(1);
    let mut out: Vec<Option<usize>> = cols
        .iter()
        .map(|c| (!c.optional).then_some(c.min))
        .collect();
    let used = |out: &[Option<usize>]| {
        let shown = out.iter().flatten().count();
        out.iter().flatten().sum::<usize>() + gaps(shown)
    };
    // Too narrow for every minimum: leave out droppable columns (last first) rather than
    // let whole columns (a cron expression, a time) be cut.
    for i in (0..cols.len()).rev() {
        if used(&out) <= width {
            break;
        }
        if cols[i].droppable {
            out[i] = None;
        }
    }
    for &i in priority {
        if cols[i].optional {
            continue;
        }
        let spare = width.saturating_sub(used(&out));
        if let Some(w) = &mut out[i] {
            *w += spare.min(cols[i].need.saturating_sub(*w));
        }
    }
    let all_whole = required
        .iter()
        .all(|&i| out[i].is_some_and(|w| w >= cols[i].need));
    if all_whole {
        for &i in priority {
            let room = width.saturating_sub(used(&out) + 1);
            if cols[i].optional && room >= cols[i].min {
                out[i] = Some(cols[i].need.min(room));
            }
        }
    }
    // What is left widens the last column to grow (typically free text, whose cut costs
    // the least).
    if let Some(&last) = priority.iter().rev().find(|&&i| !cols[i].optional) {
        let spare = width.saturating_sub(used(&out));
        if let Some(w) = &mut out[last] {
            *w += spare;
        }
    }
    out
}

#[cfg(test)]
mod allot_tests {
    use super::{Col, allot};

    #[test]
    fn columns_grow_by_priority_and_optional_ones_need_room() {
        let cols = [
            Col::flex(12, 6),
            Col::whole(4),
            Col::flex(20, 8),
            Col::optional(10),
        ];
        // Room for all: the optional column comes in, the rest goes to the last priority.
        assert_eq!(
            allot(60, &cols, &[0, 2, 3]),
            [Some(12), Some(4), Some(20 + 11), Some(10)]
        );
        // Room for the required ones whole only: the optional one is dropped.
        assert_eq!(
            allot(40, &cols, &[0, 2, 3]),
            [Some(12), Some(4), Some(20 + 2), None]
        );
        // Narrow: the first priority is whole, the second gets what is left.
        assert_eq!(
            allot(30, &cols, &[0, 2, 3]),
            [Some(12), Some(4), Some(12), None]
        );
        // Too narrow for the minimums: minimums (ratatui then squeezes).
        assert_eq!(allot(10, &cols, &[0, 2]), [Some(6), Some(4), Some(8), None]);
        // A droppable column goes first when the minimums do not fit.
        let cols = [Col::whole(10), Col::droppable(12), Col::whole(12)];
        assert_eq!(allot(30, &cols, &[]), [Some(10), None, Some(12)]);
        assert_eq!(allot(40, &cols, &[]), [Some(10), Some(12), Some(12)]);
        // An optional column that may be cut comes in with what is left, down to its minimum.
        let cols = [Col::whole(10), Col::optional_cut(30, 8)];
        assert_eq!(allot(25, &cols, &[1]), [Some(10), Some(14)]);
        assert_eq!(allot(18, &cols, &[1]), [Some(10), None]);
    }
}

/// A table's columns sized by [`allot`]: which columns show, each one's width, and the
/// constraints for ratatui.
pub struct Sized<'h> {
    /// Indices (into the full header) of the columns shown, in order.
    pub keep: Vec<usize>,
    /// Every column's width; None for a column left out.
    pub widths: Vec<Option<usize>>,
    pub constraints: Vec<ratatui::layout::Constraint>,
    pub header: Vec<&'h str>,
}

impl Sized<'_> {
    /// The width of column `i` (unbounded when it is left out).
    #[must_use]
    pub fn width(&self, i: usize) -> usize {
        self.widths.get(i).copied().flatten().unwrap_or(usize::MAX)
    }
}

/// Sizes the columns of a bordered table `width` columns wide whose cells are `texts`
/// (one array of strings a row, in `header` order): `kind(i, need)` says how column `i`
/// with content `need` wide may be sized, `priority` which grow first (see [`allot`]).
#[must_use]
pub fn size_columns<'h, const N: usize>(
    width: u16,
    header: &[&'h str; N],
    texts: &[[String; N]],
    kind: impl Fn(usize, usize) -> Col,
    priority: &[usize],
) -> Sized<'h> {
    let cols: Vec<Col> = (0..N)
        .map(|i| {
            let need = texts
                .iter()
                .map(|t| crate::present::width(&t[i]))
                .chain(std::iter::once(header[i].len()))
                .max()
                .unwrap_or(0);
            kind(i, need)
        })
        .collect();
    let widths = allot(usize::from(width.saturating_sub(2)), &cols, priority);
    let keep: Vec<usize> = (0..N).filter(|&i| widths[i].is_some()).collect();
    let constraints = keep
        .iter()
        .filter_map(|&i| widths[i])
        .map(|w| ratatui::layout::Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX)))
        .collect();
    let header = keep.iter().map(|&i| header[i]).collect();
    Sized {
        keep,
        widths,
        constraints,
        header,
    }
}
