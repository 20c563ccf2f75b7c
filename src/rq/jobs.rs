//! Pages of jobs (O(page), never O(registry)) and one job in full.

use std::collections::HashMap;

use redis::Value;

use super::client::RqClient;
use super::decode;
use super::error::{Error, Result};
use super::keys::{self, Registry};
use super::model::{Job, JobPage, JobQuery, JobSource, JobStatus, JobSummary};
use super::reply::{self, Replies};
use super::results;

/// The hash fields a job row shows, fetched with one HMGET per row.
const ROW_FIELDS: [&str; 9] = [
    "status",
    "description",
    "origin",
    "created_at",
    "enqueued_at",
    "started_at",
    "ended_at",
    "worker_name",
    "exc_info",
];

/// How many dependents of one job are listed (`dependents_total` has the count).
const MAX_DEPENDENTS: usize = 1_000;

/// The largest page a caller may ask for.
pub const MAX_PAGE: u64 = 10_000;

impl RqClient {
    /// One page of a queue or registry, in two round trips.
    pub async fn jobs(&mut self, query: &JobQuery) -> Result<JobPage> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let (total, ids) = self.fetch_ids(query, limit).await?;
        let rows = self.fetch_rows(&ids, query.source).await?;
        Ok(JobPage {
            queue: query.queue.clone(),
            source: query.source,
            total,
            offset: query.offset,
            newest_first: query.newest_first,
            jobs: rows,
        })
    }

    /// Member ids (with scores for registries) of the requested window, and the total.
    async fn fetch_ids(
        &mut self,
        query: &JobQuery,
        limit: u64,
    ) -> Result<(u64, Vec<(String, Option<f64>)>)> {
        let start = i64::try_from(query.offset).unwrap_or(i64::MAX);
        let stop = start.saturating_add(i64::try_from(limit).unwrap_or(i64::MAX) - 1);
        let mut pipe = redis::pipe();
        match query.source {
            JobSource::Queue => {
                let key = keys::queue(&query.queue);
                pipe.cmd("LLEN").arg(&key);
                if query.newest_first {
                    // Newest = tail of the list; negative indexes count from the end.
                    pipe.cmd("LRANGE").arg(&key).arg(-stop - 1).arg(-start - 1);
                } else {
                    pipe.cmd("LRANGE").arg(&key).arg(start).arg(stop);
                }
            }
            JobSource::Registry(reg) => {
                let key = reg.key(&query.queue);
                pipe.cmd("ZCARD").arg(&key);
                let cmd = if query.newest_first {
                    "ZREVRANGE"
                } else {
                    "ZRANGE"
                };
                pipe.cmd(cmd)
                    .arg(&key)
                    .arg(start)
                    .arg(stop)
                    .arg("WITHSCORES");
            }
        }
        let mut r = Replies::new(self.pipeline("read job ids", pipe).await?);
        let total = reply::int(&r.next())
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(0);
        let listed = r.next();
        if let Some(err) = reply::error(&listed) {
            return Err(Error::Redis {
                op: "read job ids",
                reason: err,
            });
        }
        let ids = match query.source {
            JobSource::Queue => {
                let mut ids: Vec<_> = reply::members(&listed)
                    .into_iter()
                    .map(|m| (String::from_utf8_lossy(&m).into_owned(), None))
                    .collect();
                if query.newest_first {
                    ids.reverse();
                }
                ids
            }
            JobSource::Registry(_) => reply::scored(&listed)
                .into_iter()
                .map(|(m, s)| (String::from_utf8_lossy(&m).into_owned(), Some(s)))
                .collect(),
        };
        Ok((total, ids))
    }

    async fn fetch_rows(
        &mut self,
        ids: &[(String, Option<f64>)],
        source: JobSource,
    ) -> Result<Vec<JobSummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let failed = source == JobSource::Registry(Registry::Failed);
        let mut pipe = redis::pipe();
        let parsed: Vec<(&str, Option<&str>)> = ids
            .iter()
            .map(|(m, _)| {
                if source == JobSource::Registry(Registry::Started) {
                    decode::wip_member(m)
                } else {
                    (m.as_str(), None)
                }
            })
            .collect();
        for (id, _) in &parsed {
            let mut cmd = redis::cmd("HMGET");
            cmd.arg(keys::job(id));
            for f in ROW_FIELDS {
                cmd.arg(f);
            }
            pipe.add_command(cmd);
            pipe.cmd("EXISTS").arg(keys::job(id));
            if failed {
                pipe.cmd("XREVRANGE")
                    .arg(keys::results(id))
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1);
            }
        }
        let mut r = Replies::new(self.pipeline("read job rows", pipe).await?);
        let mut rows = Vec::with_capacity(ids.len());
        for ((id, exec), (_, score)) in parsed.iter().zip(ids) {
            let values = r.next();
            let exists = reply::int(&r.next()).unwrap_or(0) > 0;
            let latest = if failed {
                results::latest(&r.next())
            } else {
                None
            };
            rows.push(summary_row(
                id,
                *exec,
                *score,
                &values,
                exists,
                latest.as_ref(),
            ));
        }
        Ok(rows)
    }

    /// One job, whole, in one round trip. `NotFound` when its hash does not exist.
    pub async fn job(&mut self, id: &str) -> Result<Job> {
        let mut pipe = redis::pipe();
        pipe.cmd("HGETALL").arg(keys::job(id));
        pipe.cmd("XREVRANGE")
            .arg(keys::results(id))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1);
        // A fan-out parent can have many dependents: read a bounded slice and the count.
        pipe.cmd("SSCAN")
            .arg(keys::dependents(id))
            .arg(0)
            .arg("COUNT")
            .arg(MAX_DEPENDENTS);
        pipe.cmd("SCARD").arg(keys::dependents(id));
        pipe.cmd("SMEMBERS").arg(keys::dependencies(id));
        pipe.cmd("ZSCORE").arg(keys::RQ_SCHEDULER_JOBS).arg(id);
        pipe.cmd("TTL").arg(keys::job(id));
        let mut r = Replies::new(self.pipeline("read job", pipe).await?);
        let hash = r.next();
        if let Some(err) = reply::error(&hash) {
            return Err(Error::Redis {
                op: "read job",
                reason: err,
            });
        }
        let fields = reply::pairs(&hash);
        if fields.is_empty() {
            return Err(Error::NotFound {
                kind: "job",
                id: id.to_string(),
            });
        }
        let latest = results::latest(&r.next());
        let scan = r.next();
        let mut dependents = sorted_text(reply::items(&scan).get(1).unwrap_or(&Value::Nil));
        dependents.truncate(MAX_DEPENDENTS);
        let dependents_total = reply::int(&r.next())
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let dependencies = sorted_text(&r.next());
        let scheduler_score = reply::float(&r.next());
        let ttl = reply::int(&r.next()).filter(|t| *t >= 0);
        let mut job = super::job_detail::build(
            id,
            &fields,
            latest,
            dependents,
            dependencies,
            scheduler_score,
            ttl,
        );
        job.dependents_total = dependents_total;
        Ok(job)
    }
}

fn sorted_text(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = reply::members(v)
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect();
    out.sort();
    out
}

fn summary_row(
    id: &str,
    exec: Option<&str>,
    score: Option<f64>,
    values: &Value,
    exists: bool,
    latest: Option<&super::model::JobResult>,
) -> JobSummary {
    let vals = reply::items(values);
    let get = |i: usize| vals.get(i).and_then(reply::text);
    let raw = |i: usize| vals.get(i).and_then(reply::bytes).filter(|b| !b.is_empty());
    let field: HashMap<&str, Option<String>> = ROW_FIELDS[..8]
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, get(i)))
        .collect();
    let f = |name: &str| field.get(name).cloned().flatten();
    let description = f("description");
    let traceback = latest
        .and_then(|l| l.exc_string.clone())
        .or_else(|| raw(8).and_then(|b| decode::exc_info(&b)));
    let status = exists.then(|| JobStatus::parse(f("status").as_deref()));
    let error = match status {
        Some(JobStatus::Failed | JobStatus::Stopped) | None => {
            traceback.as_deref().and_then(decode::error_summary)
        }
        _ => None,
    };
    JobSummary {
        id: id.to_string(),
        status,
        missing: !exists,
        func_name: description
            .as_deref()
            .and_then(decode::func_from_description),
        description,
        origin: f("origin"),
        created_at: f("created_at").and_then(|t| decode::timestamp(&t)),
        enqueued_at: f("enqueued_at").and_then(|t| decode::timestamp(&t)),
        started_at: f("started_at").and_then(|t| decode::timestamp(&t)),
        ended_at: f("ended_at").and_then(|t| decode::timestamp(&t)),
        worker_name: f("worker_name"),
        error,
        score: score.filter(|s| !s.is_nan()),
        execution_id: exec.map(str::to_string),
    }
}
