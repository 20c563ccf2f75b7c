//! Every RQ key name, built by byte concatenation (ids and queue names are arbitrary bytes).
//! No other module spells a literal `rq:` key.

/// The namespace every RQ key starts with; scripts receive it as their first argument.
pub const PREFIX: &str = "rq:";
pub const QUEUES: &str = "rq:queues";
pub const WORKERS: &str = "rq:workers";
pub const SUSPENDED: &str = "rq:suspended";
pub const QUEUE_PREFIX: &str = "rq:queue:";
pub const WORKER_PREFIX: &str = "rq:worker:";
pub const RQ_SCHEDULER_JOBS: &str = "rq:scheduler:scheduled_jobs";
pub const CRON_SCHEDULERS: &str = "rq:cron_schedulers";
pub const CRON_JOBS: &str = "rq:cron_jobs";

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[must_use]
pub fn queue(name: &str) -> Vec<u8> {
    cat(&[QUEUE_PREFIX.as_bytes(), name.as_bytes()])
}

#[must_use]
pub fn intermediate(name: &str) -> Vec<u8> {
    cat(&[QUEUE_PREFIX.as_bytes(), name.as_bytes(), b":intermediate"])
}

/// The queue name from a member of `rq:queues` (strip the prefix; the name may hold `:`).
#[must_use]
pub fn queue_name_from_key(key: &[u8]) -> Option<String> {
    key.strip_prefix(QUEUE_PREFIX.as_bytes())
        .map(|n| String::from_utf8_lossy(n).into_owned())
}

#[must_use]
pub fn job(id: &str) -> Vec<u8> {
    cat(&[b"rq:job:", id.as_bytes()])
}

#[must_use]
pub fn dependents(id: &str) -> Vec<u8> {
    cat(&[b"rq:job:", id.as_bytes(), b":dependents"])
}

/// The double colon is real: RQ builds it as the job prefix, `:`, then the id.
#[must_use]
pub fn dependencies(id: &str) -> Vec<u8> {
    cat(&[b"rq:job::", id.as_bytes(), b":dependencies"])
}

#[must_use]
pub fn results(id: &str) -> Vec<u8> {
    cat(&[b"rq:results:", id.as_bytes()])
}

#[must_use]
pub fn executions(id: &str) -> Vec<u8> {
    cat(&[b"rq:executions:", id.as_bytes()])
}

#[must_use]
pub fn execution(id: &str, execution_id: &str) -> Vec<u8> {
    cat(&[
        b"rq:execution:",
        id.as_bytes(),
        b":",
        execution_id.as_bytes(),
    ])
}

#[must_use]
pub fn worker(name: &str) -> Vec<u8> {
    cat(&[WORKER_PREFIX.as_bytes(), name.as_bytes()])
}

#[must_use]
pub fn worker_name_from_key(key: &[u8]) -> Option<String> {
    key.strip_prefix(WORKER_PREFIX.as_bytes())
        .map(|n| String::from_utf8_lossy(n).into_owned())
}

#[must_use]
pub fn queue_workers(queue: &str) -> Vec<u8> {
    cat(&[b"rq:workers:", queue.as_bytes()])
}

#[must_use]
pub fn pubsub(worker: &str) -> Vec<u8> {
    cat(&[b"rq:pubsub:", worker.as_bytes()])
}

#[must_use]
pub fn group(gid: &str) -> Vec<u8> {
    cat(&[b"rq:group:", gid.as_bytes()])
}

#[must_use]
pub fn clean_registries_lock(queue: &str) -> Vec<u8> {
    cat(&[b"rq:clean_registries:", queue.as_bytes()])
}

#[must_use]
pub fn cron_scheduler(name: &str) -> Vec<u8> {
    cat(&[b"rq:cron_scheduler:", name.as_bytes()])
}

/// The per-queue job registries RQ keeps as sorted sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registry {
    Started,
    Deferred,
    Finished,
    Failed,
    Scheduled,
    Canceled,
}

impl Registry {
    pub const ALL: [Registry; 6] = [
        Registry::Started,
        Registry::Deferred,
        Registry::Finished,
        Registry::Failed,
        Registry::Scheduled,
        Registry::Canceled,
    ];

    /// The key segment RQ uses (`started` lives under `rq:wip:`).
    #[must_use]
    pub fn segment(self) -> &'static str {
        match self {
            Registry::Started => "wip",
            Registry::Deferred => "deferred",
            Registry::Finished => "finished",
            Registry::Failed => "failed",
            Registry::Scheduled => "scheduled",
            Registry::Canceled => "canceled",
        }
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Registry::Started => "started",
            Registry::Deferred => "deferred",
            Registry::Finished => "finished",
            Registry::Failed => "failed",
            Registry::Scheduled => "scheduled",
            Registry::Canceled => "canceled",
        }
    }

    #[must_use]
    pub fn key(self, queue: &str) -> Vec<u8> {
        cat(&[b"rq:", self.segment().as_bytes(), b":", queue.as_bytes()])
    }

    /// Registries whose scores are expiry times that RQ's cleanup removes once past
    /// (`ZREMRANGEBYSCORE 0 now`); a read-only count must leave those out to agree with RQ.
    #[must_use]
    pub fn expires_by_score(self) -> bool {
        matches!(
            self,
            Registry::Started | Registry::Finished | Registry::Failed
        )
    }
}

impl std::str::FromStr for Registry {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "started" | "wip" => Ok(Registry::Started),
            "deferred" => Ok(Registry::Deferred),
            "finished" => Ok(Registry::Finished),
            "failed" => Ok(Registry::Failed),
            "scheduled" => Ok(Registry::Scheduled),
            "canceled" | "cancelled" => Ok(Registry::Canceled),
            other => Err(format!(
                "unknown registry '{other}' (expected started, deferred, finished, failed, scheduled or canceled)"
            )),
        }
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// RQ's built-in scheduler lock for one queue (`rq:scheduler-lock:<q>`, a hyphen, not a colon).
#[must_use]
pub fn scheduler_lock(queue: &str) -> Vec<u8> {
    cat(&[b"rq:scheduler-lock:", queue.as_bytes()])
}

/// RQ 2.10+ built-in scheduler metadata hash (`rq:scheduler:<name>`).
#[must_use]
pub fn scheduler(name: &str) -> Vec<u8> {
    cat(&[b"rq:scheduler:", name.as_bytes()])
}

/// RQ cron's history of the job ids one cron job spawned (2.11+).
#[must_use]
pub fn cron_job_history(name: &str) -> Vec<u8> {
    cat(&[b"rq:cron_job:", name.as_bytes(), b":jobs"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_rq_spelling() {
        assert_eq!(dependencies("a"), b"rq:job::a:dependencies");
        assert_eq!(Registry::Started.key("q:x"), b"rq:wip:q:x");
        assert_eq!(queue_name_from_key(b"rq:queue:a:b").as_deref(), Some("a:b"));
        assert_eq!(queue_name_from_key(b"rq:other"), None);
        assert_eq!(execution("j", "x"), b"rq:execution:j:x");
    }
}
