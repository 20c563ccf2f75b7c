//! Every RQ key name, built by byte concatenation (ids and queue names are arbitrary bytes)
//! under one prefix: `rq`, or RQ 3.0's `RQ_KEY_PREFIX`. A `Keys` value is built once and
//! passed down; no other module spells a literal `rq:` key.

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

/// The key names of one RQ deployment: every key starts with `<prefix>:` (`rq` unless RQ
/// 3.0's `RQ_KEY_PREFIX` says otherwise). rq-scheduler's keys keep `rq:` whatever the prefix,
/// as rq-scheduler itself does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The prefix with its separator, e.g. `rq:`.
    p: String,
}

impl Default for Keys {
    fn default() -> Self {
        Self { p: "rq:".into() }
    }
}

/// rq-scheduler's sorted set of scheduled jobs (never prefixed).
pub const RQ_SCHEDULER_JOBS: &str = "rq:scheduler:scheduled_jobs";

impl Keys {
    /// Keys under `prefix`, validated as RQ 3.0 validates `RQ_KEY_PREFIX`: letters, digits
    /// and `_ . : - { }`, not empty.
    pub fn new(prefix: &str) -> Result<Self, String> {
        let ok = !prefix.is_empty()
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:{}-".contains(c));
        if ok {
            Ok(Self {
                p: format!("{prefix}:"),
            })
        } else {
            Err(format!(
                "invalid key prefix '{prefix}': only letters, digits, and _ . : - {{ }} are allowed (as RQ's RQ_KEY_PREFIX)"
            ))
        }
    }

    /// The prefix as RQ_KEY_PREFIX holds it (`rq`).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.p[..self.p.len() - 1]
    }

    /// The prefix with its separator (`rq:`), as the Lua scripts take it.
    #[must_use]
    pub fn with_colon(&self) -> &str {
        &self.p
    }

    fn k(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut out = self.p.as_bytes().to_vec();
        for p in parts {
            out.extend_from_slice(p);
        }
        out
    }

    #[must_use]
    pub fn queues(&self) -> Vec<u8> {
        self.k(&[b"queues"])
    }

    #[must_use]
    pub fn workers(&self) -> Vec<u8> {
        self.k(&[b"workers"])
    }

    #[must_use]
    pub fn suspended(&self) -> Vec<u8> {
        self.k(&[b"suspended"])
    }

    #[must_use]
    pub fn queue(&self, name: &str) -> Vec<u8> {
        self.k(&[b"queue:", &name_bytes(name)])
    }

    #[must_use]
    pub fn intermediate(&self, name: &str) -> Vec<u8> {
        self.k(&[b"queue:", &name_bytes(name), b":intermediate"])
    }

    /// The queue name from a member of `<p>:queues` (strip the prefix; the name may hold `:`).
    #[must_use]
    pub fn queue_name_from_key(&self, key: &[u8]) -> Option<String> {
        key.strip_prefix(self.queue("").as_slice())
            .map(name_from_bytes)
    }

    #[must_use]
    pub fn job(&self, id: &str) -> Vec<u8> {
        self.k(&[b"job:", &name_bytes(id)])
    }

    #[must_use]
    pub fn dependents(&self, id: &str) -> Vec<u8> {
        self.k(&[b"job:", &name_bytes(id), b":dependents"])
    }

    /// The double colon is real: RQ builds it as the job prefix, `:`, then the id.
    #[must_use]
    pub fn dependencies(&self, id: &str) -> Vec<u8> {
        self.k(&[b"job::", &name_bytes(id), b":dependencies"])
    }

    #[must_use]
    pub fn results(&self, id: &str) -> Vec<u8> {
        self.k(&[b"results:", &name_bytes(id)])
    }

    #[must_use]
    pub fn executions(&self, id: &str) -> Vec<u8> {
        self.k(&[b"executions:", &name_bytes(id)])
    }

    #[must_use]
    pub fn execution(&self, id: &str, execution_id: &str) -> Vec<u8> {
        self.k(&[
            b"execution:",
            &name_bytes(id),
            b":",
            &name_bytes(execution_id),
        ])
    }

    #[must_use]
    pub fn worker(&self, name: &str) -> Vec<u8> {
        self.k(&[b"worker:", &name_bytes(name)])
    }

    /// RQ 3.0's index of a worker's running executions (`<id>:<execution id>` members).
    #[must_use]
    pub fn worker_executions(&self, name: &str) -> Vec<u8> {
        self.k(&[b"worker:", &name_bytes(name), b":executions"])
    }

    #[must_use]
    pub fn worker_name_from_key(&self, key: &[u8]) -> Option<String> {
        key.strip_prefix(self.worker("").as_slice())
            .map(name_from_bytes)
    }

    #[must_use]
    pub fn queue_workers(&self, queue: &str) -> Vec<u8> {
        self.k(&[b"workers:", &name_bytes(queue)])
    }

    #[must_use]
    pub fn pubsub(&self, worker: &str) -> Vec<u8> {
        self.k(&[b"pubsub:", &name_bytes(worker)])
    }

    #[must_use]
    pub fn group(&self, gid: &str) -> Vec<u8> {
        self.k(&[b"group:", &name_bytes(gid)])
    }

    #[must_use]
    pub fn clean_registries_lock(&self, queue: &str) -> Vec<u8> {
        self.k(&[b"clean_registries:", &name_bytes(queue)])
    }

    #[must_use]
    pub fn cron_schedulers(&self) -> Vec<u8> {
        self.k(&[b"cron_schedulers"])
    }

    #[must_use]
    pub fn cron_scheduler(&self, name: &str) -> Vec<u8> {
        self.k(&[b"cron_scheduler:", &name_bytes(name)])
    }

    #[must_use]
    pub fn cron_jobs(&self) -> Vec<u8> {
        self.k(&[b"cron_jobs"])
    }

    /// RQ cron's history of the job ids one cron job spawned (2.11+).
    #[must_use]
    pub fn cron_job_history(&self, name: &str) -> Vec<u8> {
        self.k(&[b"cron_job:", &name_bytes(name), b":jobs"])
    }

    /// RQ's built-in scheduler lock for one queue (`<p>:scheduler-lock:<q>`, a hyphen).
    #[must_use]
    pub fn scheduler_lock(&self, queue: &str) -> Vec<u8> {
        self.k(&[b"scheduler-lock:", &name_bytes(queue)])
    }

    /// RQ 2.10+ built-in scheduler metadata hash (`<p>:scheduler:<name>`).
    #[must_use]
    pub fn scheduler(&self, name: &str) -> Vec<u8> {
        self.k(&[b"scheduler:", &name_bytes(name)])
    }

    /// A per-queue registry (`started` lives under `<p>:wip:`).
    #[must_use]
    pub fn registry(&self, registry: Registry, queue: &str) -> Vec<u8> {
        self.k(&[registry.segment().as_bytes(), b":", &name_bytes(queue)])
    }

    /// RQ 3.0 rate limits: the set of rate-limit keys in use.
    #[must_use]
    pub fn rate_limit_keys(&self) -> Vec<u8> {
        self.k(&[b"rl-keys"])
    }

    /// RQ 3.0: one rate limit's settings (hash with `concurrency`).
    #[must_use]
    pub fn rate_limit(&self, key: &str) -> Vec<u8> {
        self.k(&[b"rl:", &name_bytes(key)])
    }

    /// RQ 3.0: the jobs holding one of a rate limit's slots (zset, admission time).
    #[must_use]
    pub fn rate_limit_allowed(&self, key: &str) -> Vec<u8> {
        self.k(&[b"rl:", &name_bytes(key), b":allowed"])
    }

    /// RQ 3.0: the jobs waiting for a slot (zset, time of entry).
    #[must_use]
    pub fn rate_limited(&self, key: &str) -> Vec<u8> {
        self.k(&[b"rl:", &name_bytes(key), b":rate_limited"])
    }
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
    /// RQ 3.0: dependents whose parents finished, about to be enqueued.
    Ready,
}

impl Registry {
    pub const ALL: [Registry; 7] = [
        Registry::Started,
        Registry::Deferred,
        Registry::Finished,
        Registry::Failed,
        Registry::Scheduled,
        Registry::Canceled,
        Registry::Ready,
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
            Registry::Ready => "ready",
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
            Registry::Ready => "ready",
        }
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
            "ready" => Ok(Registry::Ready),
            other => Err(format!(
                "unknown registry '{other}' (expected started, deferred, finished, failed, scheduled, canceled or ready)"
            )),
        }
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
        assert_eq!(
            Keys::default().queue(&name_from_bytes(&[0xff, b'a'])),
            b"rq:queue:\xffa"
        );
    }

    #[test]
    fn keys_are_rq_spelling() {
        let k = Keys::default();
        assert_eq!(k.dependencies("a"), b"rq:job::a:dependencies");
        assert_eq!(k.registry(Registry::Started, "q:x"), b"rq:wip:q:x");
        assert_eq!(
            k.queue_name_from_key(b"rq:queue:a:b").as_deref(),
            Some("a:b")
        );
        assert_eq!(k.queue_name_from_key(b"rq:other"), None);
        assert_eq!(k.execution("j", "x"), b"rq:execution:j:x");
        assert_eq!(k.worker_executions("w"), b"rq:worker:w:executions");
        assert_eq!(k.rate_limited("stripe"), b"rq:rl:stripe:rate_limited");
    }

    #[test]
    fn prefixes_are_validated_as_rq_does() {
        let k = Keys::new("myapp").unwrap();
        assert_eq!(k.queues(), b"myapp:queues");
        assert_eq!(k.queue("q"), b"myapp:queue:q");
        assert_eq!(k.prefix(), "myapp");
        // RQ adds the separator itself: a trailing colon doubles it.
        assert_eq!(Keys::new("a:").unwrap().queues(), b"a::queues");
        assert_eq!(
            Keys::new("{tenant}.x-1").unwrap().job("j"),
            b"{tenant}.x-1:job:j"
        );
        for bad in ["", "a b", "a*", "rq/x", "é"] {
            assert!(Keys::new(bad).is_err(), "{bad:?}");
        }
    }
}
