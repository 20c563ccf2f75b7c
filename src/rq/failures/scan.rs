//! Reading every job of a queue or registry in bounded steps: ids a page at a time (ZSCAN
//! for registries, LRANGE for queues), then
//! each page's jobs through `failure_rows.lua` (every field capped), in a few pipelined
//! script calls. Nothing is held but the current page and the ids already seen (so a
//! registry that shifts under the scan never yields a job twice).

use std::collections::HashSet;
use std::sync::LazyLock;

use redis::{Script, Value};

use super::inflate::{self, Inflated};
use super::signature::{self, Signature};
use super::traceback;
use crate::rq::client::RqClient;
use crate::rq::decode;
use crate::rq::error::{Error, Result};
use crate::rq::keys::{self, Keys};
use crate::rq::model::{JobSource, JobStatus, Timestamp};
use crate::rq::reply;

/// Ids per page (`ZSCAN`/`LRANGE` of this many is well under a millisecond).
const PAGE: usize = 1_000;
/// A queue page starts this many ids before the previous one ended: jobs leaving the list
/// meanwhile shift the rest left, and the overlap (deduplicated) keeps them from being
/// stepped over.
const OVERLAP: usize = 50;
/// Jobs per script call (~1-2 ms of Redis time for ordinary jobs).
const ROWS_PER_CALL: usize = 100;
/// Script calls per round trip.
const CALLS_PER_TRIP: usize = 5;
const SHORT_CAP: usize = 512;
const DATA_HEAD: usize = 2048;
const DATA_READ_MAX: usize = 1024 * 1024;
/// Largest compressed traceback read; a larger one is grouped by its size.
const TRACEBACK_MAX: usize = 64 * 1024;
/// Largest traceback decompressed (the parser reads only its last 64 KB).
const TRACEBACK_INFLATED_MAX: usize = 8 * 1024 * 1024;
/// Bytes one call may read before it returns the rows done (~10 ms of Redis time).
const CALL_READ_BUDGET: usize = 4 * 1024 * 1024;
const META_MAX: usize = 64 * 1024;
/// Where a scan is in its queue or registry.
enum Pager {
    Start,
    /// The next list index, or ZSCAN cursor.
    At(usize),
    Done,
}

/// Values the script returns per job.
const ROW_VALUES: usize = 13;

const FAILURE_ROWS_LUA: &str = include_str!("../scripts/failure_rows.lua");
static FAILURE_ROWS: LazyLock<Script> = LazyLock::new(|| Script::new(FAILURE_ROWS_LUA));

/// One job as a scan reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedJob {
    pub id: String,
    /// The queue whose list or registry listed it.
    pub queue: String,
    /// False when its hash is gone (a dangling id).
    pub exists: bool,
    pub status: Option<JobStatus>,
    pub origin: Option<String>,
    pub function: Option<String>,
    pub created_at: Option<Timestamp>,
    /// When it ended (failed), else when its latest result was written.
    pub ended_at: Option<Timestamp>,
    pub worker_name: Option<String>,
    /// The registry score (expiry for the failed registry); None for a queue list.
    pub score: Option<f64>,
    /// The latest traceback, decompressed (None when none was recorded).
    pub traceback: Option<String>,
    pub signature: Signature,
    /// The error as recorded (`KeyError: 'user-42'`), not normalised.
    pub error: Option<String>,
    /// `meta`, decoded, when asked for.
    pub meta: Option<serde_json::Value>,
}

/// Totals of one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Ids listed (each counted once).
    pub listed: u64,
    /// Ids whose job hash is gone (counted apart, never a failure).
    pub missing: u64,
    /// Ids whose key is not a hash (not an RQ job).
    pub not_jobs: u64,
}

/// What to read besides the fields every scan reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanNeeds {
    pub meta: bool,
}

impl RqClient {
    /// Reads every job of `source` in `queue`, handing each (with its signature) to `each`
    /// a page at a time. `each` returns false to stop the scan early.
    pub async fn scan_jobs(
        &mut self,
        queue: &str,
        source: JobSource,
        needs: ScanNeeds,
        mut each: impl FnMut(ScannedJob) -> bool + Send,
    ) -> Result<ScanStats> {
        let mut stats = ScanStats::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut pager = Pager::Start;
        while let Some(page) = self.id_page(queue, source, &mut pager).await? {
            let fresh: Vec<(String, Option<f64>)> = page
                .into_iter()
                .filter(|(id, _)| seen.insert(id.clone()))
                .collect();
            stats.listed += fresh.len() as u64;
            for chunk in fresh.chunks(ROWS_PER_CALL * CALLS_PER_TRIP) {
                let ids: Vec<&str> = chunk.iter().map(|(id, _)| id_of(id, source)).collect();
                let rows = self.failure_rows(&ids, needs).await?;
                for ((member, score), row) in chunk.iter().zip(rows) {
                    let job = row.into_job(id_of(member, source), queue, *score);
                    if !job.exists {
                        stats.missing += 1;
                    }
                    if !each(job) {
                        return Ok(stats);
                    }
                }
            }
        }
        Ok(stats)
    }

    /// The next page of ids, None at the end. Registries are read with ZSCAN, which
    /// returns every member present for the whole scan even while others come and go
    /// (paging by rank would skip some when earlier ones leave); it may return one twice,
    /// which the caller's seen-set drops. Queue lists are paged by index with an overlap.
    async fn id_page(
        &mut self,
        queue: &str,
        source: JobSource,
        pager: &mut Pager,
    ) -> Result<Option<Vec<(String, Option<f64>)>>> {
        let (cmd, next) = match (source, &*pager) {
            (_, Pager::Done) => return Ok(None),
            (JobSource::Queue, p) => {
                let start = match p {
                    Pager::At(n) => *n,
                    _ => 0,
                };
                let cmd = redis::cmd("LRANGE")
                    .arg(self.keys.queue(queue))
                    .arg(start)
                    .arg(start + PAGE - 1)
                    .clone();
                (cmd, start)
            }
            (JobSource::Registry(reg), p) => {
                let cursor = match p {
                    Pager::At(n) => *n,
                    _ => 0,
                };
                let cmd = redis::cmd("ZSCAN")
                    .arg(self.keys.registry(reg, queue))
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(PAGE)
                    .clone();
                (cmd, cursor)
            }
        };
        let reply = self.cmd("read job ids", cmd).await?;
        if let Some(err) = reply::error(&reply) {
            return Err(Error::Redis {
                op: "read job ids",
                reason: err,
            });
        }
        Ok(Some(match source {
            JobSource::Queue => {
                let page: Vec<_> = reply::members(&reply)
                    .into_iter()
                    .map(|m| (keys::name_from_bytes(&m), None))
                    .collect();
                *pager = if page.len() < PAGE {
                    Pager::Done
                } else {
                    Pager::At(next + PAGE - OVERLAP)
                };
                page
            }
            JobSource::Registry(_) => {
                let parts = reply::items(&reply);
                let cursor = parts
                    .first()
                    .and_then(reply::int)
                    .and_then(|c| usize::try_from(c).ok())
                    .unwrap_or(0);
                *pager = if cursor == 0 {
                    Pager::Done
                } else {
                    Pager::At(cursor)
                };
                parts
                    .get(1)
                    .map(reply::scored)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(m, s)| (keys::name_from_bytes(&m), Some(s)))
                    .collect()
            }
        }))
    }

    /// The rows of `ids` (at most `ROWS_PER_CALL * CALLS_PER_TRIP`), in one round trip
    /// unless a call stopped at its read budget.
    async fn failure_rows(&mut self, ids: &[&str], needs: ScanNeeds) -> Result<Vec<RawFailure>> {
        let chunks: Vec<&[&str]> = ids.chunks(ROWS_PER_CALL).collect();
        let keys = self.keys.clone();
        let calls = |eval: bool| {
            let mut pipe = redis::pipe();
            for chunk in &chunks {
                pipe.add_command(rows_call(&keys, chunk, needs, eval));
            }
            pipe
        };
        let mut replies = self.pipeline("read failed jobs", calls(false)).await?;
        if replies
            .iter()
            .any(|v| matches!(v, Value::ServerError(e) if e.code() == "NOSCRIPT"))
        {
            replies = self.pipeline("read failed jobs", calls(true)).await?;
        }
        let mut rows = Vec::with_capacity(ids.len());
        for (chunk, first) in chunks.into_iter().zip(replies) {
            let mut reply = first;
            let mut done = 0;
            loop {
                if let Some(err) = reply::error(&reply) {
                    return Err(Error::Redis {
                        op: "read failed jobs",
                        reason: err,
                    });
                }
                // Taken, not copied: a trip carries a few MB of tracebacks.
                let values = match std::mem::replace(&mut reply, Value::Nil) {
                    Value::Array(v) => v,
                    _ => Vec::new(),
                };
                let n = values.len() / ROW_VALUES;
                if n == 0 || n > chunk.len() - done || !values.len().is_multiple_of(ROW_VALUES) {
                    return Err(Error::Redis {
                        op: "read failed jobs",
                        reason: "unexpected reply from failure_rows.lua".to_string(),
                    });
                }
                let mut values = values.into_iter();
                for _ in 0..n {
                    let row: Vec<Value> = values.by_ref().take(ROW_VALUES).collect();
                    rows.push(RawFailure::of(row));
                }
                done += n;
                if done == chunk.len() {
                    break;
                }
                // The call stopped at its read budget: the rest in another.
                reply = self
                    .cmd(
                        "read failed jobs",
                        rows_call(&self.keys, &chunk[done..], needs, false),
                    )
                    .await?;
            }
        }
        Ok(rows)
    }
}

/// A started-registry member of RQ 2.x is `<id>:<execution id>`.
fn id_of(member: &str, source: JobSource) -> &str {
    if source == JobSource::Registry(crate::rq::keys::Registry::Started) {
        decode::wip_member(member).0
    } else {
        member
    }
}

fn rows_call(keys: &Keys, ids: &[&str], needs: ScanNeeds, eval: bool) -> redis::Cmd {
    let mut cmd = if eval {
        redis::cmd("EVAL").arg(FAILURE_ROWS_LUA).clone()
    } else {
        redis::cmd("EVALSHA").arg(FAILURE_ROWS.get_hash()).clone()
    };
    cmd.arg(ids.len() * 2);
    for id in ids {
        cmd.arg(keys.job(id)).arg(keys.results(id));
    }
    cmd.arg(SHORT_CAP)
        .arg(DATA_HEAD)
        .arg(DATA_READ_MAX)
        .arg(TRACEBACK_MAX)
        .arg(CALL_READ_BUDGET)
        .arg(if needs.meta { "1" } else { "0" })
        .arg(META_MAX);
    cmd
}

/// One job's values from the script.
struct RawFailure {
    kind: i64,
    short: [Option<String>; 5],
    data: Vec<u8>,
    exc_info: Vec<u8>,
    exc_info_len: u64,
    entry_id: Option<String>,
    exc_string: Vec<u8>,
    exc_string_len: u64,
    meta: Vec<u8>,
}

impl RawFailure {
    fn of(mut v: Vec<Value>) -> Self {
        let mut b = |i: usize| match v.get_mut(i).map(|x| std::mem::replace(x, Value::Nil)) {
            Some(Value::BulkString(bytes)) => bytes,
            Some(other) => reply::bytes(&other).unwrap_or_default(),
            None => Vec::new(),
        };
        let (data, exc_info, exc_string, meta) = (b(6), b(7), b(10), b(12));
        let n = |i: usize| {
            v.get(i)
                .and_then(reply::int)
                .and_then(|x| u64::try_from(x).ok())
                .unwrap_or(0)
        };
        Self {
            kind: v.first().and_then(reply::int).unwrap_or(0),
            short: std::array::from_fn(|k| v.get(1 + k).and_then(reply::text)),
            data,
            exc_info,
            exc_info_len: n(8),
            entry_id: v.get(9).and_then(reply::text),
            exc_string,
            exc_string_len: n(11),
            meta,
        }
    }

    /// The latest traceback as text: the result stream's (2.x) else the hash's (1.x).
    fn traceback(&self) -> Option<String> {
        if self.exc_string_len > 0 {
            if self.exc_string.is_empty() {
                return Some(too_large(self.exc_string_len / 4 * 3));
            }
            return Some(match decode::base64(&self.exc_string) {
                Ok(z) => text_of(&z),
                Err(e) => format!("undecodable traceback: {e}"),
            });
        }
        if self.exc_info_len > 0 {
            if self.exc_info.is_empty() {
                return Some(too_large(self.exc_info_len));
            }
            return Some(text_of(&self.exc_info));
        }
        None
    }

    fn into_job(self, id: &str, queue: &str, score: Option<f64>) -> ScannedJob {
        let traceback = self.traceback();
        let [status, origin, ended_at, worker_name, created_at] = self.short.clone();
        let function = decode::func_from_payload_head(&inflate::head(
            &self.data,
            usize::try_from(decode::DATA_HEAD_INFLATED).unwrap_or(4096),
        ));
        let ended_at = ended_at.and_then(|t| decode::timestamp(&t)).or_else(|| {
            // A result entry id's millisecond part is when it was written.
            let ms = self
                .entry_id
                .as_deref()?
                .split('-')
                .next()?
                .parse::<f64>()
                .ok()?;
            Timestamp::from_unix(ms / 1000.0)
        });
        let exists = self.kind != 0;
        let parsed = traceback.as_deref().map(traceback::parse);
        let signature = if exists {
            signature::of_parsed(function.as_deref(), parsed.as_ref())
        } else {
            signature::of(None, Some("job hash is gone"))
        };
        let error = parsed.as_ref().and_then(traceback::Parsed::error_line);
        let meta = (!self.meta.is_empty())
            .then(|| decode::payload(&self.meta).ok().map(|p| p.to_json()))
            .flatten();
        ScannedJob {
            id: id.to_string(),
            queue: queue.to_string(),
            exists,
            status: (self.kind == 1).then(|| JobStatus::parse(status.as_deref())),
            origin,
            function,
            created_at: created_at.and_then(|t| decode::timestamp(&t)),
            ended_at,
            worker_name,
            score: score.filter(|s| !s.is_nan()),
            traceback,
            signature,
            error,
            meta,
        }
    }
}

/// A traceback's text: zlib, or the bytes as they are (RQ's fallback).
fn text_of(raw: &[u8]) -> String {
    match inflate::inflate(raw, TRACEBACK_INFLATED_MAX) {
        Inflated::Text(t) => String::from_utf8_lossy(&t).into_owned(),
        Inflated::NotZlib => String::from_utf8_lossy(raw).into_owned(),
        Inflated::TooLarge(_) => format!(
            "traceback too large to read (more than {} decompressed)",
            decode::size(TRACEBACK_INFLATED_MAX as u64)
        ),
    }
}

/// Tracebacks too large to read are grouped by that alone.
fn too_large(compressed: u64) -> String {
    format!(
        "traceback too large to read ({} compressed)",
        decode::size(compressed)
    )
}
