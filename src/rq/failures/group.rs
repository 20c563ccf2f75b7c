//! Failed jobs grouped by signature: counts, queues, first and last failure, and whether
//! the cause is still happening. Memory is per signature (plus a few sample ids), never
//! per job.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::scan::ScannedJob;
use super::signature::Signature;
use crate::rq::model::Timestamp;

/// Sample job ids kept per signature.
pub const SAMPLE_IDS: usize = 10;
/// "Still happening" compares the last window with the one before it.
pub const WINDOW: Duration = Duration::from_secs(600);

/// One signature and the failed jobs that have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureGroup {
    pub signature: Signature,
    pub count: u64,
    /// Jobs per queue.
    pub queues: BTreeMap<String, u64>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Failures in the last 10 minutes.
    pub recent: u64,
    /// Failures in the 10 minutes before those.
    pub previous: u64,
    pub sample_ids: Vec<String>,
    /// One full traceback (the first read), as recorded.
    pub sample_traceback: Option<String>,
}

impl FailureGroup {
    /// Still failing: some in the last 10 minutes.
    #[must_use]
    pub fn still_happening(&self) -> bool {
        self.recent > 0
    }

    /// `rising`, `steady`, `falling` (last 10 min against the 10 before), or `stopped`.
    #[must_use]
    pub fn trend(&self) -> &'static str {
        match (self.recent, self.previous) {
            (0, _) => "stopped",
            (r, p) if r > p => "rising",
            (r, p) if r == p => "steady",
            _ => "falling",
        }
    }
}

/// All signatures of a scan, most frequent first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FailureReport {
    pub groups: Vec<FailureGroup>,
    /// Jobs grouped.
    pub jobs: u64,
    /// Listed ids whose job hash is gone (RQ let it expire): counted apart.
    pub missing: u64,
    /// Queues scanned.
    pub queues: Vec<String>,
    /// Failed jobs not read yet (a live view catching up); 0 for a whole scan.
    pub unread: u64,
}

/// Folds scanned jobs into groups.
#[derive(Debug)]
pub struct Grouper {
    now: SystemTime,
    groups: HashMap<String, FailureGroup>,
    jobs: u64,
    missing: u64,
}

impl Grouper {
    #[must_use]
    pub fn new(now: SystemTime) -> Self {
        Self {
            now,
            groups: HashMap::new(),
            jobs: 0,
            missing: 0,
        }
    }

    /// Adds one job (a dangling id is only counted).
    pub fn add(&mut self, job: ScannedJob) {
        if !job.exists {
            self.missing += 1;
            return;
        }
        self.jobs += 1;
        let g = self
            .groups
            .entry(job.signature.id.clone())
            .or_insert_with(|| FailureGroup {
                signature: job.signature.clone(),
                count: 0,
                queues: BTreeMap::new(),
                first: None,
                last: None,
                recent: 0,
                previous: 0,
                sample_ids: Vec::new(),
                sample_traceback: None,
            });
        g.count += 1;
        *g.queues.entry(job.queue.clone()).or_default() += 1;
        if let Some(at) = job.ended_at {
            g.first = Some(g.first.map_or(at, |f| f.min(at)));
            g.last = Some(g.last.map_or(at, |l| l.max(at)));
            let age = self.now.duration_since(at.0).unwrap_or_default();
            if age < WINDOW {
                g.recent += 1;
            } else if age < WINDOW * 2 {
                g.previous += 1;
            }
        }
        if g.sample_ids.len() < SAMPLE_IDS {
            g.sample_ids.push(job.id);
        }
        if g.sample_traceback.is_none() {
            g.sample_traceback = job.traceback;
        }
    }

    #[must_use]
    pub fn finish(self, queues: Vec<String>) -> FailureReport {
        let mut groups: Vec<FailureGroup> = self.groups.into_values().collect();
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.signature.id.cmp(&b.signature.id))
        });
        FailureReport {
            groups,
            jobs: self.jobs,
            missing: self.missing,
            queues,
            unread: 0,
        }
    }
}
