//! The ids a selector picks out of a queue or registry, gathered by a bounded scan
//! (see `failures::scan`): what an action on "all matches" then acts on.

use std::time::SystemTime;

use serde::Serialize;

use super::Selector;
use crate::rq::client::RqClient;
use crate::rq::error::Result;
use crate::rq::failures::ScannedJob;
use crate::rq::model::JobSource;

/// The matches in one queue's list or registry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Matches {
    pub queue: String,
    /// Matching job ids, in the order listed.
    pub ids: Vec<String>,
    /// Ids listed whose job hash is gone (never matched).
    pub missing: u64,
    /// Ids looked at.
    pub scanned: u64,
}

impl RqClient {
    /// Scans `source` of each queue and keeps the ids `selector` matches. `each` sees every
    /// matching job as it is found (a table, a progress count).
    pub async fn select_jobs(
        &mut self,
        source: JobSource,
        queues: &[String],
        selector: &Selector,
        each: impl FnMut(&ScannedJob) + Send,
    ) -> Result<Vec<Matches>> {
        self.select_jobs_reading(source, queues, selector, false, each)
            .await
    }

    /// As `select_jobs`; with `tracebacks`, each job's traceback and signature are read
    /// even when the selector does not need them (a listing shows them).
    pub async fn select_jobs_reading(
        &mut self,
        source: JobSource,
        queues: &[String],
        selector: &Selector,
        tracebacks: bool,
        mut each: impl FnMut(&ScannedJob) + Send,
    ) -> Result<Vec<Matches>> {
        let now = SystemTime::now();
        let mut needs = selector.needs();
        needs.skip_tracebacks &= !tracebacks;
        let mut all = Vec::new();
        for q in queues {
            let mut m = Matches {
                queue: q.clone(),
                ..Matches::default()
            };
            let stats = self
                .scan_jobs(q, source, needs, |job| {
                    if job.exists && selector.matches(&job, now) {
                        each(&job);
                        m.ids.push(job.id);
                    }
                    true
                })
                .await?;
            m.missing = stats.missing;
            m.scanned = stats.listed;
            all.push(m);
        }
        Ok(all)
    }
}
