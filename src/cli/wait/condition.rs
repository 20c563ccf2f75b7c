//! What `rqctl wait` waits for, one look at it, and how a look reads.

use serde::Serialize;

use crate::present::{safe, span, thousands};
use crate::rq::{JobState, Liveness, RqClient};

/// Every part must hold at once.
#[derive(Debug, Default, Clone)]
pub struct Condition {
    pub empty: Vec<String>,
    pub drained: Vec<String>,
    pub jobs: Vec<String>,
    pub workers_idle: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueSeen {
    pub name: String,
    pub queued: u64,
    pub started: u64,
    /// Waited for with --drained (else --empty).
    pub drained: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobSeen {
    pub id: String,
    /// `gone` when the hash disappeared while waiting (deleted, or result_ttl 0).
    pub status: String,
    pub state: Option<JobState>,
}

/// One look.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Look {
    pub queues: Vec<QueueSeen>,
    pub jobs: Vec<JobSeen>,
    /// Workers running a job (when --workers-idle was asked).
    pub workers_busy: Option<u64>,
}

impl Condition {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.empty.is_empty()
            && self.drained.is_empty()
            && self.jobs.is_empty()
            && !self.workers_idle
    }

    fn needs_overview(&self) -> bool {
        !self.empty.is_empty() || !self.drained.is_empty() || self.workers_idle
    }

    /// Reads what the condition is about: the overview (three round trips) and the jobs
    /// (one). A job whose hash is missing is `gone`.
    pub async fn look(&self, client: &mut RqClient) -> crate::rq::Result<Look> {
        let mut look = Look::default();
        if self.needs_overview() {
            let ov = client.overview().await?;
            let named = self
                .empty
                .iter()
                .map(|q| (q, false))
                .chain(self.drained.iter().map(|q| (q, true)));
            for (name, drained) in named {
                // A queue deleted while waiting has nothing queued: it counts as empty.
                let q = ov.queues.iter().find(|q| &q.name == name);
                look.queues.push(QueueSeen {
                    name: name.clone(),
                    queued: q.map_or(0, |q| q.queued),
                    started: q.map_or(0, |q| q.started),
                    drained,
                });
            }
            if self.workers_idle {
                let busy = ov
                    .workers
                    .iter()
                    .filter(|w| w.liveness != Liveness::Dead)
                    .filter(|w| !w.current_jobs.is_empty() || w.state == "busy")
                    .count();
                look.workers_busy = Some(busy as u64);
            }
        }
        if !self.jobs.is_empty() {
            let states = client.job_states(&self.jobs).await?;
            for (id, state) in self.jobs.iter().zip(states) {
                let status = state
                    .as_ref()
                    .map_or_else(|| "gone".to_string(), |s| s.status.as_str().to_string());
                look.jobs.push(JobSeen {
                    id: id.clone(),
                    status,
                    state,
                });
            }
        }
        Ok(look)
    }
}

impl JobSeen {
    #[must_use]
    pub fn ended(&self) -> bool {
        self.state.as_ref().is_none_or(JobState::ended)
    }

    #[must_use]
    pub fn ended_badly(&self) -> bool {
        self.state.as_ref().is_some_and(JobState::ended_badly)
    }
}

impl Look {
    /// Whether the whole condition holds.
    #[must_use]
    pub fn holds(&self) -> bool {
        self.queues
            .iter()
            .all(|q| q.queued == 0 && (!q.drained || q.started == 0))
            && self.jobs.iter().all(JobSeen::ended)
            && self.workers_busy.is_none_or(|n| n == 0)
    }

    /// Jobs still to wait for in queues (queued, plus started for --drained).
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.queues
            .iter()
            .map(|q| q.queued + if q.drained { q.started } else { 0 })
            .sum()
    }

    /// Jobs that ended failed, stopped or canceled.
    #[must_use]
    pub fn bad_jobs(&self) -> Vec<&JobSeen> {
        self.jobs.iter().filter(|j| j.ended_badly()).collect()
    }

    /// `emails: 1,204 queued, 3 started, draining ~2m; 3 of 5 jobs ended; 2 workers busy`.
    #[must_use]
    pub fn describe(&self, eta: Option<f64>) -> String {
        let mut parts = Vec::new();
        for q in &self.queues {
            let name = safe(&q.name);
            let mut s = if q.queued == 0 && (!q.drained || q.started == 0) {
                if q.drained {
                    format!("{name}: drained")
                } else {
                    format!("{name}: empty")
                }
            } else {
                format!(
                    "{name}: {} queued, {} started",
                    thousands(q.queued),
                    thousands(q.started)
                )
            };
            if self.queues.len() == 1
                && let Some(eta) = eta
                && self.remaining() > 0
            {
                s.push_str(&format!(", draining ~{}", span(eta)));
            }
            parts.push(s);
        }
        if self.queues.len() > 1
            && let Some(eta) = eta
            && self.remaining() > 0
        {
            parts.push(format!("draining ~{}", span(eta)));
        }
        if !self.jobs.is_empty() {
            let ended = self.jobs.iter().filter(|j| j.ended()).count();
            let mut s = if self.jobs.len() == 1 {
                let j = &self.jobs[0];
                format!("job {}: {}", safe(&j.id), j.status)
            } else {
                format!("{ended} of {} jobs ended", self.jobs.len())
            };
            let bad = self.bad_jobs();
            if !bad.is_empty() && self.jobs.len() > 1 {
                let named: Vec<String> = bad
                    .iter()
                    .map(|j| format!("{} {}", safe(&j.id), j.status))
                    .collect();
                s.push_str(&format!(" ({})", named.join(", ")));
            }
            parts.push(s);
        }
        if let Some(n) = self.workers_busy {
            parts.push(match n {
                0 => "no worker busy".to_string(),
                1 => "1 worker busy".to_string(),
                n => format!("{} workers busy", thousands(n)),
            });
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, queued: u64, started: u64, drained: bool) -> QueueSeen {
        QueueSeen {
            name: name.into(),
            queued,
            started,
            drained,
        }
    }

    #[test]
    fn empty_and_drained_differ_by_started_jobs() {
        let look = Look {
            queues: vec![q("a", 0, 2, false)],
            ..Look::default()
        };
        assert!(look.holds());
        assert_eq!(look.describe(None), "a: empty");
        let look = Look {
            queues: vec![q("a", 0, 2, true)],
            ..Look::default()
        };
        assert!(!look.holds());
        assert_eq!(
            look.describe(Some(120.0)),
            "a: 0 queued, 2 started, draining ~2m 0s"
        );
    }

    #[test]
    fn gone_jobs_ended_failed_ones_are_named() {
        let look = Look {
            jobs: vec![
                JobSeen {
                    id: "x".into(),
                    status: "gone".into(),
                    state: None,
                },
                JobSeen {
                    id: "y\u{1b}".into(),
                    status: "failed".into(),
                    state: Some(JobState {
                        id: "y".into(),
                        status: crate::rq::JobStatus::Failed,
                        origin: None,
                        worker_name: None,
                        enqueued_at: None,
                        started_at: None,
                        ended_at: None,
                    }),
                },
            ],
            ..Look::default()
        };
        assert!(look.holds());
        assert_eq!(look.bad_jobs().len(), 1);
        let d = look.describe(None);
        assert!(d.starts_with("2 of 2 jobs ended (y"), "{d}");
        assert!(!d.contains('\u{1b}'), "{d}");
    }
}
