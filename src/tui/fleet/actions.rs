//! Changes from the fleet view: each goes to the row's own target, and its confirmation names
//! that target first. A read-only target refuses before anything is asked.

use super::rows::{queue_rows, worker_rows};
use super::{Fleet, FleetTab};
use crate::present::thousands;
use crate::rq::mutate::{Report, WorkerCommand};
use crate::tui::msg::Mutation;

/// A change waiting for the person's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub target: usize,
    pub text: String,
    pub mutation: Mutation,
}

impl Fleet {
    /// Plans the change `key` asks for on the selected row, or says why not.
    pub(super) fn ask(&mut self, key: char) {
        match self.plan(key) {
            Ok(p) => self.confirm = Some(p),
            Err(why) => self.status = Some(why),
        }
    }

    fn plan(&self, key: char) -> Result<Pending, String> {
        let (target, text, mutation) = match (self.tab, key) {
            (FleetTab::Queues, 'E' | 'R') => {
                let rows = queue_rows(self);
                let (t, q) = rows.get(self.nav.selected).ok_or("no queue selected")?;
                if key == 'E' {
                    (
                        *t,
                        format!(
                            "Empty queue {}: delete its {} queued jobs? This cannot be undone.",
                            q.name,
                            thousands(q.queued)
                        ),
                        Mutation::Empty(q.name.clone()),
                    )
                } else if q.failed == 0 {
                    return Err(format!("queue {} has no failed jobs", q.name));
                } else {
                    (
                        *t,
                        format!(
                            "Requeue all {} failed jobs of queue {}?",
                            thousands(q.failed),
                            q.name
                        ),
                        Mutation::RequeueAllFailed(q.name.clone()),
                    )
                }
            }
            (FleetTab::Workers, 'W' | 'K') => {
                let rows = worker_rows(self);
                let (t, w) = rows.get(self.nav.selected).ok_or("no worker selected")?;
                let names = vec![w.name.clone()];
                if key == 'W' {
                    (
                        *t,
                        format!(
                            "Shut down worker {}? It finishes its current job, then exits.",
                            w.name
                        ),
                        Mutation::Worker(names, WorkerCommand::Shutdown),
                    )
                } else {
                    (
                        *t,
                        format!(
                            "Kill the work-horse of worker {}? Its current job fails.",
                            w.name
                        ),
                        Mutation::Worker(names, WorkerCommand::KillHorse),
                    )
                }
            }
            _ => {
                let on = self.selected_target().unwrap_or("a target").to_string();
                return Err(format!(
                    "here: E empty and R requeue failed (Queues), W shutdown and K kill (Workers); for the rest, rqtop -c {on}"
                ));
            }
        };
        let Some(t) = self.targets.get(target) else {
            return Err("no such target".into());
        };
        if t.read_only {
            return Err(format!("{} is read-only: nothing changed", t.name));
        }
        Ok(Pending {
            target,
            // The target first: with several servers on screen, where is the first question.
            text: format!("{}: {text}", t.name),
            mutation,
        })
    }
}

/// The status line for a finished change on `target`.
#[must_use]
pub fn outcome(target: &str, label: &str, result: &Result<Vec<Report>, String>) -> String {
    match result {
        Err(e) => format!("{target}: {label} failed: {e}"),
        Ok(reports) => {
            let done: u64 = reports.iter().map(|r| r.done).sum();
            let skipped: u64 = reports.iter().map(|r| r.skipped_count).sum();
            let mut text = format!("{target}: {label}: {} done", thousands(done));
            if skipped > 0 {
                text.push_str(&format!(", {} skipped", thousands(skipped)));
            }
            if let Some(e) = reports.iter().find_map(|r| r.error.clone()) {
                text.push_str(&format!("; stopped early: {e}"));
            }
            text
        }
    }
}
