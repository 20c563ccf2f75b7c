//! Simulated RQ 2.12 workers: birth, dequeue (LMOVE for one queue, LPOP in order for
//! several), the preparation MULTI, heartbeats, suspension, warm shutdown and a restart by
//! the "supervisor". How a job ends is in `outcome.rs`.

use std::collections::HashMap;
use std::time::SystemTime;

use redis::AsyncCommands;

use super::Conn;
use super::K;
use super::catalog;
use super::util::{Rng, epoch_f, epoch_i, py_float, secs, ts};
use crate::rq::decode;
use crate::rq::keys::Registry;

pub const RQ_VERSION: &str = "2.12.0";
pub const PYTHON_VERSION: &str = "3.11.9 (main, Aug 13 2024, 02:18:20) [GCC 12.2.0]";
/// `worker_ttl + 60` (idle) and `job_monitoring_interval + 60` (busy), as RQ sets them.
pub(super) const IDLE_TTL: i64 = 480;
const BUSY_TTL: i64 = 90;
const BEAT_EVERY: f64 = 30.0;

/// name, queues, hostname
const SPECS: [(&str, &[&str], &str); 6] = [
    ("high-1", &["high", "default"], "jobs-high-7c9f5d8b6-kx2lp"),
    ("high-2", &["high", "default"], "jobs-high-7c9f5d8b6-q8wzt"),
    (
        "default-1",
        &["default", "low"],
        "jobs-default-5b6d9c7f4-m2n7c",
    ),
    (
        "default-2",
        &["default", "low"],
        "jobs-default-5b6d9c7f4-vx9rj",
    ),
    ("emails-1", &["emails"], "jobs-mail-6f8b7d5c9-h4t2d"),
    ("batch-1", &["low"], "jobs-batch-84c6f9b7d-zp5ws"),
];

/// The simulated workers that listen on `queue`.
#[must_use]
pub fn serving(queue: &str) -> Vec<&'static str> {
    SPECS
        .iter()
        .filter(|(_, queues, _)| queues.contains(&queue))
        .map(|(name, _, _)| *name)
        .collect()
}

/// The job a worker is running.
#[derive(Debug, Clone)]
pub struct Running {
    pub id: String,
    pub queue: String,
    pub exec: String,
    pub func: String,
    pub started: SystemTime,
    pub ends: SystemTime,
    pub next_beat: SystemTime,
    pub result_ttl: Option<i64>,
    pub failure_ttl: Option<i64>,
    pub retries_left: Option<i64>,
    pub retry_intervals: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct Worker {
    pub name: &'static str,
    pub queues: &'static [&'static str],
    pub(super) hostname: &'static str,
    pub(super) pid: i64,
    pub(super) state: &'static str,
    pub(super) last_beat: SystemTime,
    pub job: Option<Running>,
    /// A warm shutdown was requested: die after the current job.
    pub shutdown: bool,
    /// Dead: restarted by the supervisor at this time.
    pub(super) restart_at: Option<SystemTime>,
}

impl Worker {
    #[must_use]
    pub fn all(rng: &mut Rng) -> Vec<Worker> {
        SPECS
            .iter()
            .map(|&(name, queues, hostname)| Worker {
                name,
                queues,
                hostname,
                pid: rng.range(7, 90),
                state: "idle",
                last_beat: SystemTime::now(),
                job: None,
                shutdown: false,
                restart_at: None,
            })
            .collect()
    }

    #[must_use]
    pub fn alive(&self) -> bool {
        self.restart_at.is_none()
    }

    /// One step of the work loop.
    pub async fn tick(
        &mut self,
        conn: &mut Conn,
        rng: &mut Rng,
        suspended: bool,
    ) -> redis::RedisResult<()> {
        let now = SystemTime::now();
        if let Some(at) = self.restart_at {
            if now >= at {
                self.restart_at = None;
                self.shutdown = false;
                self.pid = rng.range(7, 90);
                self.birth(conn, rng, false).await?;
            }
            return Ok(());
        }
        if let Some(job) = self.job.clone() {
            if now >= job.ends {
                let fail = rng.chance(catalog::profile(&job.func).2);
                super::outcome::finish(self, conn, rng, fail).await?;
            } else if now >= job.next_beat {
                self.busy_heartbeat(conn, &job, now).await?;
            }
            return Ok(());
        }
        if self.shutdown {
            return self.death(conn, rng).await;
        }
        let key = K.worker(self.name);
        if suspended {
            if self.state != "suspended" {
                self.state = "suspended";
                let _: () = conn.hset(&key, "state", "suspended").await?;
            }
            return Ok(());
        }
        if self.state != "idle" {
            self.state = "idle";
            let _: () = conn.hset(&key, "state", "idle").await?;
        }
        if now
            .duration_since(self.last_beat)
            .is_ok_and(|d| d.as_secs() >= 405)
        {
            self.last_beat = now;
            let mut pipe = redis::pipe();
            pipe.atomic()
                .hset(&key, "last_heartbeat", ts(now))
                .expire(&key, IDLE_TTL);
            pipe.query_async::<()>(conn).await?;
        }
        // Not every tick: real workers spend a moment between jobs.
        if rng.chance(0.6) {
            self.take_job(conn, rng).await?;
        }
        Ok(())
    }

    async fn take_job(&mut self, conn: &mut Conn, rng: &mut Rng) -> redis::RedisResult<()> {
        let single = self.queues.len() == 1;
        let mut popped = None;
        for q in self.queues {
            let id: Option<String> = if single {
                redis::cmd("LMOVE")
                    .arg(K.queue(q))
                    .arg(K.intermediate(q))
                    .arg("LEFT")
                    .arg("RIGHT")
                    .query_async(conn)
                    .await?
            } else {
                conn.lpop(K.queue(q), None).await?
            };
            if let Some(id) = id {
                popped = Some((q.to_string(), id));
                break;
            }
        }
        let Some((queue, id)) = popped else {
            return Ok(());
        };
        let raw: HashMap<String, Vec<u8>> = conn.hgetall(K.job(&id)).await?;
        let hash: HashMap<String, String> = raw
            .into_iter()
            .filter(|(k, _)| k != "data" && k != "meta")
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        if hash.is_empty() {
            // A dangling id (deleted or expired job): RQ skips it silently.
            if single {
                let _: () = conn.lrem(K.intermediate(&queue), 1, &id).await?;
            }
            return Ok(());
        }
        let int = |k: &str| hash.get(k).and_then(|v| v.trim().parse::<i64>().ok());
        let func = hash
            .get("description")
            .and_then(|d| decode::func_from_description(d))
            .unwrap_or_default();
        let (lo, hi, _) = catalog::profile(&func);
        let now = SystemTime::now();
        let run = rng.float(lo, hi);
        let exec = rng.hex32();
        let job = Running {
            queue,
            exec,
            func,
            started: now,
            ends: now + secs(run),
            next_beat: now + secs(BEAT_EVERY),
            result_ttl: int("result_ttl"),
            failure_ttl: int("failure_ttl"),
            retries_left: int("retries_left"),
            retry_intervals: hash
                .get("retry_intervals")
                .and_then(|v| serde_json::from_str(v).ok())
                .unwrap_or_default(),
            id,
        };
        self.prepare(conn, &job, single).await?;
        self.state = "busy";
        self.last_beat = now;
        self.job = Some(job);
        Ok(())
    }

    /// RQ's two preparation MULTIs (§4.13), in one transaction.
    async fn prepare(
        &self,
        conn: &mut Conn,
        job: &Running,
        single: bool,
    ) -> redis::RedisResult<()> {
        let now = job.started;
        let stamp = ts(now);
        let (wkey, jkey) = (K.worker(self.name), K.job(&job.id));
        let exec_key = K.execution(&job.id, &job.exec);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HSET")
            .arg(&exec_key)
            .arg("id")
            .arg(&job.exec)
            .arg("created_at")
            .arg(epoch_f(now))
            .arg("last_heartbeat")
            .arg(epoch_f(now))
            .arg("worker_name")
            .arg(self.name);
        pipe.expire(&exec_key, BUSY_TTL);
        pipe.zadd(
            K.executions(&job.id),
            &job.exec,
            epoch_i(now) + BUSY_TTL + 60,
        );
        pipe.expire(K.executions(&job.id), BUSY_TTL + 60);
        pipe.zadd(
            K.registry(Registry::Started, &job.queue),
            format!("{}:{}", job.id, job.exec),
            epoch_i(now) + BUSY_TTL,
        );
        pipe.hset(&wkey, "state", "busy");
        pipe.cmd("HSET")
            .arg(&wkey)
            .arg("current_job")
            .arg(&job.id)
            .arg("current_job_working_time")
            .arg(0)
            .arg("last_heartbeat")
            .arg(&stamp);
        pipe.expire(&wkey, BUSY_TTL);
        pipe.hset(&jkey, "last_heartbeat", &stamp);
        pipe.cmd("HSET")
            .arg(&jkey)
            .arg("status")
            .arg("started")
            .arg("started_at")
            .arg(&stamp)
            .arg("worker_name")
            .arg(self.name);
        if single {
            pipe.lrem(K.intermediate(&job.queue), 1, &job.id);
        }
        pipe.persist(&jkey);
        pipe.query_async::<()>(conn).await
    }

    /// The 30-second heartbeat of a busy worker (§4.13 "while a job runs").
    async fn busy_heartbeat(
        &mut self,
        conn: &mut Conn,
        job: &Running,
        now: SystemTime,
    ) -> redis::RedisResult<()> {
        let stamp = ts(now);
        let wkey = K.worker(self.name);
        let exec_key = K.execution(&job.id, &job.exec);
        let working = now
            .duration_since(job.started)
            .map_or(0.0, |d| d.as_secs_f64());
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset(&wkey, "last_heartbeat", &stamp)
            .expire(&wkey, BUSY_TTL)
            .hset(&wkey, "current_job_working_time", py_float(working))
            .hset(&exec_key, "last_heartbeat", epoch_f(now))
            .expire(&exec_key, BUSY_TTL);
        pipe.cmd("ZADD")
            .arg(K.registry(Registry::Started, &job.queue))
            .arg("XX")
            .arg(epoch_i(now) + BUSY_TTL)
            .arg(format!("{}:{}", job.id, job.exec));
        pipe.zadd(
            K.executions(&job.id),
            &job.exec,
            epoch_i(now) + BUSY_TTL + 60,
        )
        .expire(K.executions(&job.id), BUSY_TTL + 60)
        .hset(K.job(&job.id), "last_heartbeat", &stamp);
        pipe.query_async::<()>(conn).await?;
        if let Some(j) = self.job.as_mut() {
            j.next_beat = now + secs(BEAT_EVERY);
        }
        self.last_beat = now;
        Ok(())
    }

    /// After a job: heartbeat and go idle (the top of RQ's work loop).
    pub fn idle_after_job(&mut self, pipe: &mut redis::Pipeline, now: SystemTime) {
        let key = K.worker(self.name);
        pipe.hdel(&key, "current_job")
            .hset(&key, "last_heartbeat", ts(now))
            .hset(&key, "state", "idle")
            .expire(&key, IDLE_TTL);
        self.state = "idle";
        self.last_beat = now;
        self.job = None;
    }
}
