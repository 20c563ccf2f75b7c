//! Reading every job of a queue or registry in bounded steps: ids a page at a time (ZSCAN
//! for registries, LRANGE for queues), then each page's jobs in pipelined plain commands
//! (short fields whole, long ones only within their caps). Nothing is held but the current
//! page and the ids already seen (so a registry that shifts under the scan never yields a
//! job twice).

use std::collections::HashSet;

use redis::Value;

use super::inflate::{self, Inflated};
use super::signature::{self, Signature};
use super::traceback;
use crate::rq::client::RqClient;
use crate::rq::decode;
use crate::rq::error::{Error, Result};
use crate::rq::keys;
use crate::rq::model::{JobSource, JobStatus, Timestamp};
use crate::rq::reply;

/// Ids per page (`ZSCAN`/`LRANGE` of this many is well under a millisecond).
const PAGE: usize = 1_000;
/// A queue page starts this many ids before the previous one ended: jobs leaving the list
/// meanwhile shift the rest left, and the overlap (deduplicated) keeps them from being
/// stepped over.
const OVERLAP: usize = 50;
/// Trips decoded on blocking threads while the next is read. Two pay off with a thread-local
/// allocator (rqctl's mimalloc: 2.1 s → 1.85 s for 100,000 jobs, PINGs of other clients
/// under 10 ms); with glibc's, allocator locks ate the gain.
const DECODE_AHEAD: usize = 2;
/// Jobs per round trip: 4 plain commands each, ~3 ms of Redis time in all.
const ROWS_PER_TRIP: usize = 500;
const SHORT_CAP: usize = 512;
const DATA_READ_MAX: usize = 1024 * 1024;
/// Largest compressed traceback read; a larger one is grouped by its size.
const TRACEBACK_MAX: usize = 64 * 1024;
/// Largest traceback decompressed (the parser reads only its last 64 KB).
const TRACEBACK_INFLATED_MAX: usize = 8 * 1024 * 1024;
/// Bytes of long fields read per round trip.
const CALL_READ_BUDGET: usize = 4 * 1024 * 1024;
const META_MAX: usize = 64 * 1024;
/// Where a scan is in its queue or registry.
enum Pager {
    Start,
    /// The next list index, or ZSCAN cursor.
    At(usize),
    Done,
}

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

impl ScannedJob {
    /// As a row of a job table (what rqtop's Jobs tab shows of a search's matches).
    #[must_use]
    pub fn into_summary(self) -> crate::rq::model::JobSummary {
        // As a table shows it: the error of failed (or stopped) jobs only.
        let failed = matches!(
            self.status,
            Some(JobStatus::Failed | JobStatus::Stopped) | None
        );
        crate::rq::model::JobSummary {
            id: self.id,
            status: self.status,
            missing: !self.exists,
            func_name: self.function,
            description: None,
            description_truncated: false,
            origin: self.origin,
            created_at: self.created_at,
            enqueued_at: None,
            started_at: None,
            ended_at: self.ended_at,
            worker_name: self.worker_name,
            error: self.error.filter(|_| failed),
            score: self.score,
            score_at: self
                .score
                .filter(|s| s.is_finite() && *s > 0.0)
                .and_then(Timestamp::from_unix),
            execution_id: None,
        }
    }
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
    /// Leave tracebacks unread (no result streams, no `exc_info`): a selector that names
    /// neither the error nor the signature does not need them, and they are most of a
    /// scan's cost. Jobs then carry no error and a "no traceback" signature.
    pub skip_tracebacks: bool,
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
        // Decoding a trip (decompressing, parsing, normalising) runs on a blocking thread
        // while the next trip is read, so Redis and the decoding overlap.
        let mut decoding: std::collections::VecDeque<tokio::task::JoinHandle<Vec<ScannedJob>>> =
            std::collections::VecDeque::new();
        while let Some(page) = self.id_page(queue, source, &mut pager).await? {
            let fresh: Vec<(String, Option<f64>)> = page
                .into_iter()
                .filter(|(id, _)| seen.insert(id.clone()))
                .collect();
            stats.listed += fresh.len() as u64;
            for chunk in fresh.chunks(ROWS_PER_TRIP) {
                let ids: Vec<&str> = chunk.iter().map(|(id, _)| id_of(id, source)).collect();
                let oldest = if decoding.len() >= DECODE_AHEAD {
                    decoding.pop_front()
                } else {
                    None
                };
                let rows = match oldest {
                    Some(handle) => {
                        let (rows, done) = tokio::join!(self.failure_rows(&ids, needs), handle);
                        if !hand_over(done, &mut stats, &mut each) {
                            return Ok(stats);
                        }
                        rows?
                    }
                    None => self.failure_rows(&ids, needs).await?,
                };
                let owned: Vec<(String, Option<f64>)> = chunk
                    .iter()
                    .map(|(m, s)| (id_of(m, source).to_string(), *s))
                    .collect();
                let queue = queue.to_string();
                decoding.push_back(tokio::task::spawn_blocking(move || {
                    owned
                        .into_iter()
                        .zip(rows)
                        .map(|((id, score), row)| row.into_job(&id, &queue, score))
                        .collect()
                }));
            }
        }
        while let Some(handle) = decoding.pop_front() {
            if !hand_over(handle.await, &mut stats, &mut each) {
                break;
            }
        }
        Ok(stats)
    }

    /// The jobs `ids` of `queue`, read and decoded (one trip of at most `ROWS_PER_TRIP`).
    pub(crate) async fn read_jobs(
        &mut self,
        queue: &str,
        ids: &[&str],
        needs: ScanNeeds,
    ) -> Result<Vec<ScannedJob>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_TRIP) {
            let rows = self.failure_rows(chunk, needs).await?;
            out.extend(
                chunk
                    .iter()
                    .zip(rows)
                    .map(|(id, row)| row.into_job(id, queue, None)),
            );
        }
        Ok(out)
    }

    /// Every id of a registry with its score (ZSCAN; ids only, no job is read).
    pub(crate) async fn registry_ids(
        &mut self,
        registry: crate::rq::keys::Registry,
        queue: &str,
    ) -> Result<Vec<(String, f64)>> {
        let mut pager = Pager::Start;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        while let Some(page) = self
            .id_page(queue, JobSource::Registry(registry), &mut pager)
            .await?
        {
            for (id, score) in page {
                if seen.insert(id.clone()) {
                    out.push((id, score.unwrap_or(0.0)));
                }
            }
        }
        Ok(out)
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

    /// The rows of `ids` (at most `ROWS_PER_TRIP`): one round trip for the short fields,
    /// the lengths of the long ones and the latest result entry, then as few as the read
    /// budget allows for `data` (its head names the function), a 1.x `exc_info` and
    /// `meta`, each read only when no larger than its cap. Plain commands, no script:
    /// each is a few microseconds of Redis time.
    async fn failure_rows(&mut self, ids: &[&str], needs: ScanNeeds) -> Result<Vec<RawFailure>> {
        let mut pipe = redis::pipe();
        for id in ids {
            let job = self.keys.job(id);
            // HSTRLEN of `data` also tells whether the job is there: RQ always writes it.
            pipe.cmd("HMGET")
                .arg(&job)
                .arg(&SHORT_FIELDS[..])
                .add_command(redis::cmd("HSTRLEN").arg(&job).arg("data").clone());
            if !needs.skip_tracebacks {
                pipe.cmd("HSTRLEN").arg(&job).arg("exc_info");
            }
            if needs.meta {
                pipe.cmd("HSTRLEN").arg(&job).arg("meta");
            }
            if !needs.skip_tracebacks {
                pipe.cmd("XREVRANGE")
                    .arg(self.keys.results(id))
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1);
            }
        }
        let replies = self.pipeline("read failed jobs", pipe).await?;
        let mut rows: Vec<RawFailure> = Vec::with_capacity(ids.len());
        let mut it = replies.into_iter();
        for _ in ids {
            let mut next = || it.next().unwrap_or(Value::Nil);
            let (fields, data_len) = (next(), next());
            let exc_len = if needs.skip_tracebacks {
                Value::Int(0)
            } else {
                next()
            };
            let meta_len = if needs.meta { next() } else { Value::Int(0) };
            let entry = if needs.skip_tracebacks {
                Value::Nil
            } else {
                next()
            };
            rows.push(RawFailure::first(
                fields, &data_len, &exc_len, &meta_len, entry,
            ));
        }
        // The long fields worth reading, within a budget per round trip.
        let mut wanted: Vec<(usize, &'static str)> = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            if r.kind != 1 {
                continue;
            }
            if (1..=DATA_READ_MAX as u64).contains(&r.data_len) {
                wanted.push((i, "data"));
            }
            if r.exc_string_len == 0 && (1..=TRACEBACK_MAX as u64).contains(&r.exc_info_len) {
                wanted.push((i, "exc_info"));
            }
            if needs.meta && (1..=META_MAX as u64).contains(&r.meta_len) {
                wanted.push((i, "meta"));
            }
        }
        let mut at = 0;
        while at < wanted.len() {
            let mut pipe = redis::pipe();
            let mut budget = 0_u64;
            let start = at;
            while at < wanted.len() && (at == start || budget < CALL_READ_BUDGET as u64) {
                let (i, field) = wanted[at];
                budget += rows[i].len_of(field);
                pipe.cmd("HGET").arg(self.keys.job(ids[i])).arg(field);
                at += 1;
            }
            let values = self.pipeline("read failed jobs", pipe).await?;
            for (&(i, field), v) in wanted[start..at].iter().zip(values) {
                let bytes = match v {
                    Value::BulkString(b) => b,
                    _ => Vec::new(),
                };
                rows[i].set(field, bytes);
            }
        }
        Ok(rows)
    }
}

/// Gives decoded jobs to the caller; false when it asked to stop.
fn hand_over(
    decoded: std::result::Result<Vec<ScannedJob>, tokio::task::JoinError>,
    stats: &mut ScanStats,
    each: &mut impl FnMut(ScannedJob) -> bool,
) -> bool {
    // The decoding task only fails by a panic, which the library never lets through:
    // decoding is total over any input. A lost batch would be under-counted, not wrong.
    for job in decoded.unwrap_or_default() {
        if !job.exists {
            stats.missing += 1;
        }
        if !each(job) {
            return false;
        }
    }
    true
}

/// A started-registry member of RQ 2.x is `<id>:<execution id>`.
fn id_of(member: &str, source: JobSource) -> &str {
    if source == JobSource::Registry(crate::rq::keys::Registry::Started) {
        decode::wip_member(member).0
    } else {
        member
    }
}

/// The hash fields every scan reads whole (each is short in any job RQ writes).
const SHORT_FIELDS: [&str; 5] = ["status", "origin", "ended_at", "worker_name", "created_at"];

/// One job as read: short fields, long ones with their lengths, the latest result.
struct RawFailure {
    /// 0 gone, 1 a hash, 2 another type.
    kind: i64,
    short: [Option<String>; 5],
    data: Vec<u8>,
    data_len: u64,
    exc_info: Vec<u8>,
    exc_info_len: u64,
    meta: Vec<u8>,
    meta_len: u64,
    entry_id: Option<String>,
    exc_string: Vec<u8>,
    exc_string_len: u64,
}

impl RawFailure {
    fn first(
        fields: Value,
        data_len: &Value,
        exc_len: &Value,
        meta_len: &Value,
        entry: Value,
    ) -> Self {
        let n = |v: &Value| {
            reply::int(v)
                .and_then(|x| u64::try_from(x).ok())
                .unwrap_or(0)
        };
        let vals = reply::items(&fields);
        let kind = match &fields {
            Value::ServerError(_) => 2, // WRONGTYPE: a key that is not a job hash
            // No field at all: the hash is gone (a dangling id).
            _ if n(data_len) == 0 && vals.iter().all(|v| matches!(v, Value::Nil)) => 0,
            _ => 1,
        };
        let cap = |v: &Value| reply::text(v).map(|t| super::traceback::cut(&t, SHORT_CAP));
        // The latest entry's id and exc_string (a stream of another type reads as none).
        let (entry_id, exc_string) = match entry {
            Value::Array(mut entries) if !entries.is_empty() => {
                // Taken apart rather than copied: exc_string is most of the reply.
                let mut parts = match entries.swap_remove(0) {
                    Value::Array(p) => p,
                    _ => Vec::new(),
                };
                let id = parts.first().and_then(reply::text);
                let mut fields = match parts.get_mut(1).map(|f| std::mem::replace(f, Value::Nil)) {
                    Some(Value::Array(f)) => f,
                    _ => Vec::new(),
                };
                let at = fields
                    .iter()
                    .step_by(2)
                    .position(|k| matches!(k, Value::BulkString(k) if k == b"exc_string"));
                let exc = match at.and_then(|i| fields.get_mut(i * 2 + 1)) {
                    Some(Value::BulkString(b)) => std::mem::take(b),
                    _ => Vec::new(),
                };
                (id, exc)
            }
            _ => (None, Vec::new()),
        };
        let exc_string_len = exc_string.len() as u64;
        Self {
            kind,
            short: std::array::from_fn(|k| vals.get(k).and_then(cap)),
            data: Vec::new(),
            data_len: if kind == 1 { n(data_len) } else { 0 },
            exc_info: Vec::new(),
            exc_info_len: if kind == 1 { n(exc_len) } else { 0 },
            meta: Vec::new(),
            meta_len: if kind == 1 { n(meta_len) } else { 0 },
            entry_id,
            // Larger than the cap: not decompressed, grouped by its size.
            exc_string: if exc_string.len() <= TRACEBACK_MAX {
                exc_string
            } else {
                Vec::new()
            },
            exc_string_len,
        }
    }

    fn len_of(&self, field: &str) -> u64 {
        match field {
            "data" => self.data_len,
            "exc_info" => self.exc_info_len,
            _ => self.meta_len,
        }
    }

    fn set(&mut self, field: &str, bytes: Vec<u8>) {
        match field {
            "data" => self.data = bytes,
            "exc_info" => self.exc_info = bytes,
            _ => self.meta = bytes,
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
        let function = function_of(&self.data);
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
        // A key of another type is not an RQ job: counted apart, as a gone one is.
        let exists = self.kind == 1;
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

thread_local! {
    /// Function names by the exact bytes of small `data` fields: jobs enqueued with the
    /// same arguments (no arguments, a periodic job) share them, and decompressing each
    /// is most of a scan's time.
    static FUNCTIONS: std::cell::RefCell<std::collections::HashMap<Vec<u8>, Option<String>>> =
        std::cell::RefCell::default();
}
/// `data` fields up to this size are remembered, at most `FUNCTIONS_KEPT` of them.
const FUNCTION_KEY_MAX: usize = 512;
const FUNCTIONS_KEPT: usize = 4096;

/// The function a job's `data` names (its head is enough).
fn function_of(data: &[u8]) -> Option<String> {
    let read = || {
        decode::func_from_payload_head(&inflate::head(
            data,
            usize::try_from(decode::DATA_HEAD_INFLATED).unwrap_or(4096),
        ))
    };
    if data.len() > FUNCTION_KEY_MAX {
        return read();
    }
    FUNCTIONS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(f) = cache.get(data) {
            return f.clone();
        }
        if cache.len() >= FUNCTIONS_KEPT {
            cache.clear();
        }
        let f = read();
        cache.insert(data.to_vec(), f.clone());
        f
    })
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
