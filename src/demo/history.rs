//! The recent past, so the first screen is not empty: finished jobs from the last minutes,
//! failures from the last hours (with their result streams), and one stopped job.

use std::time::SystemTime;

use super::Conn;
use super::K;
use super::catalog::{self, QUEUES};
use super::jobs::{self, Execution, FAILURE_TTL, Outcome, RESULT_TTL};
use super::producers::new_job;
use super::util::{Rng, ago, epoch_i, secs};
use super::workers;
use crate::rq::keys::Registry;

const FINISHED: usize = 40;
const FAILED: usize = 24;

pub async fn seed(conn: &mut Conn, rng: &mut Rng) -> redis::RedisResult<()> {
    let now = SystemTime::now();
    let mut pipe = redis::pipe();
    for i in 0..=FINISHED + FAILED {
        let queue = *rng.pick(&QUEUES);
        let stopped = i == FINISHED + FAILED;
        let failed = i >= FINISHED && !stopped;
        let call = if stopped {
            catalog::report(rng)
        } else {
            catalog::call_for(rng, queue)
        };
        let queue = if stopped { "low" } else { queue };
        // Finished ones must still be within their 500 s result_ttl.
        let age = if failed {
            rng.float(120.0, 3.0 * 3600.0)
        } else {
            rng.float(20.0, 460.0)
        };
        let created = ago(now, age + rng.float(1.0, 40.0));
        let started = ago(now, age);
        let (lo, hi, _) = catalog::profile(&call.func);
        let ended = started + secs(rng.float(lo, hi).min(age - 1.0));
        let names = workers::serving(queue);
        let worker = names
            .get(rng.below(names.len() as u64) as usize)
            .copied()
            .unwrap_or("high-1");
        let mut job = new_job(rng, call, queue, created);
        job.status = if stopped {
            "stopped"
        } else if failed {
            "failed"
        } else {
            "finished"
        };
        job.started_at = Some(started);
        job.ended_at = (!stopped).then_some(ended);
        job.worker_name = worker.to_string();
        if let Some((max, intervals)) = job.retries.take() {
            job.retries = Some((if failed { 0 } else { max }, intervals));
        }
        job.save(&mut pipe);
        let exec_id = rng.hex32();
        let exec = Execution {
            job_id: &job.id,
            id: &exec_id,
            worker,
            started,
            ended: job.ended_at,
        };
        let age_i = epoch_i(now) - epoch_i(ended);
        if failed || stopped {
            let ttl = job.failure_ttl.unwrap_or(FAILURE_TTL);
            let text = if stopped {
                "Job stopped by user, work-horse terminated.".to_string()
            } else {
                catalog::traceback(rng, &job.call.func)
            };
            jobs::add_result(
                &mut pipe,
                &exec,
                &Outcome::Failure(text),
                job.failure_ttl.map(|t| t - age_i),
            );
            pipe.zadd(
                K.registry(Registry::Failed, queue),
                &job.id,
                epoch_i(ended) + ttl,
            );
            jobs::expire_job(&mut pipe, &job.id, ttl - age_i);
        } else {
            let ttl = job.result_ttl.unwrap_or(RESULT_TTL);
            let value = catalog::return_value(rng, &job.call.func);
            jobs::add_result(
                &mut pipe,
                &exec,
                &Outcome::Success(value),
                Some(ttl - age_i),
            );
            pipe.zadd(
                K.registry(Registry::Finished, queue),
                &job.id,
                epoch_i(ended) + ttl,
            );
            jobs::expire_job(&mut pipe, &job.id, ttl - age_i);
        }
    }
    pipe.query_async::<()>(conn).await
}
