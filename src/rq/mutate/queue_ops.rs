//! Mutations of whole queues: empty, empty a registry, delete a queue, compact.

use super::super::client::RqClient;
use super::super::error::{Error, Result};
use super::super::keys::{self, Registry};
use super::super::reply;
use super::bulk::Member;
use super::scripts::{COMPACT, DELETE, DELETE_QUEUE, EMPTY_QUEUE};
use super::{BATCH, Report, now_stamps};

/// Ids emptied per script call: each call stays a few milliseconds of Redis time.
const EMPTY_CHUNK: u64 = 4_000;
/// Window of a compaction pass.
const COMPACT_WINDOW: i64 = 2_000;

impl RqClient {
    /// Empties a queue as `rq empty` does (each id popped and its hash and dependents set
    /// deleted; registries, deferred and scheduled jobs untouched), in chunks. Only the jobs
    /// present when it starts are removed; jobs enqueued meanwhile at the tail survive.
    pub async fn empty_queue(&mut self, queue: &str, dry_run: bool) -> Result<Report> {
        let key = self.keys.queue(queue);
        let mut report = Report::new("empty", format!("queue {queue}"), dry_run);
        let len = reply::int(
            &self
                .cmd("count queue", redis::cmd("LLEN").arg(&key).clone())
                .await?,
        )
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
        report.matched = len;
        if dry_run {
            let head = self
                .cmd(
                    "read queue",
                    redis::cmd("LRANGE").arg(&key).arg(0).arg(9).clone(),
                )
                .await?;
            let ids: Vec<String> = reply::members(&head)
                .iter()
                .map(|m| keys::name_from_bytes(m))
                .collect();
            report.sample_from(ids.iter().map(String::as_str));
            return Ok(report);
        }
        while report.done < len {
            let chunk = EMPTY_CHUNK.min(len - report.done);
            match EMPTY_QUEUE
                .key(key.as_slice())
                .arg(self.keys.with_colon())
                .arg(super::now_stamps().0)
                .arg(super::now_stamps().1)
                .arg(chunk)
                .invoke_async::<i64>(self.connection())
                .await
            {
                Ok(0) => break, // workers took the rest
                Ok(n) => report.done += u64::try_from(n).unwrap_or(0),
                Err(e) => {
                    report.error = Some(Error::redis("empty queue", &e).to_string());
                    break;
                }
            }
        }
        // Jobs that workers took meanwhile were not ours to remove: the queue is empty of
        // what it held, so the report counts what we removed and matched follows it.
        report.matched = report.done;
        Ok(report)
    }

    /// Deletes every job of a registry (as `rqctl delete` would, one by one) and its entry.
    /// Each job is re-checked inside its script: one that left the registry since it was
    /// listed (promoted by a scheduler, requeued, taken by a worker) is left alone and
    /// reported. Running jobs and periodic rq-scheduler jobs are refused unless `force`.
    /// The started registry is refused: its jobs are running.
    pub async fn empty_registry(
        &mut self,
        queue: &str,
        registry: Registry,
        force: bool,
        dry_run: bool,
    ) -> Result<Report> {
        if registry == Registry::Started {
            return Err(Error::Refused(
                "the started registry holds running jobs: stop them (rqctl stop-job) or let rqctl clean fail the abandoned ones".into(),
            ));
        }
        let mut report = Report::new("empty", format!("{registry}@{queue}"), dry_run);
        if dry_run {
            // Counted page by page: a registry of millions of ids is never held whole.
            self.survey_registry(registry, queue, None, None, &mut report)
                .await?;
            return Ok(report);
        }
        let members = self.snapshot_registry(registry, queue).await?;
        report.matched = members.len() as u64;
        report.sample_from(members.iter().map(|m| m.id.as_str()));
        self.delete_members(registry, queue, &members, force, &mut report)
            .await;
        Ok(report)
    }

    /// Deletes the jobs `ids` selected from `registry` of `queue` earlier (a listing, a
    /// filter): each only if it is still there when its turn comes, so a job that moved
    /// since is left alone and reported. Refuses running and periodic jobs unless `force`.
    pub async fn delete_from_registry(
        &mut self,
        registry: Registry,
        queue: &str,
        ids: &[String],
        force: bool,
    ) -> Result<Report> {
        let mut report = Report::new("delete", format!("{registry}@{queue}"), false);
        let members: Vec<Member> = super::unique(ids)
            .into_iter()
            .map(|id| Member::of(Some(registry), id, 0.0))
            .collect();
        report.matched = members.len() as u64;
        self.delete_members(registry, queue, &members, force, &mut report)
            .await;
        Ok(report)
    }

    async fn delete_members(
        &mut self,
        registry: Registry,
        queue: &str,
        members: &[Member],
        force: bool,
        report: &mut Report,
    ) {
        let args = [
            if force { b"1".to_vec() } else { b"0".to_vec() },
            self.keys.registry(registry, queue),
        ];
        let run = self
            .run_batches(&DELETE, &[], &args, members, |m, c| {
                c.arg(&*keys::name_bytes(&m.member))
                    .arg(&*keys::name_bytes(&m.id))
                    .arg("periodic");
            })
            .await;
        for (m, o) in members.iter().zip(&run.outcomes) {
            match o.code {
                1 => report.done += 1,
                -1 => {
                    report.dangling_removed += 1;
                    report.matched = report.matched.saturating_sub(1);
                }
                super::scripts::UNKNOWN => {}
                _ => report.skip(&m.id, o.reason()),
            }
        }
        report.unknown = run.unknown;
        report.error = run.error.map(|e| e.to_string());
    }

    /// Deletes a queue as RQ's `Queue.delete(delete_jobs=True)`: empty it, then drop it from
    /// `rq:queues`. Registries are left, as RQ leaves them.
    pub async fn delete_queue(&mut self, queue: &str, dry_run: bool) -> Result<Report> {
        let mut report = self.empty_queue(queue, dry_run).await?;
        report.action = "delete-queue";
        if dry_run || report.error.is_some() {
            return Ok(report);
        }
        let key = self.keys.queue(queue);
        let tail = DELETE_QUEUE
            .key(key.as_slice())
            .key(self.keys.queues())
            .arg(self.keys.with_colon())
            .arg(super::now_stamps().0)
            .arg(super::now_stamps().1)
            .arg(key.as_slice())
            .invoke_async::<i64>(self.connection())
            .await
            .map_err(|e| Error::redis("delete queue", &e))?;
        report.done += u64::try_from(tail).unwrap_or(0);
        report.matched = report.done;
        Ok(report)
    }

    /// Removes ids whose job hash is gone from a queue, keeping the order of the rest.
    pub async fn compact_queue(&mut self, queue: &str, dry_run: bool) -> Result<Report> {
        let key = self.keys.queue(queue);
        let mut report = Report::new("compact", format!("queue {queue}"), dry_run);
        if dry_run {
            let ids = self.list_ids(&key).await?;
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let exists = self.existing(&refs).await?;
            let dangling: Vec<&str> = refs
                .iter()
                .zip(exists)
                .filter(|(_, e)| !e)
                .map(|(id, _)| *id)
                .collect();
            report.matched = dangling.len() as u64;
            report.sample_from(dangling);
            return Ok(report);
        }
        let (_, now) = now_stamps();
        let tombstone = format!("__rqctl_compact_{}_{now}__", std::process::id());
        let mut start = 0_i64;
        loop {
            let res = COMPACT
                .key(key.as_slice())
                .arg(self.keys.with_colon())
                .arg(super::now_stamps().0)
                .arg(super::now_stamps().1)
                .arg(start)
                .arg(COMPACT_WINDOW)
                .arg(&tombstone)
                .invoke_async::<Vec<i64>>(self.connection())
                .await
                .map_err(|e| Error::redis("compact queue", &e))?;
            let (marked, seen) = (
                res.first().copied().unwrap_or(0),
                res.get(1).copied().unwrap_or(0),
            );
            report.matched += u64::try_from(marked).unwrap_or(0);
            if seen < COMPACT_WINDOW {
                break;
            }
            start += COMPACT_WINDOW;
        }
        self.cmd(
            "compact queue",
            redis::cmd("LREM").arg(&key).arg(0).arg(&tombstone).clone(),
        )
        .await?;
        // Every tombstone is gone now: removed by the LREM, or popped by a worker meanwhile,
        // which skips it like any dangling id.
        report.done = report.matched;
        Ok(report)
    }

    /// Every id of a list, paged.
    async fn list_ids(&mut self, key: &[u8]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let page = i64::try_from(BATCH * 20).unwrap_or(10_000);
        let mut start = 0;
        loop {
            let v = self
                .cmd(
                    "read queue",
                    redis::cmd("LRANGE")
                        .arg(key)
                        .arg(start)
                        .arg(start + page - 1)
                        .clone(),
                )
                .await?;
            let ids = reply::members(&v);
            let n = ids.len() as i64;
            out.extend(ids.iter().map(|m| keys::name_from_bytes(m)));
            if n < page {
                return Ok(out);
            }
            start += page;
        }
    }
}
