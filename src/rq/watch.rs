//! Keyspace notifications: which part of the picture a changed key makes stale, and the
//! subscription that delivers them. Events only say *what* is dirty; readers refetch.

use futures_util::{Stream, StreamExt};

use super::client::RqClient;
use super::error::{Error, Result};
use super::keys::Keys;
use super::reply;

/// What a changed key makes stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dirty {
    /// Queue counts, workers, suspension.
    pub overview: bool,
    /// A page of jobs (queue lists, registries, job hashes).
    pub jobs: bool,
    pub schedules: bool,
    /// One job whose hash, results or executions changed.
    pub job: Option<String>,
}

impl Dirty {
    #[must_use]
    pub fn all() -> Self {
        Self {
            overview: true,
            jobs: true,
            schedules: true,
            job: None,
        }
    }

    /// Adds `other` into `self`; two different jobs make every job stale.
    pub fn merge(&mut self, other: Dirty) {
        self.overview |= other.overview;
        self.jobs |= other.jobs;
        self.schedules |= other.schedules;
        match (&self.job, other.job) {
            (_, None) => {}
            (None, Some(j)) => self.job = Some(j),
            (Some(a), Some(b)) if *a == b => {}
            (Some(_), Some(_)) => self.jobs = true,
        }
    }

    #[must_use]
    pub fn is_clean(&self) -> bool {
        !self.overview && !self.jobs && !self.schedules && self.job.is_none()
    }
}

/// The keyspace channel pattern for RQ's keys in `db` (the prefix holds no glob
/// characters: `Keys::new` allows none).
#[must_use]
pub fn pattern(db: i64, keys: &Keys) -> String {
    format!("__keyspace@{db}__:{}*", keys.with_colon())
}

/// Classifies a keyspace channel name (`__keyspace@0__:rq:queue:default`) of RQ's keys.
#[must_use]
pub fn classify(channel: &str, keys: &Keys) -> Dirty {
    let Some(key) = channel.split_once("__:").map(|(_, k)| k) else {
        return Dirty::default();
    };
    if key.starts_with(super::keys::RQ_SCHEDULER_JOBS) {
        return Dirty {
            schedules: true,
            ..Dirty::default()
        };
    }
    let Some(rest) = key.strip_prefix(keys.with_colon()) else {
        return Dirty::default();
    };
    let (head, tail) = rest.split_once(':').unwrap_or((rest, ""));
    let mut d = Dirty::default();
    match head {
        "queue" | "queues" | "wip" | "finished" | "failed" | "deferred" | "canceled" | "ready"
        | "rl" | "rl-keys" => {
            d.overview = true;
            d.jobs = true;
        }
        "worker" | "workers" | "suspended" => d.overview = true,
        "scheduled" => {
            d.overview = true;
            d.jobs = true;
            d.schedules = true;
        }
        "scheduler" | "cron_schedulers" | "cron_scheduler" | "cron_jobs" | "cron_job" => {
            d.schedules = true;
        }
        "job" => {
            // rq:job:<id>, rq:job:<id>:dependents, rq:job::<id>:dependencies
            let id = tail.trim_start_matches(':');
            let id = id
                .strip_suffix(":dependents")
                .or_else(|| id.strip_suffix(":dependencies"))
                .unwrap_or(id);
            d.job = Some(id.to_string());
        }
        "results" | "executions" => d.job = Some(tail.to_string()),
        "execution" => d.job = tail.rsplit_once(':').map(|(id, _)| id.to_string()),
        _ => {}
    }
    d
}

impl RqClient {
    /// Subscribes to keyspace events of RQ's keys on this client's db, on a connection of
    /// its own. The stream yields channel names and ends when the connection does.
    pub async fn subscribe(&self) -> Result<impl Stream<Item = String> + Send + use<>> {
        let mut pubsub = self
            .redis_client()
            .get_async_pubsub()
            .await
            .map_err(|e| Error::redis("subscribe", &e))?;
        pubsub
            .psubscribe(pattern(self.db(), &self.keys))
            .await
            .map_err(|e| Error::redis("subscribe", &e))?;
        if !super::keys::RQ_SCHEDULER_JOBS.starts_with(self.keys.with_colon()) {
            // rq-scheduler keeps `rq:` under any other prefix.
            pubsub
                .psubscribe(format!(
                    "__keyspace@{}__:{}",
                    self.db(),
                    super::keys::RQ_SCHEDULER_JOBS
                ))
                .await
                .map_err(|e| Error::redis("subscribe", &e))?;
        }
        Ok(pubsub
            .into_on_message()
            .map(|m| m.get_channel_name().to_string()))
    }

    /// Adds the flags rqtop needs to `notify-keyspace-events`, keeping those already set.
    /// Returns the new flags.
    pub async fn enable_events(&mut self) -> Result<String> {
        let got = self
            .cmd(
                "CONFIG GET",
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg("notify-keyspace-events")
                    .clone(),
            )
            .await?;
        let current = reply::members(&got)
            .get(1)
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .unwrap_or_default();
        let mut flags = current.clone();
        for c in super::overview::NEEDED_EVENT_FLAGS.chars() {
            let covered_by_all = flags.contains('A') && c != 'K' && c != 'E';
            if !flags.contains(c) && !covered_by_all {
                flags.push(c);
            }
        }
        if flags != current {
            self.cmd(
                "CONFIG SET",
                redis::cmd("CONFIG")
                    .arg("SET")
                    .arg("notify-keyspace-events")
                    .arg(&flags)
                    .clone(),
            )
            .await?;
        }
        Ok(flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_mark_what_they_touch() {
        let keys = Keys::default();
        let c = |k: &str| classify(&format!("__keyspace@0__:{k}"), &keys);
        assert!(c("rq:queue:default").overview && c("rq:queue:default").jobs);
        assert!(!c("rq:worker:w1").jobs && c("rq:worker:w1").overview);
        assert_eq!(c("rq:job:abc").job.as_deref(), Some("abc"));
        assert_eq!(c("rq:job::abc:dependencies").job.as_deref(), Some("abc"));
        assert_eq!(c("rq:job:abc:dependents").job.as_deref(), Some("abc"));
        assert_eq!(c("rq:execution:abc:0123").job.as_deref(), Some("abc"));
        assert!(c("rq:scheduler:scheduled_jobs").schedules);
        assert!(c("rq:cron_scheduler:h:1:abc").schedules);
        assert!(c("other:key").is_clean());
        assert!(classify("garbage", &keys).is_clean());
        assert!(c("rq:ready:q").jobs && c("rq:rl:stripe:rate_limited").overview);
    }

    #[test]
    fn a_custom_prefix_is_followed() {
        let keys = Keys::new("myapp").unwrap();
        let c = |k: &str| classify(&format!("__keyspace@0__:{k}"), &keys);
        assert!(c("myapp:queue:default").overview);
        assert!(
            c("rq:queue:default").is_clean(),
            "another deployment's keys"
        );
        assert!(
            c("rq:scheduler:scheduled_jobs").schedules,
            "rq-scheduler keeps rq:"
        );
        assert_eq!(pattern(2, &keys), "__keyspace@2__:myapp:*");
    }

    #[test]
    fn merging_two_jobs_marks_the_page() {
        let mut d = Dirty {
            job: Some("a".into()),
            ..Dirty::default()
        };
        d.merge(Dirty {
            job: Some("b".into()),
            ..Dirty::default()
        });
        assert!(d.jobs);
    }
}
