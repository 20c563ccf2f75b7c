//! The application side: enqueues jobs at a few per second (rates that swell and ebb, plus
//! bursts such as a newsletter), a backlog to start with, and parent/child dependencies.

use std::f64::consts::TAU;
use std::time::SystemTime;

use super::Conn;
use super::K;
use super::catalog::{self, QUEUES};
use super::jobs::{Call, NewJob};
use super::util::{Rng, ago, epoch, secs};

/// Jobs per second on average, the period (s) of the swell, and the most a queue may hold.
const RATES: [(f64, f64, i64); 4] = [
    (1.0, 210.0, 2500),
    (0.7, 150.0, 2500),
    (0.65, 420.0, 5000),
    (0.5, 300.0, 2500),
];
/// At most this many jobs per tick (a burst spreads over several ticks).
const PER_TICK: usize = 25;

pub struct Producers {
    started: SystemTime,
    carry: [f64; 4],
    lens: [i64; 4],
    pending_burst: [usize; 4],
    next_burst: [SystemTime; 4],
    next_pair: SystemTime,
}

/// The options a call's function is enqueued with in the demo app.
#[must_use]
pub fn new_job(rng: &mut Rng, call: Call, queue: &str, now: SystemTime) -> NewJob {
    let mut job = NewJob::new(rng.uuid4(), call, queue, now);
    job.enqueued_at = Some(now);
    match job.call.func.as_str() {
        "app.billing.charge_invoice" => job.retries = Some((2, vec![0])),
        "app.webhooks.deliver" => {
            job.retries = Some((3, vec![10, 60, 300]));
            job.failure_ttl = Some(604_800);
        }
        "app.reports.generate_report" => {
            job.timeout = Some(1800);
            job.result_ttl = Some(86_400);
        }
        _ => {}
    }
    job
}

async fn push(conn: &mut Conn, job: &NewJob) -> redis::RedisResult<()> {
    let mut pipe = redis::pipe();
    pipe.atomic();
    job.enqueue(&mut pipe);
    pipe.query_async::<()>(conn).await
}

impl Producers {
    #[must_use]
    pub fn new(now: SystemTime) -> Self {
        Self {
            started: now,
            carry: [0.0; 4],
            lens: [0; 4],
            pending_burst: [0; 4],
            next_burst: [
                now + secs(3600.0),
                now + secs(35.0),
                now + secs(3600.0),
                now + secs(75.0),
            ],
            next_pair: now + secs(20.0),
        }
    }

    /// A backlog: ~1,500 thumbnail backfills in `low`, some mail, a little everywhere else.
    pub async fn seed(&mut self, conn: &mut Conn, rng: &mut Rng) -> redis::RedisResult<()> {
        let now = SystemTime::now();
        let counts = [("default", 24), ("high", 3), ("low", 1500), ("emails", 45)];
        for (queue, n) in counts {
            let mut pipe = redis::pipe();
            // Oldest first, about a second apart: the head of the list is the oldest job.
            let mut age = f64::from(n) * 0.9 + 5.0;
            for _ in 0..n {
                age = (age - rng.float(0.6, 1.2)).max(1.0);
                let at = ago(now, age);
                let call = if queue == "low" {
                    catalog::backfill(rng)
                } else {
                    catalog::call_for(rng, queue)
                };
                new_job(rng, call, queue, at).enqueue(&mut pipe);
                if pipe.len() >= 600 {
                    pipe.query_async::<()>(&mut *conn).await?;
                    pipe = redis::pipe();
                }
            }
            pipe.query_async::<()>(&mut *conn).await?;
        }
        // Reports queued behind the backlog, each with a deferred "report ready" mail.
        for _ in 0..2 {
            let call = catalog::report(rng);
            let parent = new_job(rng, call, "low", now);
            self.pair(conn, rng, parent).await?;
        }
        Ok(())
    }

    /// A parent job and a child mail that waits for it (`depends_on`).
    async fn pair(
        &mut self,
        conn: &mut Conn,
        rng: &mut Rng,
        parent: NewJob,
    ) -> redis::RedisResult<()> {
        let now = SystemTime::now();
        let template = if parent.origin == "low" {
            "report_ready"
        } else {
            "receipt"
        };
        let mut child = NewJob::new(rng.uuid4(), catalog::email(rng, template), "emails", now);
        child.status = "deferred";
        child.depends_on = Some(parent.id.clone());
        let mut pipe = redis::pipe();
        pipe.atomic();
        parent.enqueue(&mut pipe);
        child.defer(&mut pipe);
        pipe.query_async::<()>(conn).await
    }

    pub async fn tick(
        &mut self,
        conn: &mut Conn,
        rng: &mut Rng,
        dt: f64,
    ) -> redis::RedisResult<()> {
        let now = SystemTime::now();
        let t = epoch(now) - epoch(self.started);
        if rng.chance(dt) || self.lens == [0; 4] {
            let mut pipe = redis::pipe();
            for q in QUEUES {
                pipe.llen(K.queue(q));
            }
            let lens: Vec<i64> = pipe.query_async(&mut *conn).await?;
            for (slot, len) in self.lens.iter_mut().zip(lens) {
                *slot = len;
            }
        }
        let mut budget = PER_TICK;
        for (i, queue) in QUEUES.iter().enumerate() {
            let (rate, period, cap) = RATES[i];
            let swell = 1.0 + 0.6 * (TAU * t / period + i as f64).sin();
            self.carry[i] += rate * swell * dt * rng.float(0.4, 1.6);
            if now >= self.next_burst[i] {
                self.pending_burst[i] += if *queue == "emails" {
                    rng.range(60, 140) as usize
                } else {
                    rng.range(15, 40) as usize
                };
                let gap = if *queue == "emails" {
                    rng.float(240.0, 420.0)
                } else {
                    rng.float(100.0, 200.0)
                };
                self.next_burst[i] = now + secs(gap);
            }
            let mut n = self.carry[i].floor().max(0.0) as usize;
            self.carry[i] -= n as f64;
            let burst = self.pending_burst[i].min(budget.saturating_sub(n));
            self.pending_burst[i] -= burst;
            n += burst;
            for _ in 0..n.min(budget) {
                if self.lens[i] >= cap {
                    break;
                }
                budget -= 1;
                self.lens[i] += 1;
                let call = if burst > 0 && *queue == "emails" {
                    catalog::email(rng, "weekly_digest")
                } else {
                    catalog::call_for(rng, queue)
                };
                let job = new_job(rng, call, queue, now);
                if *queue == "emails" && rng.chance(0.06) {
                    // `enqueue_in`: a reminder for later.
                    let mut later =
                        NewJob::new(job.id, catalog::email(rng, "trial_ending"), queue, now);
                    later.status = "scheduled";
                    let mut pipe = redis::pipe();
                    pipe.atomic();
                    later.schedule(&mut pipe, now + secs(rng.float(300.0, 3600.0)));
                    pipe.query_async::<()>(&mut *conn).await?;
                } else {
                    push(conn, &job).await?;
                }
            }
        }
        if now >= self.next_pair {
            self.next_pair = now + secs(rng.float(25.0, 60.0));
            let call = catalog::charge(rng);
            let parent = new_job(rng, call, "high", now);
            self.pair(conn, rng, parent).await?;
        }
        Ok(())
    }
}
