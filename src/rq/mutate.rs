//! The write half of the data layer. Every change leaves Redis as RQ itself would, applied
//! atomically per job (Lua scripts), in batches so that bulk work takes few round trips and
//! no single call blocks Redis for long. Dangling ids are reported and skipped.

mod batches;
mod bulk;
mod clean;
mod commands;
mod jobs_ops;
mod queue_ops;
mod scripts;

use std::time::SystemTime;

use serde::Serialize;

pub use clean::CleanReport;
pub use commands::WorkerCommand;

/// Jobs per script call: about 5-10 ms of Redis time, far under the 50 ms budget.
pub const BATCH: usize = 500;
/// Batches sent per round trip: Redis runs them back to back, ~15 ms in all.
pub const BATCHES_PER_TRIP: usize = 4;
/// How many skipped ids a report lists (the count is always exact).
const MAX_LISTED_SKIPS: usize = 1000;
/// How many ids a dry run shows as a sample.
const SAMPLE: usize = 10;

/// One job that was not changed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub id: String,
    pub reason: String,
}

/// What a mutation did (or, with `dry_run`, would do) to one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub action: &'static str,
    pub dry_run: bool,
    /// Where the jobs come from, e.g. `failed@emails` or `queue emails`.
    pub source: String,
    /// Where they go, e.g. `queue emails`, when they go somewhere.
    pub destination: Option<String>,
    /// How many jobs the command targets.
    pub matched: u64,
    /// How many were changed.
    pub done: u64,
    /// Dangling ids (their job hash is gone, RQ let it expire) removed from where they
    /// were listed, as RQ's own cleanup would: routine, not a failure.
    pub dangling_removed: u64,
    /// Registry entries whose expiry had passed, left for RQ's cleanup (as `rq requeue
    /// --all` drops them rather than requeue them).
    pub expired_left: u64,
    /// Jobs sent to Redis whose outcome is unknown: the connection failed before Redis
    /// answered, so they may or may not have been changed (a re-run acts on what is left).
    pub unknown: u64,
    pub skipped_count: u64,
    /// The first skipped ids with reasons.
    pub skipped: Vec<Skipped>,
    /// A few of the targeted ids (dry runs).
    pub sample: Vec<String>,
    /// Set when the work stopped early (connection lost...): what is done is done, and
    /// running the same command again finishes the rest.
    pub error: Option<String>,
}

impl Report {
    pub(crate) fn new(action: &'static str, source: impl Into<String>, dry_run: bool) -> Self {
        Self {
            action,
            dry_run,
            source: source.into(),
            destination: None,
            matched: 0,
            done: 0,
            dangling_removed: 0,
            expired_left: 0,
            unknown: 0,
            skipped_count: 0,
            skipped: Vec::new(),
            sample: Vec::new(),
            error: None,
        }
    }

    /// An empty report for a change a front-end makes through the library (suspend...).
    #[must_use]
    pub fn new_for_cli(action: &'static str, source: &str) -> Self {
        Self::new(action, source, false)
    }

    /// A report for a source that could not be worked on at all.
    #[must_use]
    pub fn failed(action: &'static str, source: &str, error: &super::Error) -> Self {
        let mut r = Self::new(action, source, false);
        r.error = Some(error.to_string());
        r
    }

    pub(crate) fn skip(&mut self, id: &str, reason: impl Into<String>) {
        self.skipped_count += 1;
        if self.skipped.len() < MAX_LISTED_SKIPS {
            self.skipped.push(Skipped {
                id: id.to_string(),
                reason: reason.into(),
            });
        }
    }

    pub(crate) fn sample_from<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        self.sample = ids.into_iter().take(SAMPLE).map(str::to_string).collect();
    }

    /// Everything targeted was done (for a dry run: the plan could be made).
    #[must_use]
    pub fn complete(&self) -> bool {
        if self.dry_run {
            return self.error.is_none();
        }
        self.error.is_none() && self.unknown == 0 && self.skipped_count == 0
    }
}

/// Now as RQ writes it in job hashes (`2026-11-23T19:35:51.040728Z`) and as epoch seconds.
pub(crate) fn now_stamps() -> (String, i64) {
    let now = SystemTime::now();
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    (humantime::format_rfc3339_micros(now).to_string(), secs)
}

/// The ids in their first-seen order, each once: naming a job twice must not act twice.
pub(crate) fn unique(ids: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect()
}

/// Explains a per-job script code to a person.
pub(crate) fn reason(code: i64) -> &'static str {
    match code {
        0 => "no longer there (a worker or another client moved it meanwhile)",
        -1 => "no such job (its hash is gone: a dangling id)",
        -2 => "job is running; stop it first (rqctl stop-job) or use --force",
        -3 => "periodic rq-scheduler job: this ends its schedule; use --force",
        -4 => "already canceled",
        -5 => "not scheduled",
        -6 => "its key is not a hash (not an RQ job)",
        -7 => "its queue key is not a list",
        -8 => "refused by a check (wrong key type or missing permission)",
        -9 => "expired: left for RQ's cleanup",
        scripts::UNKNOWN => "outcome unknown (its batch failed)",
        _ => "unexpected script result",
    }
}
