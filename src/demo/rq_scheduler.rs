//! rq-scheduler 0.14 (§2.17; also what Flask-RQ2 writes): jobs in
//! `rq:scheduler:scheduled_jobs` with their settings in the pickled `meta`, promoted the way
//! `rqscheduler` does it (same id re-added, `repeat` counting down).

use std::collections::HashMap;
use std::time::SystemTime;

use redis::AsyncCommands;

use super::Conn;
use super::K;
use super::cron::next_slot;
use super::jobs::{Call, DEFAULT_TIMEOUT, NewJob};
use super::pickle_out::{self, dict, s};
use super::util::{Rng, ago, epoch_i, ts};
use crate::rq::keys;
use crate::rq::pickle::{self, PyValue};

/// rq-scheduler's jobs: an interval job, a Flask-RQ2-style cron job and a one-off.
pub async fn seed(conn: &mut Conn, rng: &mut Rng) -> redis::RedisResult<()> {
    let now = SystemTime::now();
    let n = epoch_i(now);
    let created = ago(now, 2.0 * 3600.0);
    let mut interval = NewJob::new(
        rng.uuid4(),
        Call::new("app.reports.refresh_dashboard_cache"),
        "default",
        created,
    );
    interval.meta = Some(dict(vec![
        ("interval", PyValue::Int(300)),
        ("repeat", PyValue::Int(10)),
    ]));
    interval.timeout = None;
    interval.result_ttl = Some(-1);
    let mut nightly = NewJob::new(
        "cron-nightly-digest".to_string(),
        Call::new("app.notifications.send_digest").kw("period", s("daily")),
        "emails",
        created,
    );
    nightly.meta = Some(dict(vec![
        ("cron_string", s("0 3 * * *")),
        ("use_local_timezone", PyValue::Bool(false)),
    ]));
    nightly.result_ttl = Some(-1);
    let mut once = NewJob::new(
        rng.uuid4(),
        Call::new("app.billing.close_month").arg(s("2026-11")),
        "high",
        created,
    );
    once.timeout = None;
    let mut pipe = redis::pipe();
    for (job, run_at) in [
        (&mut interval, n + 40),
        (&mut nightly, next_slot(n, 86_400, 3 * 3600)),
        (&mut once, n + 6000),
    ] {
        job.status = "scheduled";
        job.save(&mut pipe);
        pipe.zadd(keys::RQ_SCHEDULER_JOBS, &job.id, run_at);
    }
    pipe.query_async::<()>(conn).await
}

/// One `rqscheduler` pass: enqueue due jobs, re-add periodic ones with their next time.
pub async fn pass(conn: &mut Conn) -> redis::RedisResult<()> {
    let now = SystemTime::now();
    let n = epoch_i(now);
    let due: Vec<String> = conn
        .zrangebyscore_limit(keys::RQ_SCHEDULER_JOBS, 0, n, 0, 20)
        .await?;
    for id in due {
        let hash: HashMap<String, Vec<u8>> = conn.hgetall(K.job(&id)).await?;
        if hash.is_empty() {
            let _: () = conn.zrem(keys::RQ_SCHEDULER_JOBS, &id).await?;
            continue;
        }
        let mut meta = hash.get("meta").and_then(|m| pickle::decode(m).ok());
        let get = |meta: &Option<PyValue>, k: &str| match meta {
            Some(PyValue::Dict(items)) => items
                .iter()
                .find(|(key, _)| key.as_str() == Some(k))
                .map(|(_, v)| v.clone()),
            _ => None,
        };
        let interval = match get(&meta, "interval") {
            Some(PyValue::Int(i)) => Some(i),
            _ => None,
        };
        let repeat = match get(&meta, "repeat") {
            Some(PyValue::Int(r)) => Some(r),
            _ => None,
        };
        let cron = get(&meta, "cron_string").is_some();
        if let (Some(r), Some(PyValue::Dict(items))) = (repeat, meta.as_mut())
            && r > 0
        {
            for (k, v) in items.iter_mut() {
                if k.as_str() == Some("repeat") {
                    *v = PyValue::Int(r - 1);
                }
            }
        }
        let origin = hash
            .get("origin")
            .map(|o| String::from_utf8_lossy(o).into_owned())
            .unwrap_or_else(|| "default".to_string());
        let mut pipe = redis::pipe();
        pipe.sadd(K.queues(), K.queue(&origin));
        pipe.query_async::<()>(&mut *conn).await?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HSET")
            .arg(K.job(&id))
            .arg("status")
            .arg("queued")
            .arg("enqueued_at")
            .arg(ts(now));
        if !hash.contains_key("timeout") {
            pipe.hset(K.job(&id), "timeout", DEFAULT_TIMEOUT);
        }
        if let Some(Ok(bytes)) = meta.as_ref().map(pickle_out::dumps) {
            pipe.hset(K.job(&id), "meta", bytes);
        }
        pipe.rpush(K.queue(&origin), &id);
        pipe.query_async::<()>(&mut *conn).await?;
        let _: () = conn.zrem(keys::RQ_SCHEDULER_JOBS, &id).await?;
        let next = match (interval, cron) {
            _ if repeat == Some(0) || repeat == Some(1) => None,
            (Some(i), _) => Some(n + i),
            (None, true) => Some(next_slot(n, 86_400, 3 * 3600)),
            _ => None,
        };
        if let Some(next) = next {
            let _: () = conn.zadd(keys::RQ_SCHEDULER_JOBS, &id, next).await?;
        }
    }
    Ok(())
}
