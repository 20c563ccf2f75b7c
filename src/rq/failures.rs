//! Failure signatures: failed jobs grouped by what went wrong (see `signature`), read from
//! RQ's own records (the latest result stream entry, else the hash's `exc_info`).

mod group;
mod inflate;
mod live;
pub mod normalise;
mod scan;
pub mod signature;
pub mod traceback;

use std::time::{Duration, SystemTime};

pub use group::{FailureGroup, FailureReport, Grouper, SAMPLE_IDS, WINDOW};
pub use live::FailureTracker;
pub use scan::{ScanNeeds, ScanStats, ScannedJob};
pub use signature::{Signature, Source};

use super::client::RqClient;
use super::error::Result;
use super::keys::Registry;
use super::model::JobSource;

impl RqClient {
    /// The failed jobs of `queues` grouped by signature. With `since`, only jobs that
    /// failed that recently; `keep` filters further (a selector).
    pub async fn failures(
        &mut self,
        queues: &[String],
        since: Option<Duration>,
        needs: ScanNeeds,
        keep: impl Fn(&ScannedJob) -> bool + Send + Sync,
    ) -> Result<FailureReport> {
        let now = SystemTime::now();
        let cutoff = since.and_then(|d| now.checked_sub(d));
        let mut grouper = Grouper::new(now);
        // Signatures come from tracebacks, whatever the selector names.
        let needs = ScanNeeds {
            skip_tracebacks: false,
            ..needs
        };
        for q in queues {
            self.scan_jobs(q, JobSource::Registry(Registry::Failed), needs, |job| {
                let recent = match (cutoff, job.ended_at) {
                    (Some(c), Some(at)) => at.0 >= c,
                    (Some(_), None) => false,
                    (None, _) => true,
                };
                if !job.exists || (recent && keep(&job)) {
                    grouper.add(job);
                }
                true
            })
            .await?;
        }
        Ok(grouper.finish(queues.to_vec()))
    }
}
