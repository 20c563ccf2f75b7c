//! The reads `rqctl check` needs beyond the overview: recent failures from the failed
//! registries' scores, and since when workers are suspended. Read-only, one command or
//! one pipeline each.

use super::client::RqClient;
use super::error::Result;
use super::keys::Registry;
use super::model::Timestamp;
use super::reply;

/// What `rq:suspended` says about when the suspension began.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SuspendedSince {
    /// Not suspended.
    No,
    /// `rqctl suspend` writes the UNIX time it suspended (workers only check that the key
    /// exists, so any value suspends them).
    At(Timestamp),
    /// RQ's `rq suspend` writes `1`: suspended, since an unknown time.
    Unknown,
}

impl RqClient {
    /// Per queue, the failed-registry entries scored at or after `from_score` (RQ scores a
    /// failed job with its failure time plus its failure_ttl). One pipeline.
    pub async fn failed_scored_since(
        &mut self,
        queues: &[String],
        from_score: f64,
    ) -> Result<Vec<u64>> {
        let mut pipe = redis::pipe();
        for q in queues {
            pipe.cmd("ZCOUNT")
                .arg(self.keys.registry(Registry::Failed, q))
                .arg(from_score)
                .arg("+inf");
        }
        let replies = self.pipeline("count recent failures", pipe).await?;
        Ok(replies
            .iter()
            .map(|v| {
                reply::int(v)
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0)
            })
            .collect())
    }

    /// Since when workers are suspended, from the value of `rq:suspended`.
    pub async fn suspended_since(&mut self) -> Result<SuspendedSince> {
        let v = self
            .cmd(
                "read suspension",
                redis::cmd("GET").arg(self.keys.suspended()).clone(),
            )
            .await?;
        if matches!(v, redis::Value::Nil) {
            return Ok(SuspendedSince::No);
        }
        Ok(reply::text(&v)
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|secs| *secs > 1_000_000_000.0)
            .and_then(Timestamp::from_unix)
            .map_or(SuspendedSince::Unknown, SuspendedSince::At))
    }
}
