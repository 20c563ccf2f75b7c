//! The simulation: everything the demo keeps in memory, the seed, one bounded tick, and the
//! housekeeping that keeps a long-running demo from growing without limit.

use std::time::{Duration, Instant, SystemTime};

use redis::AsyncCommands;

use super::Conn;
use super::K;
use super::catalog::QUEUES;
use super::commands::Command;
use super::cron::Cron;
use super::history;
use super::lifecycle;
use super::outcome;
use super::producers::Producers;
use super::rq_scheduler;
use super::schedules::Schedules;
use super::util::{Rng, epoch_i};
use super::workers::Worker;
use crate::rq::keys::Registry;

/// The failed registry of a queue is trimmed to this many jobs (oldest deleted first).
const FAILED_CAP: i64 = 2000;

pub struct Sim {
    conn: Conn,
    rng: Rng,
    pub workers: Vec<Worker>,
    producers: Producers,
    schedules: Schedules,
    cron: Cron,
    last: Instant,
    timers: [Instant; 4],
}

/// Keeps the first error, preferring one that means the connection is gone.
fn note(first: &mut Option<redis::RedisError>, r: redis::RedisResult<()>) {
    if let Err(e) = r {
        let fatal = e.is_io_error() || e.is_connection_dropped() || e.is_timeout();
        if first.is_none() || fatal {
            *first = Some(e);
        }
    }
}

fn is_fatal(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_connection_refusal()
}

impl Sim {
    #[must_use]
    pub fn new(conn: Conn, mut rng: Rng) -> Self {
        let now = Instant::now();
        Self {
            conn,
            workers: Worker::all(&mut rng),
            producers: Producers::new(SystemTime::now()),
            schedules: Schedules::new(&mut rng),
            cron: Cron::new(),
            rng,
            last: now,
            timers: [now; 4],
        }
    }

    #[must_use]
    pub fn worker_names(&self) -> Vec<&'static str> {
        self.workers.iter().map(|w| w.name).collect()
    }

    /// Fills the server with a plausible state (each part independent of the others).
    pub async fn seed(&mut self) -> redis::RedisResult<()> {
        let (conn, rng) = (&mut self.conn, &mut self.rng);
        let mut err = None;
        for w in &mut self.workers {
            note(&mut err, w.birth(conn, rng, true).await);
        }
        note(&mut err, lifecycle::seed_crashed(conn, rng).await);
        note(&mut err, history::seed(conn, rng).await);
        note(&mut err, self.producers.seed(conn, rng).await);
        note(&mut err, self.schedules.seed(conn, rng).await);
        note(&mut err, rq_scheduler::seed(conn, rng).await);
        note(&mut err, self.cron.tick(conn, rng, true).await);
        self.last = Instant::now();
        err.map_or(Ok(()), Err)
    }

    /// One step. Errors only when Redis itself is unreachable; other errors (say, a key an
    /// operator replaced with another type) skip that part for this tick.
    pub async fn tick(&mut self, commands: Vec<Command>) -> redis::RedisResult<()> {
        let now = Instant::now();
        let dt = now.duration_since(self.last).as_secs_f64().min(1.0);
        self.last = now;
        let (conn, rng) = (&mut self.conn, &mut self.rng);
        let mut err = None;
        for (name, payload) in commands {
            if let Some(w) = self.workers.iter_mut().find(|w| w.name == name) {
                note(&mut err, outcome::command(w, conn, &payload).await);
            }
        }
        let suspended: bool = match conn.exists(K.suspended()).await {
            Ok(s) => s,
            Err(e) => return Err(e),
        };
        note(&mut err, self.producers.tick(conn, rng, dt).await);
        for w in &mut self.workers {
            note(&mut err, w.tick(conn, rng, suspended).await);
        }
        let periods = [1.0, 5.0, 10.0, 30.0];
        for (i, period) in periods.into_iter().enumerate() {
            if now < self.timers[i] {
                continue;
            }
            self.timers[i] = now + Duration::from_secs_f64(period);
            let r = match i {
                0 => self.schedules.tick(conn).await,
                1 => self.cron.tick(conn, rng, false).await,
                2 => rq_scheduler::pass(conn).await,
                _ => housekeeping(conn).await,
            };
            note(&mut err, r);
        }
        match err {
            Some(e) if is_fatal(&e) => Err(e),
            _ => Ok(()),
        }
    }
}

/// RQ's registry cleanup (expired finished/failed entries), plus a cap on failed jobs:
/// beyond `FAILED_CAP` the oldest are deleted with their result streams.
async fn housekeeping(conn: &mut Conn) -> redis::RedisResult<()> {
    let now = epoch_i(SystemTime::now());
    for q in QUEUES {
        let failed = K.registry(Registry::Failed, q);
        let mut pipe = redis::pipe();
        pipe.zrembyscore(K.registry(Registry::Finished, q), 0, now)
            .ignore();
        pipe.zrembyscore(&failed, 0, now).ignore();
        pipe.zcard(&failed);
        let (count,): (i64,) = pipe.query_async(&mut *conn).await?;
        if count <= FAILED_CAP {
            continue;
        }
        let extra = (count - FAILED_CAP).min(500);
        let ids: Vec<String> = conn.zrange(&failed, 0, (extra - 1) as isize).await?;
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.del(&[
                K.job(id),
                K.results(id),
                K.dependents(id),
                K.dependencies(id),
            ])
            .ignore();
            pipe.zrem(&failed, id).ignore();
        }
        pipe.query_async::<()>(&mut *conn).await?;
    }
    Ok(())
}
