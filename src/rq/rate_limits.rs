//! RQ 3.0 rate limits, read along with the overview: each key's concurrency, the slots held
//! and the jobs waiting (with the oldest), and for a bounded number of waiting jobs their
//! queue, so the queue table can say how many of its jobs wait for a slot. Nothing here
//! writes (RQ's maintenance would drop keys whose sets are empty; a read leaves them).

use redis::Value;

use super::keys::Keys;
use super::model::{RateLimitInfo, Timestamp};
use super::reply::{self, Replies};

/// Waiting ids whose queue is read, over all keys: the per-queue counts are exact up to
/// this many waiting jobs and lower bounds beyond (the per-key counts are always exact).
pub(crate) const ORIGINS_READ: usize = 2_000;

/// Queues the commands of the second round trip for every rate-limit key: with up to `ids`
/// waiting ids over all keys (at least each key's oldest).
pub(crate) fn read(pipe: &mut redis::Pipeline, keys: &Keys, names: &[String], ids: usize) {
    let per_key = ids / names.len().max(1);
    for k in names {
        pipe.cmd("HGET").arg(keys.rate_limit(k)).arg("concurrency");
        pipe.cmd("ZCARD").arg(keys.rate_limit_allowed(k));
        pipe.cmd("ZCARD").arg(keys.rate_limited(k));
        pipe.cmd("ZRANGE")
            .arg(keys.rate_limited(k))
            .arg(0)
            .arg(per_key.max(1) - 1)
            .arg("WITHSCORES");
    }
}

/// The replies of `read`, in order: the keys and the waiting ids read.
pub(crate) fn parse(r: &mut Replies, names: &[String]) -> (Vec<RateLimitInfo>, Vec<String>) {
    let mut infos = Vec::with_capacity(names.len());
    let mut waiting_ids = Vec::new();
    let count = |v: &Value| {
        reply::int(v)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0)
    };
    for k in names {
        let concurrency = reply::int(&r.next()).and_then(|n| u64::try_from(n).ok());
        let allowed = count(&r.next());
        let waiting = count(&r.next());
        let listed = reply::scored(&r.next());
        let oldest_waiting_since = listed.first().and_then(|(_, s)| Timestamp::from_unix(*s));
        waiting_ids.extend(listed.iter().map(|(m, _)| super::keys::name_from_bytes(m)));
        infos.push(RateLimitInfo {
            key: k.clone(),
            concurrency,
            allowed,
            waiting,
            oldest_waiting_since,
        });
    }
    (infos, waiting_ids)
}
