//! A worker's life: `register_birth` (with the counters of the hours it has already been
//! running), warm shutdown, `register_death` and the supervisor's restart; and a worker
//! that was SIGKILLed before the demo started.

use std::time::SystemTime;

use redis::AsyncCommands;

use super::Conn;
use super::K;
use super::util::{Rng, ago, py_float, secs, ts};
use super::workers::{IDLE_TTL, PYTHON_VERSION, RQ_VERSION, Worker};

impl Worker {
    /// `register_birth` (plus, for the seed, counters from the hours it has been running).
    pub async fn birth(
        &mut self,
        conn: &mut Conn,
        rng: &mut Rng,
        history: bool,
    ) -> redis::RedisResult<()> {
        let now = SystemTime::now();
        let born = if history {
            ago(now, rng.float(3.0 * 3600.0, 30.0 * 3600.0))
        } else {
            now
        };
        let key = K.worker(self.name);
        let mut pipe = redis::pipe();
        pipe.atomic().del(&key);
        let ip = format!(
            "10.42.{}.{}:{}",
            rng.range(0, 3),
            rng.range(2, 250),
            rng.range(40000, 60999)
        );
        pipe.cmd("HSET")
            .arg(&key)
            .arg("birth")
            .arg(ts(born))
            .arg("last_heartbeat")
            .arg(ts(now))
            .arg("queues")
            .arg(self.queues.join(","))
            .arg("pid")
            .arg(self.pid)
            .arg("hostname")
            .arg(self.hostname)
            .arg("ip_address")
            .arg(ip)
            .arg("version")
            .arg(RQ_VERSION)
            .arg("python_version")
            .arg(PYTHON_VERSION);
        pipe.cmd("SADD").arg(K.workers()).arg(&key);
        for q in self.queues {
            pipe.cmd("SADD").arg(K.queue_workers(q)).arg(&key);
        }
        pipe.cmd("EXPIRE").arg(&key).arg(IDLE_TTL);
        if history {
            let alive = now.duration_since(born).map_or(0.0, |d| d.as_secs_f64());
            let done = (alive / 1.6).max(1.0) as i64;
            pipe.cmd("HSET")
                .arg(&key)
                .arg("successful_job_count")
                .arg(done)
                .arg("failed_job_count")
                .arg(done / 14)
                .arg("total_working_time")
                .arg(py_float((alive * 0.55 * 1000.0).round() / 1000.0));
        }
        pipe.query_async::<()>(conn).await?;
        self.state = "idle";
        self.last_beat = now;
        let _: () = conn.hset(&key, "state", "idle").await?;
        Ok(())
    }

    /// `register_death`, then a restart by the supervisor a little later.
    pub(super) async fn death(&mut self, conn: &mut Conn, rng: &mut Rng) -> redis::RedisResult<()> {
        let key = K.worker(self.name);
        let now = SystemTime::now();
        let mut pipe = redis::pipe();
        pipe.atomic().srem(K.workers(), &key);
        for q in self.queues {
            pipe.srem(K.queue_workers(q), &key);
        }
        pipe.hset(&key, "death", ts(now)).expire(&key, 60);
        pipe.query_async::<()>(conn).await?;
        self.restart_at = Some(now + secs(rng.float(12.0, 25.0)));
        Ok(())
    }

    /// A warm shutdown: `shutdown_requested_date` while busy, death after the job.
    pub async fn request_shutdown(&mut self, conn: &mut Conn) -> redis::RedisResult<()> {
        if !self.alive() {
            return Ok(());
        }
        self.shutdown = true;
        if self.job.is_some() {
            let _: () = conn
                .hset(
                    K.worker(self.name),
                    "shutdown_requested_date",
                    ts(SystemTime::now()),
                )
                .await?;
        }
        Ok(())
    }
}

/// A worker that was SIGKILLed a while ago: its key lives out its TTL, then it is only a
/// stale member of the worker sets (what RQ leaves behind).
pub async fn seed_crashed(conn: &mut Conn, rng: &mut Rng) -> redis::RedisResult<()> {
    let (name, queue) = ("batch-2", "low");
    let key = K.worker(name);
    let now = SystemTime::now();
    let mut pipe = redis::pipe();
    pipe.atomic()
        .cmd("HSET")
        .arg(&key)
        .arg("birth")
        .arg(ts(ago(now, 9.0 * 3600.0 + rng.float(0.0, 600.0))))
        .arg("last_heartbeat")
        .arg(ts(ago(now, 390.0)))
        .arg("queues")
        .arg(queue)
        .arg("pid")
        .arg(7)
        .arg("hostname")
        .arg("jobs-batch-84c6f9b7d-8gk3f")
        .arg("ip_address")
        .arg("10.42.2.61:50412")
        .arg("version")
        .arg(RQ_VERSION)
        .arg("python_version")
        .arg(PYTHON_VERSION)
        .arg("state")
        .arg("idle")
        .arg("successful_job_count")
        .arg(2113)
        .arg("failed_job_count")
        .arg(61)
        .arg("total_working_time")
        .arg("5127.402913");
    pipe.sadd(K.workers(), &key)
        .sadd(K.queue_workers(queue), &key)
        .expire(&key, IDLE_TTL - 390);
    pipe.query_async::<()>(conn).await
}
