//! Mutations of named jobs and of whole registries: requeue, delete, cancel, enqueue now.

use super::super::client::RqClient;
use super::super::error::{Error, Result};
use super::super::keys::{self, Registry};
use super::super::model::JobStatus;
use super::super::reply::{self, Replies};
use super::batches::Batches;
use super::bulk::Member;
use super::scripts::{CANCEL, DELETE, ENQUEUE_NOW, Outcome, REQUEUE, REQUEUE_HEAD, UNKNOWN};
use super::{Report, now_stamps, reason, unique};
use std::collections::BTreeMap;

/// Jobs a head-mode script call takes (~5-10 ms of Redis time).
const HEAD_BATCH: u64 = 1_000;

/// What a job looks like before we touch it (for grouping and for dry runs).
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    pub id: String,
    pub exists: bool,
    pub status: JobStatus,
    pub origin: String,
    pub in_rq_scheduler: bool,
    /// An rq-scheduler job that repeats (`interval` or `cron_string` in its meta): deleting
    /// or canceling it ends its schedule, so that needs `--force`. One-off jobs do not.
    pub periodic: bool,
    /// In RQ's `rq:scheduled:<origin>` (filled by `probe_scheduled`).
    pub in_scheduled_registry: bool,
}

impl RqClient {
    /// Reads status, origin and rq-scheduler membership of each id, in one round trip.
    pub(crate) async fn probe(&mut self, ids: &[String]) -> Result<Vec<Probe>> {
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HMGET")
                .arg(self.keys.job(id))
                .arg("status")
                .arg("origin");
            pipe.cmd("EXISTS").arg(self.keys.job(id));
            pipe.cmd("ZSCORE").arg(keys::RQ_SCHEDULER_JOBS).arg(id);
        }
        let mut r = Replies::new(self.pipeline("read jobs", pipe).await?);
        Ok(ids
            .iter()
            .map(|id| {
                let fields = r.next();
                let f = reply::items(&fields);
                Probe {
                    id: id.clone(),
                    status: JobStatus::parse(f.first().and_then(reply::text).as_deref()),
                    origin: f.get(1).and_then(reply::text).unwrap_or_default(),
                    exists: reply::int(&r.next()).unwrap_or(0) > 0,
                    in_rq_scheduler: !matches!(r.next(), redis::Value::Nil),
                    periodic: false,
                    in_scheduled_registry: false,
                }
            })
            .collect::<Vec<_>>())
    }

    /// The status of each named job (None when its hash is gone), in one round trip.
    pub async fn job_statuses(&mut self, ids: &[String]) -> Result<Vec<Option<JobStatus>>> {
        Ok(self
            .probe(ids)
            .await?
            .into_iter()
            .map(|p| p.exists.then_some(p.status))
            .collect())
    }

    /// Probes, and for jobs in rq-scheduler's set whether they repeat (a second round trip,
    /// only when there are any: `meta` is read and decoded for those alone).
    pub(crate) async fn probe_periodic(&mut self, ids: &[String]) -> Result<Vec<Probe>> {
        let mut probes = self.probe(ids).await?;
        let scheduled: Vec<usize> = (0..probes.len())
            .filter(|&i| probes[i].in_rq_scheduler && probes[i].exists)
            .collect();
        if scheduled.is_empty() {
            return Ok(probes);
        }
        let mut pipe = redis::pipe();
        for &i in &scheduled {
            pipe.cmd("HGET")
                .arg(self.keys.job(&probes[i].id))
                .arg("meta");
        }
        let metas = self.pipeline("read rq-scheduler meta", pipe).await?;
        for (&i, meta) in scheduled.iter().zip(metas) {
            probes[i].periodic = is_periodic(&meta);
        }
        Ok(probes)
    }

    /// Fills `in_scheduled_registry` (a second round trip: the key needs each origin).
    async fn probe_scheduled(&mut self, probes: &mut [Probe]) -> Result<()> {
        let mut pipe = redis::pipe();
        for p in probes.iter() {
            pipe.cmd("ZSCORE")
                .arg(self.keys.registry(Registry::Scheduled, &p.origin))
                .arg(&p.id);
        }
        let replies = self.pipeline("read schedules", pipe).await?;
        for (p, v) in probes.iter_mut().zip(replies) {
            p.in_scheduled_registry = !matches!(v, redis::Value::Nil);
        }
        Ok(())
    }

    /// Requeues every job of `registry` in each of `queues`, one report per queue.
    pub async fn requeue_all(
        &mut self,
        registry: Registry,
        queues: &[String],
        at_front: bool,
        dry_run: bool,
    ) -> Result<Vec<Report>> {
        let mut reports = Vec::new();
        for q in queues {
            let mut report = Report::new("requeue", format!("{registry}@{q}"), dry_run);
            report.destination = Some(format!("queue {q}"));
            // A failure on one queue is reported with it; the others still run.
            let done = if dry_run {
                // Counted page by page: a registry of millions of ids is never held whole.
                // Of the started registry, only abandoned jobs (expiry passed) are targets.
                let now = now_stamps().1 as f64;
                let max_score = (registry == Registry::Started).then_some(now);
                let expiring = registry.expires_by_score() && registry != Registry::Started;
                self.survey_registry(registry, q, max_score, expiring.then_some(now), &mut report)
                    .await
            } else {
                self.requeue_head(registry, q, at_front, &mut report).await
            };
            if let Err(e) = done {
                report.error = Some(e.to_string());
            }
            reports.push(report);
        }
        Ok(reports)
    }

    async fn requeue_members(
        &mut self,
        registry: Registry,
        queue: &str,
        members: &[Member],
        at_front: bool,
        report: &mut Report,
    ) -> Result<()> {
        let (stamp, now) = now_stamps();
        // Running jobs are not targets of a started-registry requeue: only abandoned ones
        // (their heartbeat expiry has passed) are. The script re-checks each score.
        let members: Vec<&Member> = members
            .iter()
            .filter(|m| registry != Registry::Started || m.score <= now as f64)
            .collect();
        report.matched = members.len() as u64;
        report.sample_from(members.iter().map(|m| m.id.as_str()));
        let now_text = now.to_string();
        let queue_name = keys::name_bytes(queue);
        let args: [&[u8]; 6] = [
            stamp.as_bytes(),
            flag(at_front).as_bytes(),
            &queue_name,
            now_text.as_bytes(),
            flag(registry == Registry::Started).as_bytes(),
            flag(registry == Registry::Deferred).as_bytes(),
        ];
        let run = self
            .run_batches(
                &REQUEUE,
                &[self.keys.registry(registry, queue)],
                &args,
                &members,
                |m, c| {
                    c.arg(&*keys::name_bytes(&m.member))
                        .arg(&*keys::name_bytes(&m.id));
                },
            )
            .await;
        tally(report, members.iter().map(|m| m.id.as_str()), run, 1, true);
        Ok(())
    }

    /// Requeues a whole registry from its head, in calls of `HEAD_BATCH` jobs, taking at
    /// most as many jobs as it held at the start (jobs failing meanwhile wait for the next
    /// run). Refused members stay at the head and are stepped over.
    async fn requeue_head(
        &mut self,
        registry: Registry,
        queue: &str,
        at_front: bool,
        report: &mut Report,
    ) -> Result<()> {
        let (stamp, now) = now_stamps();
        let key = self.keys.registry(registry, queue);
        let count = if registry == Registry::Started {
            redis::cmd("ZCOUNT").arg(&key).arg("-inf").arg(now).clone()
        } else {
            redis::cmd("ZCARD").arg(&key).clone()
        };
        let mut left = reply::int(&self.cmd("count registry", count).await?)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let mut offset = 0_u64;
        while left > 0 {
            let batch = left.min(HEAD_BATCH);
            let reply = REQUEUE_HEAD
                .key(key.as_slice())
                .arg(self.keys.with_colon())
                .arg(super::now_stamps().0)
                .arg(super::now_stamps().1)
                .arg(&stamp)
                .arg(flag(at_front))
                .arg(&*keys::name_bytes(queue))
                .arg(now)
                .arg(flag(registry == Registry::Started))
                .arg(flag(registry == Registry::Deferred))
                .arg(offset)
                .arg(batch)
                .arg(flag(
                    registry.expires_by_score() && registry != Registry::Started,
                ))
                .invoke_async::<redis::Value>(self.connection())
                .await;
            let reply = match reply {
                Ok(v) => v,
                Err(e) => {
                    let err = Error::redis("requeue", &e).to_string();
                    if !is_server_reply(&e) {
                        // The call may have run on the server: its jobs' outcome is unknown.
                        report.unknown += batch;
                    } else if super::batches::refused_before_running(&err) {
                        report.error = Some(super::batches::explain_refusal(
                            &err,
                            std::slice::from_ref(&key),
                        ));
                        break;
                    } else {
                        // The script failed while running: jobs before the failure were
                        // changed, each whole; which ones is not known.
                        report.unknown += batch;
                    }
                    report.error = Some(err);
                    break;
                }
            };
            let parts = reply::items(&reply);
            let codes = parts.first().map(reply::items).unwrap_or_default();
            let members = parts.get(1).map(reply::members).unwrap_or_default();
            if members.is_empty() {
                break;
            }
            left = left.saturating_sub(members.len() as u64);
            for (code, member) in codes.iter().zip(&members) {
                let member = Member::of(Some(registry), keys::name_from_bytes(member), 0.0);
                let outcome = Outcome::of(code);
                if outcome.code == -9 {
                    // Expired: RQ's cleanup removes it; `rq requeue --all` would not requeue it.
                    report.expired_left += 1;
                    offset += 1;
                    continue;
                }
                if outcome.code != -1 {
                    report.matched += 1;
                    if report.sample.len() < 10 {
                        report.sample.push(member.id.clone());
                    }
                }
                match outcome.code {
                    1 => report.done += 1,
                    -1 => report.dangling_removed += 1, // removed from the registry
                    _ => {
                        report.skip(&member.id, outcome.reason());
                        offset += 1; // still at the head: step over it next time
                    }
                }
            }
        }
        Ok(())
    }

    /// Requeues the jobs `ids` selected from `registry` of `queue` earlier (a selector, a
    /// signature): each only if it is still in that registry when its turn comes (the
    /// script re-checks), so one that moved meanwhile is skipped and reported.
    pub async fn requeue_selected(
        &mut self,
        registry: Registry,
        queue: &str,
        ids: &[String],
        at_front: bool,
    ) -> Result<Report> {
        let mut report = Report::new("requeue", format!("{registry}@{queue}"), false);
        report.destination = Some(format!("queue {queue}"));
        let members: Vec<Member> = unique(ids)
            .into_iter()
            .map(|id| Member::of(Some(registry), id, 0.0))
            .collect();
        self.requeue_members(registry, queue, &members, at_front, &mut report)
            .await?;
        Ok(report)
    }

    /// Requeues the named jobs from whichever registry their status puts them in.
    pub async fn requeue_jobs(
        &mut self,
        ids: &[String],
        at_front: bool,
        dry_run: bool,
    ) -> Result<Report> {
        let ids = &unique(ids);
        let probes = self.probe(ids).await?;
        let mut report = Report::new("requeue", "the named jobs", dry_run);
        report.destination = Some("their queues".to_string());
        report.sample_from(ids.iter().map(String::as_str));
        let mut groups: BTreeMap<(Registry, String), Vec<Member>> = BTreeMap::new();
        for p in &probes {
            match p.status.registry() {
                _ if !p.exists => report.skip(&p.id, reason(-1)),
                Some(Registry::Started) => report.skip(&p.id, reason(-2)),
                Some(reg) => groups
                    .entry((reg, p.origin.clone()))
                    .or_default()
                    .push(Member {
                        member: p.id.clone(),
                        id: p.id.clone(),
                        score: 0.0,
                    }),
                None => report.skip(&p.id, format!("status is {}: not in a registry", p.status)),
            }
        }
        report.matched = probes.len() as u64 - report.skipped_count;
        if dry_run {
            return Ok(report);
        }
        for ((reg, origin), members) in groups {
            let mut part = Report::new("requeue", "", false);
            self.requeue_members(reg, &origin, &members, at_front, &mut part)
                .await?;
            merge(&mut report, part);
        }
        Ok(report)
    }

    /// Deletes the named jobs and everything of theirs (see scripts/delete.lua).
    pub async fn delete_jobs(
        &mut self,
        ids: &[String],
        force: bool,
        dry_run: bool,
    ) -> Result<Report> {
        let ids = &unique(ids);
        let mut report = Report::new("delete", "the named jobs", dry_run);
        let probes = self.probe_periodic(ids).await?;
        if dry_run {
            predict(&mut report, &probes, |p| {
                if !p.exists {
                    -1
                } else if !force && p.status == JobStatus::Started {
                    -2
                } else if !force && p.periodic {
                    -3
                } else {
                    1
                }
            });
            return Ok(report);
        }
        report.matched = ids.len() as u64;
        let args = [flag(force).to_string(), String::new()];
        let run = self
            .run_batches(&DELETE, &[], &args, &probes, |p, c| {
                c.arg(&*keys::name_bytes(&p.id))
                    .arg(&*keys::name_bytes(&p.id))
                    .arg(schedule_kind(p));
            })
            .await;
        tally(&mut report, ids.iter().map(String::as_str), run, 1, false);
        Ok(report)
    }

    /// Cancels the named jobs as RQ 2.12's `Job.cancel` does; a job rq-scheduler would
    /// still run is also taken out of its set (as rq-scheduler's own `cancel`).
    pub async fn cancel_jobs(
        &mut self,
        ids: &[String],
        force: bool,
        dry_run: bool,
    ) -> Result<Report> {
        let ids = &unique(ids);
        let mut report = Report::new("cancel", "the named jobs", dry_run);
        let probes = self.probe_periodic(ids).await?;
        if dry_run {
            predict(&mut report, &probes, |p| match &p.status {
                _ if !p.exists => -1,
                JobStatus::Canceled => -4,
                JobStatus::Started if !force => -2,
                _ if !force && p.periodic => -3,
                _ => 1,
            });
            return Ok(report);
        }
        report.matched = ids.len() as u64;
        let (_, now) = now_stamps();
        let args = [now.to_string(), flag(force).to_string()];
        let run = self
            .run_batches(&CANCEL, &[], &args, &probes, |p, c| {
                c.arg(&*keys::name_bytes(&p.id)).arg(schedule_kind(p));
            })
            .await;
        tally(&mut report, ids.iter().map(String::as_str), run, 1, false);
        Ok(report)
    }

    /// Runs scheduled jobs now (RQ's scheduled registry), or at rq-scheduler's next pass.
    pub async fn enqueue_now(&mut self, ids: &[String], dry_run: bool) -> Result<Report> {
        let ids = &unique(ids);
        let mut report = Report::new("enqueue-now", "the named jobs", dry_run);
        if dry_run {
            let mut probes = self.probe(ids).await?;
            self.probe_scheduled(&mut probes).await?;
            predict(&mut report, &probes, |p| {
                if !p.exists {
                    -1
                } else if p.in_scheduled_registry || p.in_rq_scheduler {
                    1
                } else {
                    -5
                }
            });
            return Ok(report);
        }
        report.matched = ids.len() as u64;
        let (stamp, now) = now_stamps();
        let args = [stamp, now.to_string()];
        let run = self
            .run_batches(&ENQUEUE_NOW, &[], &args, ids, |id, c| {
                c.arg(&*keys::name_bytes(id));
            })
            .await;
        let handed = run.outcomes.iter().filter(|o| o.code == 2).count();
        tally(&mut report, ids.iter().map(String::as_str), run, 1, false);
        report.done += handed as u64;
        if handed > 0 {
            report.destination = Some(format!(
                "{handed} rq-scheduler job(s) run at rq-scheduler's next pass"
            ));
        }
        Ok(report)
    }
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// Whether rq-scheduler's pickled `meta` says the job repeats. Meta that cannot be read
/// counts as periodic: refusing without `--force` is the safe side.
fn is_periodic(meta: &redis::Value) -> bool {
    let Some(bytes) = reply::bytes(meta).filter(|b| !b.is_empty()) else {
        return false;
    };
    let Ok(payload) = super::super::decode::payload(&bytes) else {
        return true;
    };
    let json = payload.to_json();
    ["interval", "cron_string"]
        .iter()
        .any(|k| json.get(k).is_some_and(|v| !v.is_null()))
}

/// What the scripts are told of a job in rq-scheduler's set: `periodic` (needs --force) or
/// `once` (a one-off: fine to delete or cancel, taken out of rq-scheduler's set too).
fn schedule_kind(p: &Probe) -> &'static str {
    if p.in_rq_scheduler && !p.periodic {
        "once"
    } else {
        "periodic"
    }
}

/// Counts outcomes equal to `ok` as done, dangling ids removed from a registry
/// (`dangling_removed`) apart, and every other code of zero or less as a skip with its
/// reason; takes over the run's error and count of unknown outcomes.
fn tally<'a>(
    report: &mut Report,
    ids: impl Iterator<Item = &'a str>,
    run: Batches,
    ok: i64,
    dangling_removed: bool,
) {
    for (id, o) in ids.zip(&run.outcomes) {
        match o.code {
            c if c == ok => report.done += 1,
            -1 if dangling_removed => {
                report.dangling_removed += 1;
                report.matched = report.matched.saturating_sub(1);
            }
            UNKNOWN => {}
            c if c <= 0 => report.skip(id, o.reason()),
            _ => {}
        }
    }
    report.unknown += run.unknown;
    if let Some(e) = run.error {
        report.error = Some(e.to_string());
    }
}

/// True when the server answered (with an error): nothing ran. False for a transport
/// failure (timeout, connection lost), after which the call may have run.
fn is_server_reply(e: &redis::RedisError) -> bool {
    e.kind() != redis::ErrorKind::Io && !e.is_timeout() && !e.is_connection_dropped()
}

/// Dry run: what the script would answer for each probe.
fn predict(report: &mut Report, probes: &[Probe], code: impl Fn(&Probe) -> i64) {
    report.sample_from(probes.iter().map(|p| p.id.as_str()));
    for p in probes {
        let c = code(p);
        if c > 0 {
            report.matched += 1;
        } else {
            report.skip(&p.id, reason(c));
        }
    }
}

fn merge(into: &mut Report, part: Report) {
    into.done += part.done;
    into.unknown += part.unknown;
    // A job whose hash vanished between the probe and the script: gone, not targeted.
    into.dangling_removed += part.dangling_removed;
    into.matched = into.matched.saturating_sub(part.dangling_removed);
    let unlisted = part.skipped_count - part.skipped.len() as u64;
    for s in part.skipped {
        into.skip(&s.id, s.reason);
    }
    into.skipped_count += unlisted;
    if part.error.is_some() {
        into.error = part.error;
    }
}
