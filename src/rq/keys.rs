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

/// Where bytes that are not UTF-8 go in a name: U+10FF00 + the byte (private use, plane 16).
const RAW_BASE: u32 = 0x10_ff00;

/// A queue, worker or job name as RQ stores it (arbitrary bytes) turned into a `String`
/// that gives the same bytes back through `name_bytes`: valid UTF-8 stays as it is; each
/// byte that is not, and each byte of a character that itself lies in U+10FF00..=U+10FFFF,
/// becomes U+10FF00 + the byte. A lossy decoding would name another key (`�` is not the
/// byte it replaced) and show an existing queue as empty.
#[must_use]
pub fn name_from_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let raw = |out: &mut String, b: u8| {
        out.push(char::from_u32(RAW_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER));
    };
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if (c as u32) >= RAW_BASE {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    raw(&mut out, b);
                }
            } else {
                out.push(c);
            }
        }
        for &b in chunk.invalid() {
            raw(&mut out, b);
        }
    }
    out
}

/// The bytes a name from `name_from_bytes` stands for.
#[must_use]
pub fn name_bytes(name: &str) -> std::borrow::Cow<'_, [u8]> {
    if !name.chars().any(|c| (c as u32) >= RAW_BASE) {
        return std::borrow::Cow::Borrowed(name.as_bytes());
    }
    let mut out = Vec::with_capacity(name.len());
    for c in name.chars() {
        match (c as u32).checked_sub(RAW_BASE) {
            Some(b) => out.push(u8::try_from(b).unwrap_or(b'?')),
            None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[must_use]
pub fn queue(name: &str) -> Vec<u8> {
    cat(&[QUEUE_PREFIX.as_bytes(), &name_bytes(name)])
}

#[must_use]
pub fn intermediate(name: &str) -> Vec<u8> {
    cat(&[QUEUE_PREFIX.as_bytes(), &name_bytes(name), b":intermediate"])
}

/// The queue name from a member of `rq:queues` (strip the prefix; the name may hold `:`).
#[must_use]
pub fn queue_name_from_key(key: &[u8]) -> Option<String> {
    key.strip_prefix(QUEUE_PREFIX.as_bytes())
        .map(name_from_bytes)
}

#[must_use]
pub fn job(id: &str) -> Vec<u8> {
    cat(&[b"rq:job:", &name_bytes(id)])
}

#[must_use]
pub fn dependents(id: &str) -> Vec<u8> {
    cat(&[b"rq:job:", &name_bytes(id), b":dependents"])
}

/// The double colon is real: RQ builds it as the job prefix, `:`, then the id.
#[must_use]
pub fn dependencies(id: &str) -> Vec<u8> {
    cat(&[b"rq:job::", &name_bytes(id), b":dependencies"])
}

#[must_use]
pub fn results(id: &str) -> Vec<u8> {
    cat(&[b"rq:results:", &name_bytes(id)])
}

#[must_use]
pub fn executions(id: &str) -> Vec<u8> {
    cat(&[b"rq:executions:", &name_bytes(id)])
}

#[must_use]
pub fn execution(id: &str, execution_id: &str) -> Vec<u8> {
    cat(&[
        b"rq:execution:",
        &name_bytes(id),
        b":",
        &name_bytes(execution_id),
    ])
}

#[must_use]
pub fn worker(name: &str) -> Vec<u8> {
    cat(&[WORKER_PREFIX.as_bytes(), &name_bytes(name)])
}

#[must_use]
pub fn worker_name_from_key(key: &[u8]) -> Option<String> {
    key.strip_prefix(WORKER_PREFIX.as_bytes())
        .map(name_from_bytes)
}

#[must_use]
pub fn queue_workers(queue: &str) -> Vec<u8> {
    cat(&[b"rq:workers:", &name_bytes(queue)])
}

#[must_use]
pub fn pubsub(worker: &str) -> Vec<u8> {
    cat(&[b"rq:pubsub:", &name_bytes(worker)])
}

#[must_use]
pub fn group(gid: &str) -> Vec<u8> {
    cat(&[b"rq:group:", &name_bytes(gid)])
}

#[must_use]
pub fn clean_registries_lock(queue: &str) -> Vec<u8> {
    cat(&[b"rq:clean_registries:", &name_bytes(queue)])
}

#[must_use]
pub fn cron_scheduler(name: &str) -> Vec<u8> {
    cat(&[b"rq:cron_scheduler:", &name_bytes(name)])
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
        cat(&[b"rq:", self.segment().as_bytes(), b":", &name_bytes(queue)])
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
    cat(&[b"rq:scheduler-lock:", &name_bytes(queue)])
}

/// RQ 2.10+ built-in scheduler metadata hash (`rq:scheduler:<name>`).
#[must_use]
pub fn scheduler(name: &str) -> Vec<u8> {
    cat(&[b"rq:scheduler:", &name_bytes(name)])
}

/// RQ cron's history of the job ids one cron job spawned (2.11+).
#[must_use]
pub fn cron_job_history(name: &str) -> Vec<u8> {
    cat(&[b"rq:cron_job:", &name_bytes(name), b":jobs"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_bytes() {
        for bytes in [
            b"plain".to_vec(),
            vec![0xff, 0xfe, b'q'],
            "caf\u{e9}".as_bytes().to_vec(),
            "\u{10ff41}x".as_bytes().to_vec(),
            vec![0xf4, 0x8f, 0xbf],
            vec![],
        ] {
            let name = name_from_bytes(&bytes);
            assert_eq!(&*name_bytes(&name), bytes.as_slice(), "{name:?}");
        }
        assert_eq!(queue(&name_from_bytes(&[0xff, b'a'])), b"rq:queue:\xffa");
    }

    #[test]
    fn keys_are_rq_spelling() {
        assert_eq!(dependencies("a"), b"rq:job::a:dependencies");
        assert_eq!(Registry::Started.key("q:x"), b"rq:wip:q:x");
        assert_eq!(queue_name_from_key(b"rq:queue:a:b").as_deref(), Some("a:b"));
        assert_eq!(queue_name_from_key(b"rq:other"), None);
        assert_eq!(execution("j", "x"), b"rq:execution:j:x");
    }
}
