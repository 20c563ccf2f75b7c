//! rqtop's fleet view (`rqtop -c a -c b`, `--all-contexts`): the Queues and Workers of every
//! target in one table with a TARGET column, and each target's state in the header. Every
//! target is polled by its own task, so one that is down or slow never stalls the others.
//! The view reads only: changes are made on one target (`rqtop -c NAME`), where the
//! confirmation can say exactly what happens.

pub mod actions;
pub mod poll;
pub mod rows;
pub mod run;
#[cfg(test)]
mod tests;
pub mod view;

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::app::TableNav;
use super::msg::ConnState;
use crate::rq::Overview;

/// One target of the fleet.
#[derive(Debug, Clone)]
pub struct Target {
    /// The context's name.
    pub name: String,
    pub read_only: bool,
    pub state: ConnState,
    /// The last overview read (kept while the target is unreachable).
    pub overview: Option<Overview>,
    pub updated_at: Option<SystemTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetTab {
    Queues,
    Workers,
}

/// What the fleet view reacts to.
#[derive(Debug)]
pub enum FleetMsg {
    Key(KeyEvent),
    Loaded(usize, Box<Overview>, SystemTime),
    State(usize, ConnState),
    /// A confirmed change on target `usize` ended.
    ActionFinished {
        target: usize,
        label: String,
        result: Result<Vec<crate::rq::mutate::Report>, String>,
    },
}

/// The fleet view's whole state.
#[derive(Debug)]
pub struct Fleet {
    pub targets: Vec<Target>,
    pub tab: FleetTab,
    /// Cursor, sort (an index into `rows::QUEUE_SORTS` or `rows::WORKER_SORTS`) and the
    /// view's first row, as the single-target tables keep them.
    pub nav: TableNav,
    pub filter: String,
    pub filtering: bool,
    pub status: Option<String>,
    pub should_quit: bool,
    /// A change waiting for y/n.
    pub confirm: Option<actions::Pending>,
}

impl Fleet {
    #[must_use]
    pub fn new(targets: Vec<(String, bool)>) -> Self {
        Self {
            targets: targets
                .into_iter()
                .map(|(name, read_only)| Target {
                    name,
                    read_only,
                    state: ConnState::Connecting,
                    overview: None,
                    updated_at: None,
                })
                .collect(),
            tab: FleetTab::Queues,
            nav: TableNav::default(),
            filter: String::new(),
            filtering: false,
            status: None,
            should_quit: false,
            confirm: None,
        }
    }

    /// Applies one message; returns a confirmed change for the loop to run on its target.
    pub fn update(&mut self, msg: FleetMsg) -> Option<actions::Pending> {
        let mut run = None;
        match msg {
            FleetMsg::ActionFinished {
                target,
                label,
                result,
            } => {
                let name = self.targets.get(target).map_or("?", |t| t.name.as_str());
                self.status = Some(actions::outcome(name, &label, &result));
            }
            FleetMsg::Loaded(i, ov, at) => {
                if let Some(t) = self.targets.get_mut(i) {
                    t.overview = Some(*ov);
                    t.updated_at = Some(at);
                }
            }
            FleetMsg::State(i, state) => {
                if let Some(t) = self.targets.get_mut(i) {
                    t.state = state;
                }
            }
            FleetMsg::Key(k) => run = self.on_key(k),
        }
        self.nav.selected = self.nav.selected.min(self.row_count().saturating_sub(1));
        run
    }

    /// Rows in the current tab, after the filter.
    #[must_use]
    pub fn row_count(&self) -> usize {
        match self.tab {
            FleetTab::Queues => rows::queue_rows(self).len(),
            FleetTab::Workers => rows::worker_rows(self).len(),
        }
    }

    /// The target of the selected row.
    pub(crate) fn selected_target(&self) -> Option<&str> {
        let t = match self.tab {
            FleetTab::Queues => rows::queue_rows(self).get(self.nav.selected).map(|r| r.0),
            FleetTab::Workers => rows::worker_rows(self).get(self.nav.selected).map(|r| r.0),
        }?;
        self.targets.get(t).map(|t| t.name.as_str())
    }

    fn on_key(&mut self, key: KeyEvent) -> Option<actions::Pending> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            self.should_quit = true;
            return None;
        }
        if self.confirm.is_some() {
            return match key.code {
                KeyCode::Char('y' | 'Y') => {
                    self.status = Some("working…".into());
                    self.confirm.take()
                }
                KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                    self.confirm = None;
                    self.status = Some("nothing changed".into());
                    None
                }
                _ => None,
            };
        }
        if self.filtering {
            match key.code {
                KeyCode::Enter => self.filtering = false,
                KeyCode::Esc => {
                    self.filtering = false;
                    self.filter.clear();
                }
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Char(c) if !ctrl => self.filter.push(c),
                _ => {}
            }
            self.nav.selected = 0;
            return None;
        }
        self.status = None;
        match key.code {
            KeyCode::Char('q') => self.should_quit = true,
            KeyCode::Char('1') => self.go(FleetTab::Queues),
            KeyCode::Char('2') => self.go(FleetTab::Workers),
            KeyCode::Tab | KeyCode::BackTab => self.go(match self.tab {
                FleetTab::Queues => FleetTab::Workers,
                FleetTab::Workers => FleetTab::Queues,
            }),
            KeyCode::Char('j') | KeyCode::Down => self.move_cursor(Action::Down),
            KeyCode::Char('k') | KeyCode::Up => self.move_cursor(Action::Up),
            KeyCode::Char('g') | KeyCode::Home => self.move_cursor(Action::Top),
            KeyCode::Char('G') | KeyCode::End => self.move_cursor(Action::Bottom),
            KeyCode::PageDown => self.move_cursor(Action::PageDown),
            KeyCode::PageUp => self.move_cursor(Action::PageUp),
            KeyCode::Char('/') => self.filtering = true,
            KeyCode::Char('s') => {
                let n = match self.tab {
                    FleetTab::Queues => rows::QUEUE_SORTS.len(),
                    FleetTab::Workers => rows::WORKER_SORTS.len(),
                };
                self.nav.sort = (self.nav.sort + 1) % n;
            }
            KeyCode::Esc => self.filter.clear(),
            KeyCode::Char('?') => {
                self.status = Some(
                    "1/2 tabs · j/k move · / filter (queue, worker or target) · s sort · q quit"
                        .into(),
                );
            }
            KeyCode::Char(
                c @ ('R' | 'E' | 'W' | 'K' | 'D' | 'C' | 'N' | 'T' | 'S' | ':' | 'r' | 'l'),
            ) => self.ask(c),
            KeyCode::Enter => self.ask('\n'),
            _ => {}
        }
        None
    }

    fn go(&mut self, tab: FleetTab) {
        if tab != self.tab {
            self.tab = tab;
            self.nav = TableNav::default();
            self.filter.clear();
        }
    }

    /// Cursor keys move as in the single-target tables (PgDn/PgUp by a whole screen).
    fn move_cursor(&mut self, action: Action) {
        let len = self.row_count();
        let target = self.nav.step(action, len, 10);
        self.nav.selected = target.min(len.saturating_sub(1));
    }
}

/// How long a target's poll waits before trying a lost target again, at most.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
