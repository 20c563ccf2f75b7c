//! How a running job ends, in the MULTI blocks RQ 2.12's worker uses (§4.13): success,
//! failure, retry, stop-job and kill-horse; then the release of deferred dependents.

use std::time::SystemTime;

use redis::AsyncCommands;

use super::Conn;
use super::K;
use super::catalog;
use super::jobs::{self, Execution, FAILURE_TTL, Outcome, RESULT_TTL};
use super::util::{Rng, epoch_i, py_float, ts};
use super::workers::{Running, Worker};
use crate::rq::keys::Registry;

/// How the horse ended, for the failure paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abort {
    /// The function raised.
    Raised,
    /// `kill-horse`: the horse died; RQ fails (and may retry) the job.
    Killed,
    /// `stop-job`: status `stopped`, no retry, no `execution_ended_at`.
    Stopped,
}

/// Ends the worker's current job: success, or a failure with a traceback from the catalog.
pub async fn finish(
    w: &mut Worker,
    conn: &mut Conn,
    rng: &mut Rng,
    fail: bool,
) -> redis::RedisResult<()> {
    let Some(job) = w.job.clone() else {
        return Ok(());
    };
    if fail {
        let text = catalog::traceback(rng, &job.func);
        abort(w, conn, &job, &text, Abort::Raised).await
    } else {
        succeed(w, conn, rng, &job).await
    }
}

fn cleanup_execution(pipe: &mut redis::Pipeline, job: &Running) {
    pipe.del(K.execution(&job.id, &job.exec))
        .zrem(
            K.registry(Registry::Started, &job.queue),
            format!("{}:{}", job.id, job.exec),
        )
        .zrem(K.executions(&job.id), &job.exec);
}

fn worked(job: &Running, now: SystemTime) -> String {
    py_float(
        now.duration_since(job.started)
            .map_or(0.0, |d| d.as_secs_f64()),
    )
}

async fn succeed(
    w: &mut Worker,
    conn: &mut Conn,
    rng: &mut Rng,
    job: &Running,
) -> redis::RedisResult<()> {
    let now = SystemTime::now();
    let ttl = job.result_ttl.unwrap_or(RESULT_TTL);
    let wkey = K.worker(w.name);
    let jkey = K.job(&job.id);
    let mut pipe = redis::pipe();
    pipe.atomic()
        .hincr(&wkey, "successful_job_count", 1)
        .cmd("HINCRBYFLOAT")
        .arg(&wkey)
        .arg("total_working_time")
        .arg(worked(job, now));
    pipe.cmd("HSET")
        .arg(&jkey)
        .arg("status")
        .arg("finished")
        .arg("ended_at")
        .arg(ts(now))
        .arg("last_heartbeat")
        .arg(ts(now));
    if ttl == 0 {
        pipe.del(&jkey);
    } else {
        let exec = Execution {
            job_id: &job.id,
            id: &job.exec,
            worker: w.name,
            started: job.started,
            ended: Some(now),
        };
        let value = catalog::return_value(rng, &job.func);
        jobs::add_result(&mut pipe, &exec, &Outcome::Success(value), Some(ttl));
        pipe.cmd("ZADD")
            .arg(K.registry(Registry::Finished, &job.queue))
            .arg(jobs::expiry_score(now, ttl, false))
            .arg(&job.id);
        jobs::expire_job(&mut pipe, &job.id, ttl);
    }
    cleanup_execution(&mut pipe, job);
    w.idle_after_job(&mut pipe, now);
    pipe.query_async::<()>(&mut *conn).await?;
    release_dependents(conn, &job.id).await
}

/// The failure paths: retry when `retries_left` allows it, else failed (or stopped).
pub async fn abort(
    w: &mut Worker,
    conn: &mut Conn,
    job: &Running,
    text: &str,
    how: Abort,
) -> redis::RedisResult<()> {
    let now = SystemTime::now();
    let wkey = K.worker(w.name);
    let jkey = K.job(&job.id);
    let mut pipe = redis::pipe();
    pipe.atomic();
    let retry = how != Abort::Stopped && job.retries_left.is_some_and(|n| n > 0);
    if retry {
        let left = job.retries_left.unwrap_or(1);
        let n = job.retry_intervals.len() as i64;
        let index = usize::try_from((n - left).max(0)).unwrap_or(0);
        let interval = job.retry_intervals.get(index).copied().unwrap_or(0);
        pipe.hincr(&wkey, "failed_job_count", 1)
            .cmd("HINCRBYFLOAT")
            .arg(&wkey)
            .arg("total_working_time")
            .arg(worked(job, now));
        cleanup_execution(&mut pipe, job);
        pipe.cmd("HSET")
            .arg(&jkey)
            .arg("retries_left")
            .arg(left - 1)
            .arg("ended_at")
            .arg(ts(now));
        if interval > 0 {
            pipe.hset(&jkey, "status", "scheduled");
            pipe.zadd(
                K.registry(Registry::Scheduled, &job.queue),
                &job.id,
                epoch_i(now) + interval,
            );
        } else {
            pipe.cmd("HSET")
                .arg(&jkey)
                .arg("status")
                .arg("queued")
                .arg("enqueued_at")
                .arg(ts(now));
            pipe.rpush(K.queue(&job.queue), &job.id);
        }
        w.idle_after_job(&mut pipe, now);
        return pipe.query_async::<()>(&mut *conn).await;
    }
    let status = if how == Abort::Stopped {
        "stopped"
    } else {
        "failed"
    };
    let ended = (how != Abort::Stopped).then_some(now);
    let ttl = job.failure_ttl.unwrap_or(FAILURE_TTL);
    pipe.hset(&jkey, "status", status);
    if let Some(end) = ended {
        pipe.hset(&jkey, "ended_at", ts(end));
    }
    pipe.hset(&jkey, "last_heartbeat", ts(now));
    cleanup_execution(&mut pipe, job);
    jobs::expire_job(&mut pipe, &job.id, ttl);
    pipe.cmd("ZADD")
        .arg(K.registry(Registry::Failed, &job.queue))
        .arg(jobs::expiry_score(now, ttl, true))
        .arg(&job.id);
    let exec = Execution {
        job_id: &job.id,
        id: &job.exec,
        worker: w.name,
        started: job.started,
        ended,
    };
    // RQ gives the stream the job's own failure_ttl, and none when the job has none.
    jobs::add_result(
        &mut pipe,
        &exec,
        &Outcome::Failure(text.to_string()),
        job.failure_ttl,
    );
    w.idle_after_job(&mut pipe, now);
    pipe.query_async::<()>(&mut *conn).await?;
    let mut pipe = redis::pipe();
    pipe.atomic()
        .hincr(&wkey, "failed_job_count", 1)
        .cmd("HINCRBYFLOAT")
        .arg(&wkey)
        .arg("total_working_time")
        .arg(worked(job, now));
    pipe.query_async::<()>(conn).await
}

/// `enqueue_dependents`: children still deferred go to their queue; the set is deleted.
async fn release_dependents(conn: &mut Conn, parent: &str) -> redis::RedisResult<()> {
    let children: Vec<String> = conn.smembers(K.dependents(parent)).await?;
    for child in children.iter().take(50) {
        let (status, origin): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(K.job(child))
            .arg("status")
            .arg("origin")
            .query_async(&mut *conn)
            .await?;
        let (Some(status), Some(origin)) = (status, origin) else {
            continue;
        };
        if status != "deferred" {
            continue;
        }
        let now = SystemTime::now();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .zrem(K.registry(Registry::Deferred, &origin), child)
            .cmd("HSET")
            .arg(K.job(child))
            .arg("status")
            .arg("queued")
            .arg("enqueued_at")
            .arg(ts(now));
        pipe.rpush(K.queue(&origin), child);
        pipe.query_async::<()>(&mut *conn).await?;
    }
    if !children.is_empty() {
        let _: () = conn.del(K.dependents(parent)).await?;
    }
    Ok(())
}

/// Applies a worker command received on `rq:pubsub:<name>`.
pub async fn command(w: &mut Worker, conn: &mut Conn, payload: &str) -> redis::RedisResult<()> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(payload) else {
        return Ok(());
    };
    let running = w.job.clone();
    match (v.get("command").and_then(|c| c.as_str()), running) {
        (Some("shutdown"), _) => w.request_shutdown(conn).await,
        (Some("kill-horse"), Some(job)) => {
            let text = "Work-horse terminated unexpectedly; waitpid returned 9 (signal 9); ";
            abort(w, conn, &job, text, Abort::Killed).await
        }
        (Some("stop-job"), Some(job))
            if v.get("job_id").and_then(|j| j.as_str()) == Some(job.id.as_str()) =>
        {
            let text = "Job stopped by user, work-horse terminated.";
            abort(w, conn, &job, text, Abort::Stopped).await
        }
        _ => Ok(()),
    }
}
