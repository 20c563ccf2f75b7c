//! `rqctl clean`: the registry maintenance that `rq info` and workers do silently, as an
//! explicit, previewable action (rq-data-model.md 4.8), under RQ's maintenance lock.

use std::io::Write;

use base64::Engine;
use serde::Serialize;

use super::super::client::RqClient;
use super::super::error::Result;
use super::super::keys::{self, Registry};
use super::super::reply::{self, Replies};
use super::bulk::Member;
use super::now_stamps;
use super::scripts::{ABANDON, CLEAN_RATE_LIMITS, CLEAN_READY};

/// What cleaning one queue did (or would do, on a dry run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CleanReport {
    pub queue: String,
    pub dry_run: bool,
    /// Expired finished entries removed (their hashes expired already).
    pub finished_expired: u64,
    /// Expired failed entries removed.
    pub failed_expired: u64,
    /// Started jobs whose worker stopped heartbeating, moved to failed.
    pub abandoned_failed: u64,
    /// Abandoned jobs with retries left, requeued or scheduled as RQ retries them.
    pub abandoned_retried: u64,
    /// Started entries whose job hash is gone, or whose job is not running any more (a
    /// leftover, which RQ 3.0 drops rather than fail), removed.
    pub abandoned_dangling: u64,
    /// Worker registrations whose worker key is gone, removed from the worker sets.
    pub stale_workers: u64,
    /// RQ 3.0: dependents left in the ready registry, enqueued.
    pub ready_enqueued: u64,
    /// RQ 3.0 rate limits (shared by all queues; cleaned with the first queue, as RQ's
    /// maintenance does within each queue's): slots freed, jobs admitted, keys forgotten.
    pub rate_limit_slots_freed: u64,
    pub rate_limit_jobs_admitted: u64,
    pub rate_limit_keys_forgotten: u64,
    /// Abandoned jobs left as they were, with why (wrong key type, missing permission).
    pub refused: Vec<String>,
    /// Jobs whose outcome is unknown (the connection failed before Redis answered).
    pub unknown: u64,
    /// A worker held the maintenance lock, so this queue was left to it.
    pub locked: bool,
    pub error: Option<String>,
}

impl CleanReport {
    fn empty(queue: &str, dry_run: bool) -> Self {
        Self {
            queue: queue.to_string(),
            dry_run,
            finished_expired: 0,
            failed_expired: 0,
            abandoned_failed: 0,
            abandoned_retried: 0,
            abandoned_dangling: 0,
            stale_workers: 0,
            ready_enqueued: 0,
            rate_limit_slots_freed: 0,
            rate_limit_jobs_admitted: 0,
            rate_limit_keys_forgotten: 0,
            refused: Vec::new(),
            unknown: 0,
            locked: false,
            error: None,
        }
    }
}

impl RqClient {
    /// Cleans each queue's registries and worker set. Failure callbacks (Python) cannot run.
    pub async fn clean(&mut self, queues: &[String], dry_run: bool) -> Result<Vec<CleanReport>> {
        let mut out: Vec<CleanReport> = Vec::new();
        for q in queues {
            // A failure on one queue is reported with it; the others are still cleaned.
            let report = match self.clean_queue(q, dry_run).await {
                Ok(r) => r,
                Err(e) => CleanReport {
                    error: Some(e.to_string()),
                    ..CleanReport::empty(q, dry_run)
                },
            };
            out.push(report);
        }
        if let Some(first) = out.iter_mut().find(|r| !r.locked && r.error.is_none())
            && let Err(e) = self.clean_rate_limits(first).await
        {
            first.error = Some(e.to_string());
        }
        Ok(out)
    }

    /// RQ 3.0's RateLimitRegistry.cleanup over every key in `<p>:rl-keys`.
    async fn clean_rate_limits(&mut self, rep: &mut CleanReport) -> Result<()> {
        let v = self
            .cmd(
                "read rate limits",
                redis::cmd("SMEMBERS")
                    .arg(self.keys.rate_limit_keys())
                    .clone(),
            )
            .await?;
        let names = reply::members(&v);
        if names.is_empty() {
            return Ok(());
        }
        if rep.dry_run {
            return Ok(());
        }
        let (stamp, now) = now_stamps();
        let mut call = CLEAN_RATE_LIMITS.prepare_invoke();
        call.arg(self.keys.with_colon()).arg(&stamp).arg(now);
        for n in &names {
            call.arg(n.as_slice());
        }
        let got: redis::Value = call
            .invoke_async(self.connection())
            .await
            .map_err(|e| super::super::error::Error::redis("clean rate limits", &e))?;
        let parts = reply::items(&got);
        let at = |i: usize| {
            parts
                .get(i)
                .and_then(reply::int)
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
        };
        rep.rate_limit_slots_freed = at(0);
        rep.rate_limit_jobs_admitted = at(1);
        rep.rate_limit_keys_forgotten = at(2);
        for why in parts.iter().skip(3).filter_map(reply::text) {
            rep.refused.push(format!("rate limit {why}"));
        }
        Ok(())
    }

    /// RQ 3.0's ReadyJobRegistry.cleanup: dependents left in the ready registry are enqueued.
    async fn clean_ready(&mut self, queue: &str, rep: &mut CleanReport) -> Result<()> {
        let ready = self.keys.registry(Registry::Ready, queue);
        let v = self
            .cmd(
                "read ready registry",
                redis::cmd("ZRANGE").arg(&ready).arg(0).arg(-1).clone(),
            )
            .await?;
        let ids: Vec<String> = reply::members(&v)
            .iter()
            .map(|m| keys::name_from_bytes(m))
            .collect();
        if rep.dry_run {
            rep.ready_enqueued = ids.len() as u64;
            return Ok(());
        }
        let args = [keys::name_bytes(queue).into_owned()];
        let run = self
            .run_batches(&CLEAN_READY, &[ready], &args, &ids, |id, c| {
                c.arg(&*keys::name_bytes(id));
            })
            .await;
        for (id, o) in ids.iter().zip(&run.outcomes) {
            match o.code {
                1 => rep.ready_enqueued += 1,
                0 | super::scripts::UNKNOWN => {}
                _ => rep.refused.push(format!("{id}: {}", o.reason())),
            }
        }
        rep.unknown += run.unknown;
        match run.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    async fn clean_queue(&mut self, queue: &str, dry_run: bool) -> Result<CleanReport> {
        let (stamp, now) = now_stamps();
        let mut rep = CleanReport::empty(queue, dry_run);
        let lock = self.keys.clean_registries_lock(queue);
        if !dry_run {
            let got = self
                .cmd(
                    "take maintenance lock",
                    redis::cmd("SET")
                        .arg(&lock)
                        .arg(1)
                        .arg("NX")
                        .arg("EX")
                        .arg(899)
                        .clone(),
                )
                .await?;
            if matches!(got, redis::Value::Nil) {
                rep.locked = true;
                return Ok(rep);
            }
        }
        let result = self.clean_locked(queue, now, &stamp, &mut rep).await;
        if !dry_run {
            self.cmd(
                "release maintenance lock",
                redis::cmd("DEL").arg(&lock).clone(),
            )
            .await?;
        }
        if let Err(e) = result {
            rep.error = Some(e.to_string());
        }
        Ok(rep)
    }

    async fn clean_locked(
        &mut self,
        queue: &str,
        now: i64,
        stamp: &str,
        rep: &mut CleanReport,
    ) -> Result<()> {
        let finished = self.keys.registry(Registry::Finished, queue);
        let failed = self.keys.registry(Registry::Failed, queue);
        let verb = if rep.dry_run {
            "ZCOUNT"
        } else {
            "ZREMRANGEBYSCORE"
        };
        let mut pipe = redis::pipe();
        pipe.cmd(verb).arg(&finished).arg(0).arg(now);
        pipe.cmd("SMEMBERS").arg(self.keys.queue_workers(queue));
        let mut r = Replies::new(self.pipeline("clean registries", pipe).await?);
        rep.finished_expired = count(&r.next());
        let worker_keys = reply::members(&r.next());

        // Abandoned started jobs (their wip score is an expiry that has passed).
        let wip = self.keys.registry(Registry::Started, queue);
        let expired = self
            .cmd(
                "read started registry",
                redis::cmd("ZRANGEBYSCORE")
                    .arg(&wip)
                    .arg(0)
                    .arg(now)
                    .arg("WITHSCORES")
                    .clone(),
            )
            .await?;
        let members: Vec<Member> = reply::scored(&expired)
            .into_iter()
            .map(|(m, s)| Member::of(Some(Registry::Started), keys::name_from_bytes(&m), s))
            .collect();
        if rep.dry_run {
            rep.abandoned_failed = members.len() as u64;
        } else if !members.is_empty() {
            let args = [
                now.to_string().into_bytes(),
                stamp.as_bytes().to_vec(),
                keys::name_bytes(queue).into_owned(),
                abandoned_exc_string(stamp).into_bytes(),
            ];
            let run = self
                .run_batches(&ABANDON, &[wip], &args, &members, |m, c| {
                    c.arg(&*keys::name_bytes(&m.member))
                        .arg(&*keys::name_bytes(&m.id));
                })
                .await;
            for (m, o) in members.iter().zip(&run.outcomes) {
                match o.code {
                    1 => rep.abandoned_failed += 1,
                    2 => rep.abandoned_retried += 1,
                    -1 | 3 => rep.abandoned_dangling += 1,
                    0 | super::scripts::UNKNOWN => {}
                    _ => rep.refused.push(format!("{}: {}", m.id, o.reason())),
                }
            }
            rep.unknown = run.unknown;
            if let Some(e) = run.error {
                return Err(e);
            }
        }
        // After moving abandoned jobs, so that none of them is dropped as expired here.
        let v = self
            .cmd(
                "clean failed registry",
                redis::cmd(verb).arg(&failed).arg(0).arg(now).clone(),
            )
            .await?;
        rep.failed_expired = count(&v);
        self.clean_ready(queue, rep).await?;

        // Worker registrations whose key is gone.
        if !worker_keys.is_empty() {
            let mut pipe = redis::pipe();
            for k in &worker_keys {
                pipe.cmd("EXISTS").arg(k.as_slice());
            }
            let exists = self.pipeline("check workers", pipe).await?;
            let stale: Vec<&Vec<u8>> = worker_keys
                .iter()
                .zip(&exists)
                .filter(|(_, e)| reply::int(e).unwrap_or(1) == 0)
                .map(|(k, _)| k)
                .collect();
            rep.stale_workers = stale.len() as u64;
            if !rep.dry_run && !stale.is_empty() {
                let mut pipe = redis::pipe();
                for k in stale {
                    pipe.cmd("SREM")
                        .arg(self.keys.queue_workers(queue))
                        .arg(k.as_slice());
                    pipe.cmd("SREM").arg(self.keys.workers()).arg(k.as_slice());
                }
                self.pipeline("remove stale workers", pipe).await?;
            }
        }
        Ok(())
    }
}

fn count(v: &redis::Value) -> u64 {
    reply::int(v)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

/// The result-stream text RQ writes for an abandoned job: base64(zlib(message)).
fn abandoned_exc_string(stamp: &str) -> String {
    let when = stamp.trim_end_matches('Z').replace('T', " ");
    let text = format!("Moved to FailedJobRegistry, due to AbandonedJobError, at {when}");
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = z
        .write_all(text.as_bytes())
        .and_then(|()| z.finish())
        .unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(compressed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn abandoned_text_round_trips() {
        let s = super::abandoned_exc_string("2026-11-23T19:37:44.531421Z");
        let text = super::super::super::decode::exc_string(s.as_bytes()).unwrap();
        assert_eq!(
            text,
            "Moved to FailedJobRegistry, due to AbandonedJobError, at 2026-11-23 19:37:44.531421"
        );
    }
}
