//! RQ's built-in scheduler (`rq worker --with-scheduler`): its locks and metadata hashes,
//! jobs in `rq:scheduled:<q>` and their promotion when due (§2.14); also the canceled jobs
//! an operator left behind.

use std::time::SystemTime;

use redis::AsyncCommands;

use super::Conn;
use super::K;
use super::catalog;
use super::jobs::NewJob;
use super::producers::new_job;
use super::util::{Rng, ago, epoch_i, secs, ts};
use crate::rq::keys::Registry;

/// `interval + 60` with the default interval of 1 s.
const LOCK_TTL: i64 = 61;

/// One scheduler process, forked by a worker started with `--with-scheduler`.
struct Scheduler {
    name: String,
    hostname: &'static str,
    pid: i64,
    /// The worker's queues (the hash's `queues` field) and the locks it won.
    queues: &'static [&'static str],
    locks: &'static [&'static str],
    created: SystemTime,
}

pub struct Schedules {
    procs: Vec<Scheduler>,
}

impl Schedules {
    #[must_use]
    pub fn new(rng: &mut Rng) -> Self {
        let now = SystemTime::now();
        // high-1 locks high and default; default-1 gets only low; emails-1 locks emails.
        let specs: [(&str, &[&str], &[&str]); 3] = [
            (
                "jobs-high-7c9f5d8b6-kx2lp",
                &["high", "default"],
                &["high", "default"],
            ),
            (
                "jobs-default-5b6d9c7f4-m2n7c",
                &["default", "low"],
                &["low"],
            ),
            ("jobs-mail-6f8b7d5c9-h4t2d", &["emails"], &["emails"]),
        ];
        let procs = specs
            .into_iter()
            .map(|(hostname, queues, locks)| Scheduler {
                name: rng.hex32(),
                hostname,
                pid: rng.range(95, 400),
                queues,
                locks,
                created: ago(now, rng.float(3.0 * 3600.0, 20.0 * 3600.0)),
            })
            .collect();
        Self { procs }
    }

    /// Jobs due in 30 s to 2 h, and a few canceled ones.
    pub async fn seed(&mut self, conn: &mut Conn, rng: &mut Rng) -> redis::RedisResult<()> {
        let now = SystemTime::now();
        let plan: [(&str, f64); 7] = [
            ("default", 30.0),
            ("emails", 45.0),
            ("high", 15.0 * 60.0),
            ("emails", 20.0 * 60.0),
            ("low", 3600.0),
            ("default", 2.0 * 3600.0),
            ("high", 95.0),
        ];
        let mut pipe = redis::pipe();
        for (queue, due) in plan {
            let call = if queue == "emails" {
                catalog::email(rng, "trial_ending")
            } else {
                catalog::call_for(rng, queue)
            };
            let created = ago(now, rng.float(60.0, 1800.0));
            let mut job = NewJob::new(rng.uuid4(), call, queue, created);
            job.status = "scheduled";
            job.schedule(&mut pipe, now + secs(due));
        }
        for queue in ["default", "emails", "high"] {
            let created = ago(now, rng.float(600.0, 5400.0));
            let call = catalog::call_for(rng, queue);
            let mut job = new_job(rng, call, queue, created);
            job.status = "canceled";
            job.enqueue(&mut pipe);
            // `Job.cancel()`: status, LREM from the queue, ZADD the cancel time.
            pipe.lrem(K.queue(queue), 1, &job.id);
            let canceled = ago(now, rng.float(30.0, 500.0));
            pipe.zadd(
                K.registry(Registry::Canceled, queue),
                &job.id,
                epoch_i(canceled),
            );
        }
        pipe.query_async::<()>(&mut *conn).await?;
        self.tick(conn).await
    }

    /// Heartbeat and lock refresh, then promote due jobs (the scheduler runs every second).
    pub async fn tick(&mut self, conn: &mut Conn) -> redis::RedisResult<()> {
        let now = SystemTime::now();
        for p in &self.procs {
            let key = K.scheduler(&p.name);
            let mut pipe = redis::pipe();
            for q in p.locks {
                pipe.cmd("SET")
                    .arg(K.scheduler_lock(q))
                    .arg(&p.name)
                    .arg("EX")
                    .arg(LOCK_TTL)
                    .ignore();
            }
            pipe.atomic()
                .cmd("HSET")
                .arg(&key)
                .arg("name")
                .arg(&p.name)
                .arg("hostname")
                .arg(p.hostname)
                .arg("pid")
                .arg(p.pid.to_string())
                .arg("queues")
                .arg(p.queues.join(","))
                .arg("created_at")
                .arg(ts(p.created))
                .arg("last_heartbeat")
                .arg(ts(now));
            pipe.expire(&key, LOCK_TTL);
            pipe.query_async::<()>(&mut *conn).await?;
            for q in p.locks {
                promote_due(conn, q, now).await?;
            }
        }
        Ok(())
    }
}

/// `ZRANGEBYSCORE rq:scheduled:<q> 0 <now>`, then per job one MULTI: status queued,
/// `enqueued_at`, RPUSH, ZREM. A job whose hash is gone is dropped without a word.
async fn promote_due(conn: &mut Conn, queue: &str, now: SystemTime) -> redis::RedisResult<()> {
    let registry = K.registry(Registry::Scheduled, queue);
    let due: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(&registry)
        .arg(0)
        .arg(epoch_i(now))
        .arg("LIMIT")
        .arg(0)
        .arg(100)
        .query_async(&mut *conn)
        .await?;
    for id in due {
        let exists: bool = conn.exists(K.job(&id)).await?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        if exists {
            pipe.cmd("HSET")
                .arg(K.job(&id))
                .arg("status")
                .arg("queued")
                .arg("enqueued_at")
                .arg(ts(now));
            pipe.rpush(K.queue(queue), &id);
        }
        pipe.zrem(&registry, &id);
        pipe.query_async::<()>(&mut *conn).await?;
    }
    Ok(())
}
