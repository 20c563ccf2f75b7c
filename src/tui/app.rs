//! The app state and its reducer: `update(msg, now)` mutates state and returns commands for
//! the refresh task. No I/O happens here, so every transition is testable without a terminal.

pub mod command_bar;
#[cfg(test)]
mod command_bar_tests;
mod context_queues;
mod failures;
mod job_actions;
mod mutations;
mod navigation;
pub mod rows;
pub mod search;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use context_queues::keep_only;

use super::action::Action;
use super::history::History;
use super::keymap::{self, Scope};
use super::msg::{Command, ConnState, Msg, Mutation, Watch};
use crate::rq::{Job, JobPage, JobQuery, JobSource, Overview, Schedules};

/// Jobs fetched per page: enough to scroll, never the whole registry.
pub const PAGE: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Queues,
    Workers,
    Jobs,
    Schedules,
    Failures,
}

pub const TABS: [Tab; 5] = [
    Tab::Queues,
    Tab::Workers,
    Tab::Jobs,
    Tab::Schedules,
    Tab::Failures,
];

impl Tab {
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Tab::Queues => "Queues",
            Tab::Workers => "Workers",
            Tab::Jobs => "Jobs",
            Tab::Schedules => "Schedules",
            Tab::Failures => "Failures",
        }
    }

    fn index(self) -> usize {
        TABS.iter().position(|t| *t == self).unwrap_or(0)
    }

    fn scope(self) -> Scope {
        match self {
            Tab::Queues => Scope::Queues,
            Tab::Workers => Scope::Workers,
            Tab::Jobs => Scope::Jobs,
            Tab::Schedules => Scope::Schedules,
            Tab::Failures => Scope::Failures,
        }
    }
}

/// Selection, sort and marks of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableNav {
    pub selected: usize,
    pub sort: usize,
    pub marked: BTreeSet<String>,
    /// The first row on screen and how many fit, as last drawn: paging moves the view by a
    /// whole screen (not just far enough to show the cursor), so the view remembers them.
    pub top: std::cell::Cell<usize>,
    pub shown: std::cell::Cell<usize>,
}

impl TableNav {
    /// Moves the view for a cursor `action` and returns the row the cursor goes to, not yet
    /// clamped to `len`. A page key moves the view by the rows it last showed (`page` before
    /// the first draw), so the next screen starts where the last one ended.
    #[must_use]
    pub fn step(&self, action: Action, len: usize, page: usize) -> usize {
        let page = match self.shown.get() {
            0 => page.max(1),
            shown => shown,
        };
        match action {
            Action::PageDown => self.top.set(self.top.get().saturating_add(page)),
            Action::PageUp => self.top.set(self.top.get().saturating_sub(page)),
            Action::Top => self.top.set(0),
            Action::Bottom => self.top.set(usize::MAX), // the view clamps it to the end
            _ => {}
        }
        let selected = self.selected;
        match action {
            Action::Up => selected.saturating_sub(1),
            Action::Down => selected + 1,
            Action::Top => 0,
            Action::Bottom => len.saturating_sub(1),
            Action::PageUp => selected.saturating_sub(page),
            _ => selected + page,
        }
    }
}

/// Which jobs the Jobs tab shows.
#[derive(Debug, Clone, PartialEq)]
pub struct JobsView {
    pub queue: Option<String>,
    pub source: JobSource,
    pub newest_first: bool,
    pub offset: u64,
    pub page: Option<JobPage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetailView {
    pub id: String,
    /// None while loading.
    pub job: Option<Result<Box<Job>, String>>,
    pub scroll: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Warn,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub tone: Tone,
}

/// The status while a refresh asked with `r` is on its way.
const REFRESHING: &str = "refreshing…";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Help { scroll: u16 },
    Confirm { text: String, mutation: Mutation },
}

#[derive(Debug)]
pub struct App {
    pub tab: Tab,
    pub target: String,
    pub overview: Option<Overview>,
    pub updated_at: Option<SystemTime>,
    pub conn: ConnState,
    pub queues: TableNav,
    pub workers: TableNav,
    pub jobs_nav: TableNav,
    pub sched_nav: TableNav,
    pub jobs: JobsView,
    pub schedules: Option<Schedules>,
    pub failures: Option<crate::rq::failures::FailureReport>,
    pub fail_nav: TableNav,
    /// The signature opened on the Failures tab, and how far its text is scrolled.
    pub signature_open: Option<(String, u16)>,
    /// A `/` selector scan of the Jobs tab's queue or registry.
    pub search: Option<search::Search>,
    pub detail: Option<DetailView>,
    pub popup: Option<Popup>,
    pub filter: String,
    pub filtering: bool,
    pub status: Option<Status>,
    pub history: History,
    pub read_only: bool,
    /// The config file's context in use (shown in the header).
    pub context: Option<String>,
    /// The context's queues: only these are shown (all when empty).
    pub only_queues: Vec<String>,
    /// The `:` command bar, while open.
    pub bar: Option<command_bar::Bar>,
    /// Command lines run, oldest first (↑/↓ in the bar).
    pub bar_history: Vec<String>,
    /// The config file's contexts, for `:ctx` and its completion.
    pub contexts: Vec<String>,
    pub should_quit: bool,
    /// Rows a page key moves (the table height, set by the view).
    pub page_rows: usize,
    watch_sent: Option<Watch>,
    /// When the status line last changed (it fades after `STATUS_FOR`).
    status_since: Option<SystemTime>,
    /// Counts overviews received, so that the row cache knows when it is stale.
    overview_generation: u64,
    /// The Queues and Workers tabs' row order, built once per change (see `rows`).
    rows: rows::RowCache,
}

/// How long an action's result stays in the status line.
const STATUS_FOR: std::time::Duration = std::time::Duration::from_secs(10);

impl App {
    #[must_use]
    pub fn new(target: impl Into<String>, read_only: bool) -> Self {
        Self {
            tab: Tab::Queues,
            target: target.into(),
            overview: None,
            updated_at: None,
            conn: ConnState::Connecting,
            queues: TableNav::default(),
            workers: TableNav::default(),
            jobs_nav: TableNav::default(),
            sched_nav: TableNav::default(),
            jobs: JobsView {
                queue: None,
                source: JobSource::Queue,
                newest_first: false,
                offset: 0,
                page: None,
            },
            schedules: None,
            failures: None,
            fail_nav: TableNav::default(),
            signature_open: None,
            search: None,
            detail: None,
            popup: None,
            filter: String::new(),
            filtering: false,
            status: None,
            history: History::default(),
            read_only,
            context: None,
            only_queues: Vec::new(),
            bar: None,
            bar_history: Vec::new(),
            contexts: Vec::new(),
            should_quit: false,
            page_rows: 10,
            watch_sent: None,
            status_since: None,
            overview_generation: 0,
            rows: rows::RowCache::default(),
        }
    }

    /// Applies one message; returns what the refresh task should do.
    pub fn update(&mut self, msg: Msg, now: SystemTime) -> Vec<Command> {
        let status_before = self.status.clone();
        let mut out = Vec::new();
        // New data reorders rows (workers pop jobs, sorts change): keep the cursor on the
        // same queue, worker, job or schedule, so that a key never acts on another one.
        let keep = matches!(
            msg,
            Msg::OverviewLoaded(..)
                | Msg::PageLoaded(_)
                | Msg::SchedulesLoaded(_)
                | Msg::FailuresLoaded(_)
        )
        .then(|| self.selected_key())
        .flatten();
        match msg {
            Msg::KeyPressed(key) => self.on_key(key, &mut out),
            Msg::Resized => {}
            Msg::Ticked => {
                if let Some(ov) = &self.overview {
                    self.history.record(unix(now), &ov.queues);
                }
                if self.status.is_some() && self.status_since.is_none() {
                    self.status_since = Some(now);
                }
                let faded = self
                    .status_since
                    .is_some_and(|t| now.duration_since(t).is_ok_and(|d| d >= STATUS_FOR));
                if faded {
                    self.status = None;
                }
            }
            Msg::MasterChanged { target } => {
                self.status = Some(Status {
                    text: format!(
                        "Sentinel failover: now on {}",
                        crate::present::safe(&target)
                    ),
                    tone: Tone::Warn,
                });
                self.target = target;
            }
            Msg::OverviewLoaded(mut ov, at) => {
                keep_only(&mut ov, &self.only_queues);
                if self.jobs.queue.is_none() {
                    self.jobs.queue = ov.queues.first().map(|q| q.name.clone());
                }
                retire(self.overview.replace(*ov));
                self.overview_generation = self.overview_generation.wrapping_add(1);
                self.updated_at = Some(at);
                if self.status.as_ref().is_some_and(|s| s.text == REFRESHING) {
                    self.status = Some(Status {
                        text: "refreshed".into(),
                        tone: Tone::Good,
                    });
                }
            }
            Msg::PageLoaded(page) => {
                if Some(&page.queue) == self.jobs.queue.as_ref()
                    && page.source == self.jobs.source
                    && page.offset == self.jobs.offset
                    && page.newest_first == self.jobs.newest_first
                {
                    self.jobs.page = Some(page);
                }
            }
            Msg::JobLoaded { id, result } => {
                if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                    d.job = Some(result);
                }
            }
            Msg::SchedulesLoaded(s) => self.schedules = Some(s),
            Msg::FailuresLoaded(r) => self.failures = Some(r),
            Msg::SearchProgress {
                generation,
                scanned,
                matches,
                done,
                error,
            } => self.on_search_progress(generation, scanned, matches, done, error),
            Msg::ActionFinished { label, result } => {
                self.status = Some(mutations::outcome(&label, &result));
                // The marked rows were the action's target; they must not be the next one's.
                self.jobs_nav.marked.clear();
                self.workers.marked.clear();
                out.push(Command::RefreshNow);
                // A search's rows were read before the change: scan again.
                if self.search.is_some() {
                    self.start_search(&mut out);
                }
            }
            Msg::ConnectionChanged(state) => self.conn = state,
        }
        // Filter, sort or data changed: rebuild the row order once here, not per frame.
        self.sync_rows();
        if let Some(key) = keep {
            self.reselect(&key);
        }
        if self.status != status_before {
            self.status_since = Some(now);
        }
        self.clamp_selections();
        let watch = self.watch();
        if self.watch_sent.as_ref() != Some(&watch) {
            self.watch_sent = Some(watch.clone());
            out.push(Command::SetWatch(watch));
        }
        out
    }

    /// Forgets which watch the refresh task has, so that the next update sends it again
    /// (used when the command channel was full and the watch was dropped).
    pub fn forget_watch(&mut self) {
        self.watch_sent = None;
    }

    /// The scopes whose bindings are active now, most specific first.
    #[must_use]
    pub fn scopes(&self) -> Vec<Scope> {
        match (&self.popup, &self.detail) {
            (Some(Popup::Confirm { .. }), _) => vec![Scope::Confirm],
            (Some(Popup::Help { .. }), _) => vec![Scope::Help],
            (None, Some(_)) => vec![Scope::Detail, Scope::Global],
            (None, None) => vec![self.tab.scope(), Scope::Global],
        }
    }

    /// What the refresh task must keep fresh for the screen as it is.
    #[must_use]
    pub fn watch(&self) -> Watch {
        Watch {
            page: (self.tab == Tab::Jobs).then(|| self.job_query()).flatten(),
            job: self.detail.as_ref().map(|d| d.id.clone()),
            schedules: self.tab == Tab::Schedules,
            failures: self.tab == Tab::Failures,
        }
    }

    #[must_use]
    pub fn job_query(&self) -> Option<JobQuery> {
        Some(JobQuery {
            queue: self.jobs.queue.clone()?,
            source: self.jobs.source,
            offset: self.jobs.offset,
            limit: PAGE,
            newest_first: self.jobs.newest_first,
        })
    }

    fn on_key(&mut self, key: KeyEvent, out: &mut Vec<Command>) {
        if self.bar.is_some() {
            self.on_bar_key(key, out);
            return;
        }
        if self.filtering {
            self.on_filter_key(key, out);
            return;
        }
        if let Some(action) = keymap::lookup(&self.scopes(), &key) {
            self.act(action, out);
        }
    }

    fn on_filter_key(&mut self, key: KeyEvent, out: &mut Vec<Command>) {
        match key.code {
            KeyCode::Enter => {
                self.filtering = false;
                // On the Jobs tab the filter is a selector over the whole queue/registry.
                self.start_search(out);
            }
            KeyCode::Esc => {
                self.filtering = false;
                self.filter.clear();
                self.end_search(out);
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.should_quit = true
            }
            KeyCode::Char(c) => self.filter.push(c),
            _ => {}
        }
        self.nav_mut().selected = 0;
    }

    fn act(&mut self, action: Action, out: &mut Vec<Command>) {
        match action {
            Action::Quit => self.should_quit = true,
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::Confirm => {
                if let Some(Popup::Confirm { mutation, .. }) = self.popup.take() {
                    self.status = Some(Status {
                        text: "working…".into(),
                        tone: Tone::Info,
                    });
                    out.push(Command::Run(mutation));
                }
            }
            Action::Deny => {
                self.popup = None;
                self.status = Some(Status {
                    text: "nothing changed".into(),
                    tone: Tone::Info,
                });
            }
            Action::Back => {
                if self.detail.is_none() && self.popup.is_none() {
                    self.end_search(out);
                }
                self.back();
            }
            Action::MarkAll => self.mark_all(),
            Action::CommandBar => self.open_bar(),
            Action::NextTab => {
                self.end_search(out);
                self.go_tab((self.tab.index() + 1) % TABS.len());
            }
            Action::PrevTab => {
                self.end_search(out);
                self.go_tab((self.tab.index() + TABS.len() - 1) % TABS.len());
            }
            Action::GoTab(i) => {
                self.end_search(out);
                self.go_tab(i);
            }
            Action::Refresh => {
                // Visible feedback: the key did something, and the next data says when.
                self.status = Some(Status {
                    text: REFRESHING.into(),
                    tone: Tone::Info,
                });
                out.push(Command::RefreshNow);
            }
            Action::Filter => self.filtering = true,
            Action::Sort => self.cycle_sort(),
            Action::Up
            | Action::Down
            | Action::Top
            | Action::Bottom
            | Action::PageUp
            | Action::PageDown => {
                self.move_cursor(action);
            }
            Action::Open if self.tab == Tab::Failures && self.signature_open.is_some() => {
                self.signature_jobs(out);
            }
            Action::Open => self.open(),
            Action::Mark => self.toggle_mark(),
            Action::NextRegistry | Action::PrevRegistry => {
                self.end_search(out);
                self.filter.clear();
                self.cycle_registry(action == Action::NextRegistry)
            }
            Action::NextQueue | Action::PrevQueue => {
                self.end_search(out);
                self.filter.clear();
                self.cycle_queue(action == Action::NextQueue)
            }
            Action::ToggleOrder => {
                self.jobs.newest_first = !self.jobs.newest_first;
                self.reset_page();
            }
            _ => self.ask(action),
        }
    }

    fn back(&mut self) {
        if let Some(Popup::Help { .. }) = self.popup {
            self.popup = None;
        } else if self.detail.is_some() {
            self.detail = None;
        } else if self.tab == Tab::Failures && self.signature_open.is_some() {
            self.signature_open = None;
        } else {
            self.filter.clear();
            self.nav_mut().marked.clear();
        }
    }
}

/// Frees the previous overview. A big one (100,000 queues and 50,000 workers: ~12 ms of
/// frees) is dropped on a short-lived thread, so that the UI task does not wait for it.
fn retire(old: Option<Overview>) {
    const BIG: usize = 10_000;
    if let Some(ov) = old.filter(|o| o.queues.len() + o.workers.len() >= BIG) {
        // If no thread can be started, the closure and the overview are dropped right here.
        let _ = std::thread::Builder::new()
            .name("rqtop-free".into())
            .spawn(move || drop(ov));
    }
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
