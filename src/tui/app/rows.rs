//! The rows each table shows: filtered by `/` and sorted by `s`. Views and the reducer use
//! the same functions, so the selection always points at the row on screen.
//!
//! The Queues and Workers tabs can hold 100,000 rows, so their order is built once (filter,
//! then sort) into a `RowCache` of indices when the overview, the filter or the sort changes,
//! and a key press or a frame only reads it. Views build widgets for the rows in view only
//! (`window`). Jobs (a page of at most `PAGE`) and schedules are small and built on demand.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::ops::Range;

use super::{App, Tab, TableNav};
use crate::rq::{JobSummary, Liveness, Overview, QueueInfo, Schedule, WorkerInfo};

/// The sorts each tab offers, in `s` order.
#[must_use]
pub fn sort_names(tab: Tab) -> &'static [&'static str] {
    match tab {
        Tab::Queues => &["name", "queued", "failed", "workers"],
        Tab::Workers => &["name", "state", "failed", "heartbeat"],
        Tab::Jobs => &["oldest first", "newest first"],
        Tab::Schedules => &["next run", "queue", "source"],
        Tab::Failures => &["count", "last failure", "signature"],
    }
}

/// The rows a table showing `height` rows draws: the last view (`nav.top`), moved just
/// enough to hold the cursor. Records the view in `nav` for the next page key. Build the
/// table from these rows and select `selected - start`.
#[must_use]
pub fn window(nav: &TableNav, len: usize, height: usize) -> Range<usize> {
    let height = height.max(1);
    let selected = nav.selected.min(len.saturating_sub(1));
    // Keep the last view where the cursor still is in it, never leaving blank rows below.
    let mut top = nav.top.get().min(len.saturating_sub(height));
    if selected < top {
        top = selected;
    } else if selected >= top + height {
        top = selected + 1 - height;
    }
    nav.top.set(top);
    nav.shown.set(height);
    top..(top + height).min(len)
}

/// A lowercased filter, matched without allocating per row (ASCII, the usual case) or
/// through `to_lowercase` otherwise.
pub(super) struct Needle {
    lower: String,
}

impl Needle {
    pub(super) fn new(filter: &str) -> Self {
        Self {
            lower: filter.to_lowercase(),
        }
    }

    fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    fn found_in(&self, hay: &str) -> bool {
        // A name is shown with its control characters escaped (`\x1b`); typing what is
        // shown finds it.
        if self.lower.contains('\\') {
            let shown = crate::present::safe(hay);
            if matches!(shown, std::borrow::Cow::Owned(_)) && self.plain_found_in(&shown) {
                return true;
            }
        }
        self.plain_found_in(hay)
    }

    fn plain_found_in(&self, hay: &str) -> bool {
        let n = self.lower.as_bytes();
        if hay.is_ascii() && self.lower.is_ascii() {
            return n.is_empty()
                || hay
                    .as_bytes()
                    .windows(n.len())
                    .any(|w| w.eq_ignore_ascii_case(n));
        }
        hay.to_lowercase().contains(&self.lower)
    }

    pub(super) fn any(&self, fields: &[Option<&str>]) -> bool {
        self.is_empty() || fields.iter().flatten().any(|f| self.found_in(f))
    }
}

/// The row order of one big table, and what it was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Built {
    overview: u64,
    filter: String,
    sort: usize,
    /// Indices into the overview's queues or workers, in display order.
    rows: Vec<usize>,
}

impl Built {
    fn fits(&self, overview: u64, filter: &str, sort: usize) -> bool {
        self.overview == overview && self.sort == sort && self.filter == filter
    }
}

/// The Queues and Workers tabs' row orders (see the module comment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RowCache {
    queues: Option<Built>,
    workers: Option<Built>,
}

fn queue_order(ov: &Overview, filter: &str, sort: usize) -> Vec<usize> {
    let needle = Needle::new(filter);
    let rows: Vec<usize> = ov
        .queues
        .iter()
        .enumerate()
        .filter(|(_, q)| needle.any(&[Some(&q.name)]))
        .map(|(i, _)| i)
        .collect();
    let count: fn(&QueueInfo) -> u64 = match sort {
        1 => |q| q.queued,
        2 => |q| q.failed,
        3 => |q| q.workers,
        _ => return rows,
    };
    // Sorted as (count, index) pairs side by side, largest count first: the index breaks
    // ties, so this is the order a stable sort gives, at a fraction of its cost.
    let mut keyed: Vec<(Reverse<u64>, usize)> = rows
        .into_iter()
        .map(|i| (Reverse(ov.queues.get(i).map_or(0, count)), i))
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

fn worker_matches(needle: &Needle, w: &WorkerInfo) -> bool {
    if needle.is_empty() {
        return true;
    }
    let fields = [
        Some(w.name.as_str()),
        Some(w.state.as_str()),
        w.current_job.as_deref(),
        w.hostname.as_deref(),
    ];
    if needle.any(&fields) {
        return true;
    }
    // The QUEUES column shows the names joined by commas: a filter with a comma can only
    // match the joined text; without one, matching each name is the same and allocates less.
    if needle.lower.contains(',') {
        needle.found_in(&w.queues.join(","))
    } else {
        w.queues.iter().any(|q| needle.found_in(q))
    }
}

fn worker_order(ov: &Overview, filter: &str, sort: usize) -> Vec<usize> {
    let needle = Needle::new(filter);
    let mut rows: Vec<usize> = ov
        .workers
        .iter()
        .enumerate()
        .filter(|(_, w)| worker_matches(&needle, w))
        .map(|(i, _)| i)
        .collect();
    let w = |i: usize| ov.workers.get(i);
    match sort {
        1 => rows.sort_unstable_by_key(|&i| {
            (
                w(i).map(|w| (w.liveness != Liveness::Alive, w.state != "busy", &w.name)),
                i,
            )
        }),
        2 => rows.sort_unstable_by_key(|&i| (Reverse(w(i).map_or(0, |w| w.failed_job_count)), i)),
        3 => rows.sort_unstable_by_key(|&i| (w(i).and_then(|w| w.last_heartbeat), i)),
        _ => {}
    }
    rows
}

impl App {
    /// Rebuilds the current tab's row order if the overview, the filter or the sort changed
    /// since it was built (the other tab's is rebuilt when it is shown). Called by `update`.
    pub(super) fn sync_rows(&mut self) {
        let Some(ov) = &self.overview else {
            self.rows = RowCache::default();
            return;
        };
        let generation = self.overview_generation;
        match self.tab {
            Tab::Queues => {
                let sort = self.queues.sort;
                if !self
                    .rows
                    .queues
                    .as_ref()
                    .is_some_and(|b| b.fits(generation, &self.filter, sort))
                {
                    self.rows.queues = Some(Built {
                        overview: generation,
                        filter: self.filter.clone(),
                        sort,
                        rows: queue_order(ov, &self.filter, sort),
                    });
                }
            }
            Tab::Workers => {
                let sort = self.workers.sort;
                if !self
                    .rows
                    .workers
                    .as_ref()
                    .is_some_and(|b| b.fits(generation, &self.filter, sort))
                {
                    self.rows.workers = Some(Built {
                        overview: generation,
                        filter: self.filter.clone(),
                        sort,
                        rows: worker_order(ov, &self.filter, sort),
                    });
                }
            }
            Tab::Jobs | Tab::Schedules | Tab::Failures => {}
        }
    }

    /// The visible queues' indices into the overview, in display order: the cached order
    /// when it is current, else built now.
    fn queue_rows(&self) -> Cow<'_, [usize]> {
        let Some(ov) = &self.overview else {
            return Cow::Borrowed(&[]);
        };
        match &self.rows.queues {
            Some(b) if b.fits(self.overview_generation, &self.filter, self.queues.sort) => {
                Cow::Borrowed(&b.rows)
            }
            _ => Cow::Owned(queue_order(ov, &self.filter, self.queues.sort)),
        }
    }

    fn worker_rows(&self) -> Cow<'_, [usize]> {
        let Some(ov) = &self.overview else {
            return Cow::Borrowed(&[]);
        };
        match &self.rows.workers {
            Some(b) if b.fits(self.overview_generation, &self.filter, self.workers.sort) => {
                Cow::Borrowed(&b.rows)
            }
            _ => Cow::Owned(worker_order(ov, &self.filter, self.workers.sort)),
        }
    }

    /// The queues the Queues tab shows, filtered and sorted.
    #[must_use]
    pub fn visible_queues(&self) -> Vec<&QueueInfo> {
        self.visible_queue_range(0..usize::MAX)
    }

    /// The visible queues at these row positions (e.g. a `window`), without touching the
    /// others.
    #[must_use]
    pub fn visible_queue_range(&self, range: Range<usize>) -> Vec<&QueueInfo> {
        let Some(ov) = &self.overview else {
            return Vec::new();
        };
        let rows = self.queue_rows();
        let range = range.start.min(rows.len())..range.end.min(rows.len());
        rows[range]
            .iter()
            .filter_map(|&i| ov.queues.get(i))
            .collect()
    }

    #[must_use]
    pub fn visible_queue_count(&self) -> usize {
        self.queue_rows().len()
    }

    /// The queue on row `row`.
    #[must_use]
    pub fn visible_queue(&self, row: usize) -> Option<&QueueInfo> {
        let i = *self.queue_rows().get(row)?;
        self.overview.as_ref()?.queues.get(i)
    }

    /// The workers the Workers tab shows, filtered and sorted.
    #[must_use]
    pub fn visible_workers(&self) -> Vec<&WorkerInfo> {
        self.visible_worker_range(0..usize::MAX)
    }

    #[must_use]
    pub fn visible_worker_range(&self, range: Range<usize>) -> Vec<&WorkerInfo> {
        let Some(ov) = &self.overview else {
            return Vec::new();
        };
        let rows = self.worker_rows();
        let range = range.start.min(rows.len())..range.end.min(rows.len());
        rows[range]
            .iter()
            .filter_map(|&i| ov.workers.get(i))
            .collect()
    }

    #[must_use]
    pub fn visible_worker_count(&self) -> usize {
        self.worker_rows().len()
    }

    #[must_use]
    pub fn visible_worker(&self, row: usize) -> Option<&WorkerInfo> {
        let i = *self.worker_rows().get(row)?;
        self.overview.as_ref()?.workers.get(i)
    }

    #[must_use]
    pub fn visible_jobs(&self) -> Vec<&JobSummary> {
        if let Some(s) = &self.search {
            return s.rows.iter().collect(); // the selector chose them
        }
        let Some(page) = &self.jobs.page else {
            return Vec::new();
        };
        let needle = Needle::new(&self.filter);
        page.jobs
            .iter()
            .filter(|j| {
                needle.any(&[
                    Some(&j.id),
                    j.func_name.as_deref(),
                    j.error.as_deref(),
                    j.description.as_deref(),
                ])
            })
            .collect()
    }

    #[must_use]
    pub fn visible_schedules(&self) -> Vec<&Schedule> {
        let Some(s) = &self.schedules else {
            return Vec::new();
        };
        let needle = Needle::new(&self.filter);
        let mut rows: Vec<&Schedule> = s
            .entries
            .iter()
            .filter(|e| needle.any(&[Some(&e.id), e.func_name.as_deref(), e.queue.as_deref()]))
            .collect();
        match self.sched_nav.sort {
            1 => rows.sort_by(|a, b| a.queue.cmp(&b.queue)),
            2 => rows.sort_by_cached_key(|e| format!("{:?}", e.source)),
            _ => {}
        }
        rows
    }

    /// The ids an action on the Jobs tab applies to: the marked ones, else the selected one.
    #[must_use]
    pub fn target_jobs(&self) -> Vec<String> {
        if !self.jobs_nav.marked.is_empty() {
            return self.jobs_nav.marked.iter().cloned().collect();
        }
        self.visible_jobs()
            .get(self.jobs_nav.selected)
            .map(|j| vec![j.id.clone()])
            .unwrap_or_default()
    }

    /// The workers an action on the Workers tab applies to.
    #[must_use]
    pub fn target_workers(&self) -> Vec<String> {
        if !self.workers.marked.is_empty() {
            return self.workers.marked.iter().cloned().collect();
        }
        self.visible_worker(self.workers.selected)
            .map(|w| vec![w.name.clone()])
            .unwrap_or_default()
    }
}

impl App {
    /// The identity of the selected row of the current tab.
    pub(super) fn selected_key(&self) -> Option<String> {
        let i = self.nav().selected;
        match self.tab {
            Tab::Queues => self.visible_queue(i).map(|q| q.name.clone()),
            Tab::Workers => self.visible_worker(i).map(|w| w.name.clone()),
            Tab::Jobs => self.visible_jobs().get(i).map(|j| j.id.clone()),
            Tab::Schedules => self.visible_schedules().get(i).map(|s| schedule_key(s)),
            Tab::Failures => self
                .visible_failures()
                .get(i)
                .map(|g| g.signature.id.clone()),
        }
    }

    /// Moves the cursor to the row with this identity, if it is still shown. Usually it has
    /// not moved: that is checked first; otherwise one pass over the rows, no allocation.
    pub(super) fn reselect(&mut self, key: &str) {
        if self.selected_key().as_deref() == Some(key) {
            return;
        }
        let found = match self.tab {
            Tab::Queues => self.position_in(&self.queue_rows(), |ov, i| {
                ov.queues.get(i).is_some_and(|q| q.name == key)
            }),
            Tab::Workers => self.position_in(&self.worker_rows(), |ov, i| {
                ov.workers.get(i).is_some_and(|w| w.name == key)
            }),
            Tab::Jobs => self.visible_jobs().iter().position(|j| j.id == key),
            Tab::Schedules => self
                .visible_schedules()
                .iter()
                .position(|s| schedule_key(s) == key),
            Tab::Failures => self
                .visible_failures()
                .iter()
                .position(|g| g.signature.id == key),
        };
        if let Some(i) = found {
            self.nav_mut().selected = i;
        }
    }

    fn position_in(&self, rows: &[usize], is: impl Fn(&Overview, usize) -> bool) -> Option<usize> {
        let ov = self.overview.as_ref()?;
        rows.iter().position(|&i| is(ov, i))
    }
}

fn schedule_key(s: &Schedule) -> String {
    format!("{:?}:{}", s.source, s.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(filter: &str, fields: &[Option<&str>]) -> bool {
        Needle::new(filter).any(fields)
    }

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use crate::tui::fixtures;
    use crate::tui::msg::Msg;

    fn press(app: &mut App, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        app.update(Msg::KeyPressed(key), fixtures::now());
    }

    fn typed(app: &mut App, text: &str) {
        press(app, KeyCode::Char('/'));
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
        press(app, KeyCode::Enter);
    }

    fn load(app: &mut App, ov: Overview) {
        app.update(
            Msg::OverviewLoaded(Box::new(ov), fixtures::now()),
            fixtures::now(),
        );
    }

    fn queue_names(app: &App) -> Vec<&str> {
        app.visible_queues()
            .iter()
            .map(|q| q.name.as_str())
            .collect()
    }

    #[test]
    fn the_row_order_follows_sort_filter_and_new_data() {
        let mut app = App::new("x", false);
        load(&mut app, fixtures::overview());
        assert_eq!(queue_names(&app), ["default", "emails", "low"]);
        press(&mut app, KeyCode::Char('s')); // queued, largest first
        assert_eq!(queue_names(&app), ["default", "emails", "low"]);
        press(&mut app, KeyCode::Char('j')); // emails
        let mut ov = fixtures::overview();
        ov.queues[2].queued = 5000; // low overtakes both
        load(&mut app, ov.clone());
        assert_eq!(queue_names(&app), ["low", "default", "emails"]);
        assert_eq!(app.queues.selected, 2, "the cursor stays on emails");
        assert_eq!(app.visible_queue(2).map(|q| q.queued), Some(3));
        press(&mut app, KeyCode::Char('s')); // failed: default (17), then the others by name
        assert_eq!(queue_names(&app), ["default", "emails", "low"]);
        typed(&mut app, "E");
        assert_eq!(
            queue_names(&app),
            ["default", "emails"],
            "filter ignores case"
        );
        ov.queues.remove(0);
        load(&mut app, ov);
        assert_eq!(
            queue_names(&app),
            ["emails"],
            "the filter stays on new data"
        );
        assert_eq!(app.visible_queue_count(), 1);
        assert!(app.visible_queue(1).is_none());
    }

    #[test]
    fn worker_filter_and_sort() {
        let mut app = App::new("x", false);
        load(&mut app, fixtures::overview());
        press(&mut app, KeyCode::Char('2'));
        let names = |app: &App| -> Vec<String> {
            app.visible_workers()
                .iter()
                .map(|w| w.name.clone())
                .collect()
        };
        assert_eq!(names(&app), ["w-busy", "w-idle", "w-stale"]);
        press(&mut app, KeyCode::Char('s')); // state: busy first, then by name
        assert_eq!(names(&app), ["w-busy", "w-stale", "w-idle"]);
        typed(&mut app, "JOB-STUCK");
        assert_eq!(names(&app), ["w-stale"], "matches the current job");
        press(&mut app, KeyCode::Esc);
        typed(&mut app, "default,emails"); // the QUEUES column as shown
        assert_eq!(app.visible_worker_count(), 3);
        press(&mut app, KeyCode::Esc);
        typed(&mut app, "mails");
        assert_eq!(app.visible_worker_count(), 3, "one of the queues");
        press(&mut app, KeyCode::Esc);
        typed(&mut app, "nothing");
        assert_eq!(app.visible_worker_count(), 0);
        assert!(app.target_workers().is_empty());
    }

    fn at(selected: usize, top: usize) -> TableNav {
        let nav = TableNav {
            selected,
            ..TableNav::default()
        };
        nav.top.set(top);
        nav
    }

    #[test]
    fn a_filter_typed_as_shown_finds_names_with_escaped_characters() {
        let needle = Needle::new("evil\\x1b[31m");
        assert!(needle.found_in("evil\u{1b}[31m"));
        assert!(!needle.found_in("evil[31m"));
        assert!(
            Needle::new("vil").found_in("evil\u{1b}[31m"),
            "plain words still match"
        );
    }

    #[test]
    fn the_window_keeps_the_last_view_and_moves_just_enough_for_the_cursor() {
        assert_eq!(window(&at(0, 0), 0, 10), 0..0);
        assert_eq!(window(&at(0, 0), 5, 10), 0..5);
        assert_eq!(window(&at(9, 0), 100, 10), 0..10);
        assert_eq!(
            window(&at(10, 0), 100, 10),
            1..11,
            "selection at the bottom"
        );
        assert_eq!(window(&at(99, 0), 100, 10), 90..100);
        assert_eq!(
            window(&at(500, 0), 100, 10),
            90..100,
            "past the end: clamped"
        );
        assert_eq!(window(&at(3, 0), 100, 0), 3..4);
        // A page key moved the view: it stays while the cursor is in it.
        assert_eq!(window(&at(12, 10), 100, 10), 10..20);
        assert_eq!(
            window(&at(9, 10), 100, 10),
            9..19,
            "cursor above: view follows"
        );
        assert_eq!(window(&at(95, 95), 100, 10), 90..100, "no blank rows below");
        let nav = at(15, 10);
        let _ = window(&nav, 100, 10);
        assert_eq!((nav.top.get(), nav.shown.get()), (10, 10), "remembered");
    }

    #[test]
    fn filter_is_case_insensitive_with_and_without_ascii() {
        assert!(matches("MAIL", &[Some("emails")]));
        assert!(matches("", &[None]));
        assert!(!matches("x", &[None, Some("abc")]));
        assert!(matches("ÉTÉ", &[Some("l'été")]));
        assert!(!matches("été", &[Some("ete")]));
    }
}
