//! Periodic work: one RQ cron scheduler (`rq cron app/cron_config.py`, §2.16) that really
//! enqueues its interval and cron jobs, and rq-scheduler entries (§2.17) that it promotes
//! the way `rqscheduler` does (same id re-added, `repeat` counting down).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::AsyncCommands;
use serde::Serialize;

use super::Conn;
use super::jobs::{Call, DEFAULT_TIMEOUT, NewJob};
use super::pickle_out::{self, dict, s};
use super::producers::new_job;
use super::util::{Rng, ago, epoch, epoch_i, py_json, ts};
use crate::rq::keys;
use crate::rq::pickle::{self, PyValue};

const CRON_NAME: &str = "demo-host:4242:a1b2c3";
const CRON_TTL: i64 = 120;
const HISTORY_TTL: i64 = 31_536_000;

/// One entry of the `cron_jobs` JSON, fields in `CronJob.to_dict()` order.
#[derive(Debug, Clone, Serialize)]
struct CronJob {
    func_name: &'static str,
    name: &'static str,
    queue_name: &'static str,
    args: Option<String>,
    kwargs: Option<String>,
    interval: Option<i64>,
    cron: Option<&'static str>,
    latest_enqueue_time: Option<String>,
    next_enqueue_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_timeout: Option<i64>,
    result_ttl: i64,
    #[serde(skip)]
    call: Call,
    #[serde(skip)]
    next: SystemTime,
    #[serde(skip)]
    step: (i64, i64),
}

/// The next time after `now` that is `offset` past a multiple of `step` (enough for
/// `*/15 * * * *` and `0 3 * * *` in UTC).
fn next_slot(now: i64, step: i64, offset: i64) -> i64 {
    ((now - offset).div_euclid(step) + 1) * step + offset
}

fn at(secs_since_epoch: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs_since_epoch).unwrap_or(0))
}

pub struct Cron {
    created: SystemTime,
    jobs: Vec<CronJob>,
}

impl Cron {
    #[must_use]
    pub fn new() -> Self {
        let now = SystemTime::now();
        let n = epoch_i(now);
        let entry =
            |func, name, queue, kwargs: &str, interval, cron, step: (i64, i64), call| CronJob {
                func_name: func,
                name,
                queue_name: queue,
                args: None,
                kwargs: Some(kwargs.to_string()),
                interval,
                cron,
                latest_enqueue_time: None,
                next_enqueue_time: None,
                job_timeout: None,
                result_ttl: 500,
                call,
                next: at(next_slot(n, step.0, step.1)),
                step,
            };
        let mut rates = entry(
            "app.billing.refresh_exchange_rates",
            "refresh-exchange-rates",
            "default",
            r#"{"source": "ecb"}"#,
            Some(60),
            None,
            (60, 0),
            Call::new("app.billing.refresh_exchange_rates").kw("source", s("ecb")),
        );
        let latest = ago(now, 20.0);
        rates.latest_enqueue_time = Some(ts(latest));
        rates.next = latest + Duration::from_secs(60);
        let rollup = entry(
            "app.reports.rollup_metrics",
            "app.reports.rollup_metrics",
            "low",
            r#"{"window": "15m"}"#,
            None,
            Some("*/15 * * * *"),
            (900, 0),
            Call::new("app.reports.rollup_metrics").kw("window", s("15m")),
        );
        let mut purge = entry(
            "app.maintenance.purge_expired_sessions",
            "nightly-session-purge",
            "low",
            r#"{"batch_size": 5000}"#,
            None,
            Some("0 3 * * *"),
            (86_400, 3 * 3600),
            Call::new("app.maintenance.purge_expired_sessions")
                .kw("batch_size", PyValue::Int(5000)),
        );
        purge.job_timeout = Some(3600);
        let mut jobs = vec![rates, rollup, purge];
        for j in &mut jobs {
            j.next_enqueue_time = Some(ts(j.next));
        }
        Self {
            created: ago(now, 37.0 * 60.0 + 12.5),
            jobs,
        }
    }

    async fn save(&self, conn: &mut Conn) -> redis::RedisResult<()> {
        let key = keys::cron_scheduler(CRON_NAME);
        let mut pipe = redis::pipe();
        pipe.cmd("HSET")
            .arg(&key)
            .arg("hostname")
            .arg("demo-host")
            .arg("pid")
            .arg("4242")
            .arg("name")
            .arg(CRON_NAME)
            .arg("created_at")
            .arg(ts(self.created))
            .arg("config_file")
            .arg("app/cron_config.py")
            .arg("cron_jobs")
            .arg(py_json(&self.jobs));
        pipe.expire(&key, CRON_TTL);
        pipe.query_async::<()>(conn).await
    }

    /// `register_birth` for the seed, then the loop body: enqueue what is due, save, heartbeat.
    pub async fn tick(
        &mut self,
        conn: &mut Conn,
        rng: &mut Rng,
        first: bool,
    ) -> redis::RedisResult<()> {
        let now = SystemTime::now();
        let n = epoch_i(now);
        let mut enqueued = first;
        for j in &mut self.jobs {
            if now < j.next {
                continue;
            }
            let mut job = new_job(rng, j.call.clone(), j.queue_name, now);
            job.result_ttl = Some(j.result_ttl);
            job.timeout = Some(j.job_timeout.unwrap_or(DEFAULT_TIMEOUT));
            let history = keys::cron_job_history(j.name);
            let mut pipe = redis::pipe();
            pipe.atomic();
            job.enqueue(&mut pipe);
            pipe.zadd(&history, &job.id, epoch(now))
                .zremrangebyrank(&history, 0, -1001)
                .expire(&history, HISTORY_TTL)
                .zadd(keys::CRON_JOBS, j.name, epoch(now));
            pipe.query_async::<()>(&mut *conn).await?;
            j.latest_enqueue_time = Some(ts(now));
            j.next = match j.interval {
                Some(i) => now + Duration::from_secs(u64::try_from(i).unwrap_or(60)),
                None => at(next_slot(n, j.step.0, j.step.1)),
            };
            j.next_enqueue_time = Some(ts(j.next));
            enqueued = true;
        }
        if enqueued {
            self.save(conn).await?;
        }
        let mut pipe = redis::pipe();
        pipe.zadd(keys::CRON_SCHEDULERS, CRON_NAME, epoch(now))
            .expire(keys::cron_scheduler(CRON_NAME), CRON_TTL);
        let (_, refreshed): (i64, bool) = pipe.query_async(&mut *conn).await?;
        if !refreshed {
            self.save(conn).await?;
        }
        Ok(())
    }
}

impl Default for Cron {
    fn default() -> Self {
        Self::new()
    }
}

/// rq-scheduler's jobs: an interval job, a Flask-RQ2-style cron job and a one-off.
pub async fn seed_rq_scheduler(conn: &mut Conn, rng: &mut Rng) -> redis::RedisResult<()> {
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
pub async fn rq_scheduler_pass(conn: &mut Conn) -> redis::RedisResult<()> {
    let now = SystemTime::now();
    let n = epoch_i(now);
    let due: Vec<String> = conn
        .zrangebyscore_limit(keys::RQ_SCHEDULER_JOBS, 0, n, 0, 20)
        .await?;
    for id in due {
        let hash: HashMap<String, Vec<u8>> = conn.hgetall(keys::job(&id)).await?;
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
        pipe.sadd(keys::QUEUES, keys::queue(&origin));
        pipe.query_async::<()>(&mut *conn).await?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HSET")
            .arg(keys::job(&id))
            .arg("status")
            .arg("queued")
            .arg("enqueued_at")
            .arg(ts(now));
        if !hash.contains_key("timeout") {
            pipe.hset(keys::job(&id), "timeout", DEFAULT_TIMEOUT);
        }
        if let Some(Ok(bytes)) = meta.as_ref().map(pickle_out::dumps) {
            pipe.hset(keys::job(&id), "meta", bytes);
        }
        pipe.rpush(keys::queue(&origin), &id);
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
