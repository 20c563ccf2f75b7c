//! Turning an action key into a confirmation that says exactly what will change, and a
//! finished mutation into a status line.

use super::{App, Popup, Status, Tab, Tone};
use crate::present::thousands;
use crate::rq::JobStatus;
use crate::rq::mutate::{Report, WorkerCommand};
use crate::tui::action::Action;
use crate::tui::msg::Mutation;

impl App {
    /// Asks for confirmation of the change `action` means here (or says why there is none).
    pub(super) fn ask(&mut self, action: Action) {
        if self.read_only {
            self.status = Some(Status {
                text: "read-only mode: changes are disabled".into(),
                tone: Tone::Warn,
            });
            return;
        }
        if let Some(why) = self.not_applicable(action) {
            self.status = Some(Status {
                text: why,
                tone: Tone::Warn,
            });
            return;
        }
        match self.plan(action) {
            Ok((text, mutation)) => self.popup = Some(Popup::Confirm { text, mutation }),
            Err(why) => {
                self.status = Some(Status {
                    text: why,
                    tone: Tone::Warn,
                })
            }
        }
    }

    fn plan(&self, action: Action) -> Result<(String, Mutation), String> {
        if self.tab == Tab::Failures && self.detail.is_none() {
            return self.plan_signature(action);
        }
        let jobs = || {
            let ids = match &self.detail {
                Some(d) => vec![d.id.clone()],
                None if self.tab == Tab::Schedules => self
                    .visible_schedules()
                    .get(self.sched_nav.selected)
                    .map(|s| vec![s.id.clone()])
                    .unwrap_or_default(),
                None => self.target_jobs(),
            };
            if ids.is_empty() {
                Err("no job selected".to_string())
            } else {
                Ok(ids)
            }
        };
        let n = |ids: &[String]| match ids {
            [one] => format!("job {one}"),
            _ => format!("{} jobs", thousands(ids.len() as u64)),
        };
        // Its or their, as the count asks.
        let its = |ids: &[String]| if ids.len() == 1 { "its" } else { "their" };
        let queue = || {
            self.visible_queues()
                .get(self.queues.selected)
                .map(|q| (*q).clone())
                .ok_or_else(|| "no queue selected".to_string())
        };
        Ok(match action {
            Action::Requeue => {
                let ids = jobs()?;
                (
                    format!("Requeue {}{}", n(&ids), self.requeue_route(&ids)),
                    Mutation::Requeue(ids),
                )
            }
            Action::Delete => {
                let ids = jobs()?;
                (
                    format!(
                        "Delete {} with {} results? This cannot be undone.",
                        n(&ids),
                        its(&ids)
                    ),
                    Mutation::Delete(ids),
                )
            }
            Action::Cancel => {
                let ids = jobs()?;
                (
                    format!(
                        "Cancel {}? {} to the canceled registry.",
                        n(&ids),
                        if ids.len() == 1 {
                            "It moves"
                        } else {
                            "They move"
                        }
                    ),
                    Mutation::Cancel(ids),
                )
            }
            Action::EnqueueNow => {
                let ids = jobs()?;
                (
                    format!(
                        "Enqueue {} now instead of at {} scheduled time?",
                        n(&ids),
                        its(&ids)
                    ),
                    Mutation::EnqueueNow(ids),
                )
            }
            Action::StopJob => {
                let ids = jobs()?;
                let [id] = ids.as_slice() else {
                    return Err("stop one job at a time".into());
                };
                (
                    format!(
                        "Stop running job {id}? Its worker kills the work-horse; the job becomes stopped."
                    ),
                    Mutation::StopJob(id.clone()),
                )
            }
            Action::RequeueAllFailed => {
                let q = queue()?;
                if q.failed == 0 {
                    return Err(format!("queue {} has no failed jobs", q.name));
                }
                (
                    format!(
                        "Requeue all {} failed jobs of queue {}?",
                        thousands(q.failed),
                        q.name
                    ),
                    Mutation::RequeueAllFailed(q.name),
                )
            }
            Action::EmptyQueue => {
                let q = queue()?;
                (
                    format!(
                        "Empty queue {}: delete its {} queued jobs? This cannot be undone.",
                        q.name,
                        thousands(q.queued)
                    ),
                    Mutation::Empty(q.name),
                )
            }
            Action::ShutdownWorker | Action::KillHorse => {
                let names = self.target_workers();
                if names.is_empty() {
                    return Err("no worker selected".into());
                }
                let who = match names.as_slice() {
                    [one] => format!("worker {one}"),
                    _ => format!("{} workers", names.len()),
                };
                if action == Action::ShutdownWorker {
                    (
                        format!("Shut down {who}? Each finishes its current job, then exits."),
                        Mutation::Worker(names, WorkerCommand::Shutdown),
                    )
                } else {
                    (
                        format!(
                            "Kill the work-horse of {who}? {} current job fails.",
                            if names.len() == 1 {
                                "Its"
                            } else {
                                "Each one's"
                            }
                        ),
                        Mutation::Worker(names, WorkerCommand::KillHorse),
                    )
                }
            }
            Action::ToggleSuspend => {
                let suspended = self.overview.as_ref().is_some_and(|o| o.suspended);
                if suspended {
                    ("Resume all workers?".into(), Mutation::Resume)
                } else {
                    (
                        "Suspend all workers? They take no new jobs (an idle one runs one more first).".into(),
                        Mutation::Suspend,
                    )
                }
            }
            _ => return Err("nothing to do".into()),
        })
    }
}

/// The status line for a finished mutation.
pub(super) fn outcome(label: &str, result: &Result<Vec<Report>, String>) -> Status {
    match result {
        Err(e) => Status {
            text: format!("{label} failed: {e}"),
            tone: Tone::Bad,
        },
        Ok(reports) if reports.is_empty() => Status {
            text: format!("{label}: done"),
            tone: Tone::Good,
        },
        Ok(reports) => {
            let done: u64 = reports.iter().map(|r| r.done).sum();
            let skipped: u64 = reports.iter().map(|r| r.skipped_count).sum();
            let first_reason = reports.iter().flat_map(|r| r.skipped.first()).next();
            let error = reports.iter().find_map(|r| r.error.clone());
            let mut text = format!("{label}: {} done", thousands(done));
            if skipped > 0 {
                text.push_str(&format!(", {} skipped", thousands(skipped)));
                if let Some(s) = first_reason {
                    text.push_str(&format!(" ({}: {})", s.id, s.reason));
                }
            }
            if let Some(e) = error {
                text.push_str(&format!("; stopped early: {e}"));
            }
            let tone = if skipped > 0 || reports.iter().any(|r| r.error.is_some()) {
                Tone::Warn
            } else {
                Tone::Good
            };
            Status { text, tone }
        }
    }
}

impl App {
    /// ` from failed@emails to queue emails?`, and a warning when the jobs already ran.
    fn requeue_route(&self, ids: &[String]) -> String {
        let status = self.status_in_view();
        let (from, to) = match &self.detail {
            Some(d) => match &d.job {
                Some(Ok(job)) => (
                    job.status.to_string(),
                    job.origin.as_deref().map(crate::present::safe),
                ),
                _ => (String::new(), None),
            },
            None => match &self.jobs.queue {
                Some(q) => (
                    format!("{}@{}", self.jobs.source, crate::present::safe(q)),
                    Some(crate::present::safe(q)),
                ),
                None => (String::new(), None),
            },
        };
        let mut text = String::new();
        if !from.is_empty() {
            text.push_str(&format!(" from {from}"));
        }
        match to {
            Some(q) => text.push_str(&format!(" to queue {q}?")),
            None if ids.len() == 1 => text.push_str(" to its queue?"),
            None => text.push_str(" to their queues?"),
        }
        // A finished or stopped job ran (or began to): running it again repeats what it did,
        // e.g. charging an invoice twice; a canceled one was meant never to run.
        let one = ids.len() == 1;
        let warning = match status {
            Some(JobStatus::Finished) if one => {
                " It has already run: it runs again, side effects and all."
            }
            Some(JobStatus::Finished) => {
                " They have already run: they run again, side effects and all."
            }
            Some(JobStatus::Stopped) => {
                " Stopped mid-run: the work starts again from the beginning."
            }
            Some(JobStatus::Canceled) => " Canceled work runs after all.",
            _ => "",
        };
        text.push_str(warning);
        text
    }
}
