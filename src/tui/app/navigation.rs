//! Moving around: tabs, rows, pages of jobs, registries and queues, marks, opening a job.

use super::{App, DetailView, PAGE, Popup, TABS, Tab, TableNav};
use crate::rq::{JobSource, Registry};
use crate::tui::action::Action;

impl App {
    pub(super) fn go_tab(&mut self, i: usize) {
        if let Some(tab) = TABS.get(i) {
            if *tab != self.tab {
                self.filter.clear();
                // An action's result belongs to the tab it was taken on.
                self.status = None;
            }
            // From the Queues tab, the Jobs tab shows the queue selected there (as Enter
            // does), not the one last viewed.
            if *tab == Tab::Jobs && self.tab == Tab::Queues && self.detail.is_none() {
                let selected = self
                    .visible_queue(self.queues.selected)
                    .map(|q| q.name.clone());
                if selected.is_some() && selected != self.jobs.queue {
                    self.jobs.queue = selected;
                    self.reset_page();
                }
            }
            self.tab = *tab;
            self.detail = None;
            self.signature_open = None;
        }
    }

    pub(super) fn cycle_sort(&mut self) {
        if self.tab == Tab::Jobs {
            self.jobs.newest_first = !self.jobs.newest_first;
            self.reset_page();
            return;
        }
        let n = super::rows::sort_names(self.tab).len();
        let nav = self.nav_mut();
        nav.sort = (nav.sort + 1) % n.max(1);
        nav.selected = 0;
    }

    pub(super) fn open(&mut self) {
        match self.tab {
            Tab::Queues => {
                if let Some(name) = self
                    .visible_queue(self.queues.selected)
                    .map(|q| q.name.clone())
                {
                    self.jobs.queue = Some(name);
                    self.jobs.source = JobSource::Queue;
                    self.tab = Tab::Jobs;
                    self.filter.clear();
                    self.reset_page();
                }
            }
            Tab::Workers => {
                let job = self
                    .visible_worker(self.workers.selected)
                    .and_then(|w| w.current_job.clone());
                if let Some(id) = job {
                    self.open_job(id);
                }
            }
            Tab::Jobs => {
                let id = self
                    .visible_jobs()
                    .get(self.jobs_nav.selected)
                    .map(|j| j.id.clone());
                if let Some(id) = id {
                    self.open_job(id);
                }
            }
            Tab::Failures => self.open_signature(),
            Tab::Schedules => {
                let id = self
                    .visible_schedules()
                    .get(self.sched_nav.selected)
                    .filter(|s| s.source != crate::rq::ScheduleSource::RqCron)
                    .map(|s| s.id.clone());
                if let Some(id) = id {
                    self.open_job(id);
                }
            }
        }
    }

    pub(super) fn open_job(&mut self, id: String) {
        self.detail = Some(DetailView {
            id,
            job: None,
            scroll: 0,
        });
    }

    pub(super) fn toggle_mark(&mut self) {
        let id = match self.tab {
            Tab::Jobs => self
                .visible_jobs()
                .get(self.jobs_nav.selected)
                .map(|j| j.id.clone()),
            Tab::Workers => self
                .visible_worker(self.workers.selected)
                .map(|w| w.name.clone()),
            _ => None,
        };
        if let Some(id) = id {
            let nav = self.nav_mut();
            if !nav.marked.remove(&id) {
                nav.marked.insert(id);
            }
            self.move_cursor(Action::Down);
        }
    }

    pub(super) fn cycle_registry(&mut self, forward: bool) {
        let order: Vec<JobSource> = std::iter::once(JobSource::Queue)
            .chain(Registry::ALL.iter().map(|r| JobSource::Registry(*r)))
            .collect();
        let i = order
            .iter()
            .position(|s| *s == self.jobs.source)
            .unwrap_or(0);
        let n = order.len();
        self.jobs.source = order[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
        self.reset_page();
    }

    /// `]` / `[`: the next or previous queue, in the overview's (name) order. One pass to
    /// find the current queue; nothing else is copied.
    pub(super) fn cycle_queue(&mut self, forward: bool) {
        let Some(queues) = self.overview.as_ref().map(|o| &o.queues) else {
            return;
        };
        let n = queues.len();
        if n == 0 {
            return;
        }
        let i = self
            .jobs
            .queue
            .as_ref()
            .and_then(|cur| queues.iter().position(|q| &q.name == cur))
            .unwrap_or(0);
        let next = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        self.jobs.queue = queues.get(next).map(|q| q.name.clone());
        self.reset_page();
    }

    pub(super) fn reset_page(&mut self) {
        self.jobs.offset = 0;
        self.jobs.page = None;
        self.jobs_nav.selected = 0;
        self.jobs_nav.marked.clear();
    }

    pub(crate) fn nav(&self) -> &TableNav {
        match self.tab {
            Tab::Queues => &self.queues,
            Tab::Workers => &self.workers,
            Tab::Jobs => &self.jobs_nav,
            Tab::Schedules => &self.sched_nav,
            Tab::Failures => &self.fail_nav,
        }
    }

    pub(crate) fn nav_mut(&mut self) -> &mut TableNav {
        match self.tab {
            Tab::Queues => &mut self.queues,
            Tab::Workers => &mut self.workers,
            Tab::Jobs => &mut self.jobs_nav,
            Tab::Schedules => &mut self.sched_nav,
            Tab::Failures => &mut self.fail_nav,
        }
    }

    pub(super) fn visible_len(&self) -> usize {
        match self.tab {
            Tab::Queues => self.visible_queue_count(),
            Tab::Workers => self.visible_worker_count(),
            Tab::Jobs => self.visible_jobs().len(),
            Tab::Schedules => self.visible_schedules().len(),
            Tab::Failures => self.visible_failures().len(),
        }
    }

    pub(super) fn clamp_selections(&mut self) {
        if self.tab == Tab::Jobs && self.jobs.page.is_none() {
            return; // a page is loading: keep the cursor where paging put it
        }
        let len = self.visible_len();
        let nav = self.nav_mut();
        nav.selected = nav.selected.min(len.saturating_sub(1));
    }

    pub(super) fn move_cursor(&mut self, action: Action) {
        let page = self.page_rows.max(1);
        if let Some(Popup::Help { scroll }) = &mut self.popup {
            *scroll = scroll_by(*scroll, action, page);
            return;
        }
        if let Some(d) = &mut self.detail {
            d.scroll = scroll_by(d.scroll, action, page);
            return;
        }
        if self.tab == Tab::Failures
            && let Some((_, scroll)) = &mut self.signature_open
        {
            *scroll = scroll_by(*scroll, action, page);
            return;
        }
        let len = self.visible_len();
        let nav = self.nav_mut();
        let selected = nav.selected;
        let target = nav.step(action, len, page);
        let last = len.saturating_sub(1);
        // Past either end of a loaded page of jobs: fetch the neighbouring page.
        if self.tab == Tab::Jobs && self.filter.is_empty() {
            let total = self.jobs.page.as_ref().map_or(0, |p| p.total);
            if target > last && len > 0 && self.jobs.offset + (len as u64) < total {
                self.jobs.offset += PAGE;
                self.jobs.page = None;
                self.jobs_nav.selected = 0;
                self.jobs_nav.top.set(0);
                return;
            }
            if matches!(action, Action::Up | Action::PageUp)
                && selected == 0
                && self.jobs.offset > 0
            {
                self.jobs.offset = self.jobs.offset.saturating_sub(PAGE);
                self.jobs.page = None;
                self.jobs_nav.selected = usize::try_from(PAGE).unwrap_or(1) - 1;
                return;
            }
        }
        self.nav_mut().selected = target.min(last);
    }
}

fn scroll_by(scroll: u16, action: Action, page: usize) -> u16 {
    let page = u16::try_from(page).unwrap_or(u16::MAX);
    match action {
        Action::Up => scroll.saturating_sub(1),
        Action::Down => scroll.saturating_add(1),
        Action::Top => 0,
        Action::Bottom => u16::MAX / 2,
        Action::PageUp => scroll.saturating_sub(page),
        _ => scroll.saturating_add(page),
    }
}
