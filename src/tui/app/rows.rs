//! The rows each table shows: filtered by `/` and sorted by `s`. Views and the reducer use
//! the same functions, so the selection always points at the row on screen.

use std::cmp::Reverse;

use super::{App, Tab};
use crate::rq::{JobSummary, Liveness, QueueInfo, Schedule, WorkerInfo};

/// The sorts each tab offers, in `s` order.
#[must_use]
pub fn sort_names(tab: Tab) -> &'static [&'static str] {
    match tab {
        Tab::Queues => &["name", "queued", "failed", "workers"],
        Tab::Workers => &["name", "state", "failed", "heartbeat"],
        Tab::Jobs => &["oldest first", "newest first"],
        Tab::Schedules => &["next run", "queue", "source"],
    }
}

fn matches(filter: &str, fields: &[Option<&str>]) -> bool {
    if filter.is_empty() {
        return true;
    }
    let needle = filter.to_lowercase();
    fields
        .iter()
        .flatten()
        .any(|f| f.to_lowercase().contains(&needle))
}

impl App {
    #[must_use]
    pub fn visible_queues(&self) -> Vec<&QueueInfo> {
        let Some(ov) = &self.overview else {
            return Vec::new();
        };
        let mut rows: Vec<&QueueInfo> = ov
            .queues
            .iter()
            .filter(|q| matches(&self.filter, &[Some(&q.name)]))
            .collect();
        match self.queues.sort {
            1 => rows.sort_by_key(|q| Reverse(q.queued)),
            2 => rows.sort_by_key(|q| Reverse(q.failed)),
            3 => rows.sort_by_key(|q| Reverse(q.workers)),
            _ => {}
        }
        rows
    }

    #[must_use]
    pub fn visible_workers(&self) -> Vec<&WorkerInfo> {
        let Some(ov) = &self.overview else {
            return Vec::new();
        };
        let mut rows: Vec<&WorkerInfo> = ov
            .workers
            .iter()
            .filter(|w| {
                let queues = w.queues.join(",");
                matches(
                    &self.filter,
                    &[
                        Some(&w.name),
                        Some(&w.state),
                        w.current_job.as_deref(),
                        w.hostname.as_deref(),
                        Some(&queues),
                    ],
                )
            })
            .collect();
        match self.workers.sort {
            1 => rows.sort_by_key(|w| {
                (
                    w.liveness != Liveness::Alive,
                    w.state != "busy",
                    w.name.clone(),
                )
            }),
            2 => rows.sort_by_key(|w| Reverse(w.failed_job_count)),
            3 => rows.sort_by_key(|w| w.last_heartbeat),
            _ => {}
        }
        rows
    }

    #[must_use]
    pub fn visible_jobs(&self) -> Vec<&JobSummary> {
        let Some(page) = &self.jobs.page else {
            return Vec::new();
        };
        page.jobs
            .iter()
            .filter(|j| {
                matches(
                    &self.filter,
                    &[
                        Some(&j.id),
                        j.func_name.as_deref(),
                        j.error.as_deref(),
                        j.description.as_deref(),
                    ],
                )
            })
            .collect()
    }

    #[must_use]
    pub fn visible_schedules(&self) -> Vec<&Schedule> {
        let Some(s) = &self.schedules else {
            return Vec::new();
        };
        let mut rows: Vec<&Schedule> = s
            .entries
            .iter()
            .filter(|e| {
                matches(
                    &self.filter,
                    &[Some(&e.id), e.func_name.as_deref(), e.queue.as_deref()],
                )
            })
            .collect();
        match self.sched_nav.sort {
            1 => rows.sort_by(|a, b| a.queue.cmp(&b.queue)),
            2 => rows.sort_by_key(|e| format!("{:?}", e.source)),
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
        self.visible_workers()
            .get(self.workers.selected)
            .map(|w| vec![w.name.clone()])
            .unwrap_or_default()
    }
}

impl App {
    /// The identity of the selected row of the current tab.
    pub(super) fn selected_key(&self) -> Option<String> {
        self.row_keys().into_iter().nth(self.nav().selected)
    }

    /// Moves the cursor to the row with this identity, if it is still shown.
    pub(super) fn reselect(&mut self, key: &str) {
        if let Some(i) = self.row_keys().iter().position(|k| k == key) {
            self.nav_mut().selected = i;
        }
    }

    fn row_keys(&self) -> Vec<String> {
        match self.tab {
            Tab::Queues => self
                .visible_queues()
                .iter()
                .map(|q| q.name.clone())
                .collect(),
            Tab::Workers => self
                .visible_workers()
                .iter()
                .map(|w| w.name.clone())
                .collect(),
            Tab::Jobs => self.visible_jobs().iter().map(|j| j.id.clone()).collect(),
            Tab::Schedules => self
                .visible_schedules()
                .iter()
                .map(|s| format!("{:?}:{}", s.source, s.id))
                .collect(),
        }
    }
}
