//! One RQ cron scheduler (`rq cron app/cron_config.py`, §2.16) that really enqueues its
//! interval and cron jobs, with its heartbeat, `cron_jobs` JSON and job history.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::Conn;
use super::K;
use super::jobs::{Call, DEFAULT_TIMEOUT};
use super::pickle_out::s;
use super::producers::new_job;
use super::util::{Rng, ago, epoch, epoch_i, py_json, ts};
use crate::rq::pickle::PyValue;

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
pub(super) fn next_slot(now: i64, step: i64, offset: i64) -> i64 {
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
        let key = K.cron_scheduler(CRON_NAME);
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
            let history = K.cron_job_history(j.name);
            let mut pipe = redis::pipe();
            pipe.atomic();
            job.enqueue(&mut pipe);
            pipe.zadd(&history, &job.id, epoch(now))
                .zremrangebyrank(&history, 0, -1001)
                .expire(&history, HISTORY_TTL)
                .zadd(K.cron_jobs(), j.name, epoch(now));
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
        pipe.zadd(K.cron_schedulers(), CRON_NAME, epoch(now))
            .expire(K.cron_scheduler(CRON_NAME), CRON_TTL);
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
