//! Which job actions make sense for the jobs in view: `T` only for a running job, `N` only
//! for a scheduled one, `R` for jobs that ended, `C` for jobs that have not. The footer
//! offers only those, and a key pressed anyway says why it does nothing.

use super::{App, Tab};
use crate::rq::{JobSource, JobStatus, Registry};
use crate::tui::action::Action;

impl App {
    /// The status of the jobs an action would touch, when the view knows it: the open
    /// job's, or the one every row of the registry shown shares.
    pub(crate) fn status_in_view(&self) -> Option<JobStatus> {
        if let Some(d) = &self.detail {
            return match &d.job {
                Some(Ok(job)) => Some(job.status.clone()),
                _ => None,
            };
        }
        if self.tab != Tab::Jobs {
            return None;
        }
        Some(match self.jobs.source {
            JobSource::Queue => JobStatus::Queued,
            JobSource::Registry(r) => match r {
                Registry::Started => JobStatus::Started,
                Registry::Deferred => JobStatus::Deferred,
                Registry::Finished => JobStatus::Finished,
                Registry::Failed => JobStatus::Failed,
                Registry::Scheduled => JobStatus::Scheduled,
                Registry::Canceled => JobStatus::Canceled,
                Registry::Ready => JobStatus::ReadyToEnqueue,
            },
        })
    }

    /// Why `action` does not apply to the jobs in view, or None when it does (or the view
    /// cannot tell: the atomic step re-checks anyway).
    pub(crate) fn not_applicable(&self, action: Action) -> Option<String> {
        let status = self.status_in_view()?;
        let ended = matches!(
            status,
            JobStatus::Finished | JobStatus::Failed | JobStatus::Stopped | JobStatus::Canceled
        );
        let why = match action {
            Action::StopJob if status != JobStatus::Started => "only a running job can be stopped",
            Action::EnqueueNow if status != JobStatus::Scheduled => {
                "only a scheduled job can be enqueued now"
            }
            Action::Requeue if !ended => "only a job that ended can be requeued",
            Action::Cancel if ended => "the job has ended: there is nothing to cancel",
            _ => return None,
        };
        Some(format!("{why} (this one is {status})"))
    }
}
