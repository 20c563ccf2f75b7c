//! Failure signatures kept up to date without rescanning (rqtop's Failures view). For each
//! failed registry the tracker keeps the ids it has read with their signature and time.
//! A refresh asks each registry for the ids scored at or above the highest score seen: RQ
//! scores a failed job by its expiry (failure time + TTL), so new failures come there, and
//! only those jobs are read. When the registry's size then disagrees with what is known
//! (jobs requeued, deleted or expired, or added with a shorter TTL), its ids are listed
//! again (ZSCAN, ids only) and only the difference is read or dropped. Tracebacks are read
//! once per job, ever.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::SystemTime;

use super::group::{FailureGroup, FailureReport, SAMPLE_IDS, WINDOW};
use super::scan::{ScanNeeds, ScannedJob};
use super::signature::Signature;
use crate::rq::client::RqClient;
use crate::rq::error::Result;
use crate::rq::keys::{self, Registry};
use crate::rq::model::Timestamp;
use crate::rq::reply;

/// Jobs read per refresh at most, over all registries: the first results show within a
/// fraction of a second however many jobs failed, and a backlog (the first look at 100,000
/// failed jobs, a burst) is caught up over the next refreshes.
const READ_PER_REFRESH: usize = 20_000;

/// What the tracker holds of one failed job.
#[derive(Debug, Clone)]
struct Known {
    sig: String,
    ended: Option<Timestamp>,
}

#[derive(Debug, Default)]
struct Registry1 {
    jobs: HashMap<String, Known>,
    /// Listed ids whose job hash is gone: counted apart, not read again.
    dangling: HashSet<String>,
    max_score: f64,
}

/// One signature as the tracker keeps it.
#[derive(Debug, Clone)]
struct Group {
    signature: Signature,
    sample_ids: Vec<String>,
    sample_traceback: Option<String>,
}

/// Signatures of every failed registry, kept current a difference at a time.
#[derive(Debug, Default)]
pub struct FailureTracker {
    registries: BTreeMap<String, Registry1>,
    groups: HashMap<String, Group>,
    /// Jobs read in all (for tests and the status line: a refresh reads only new ones).
    pub jobs_read: u64,
    /// What this refresh may still read.
    budget: usize,
    /// Ids listed but not read yet (the budget ran out): more refreshes are needed.
    unread: u64,
}

impl FailureTracker {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Failed jobs listed but not read yet: the caller should refresh again soon.
    #[must_use]
    pub fn unread(&self) -> u64 {
        self.unread
    }

    fn add(&mut self, queue: &str, job: ScannedJob, score: f64) {
        let reg = self.registries.entry(queue.to_string()).or_default();
        reg.max_score = reg.max_score.max(score);
        if !job.exists {
            reg.dangling.insert(job.id);
            return;
        }
        let g = self
            .groups
            .entry(job.signature.id.clone())
            .or_insert_with(|| Group {
                signature: job.signature.clone(),
                sample_ids: Vec::new(),
                sample_traceback: None,
            });
        if g.sample_ids.len() < SAMPLE_IDS {
            g.sample_ids.push(job.id.clone());
        }
        if g.sample_traceback.is_none() {
            g.sample_traceback = job.traceback;
        }
        reg.jobs.insert(
            job.id,
            Known {
                sig: job.signature.id,
                ended: job.ended_at,
            },
        );
    }

    /// The groups as they stand, most frequent first.
    #[must_use]
    pub fn report(&self, now: SystemTime) -> FailureReport {
        let mut out: HashMap<&str, FailureGroup> = HashMap::new();
        let mut jobs = 0;
        for (queue, reg) in &self.registries {
            for (id, k) in &reg.jobs {
                let Some(g) = self.groups.get(&k.sig) else {
                    continue;
                };
                jobs += 1;
                let e = out.entry(&k.sig).or_insert_with(|| FailureGroup {
                    signature: g.signature.clone(),
                    count: 0,
                    queues: BTreeMap::new(),
                    first: None,
                    last: None,
                    recent: 0,
                    previous: 0,
                    sample_ids: Vec::new(),
                    sample_traceback: g.sample_traceback.clone(),
                });
                e.count += 1;
                *e.queues.entry(queue.clone()).or_default() += 1;
                if let Some(at) = k.ended {
                    e.first = Some(e.first.map_or(at, |f| f.min(at)));
                    e.last = Some(e.last.map_or(at, |l| l.max(at)));
                    let age = now.duration_since(at.0).unwrap_or_default();
                    if age < WINDOW {
                        e.recent += 1;
                    } else if age < WINDOW * 2 {
                        e.previous += 1;
                    }
                }
                if g.sample_ids.contains(id) && e.sample_ids.len() < SAMPLE_IDS {
                    e.sample_ids.push(id.clone());
                }
            }
        }
        let mut groups: Vec<FailureGroup> = out.into_values().collect();
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.signature.id.cmp(&b.signature.id))
        });
        FailureReport {
            groups,
            jobs,
            missing: self
                .registries
                .values()
                .map(|r| r.dangling.len() as u64)
                .sum(),
            unread: self.unread,
            queues: self.registries.keys().cloned().collect(),
        }
    }
}

impl RqClient {
    /// Brings `tracker` up to date with the failed registries of `queues` (queues no longer
    /// listed are dropped) and returns the groups.
    pub async fn track_failures(
        &mut self,
        tracker: &mut FailureTracker,
        queues: &[String],
    ) -> Result<FailureReport> {
        let wanted: HashSet<&String> = queues.iter().collect();
        tracker.registries.retain(|q, _| wanted.contains(q));
        tracker.budget = READ_PER_REFRESH;
        tracker.unread = 0;
        for q in queues {
            self.track_queue(tracker, q).await?;
        }
        // Signatures no job has any more are forgotten.
        let live: HashSet<&String> = tracker
            .registries
            .values()
            .flat_map(|r| r.jobs.values().map(|k| &k.sig))
            .collect();
        let dead: Vec<String> = tracker
            .groups
            .keys()
            .filter(|s| !live.contains(s))
            .cloned()
            .collect();
        for s in dead {
            tracker.groups.remove(&s);
        }
        Ok(tracker.report(SystemTime::now()))
    }

    async fn track_queue(&mut self, tracker: &mut FailureTracker, queue: &str) -> Result<()> {
        let key = self.keys.registry(Registry::Failed, queue);
        let from = tracker
            .registries
            .get(queue)
            .map_or(f64::NEG_INFINITY, |r| r.max_score);
        let min = if from.is_finite() {
            format!("{from}")
        } else {
            "-inf".to_string()
        };
        let cmd = redis::cmd("ZRANGE")
            .arg(&key)
            .arg(&min)
            .arg("+inf")
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(0)
            .arg(tracker.budget.max(1))
            .arg("WITHSCORES")
            .clone();
        let listed = reply::scored(&self.cmd("read failed ids", cmd).await?);
        let known = tracker.registries.entry(queue.to_string()).or_default();
        let fresh: Vec<(String, f64)> = listed
            .into_iter()
            .map(|(m, s)| (keys::name_from_bytes(&m), s))
            .filter(|(id, _)| !known.jobs.contains_key(id) && !known.dangling.contains(id))
            .collect();
        self.read_into(tracker, queue, fresh).await?;
        let card = reply::int(
            &self
                .cmd("count failed", redis::cmd("ZCARD").arg(&key).clone())
                .await?,
        )
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
        let held = tracker
            .registries
            .get(queue)
            .map_or(0, |r| r.jobs.len() + r.dangling.len());
        if card == held {
            return Ok(());
        }
        if tracker.budget == 0 {
            tracker.unread += card.saturating_sub(held) as u64;
            return Ok(());
        }
        // Out of step: list the ids (no job is read for that) and take the difference.
        let ids = self.registry_ids(Registry::Failed, queue).await?;
        let reg = tracker.registries.entry(queue.to_string()).or_default();
        let now: HashSet<&String> = ids.iter().map(|(id, _)| id).collect();
        reg.jobs.retain(|id, _| now.contains(id));
        reg.dangling.retain(|id| now.contains(id));
        let fresh: Vec<(String, f64)> = ids
            .into_iter()
            .filter(|(id, _)| !reg.jobs.contains_key(id) && !reg.dangling.contains(id))
            .collect();
        let take = fresh.len().min(tracker.budget);
        tracker.unread += (fresh.len() - take) as u64;
        self.read_into(tracker, queue, fresh.into_iter().take(take).collect())
            .await
    }

    async fn read_into(
        &mut self,
        tracker: &mut FailureTracker,
        queue: &str,
        fresh: Vec<(String, f64)>,
    ) -> Result<()> {
        let needs = ScanNeeds::default();
        for chunk in fresh.chunks(500) {
            let ids: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
            let jobs = self.read_jobs(queue, &ids, needs).await?;
            tracker.jobs_read += jobs.len() as u64;
            tracker.budget = tracker.budget.saturating_sub(jobs.len());
            for ((_, score), job) in chunk.iter().zip(jobs) {
                tracker.add(queue, job, *score);
            }
        }
        Ok(())
    }
}
