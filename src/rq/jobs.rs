//! Pages of jobs (O(page), never O(registry)), each field read only as far as a table shows
//! it, and one job in full.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{LazyLock, Mutex, PoisonError};

use redis::{Script, Value};

use super::client::RqClient;
use super::decode;
use super::error::{Error, Result};
use super::keys::Keys;
use super::keys::{self, Registry};
use super::model::{Job, JobPage, JobQuery, JobSource, JobStatus, JobSummary, Timestamp};
use super::reply::{self, Replies};
use super::results;

/// The short hash fields a row shows, in `job_rows.lua`'s order (each cut at `SHORT_CAP`).
const SHORT_FIELDS: [&str; 7] = [
    "status",
    "origin",
    "created_at",
    "enqueued_at",
    "started_at",
    "ended_at",
    "worker_name",
];
/// The long ones, read as a head (description, data) or whole within a cap (exc_info).
const LONG_FIELDS: [&str; 3] = ["description", "data", "exc_info"];
/// Values `job_rows.lua` returns per job.
const ROW_VALUES: usize = 17;

/// Bytes kept of a short field (status, times, queue and worker names).
const SHORT_CAP: usize = 512;
/// Bytes of the description a row shows: more than any table column.
const DESCRIPTION_CAP: usize = 1024;
/// Bytes of `data` read: its head names the function, whatever the arguments weigh.
const DATA_HEAD: usize = 2048;
/// Largest compressed traceback a row reads. Only a whole zlib stream gives the last line;
/// real ones are a few KB compressed, and a larger one is shown by its size.
const TRACEBACK_CAP: usize = 16 * 1024;
/// A row's traceback is decompressed (in pieces, never held) up to this much.
const TABLE_INFLATE_LIMIT: u64 = 8 * 1024 * 1024;
/// Fields longer than these are not read at all by the script: Redis has no range read of a
/// hash field, so a head costs the server a copy of the whole field (~2.5 ms per MB).
const SHORT_READ_MAX: usize = 64 * 1024;
const DESCRIPTION_READ_MAX: usize = 4 * 1024 * 1024;
/// Past this `data` is not read, and the function is shown as unknown.
const DATA_READ_MAX: usize = 1024 * 1024;
/// A result stream larger than this is not read (its latest traceback is shown by size).
const STREAM_READ_MAX: usize = 256 * 1024;
/// Bytes one script call may read before it returns the rows done (~20 ms of Redis time).
const CALL_READ_BUDGET: usize = 8 * 1024 * 1024;
/// Rows per script call when the fields are small (the read budget cuts calls short).
const ROWS_PER_CALL: usize = 50;
/// Rows per round trip (several calls); each trip is summarised before the next.
const ROWS_PER_TRIP: usize = 200;
/// Rows per round trip when fields come whole (no script).
const PLAIN_ROWS: usize = 8;

const JOB_ROWS_LUA: &str = include_str!("scripts/job_rows.lua");
static JOB_ROWS: LazyLock<Script> = LazyLock::new(|| Script::new(JOB_ROWS_LUA));

/// Heads of big descriptions and `data` already read, by server and job id. RQ never
/// rewrites either once a job is written, so a field of the same length is not read again:
/// rqtop's re-reads of a page of huge jobs then cost Redis no copies. Small fields are
/// cheap to re-read and not kept; the cache is dropped whole past `CACHE_JOBS` jobs.
static HEADS: LazyLock<Mutex<HashMap<String, Heads>>> = LazyLock::new(Mutex::default);
/// Last lines of tracebacks already decompressed, by a keyed hash of the compressed bytes:
/// a page re-read every few seconds does not decompress megabytes of them again.
static LAST_LINES: LazyLock<Mutex<LineCache>> = LazyLock::new(Mutex::default);
type LineCache = (RandomState, HashMap<u64, Option<String>>);
/// At most this many last lines are kept (a few hundred bytes each).
const CACHE_LINES: usize = 5_000;
/// Fields longer than this have their head kept in `HEADS`.
const CACHED_FROM: u64 = 64 * 1024;
/// At most this many jobs in `HEADS` (each holds at most ~3 KB).
const CACHE_JOBS: usize = 2_000;

/// A field's full length and head, as last read.
type Head = Option<(u64, Vec<u8>)>;

#[derive(Debug, Clone, Default)]
struct Heads {
    description: Head,
    data: Head,
}

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

    /// The jobs waiting for a slot of RQ 3.0 rate limit `key`, longest waiting first (at
    /// most `limit`), with how many wait in all. Rows are read as a queue page's are.
    pub async fn rate_limited_jobs(
        &mut self,
        key: &str,
        limit: u64,
    ) -> Result<(u64, Vec<JobSummary>)> {
        let limit = limit.clamp(1, MAX_PAGE);
        let set = self.keys.rate_limited(key);
        let mut pipe = redis::pipe();
        pipe.cmd("ZCARD").arg(&set);
        pipe.cmd("ZRANGE")
            .arg(&set)
            .arg(0)
            .arg(limit - 1)
            .arg("WITHSCORES");
        let mut r = Replies::new(self.pipeline("read rate limit", pipe).await?);
        let total = reply::int(&r.next())
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let ids: Vec<(String, Option<f64>)> = reply::scored(&r.next())
            .into_iter()
            .map(|(m, s)| (keys::name_from_bytes(&m), Some(s)))
            .collect();
        let rows = self.fetch_rows(&ids, JobSource::Queue).await?;
        Ok((total, rows))
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
                let key = self.keys.queue(&query.queue);
                pipe.cmd("LLEN").arg(&key);
                if query.newest_first {
                    // Newest = tail of the list; negative indexes count from the end.
                    pipe.cmd("LRANGE").arg(&key).arg(-stop - 1).arg(-start - 1);
                } else {
                    pipe.cmd("LRANGE").arg(&key).arg(start).arg(stop);
                }
            }
            JobSource::Registry(reg) => {
                let key = self.keys.registry(reg, &query.queue);
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
                    .map(|m| (keys::name_from_bytes(&m), None))
                    .collect();
                if query.newest_first {
                    ids.reverse();
                }
                ids
            }
            JobSource::Registry(_) => reply::scored(&listed)
                .into_iter()
                .map(|(m, s)| (keys::name_from_bytes(&m), Some(s)))
                .collect(),
        };
        Ok((total, ids))
    }

    /// The rows of `ids`, a trip of `ROWS_PER_TRIP` at a time, each reduced to its summary
    /// before the next trip, so what is held at once stays small whatever the page size.
    async fn fetch_rows(
        &mut self,
        ids: &[(String, Option<f64>)],
        source: JobSource,
    ) -> Result<Vec<JobSummary>> {
        let with_results = source == JobSource::Registry(Registry::Failed);
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
        let mut rows = Vec::with_capacity(ids.len());
        for (trip, scores) in parsed.chunks(ROWS_PER_TRIP).zip(ids.chunks(ROWS_PER_TRIP)) {
            let trip_ids: Vec<&str> = trip.iter().map(|(id, _)| *id).collect();
            let raw = match self.read_rows_scripted(&trip_ids, with_results).await? {
                Some(raw) => raw,
                None => self.read_rows_plain(&trip_ids, with_results).await?,
            };
            for (((id, exec), (_, score)), row) in trip.iter().zip(scores).zip(raw) {
                rows.push(summary_row(id, *exec, *score, row));
            }
        }
        Ok(rows)
    }

    /// Reads rows with `job_rows.lua` (bounded server-side). `None` when the server refuses
    /// the script (an ACL without EVAL, scripting disabled): the caller reads them plainly.
    async fn read_rows_scripted(
        &mut self,
        ids: &[&str],
        with_results: bool,
    ) -> Result<Option<Vec<RawRow>>> {
        let scope = format!("{}#{}", self.url(), self.db());
        let known: Vec<Heads> = {
            let cache = HEADS.lock().unwrap_or_else(PoisonError::into_inner);
            ids.iter()
                .map(|id| {
                    cache
                        .get(&cache_key(&scope, id))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect()
        };
        let chunks: Vec<(&[&str], &[Heads])> = ids
            .chunks(ROWS_PER_CALL)
            .zip(known.chunks(ROWS_PER_CALL))
            .collect();
        let keys = self.keys.clone();
        let calls = |eval: bool| {
            let mut pipe = redis::pipe();
            for (chunk, heads) in &chunks {
                pipe.add_command(rows_call(&keys, chunk, heads, with_results, eval));
            }
            pipe
        };
        let mut replies = self.pipeline("read job rows", calls(false)).await?;
        let unknown_script = |r: &[Value]| {
            r.iter()
                .any(|v| matches!(v, Value::ServerError(e) if e.code() == "NOSCRIPT"))
        };
        if unknown_script(&replies) {
            // EVAL also caches the script, so the next page goes back to EVALSHA.
            replies = self.pipeline("read job rows", calls(true)).await?;
        }
        let mut rows = Vec::with_capacity(ids.len());
        for ((chunk, heads), first) in chunks.into_iter().zip(replies) {
            let mut reply = first;
            let mut done = 0;
            loop {
                let Some(got) = rows_from_script(&reply, chunk.len() - done) else {
                    return Ok(None);
                };
                done += got.len();
                rows.extend(got);
                if done == chunk.len() {
                    break;
                }
                // The call stopped at its read budget: the rest of the chunk in another.
                reply = self
                    .cmd(
                        "read job rows",
                        rows_call(
                            &self.keys,
                            &chunk[done..],
                            &heads[done..],
                            with_results,
                            false,
                        ),
                    )
                    .await?;
            }
        }
        let mut cache = HEADS.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() > CACHE_JOBS {
            cache.clear();
        }
        for ((id, heads), row) in ids.iter().zip(known).zip(&mut rows) {
            let kept = Heads {
                description: settle(&mut row.description, row.description_len, heads.description),
                data: settle(&mut row.data, row.data_len, heads.data),
            };
            let key = cache_key(&scope, id);
            if kept.description.is_some() || kept.data.is_some() {
                cache.insert(key, kept);
            } else {
                cache.remove(&key);
            }
        }
        Ok(Some(rows))
    }

    /// Reads rows without a script: the fields come whole, so only `PLAIN_ROWS` rows are
    /// read per round trip, each cut to the script's bounds before the next.
    async fn read_rows_plain(&mut self, ids: &[&str], with_results: bool) -> Result<Vec<RawRow>> {
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(PLAIN_ROWS) {
            let mut pipe = redis::pipe();
            for id in chunk {
                let mut cmd = redis::cmd("HMGET");
                cmd.arg(self.keys.job(id));
                for f in SHORT_FIELDS.iter().chain(&LONG_FIELDS) {
                    cmd.arg(*f);
                }
                pipe.add_command(cmd);
                pipe.cmd("EXISTS").arg(self.keys.job(id));
                if with_results {
                    pipe.cmd("XREVRANGE")
                        .arg(self.keys.results(id))
                        .arg("+")
                        .arg("-")
                        .arg("COUNT")
                        .arg(1);
                }
            }
            let mut r = Replies::new(self.pipeline("read job rows", pipe).await?);
            for _ in chunk {
                let values = r.next();
                let exists = reply::int(&r.next()).unwrap_or(0) > 0;
                let entry = if with_results { r.next() } else { Value::Nil };
                rows.push(RawRow::from_plain(&values, exists, &entry));
            }
        }
        Ok(rows)
    }

    /// One job, whole, in one round trip. `NotFound` when its hash does not exist.
    pub async fn job(&mut self, id: &str) -> Result<Job> {
        let mut pipe = redis::pipe();
        pipe.cmd("HGETALL").arg(self.keys.job(id));
        pipe.cmd("XREVRANGE")
            .arg(self.keys.results(id))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1);
        // A fan-out parent can have many dependents: read a bounded slice and the count.
        pipe.cmd("SSCAN")
            .arg(self.keys.dependents(id))
            .arg(0)
            .arg("COUNT")
            .arg(MAX_DEPENDENTS);
        pipe.cmd("SCARD").arg(self.keys.dependents(id));
        pipe.cmd("SMEMBERS").arg(self.keys.dependencies(id));
        pipe.cmd("ZSCORE").arg(keys::RQ_SCHEDULER_JOBS).arg(id);
        pipe.cmd("TTL").arg(self.keys.job(id));
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
        // Its run time is its score in the origin's scheduled registry, which only the hash
        // names: one more round trip, for scheduled jobs only.
        if job.status == JobStatus::Scheduled
            && let Some(origin) = &job.origin
        {
            let key = self.keys.registry(Registry::Scheduled, origin);
            let mut pipe = redis::pipe();
            pipe.cmd("ZSCORE").arg(key).arg(id);
            let mut r = Replies::new(self.pipeline("read job", pipe).await?);
            job.scheduled_for = reply::float(&r.next()).and_then(Timestamp::from_unix);
        }
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

fn cache_key(scope: &str, id: &str) -> String {
    format!("{scope}\0{id}")
}

/// Fills a head the script did not send because `known` holds it (same length), and
/// returns what to keep of it: a big field's head, or nothing.
fn settle(head: &mut Vec<u8>, len: u64, known: Head) -> Head {
    if let Some((known_len, cached)) = known
        && known_len == len
        && head.is_empty()
    {
        *head = cached;
    }
    (len > CACHED_FROM && !head.is_empty()).then(|| (len, head.clone()))
}

/// One `job_rows.lua` call over `ids` (EVAL with the body when the server lost it), with
/// the lengths of the heads already held (`heads`, one per id).
fn rows_call(
    keys: &Keys,
    ids: &[&str],
    heads: &[Heads],
    with_results: bool,
    eval: bool,
) -> redis::Cmd {
    let mut cmd = if eval {
        redis::cmd("EVAL").arg(JOB_ROWS_LUA).clone()
    } else {
        redis::cmd("EVALSHA").arg(JOB_ROWS.get_hash()).clone()
    };
    cmd.arg(ids.len() * 2);
    for id in ids {
        cmd.arg(keys.job(id)).arg(keys.results(id));
    }
    cmd.arg(if with_results { "1" } else { "0" })
        .arg(SHORT_CAP)
        .arg(DESCRIPTION_CAP)
        .arg(DATA_HEAD)
        .arg(TRACEBACK_CAP)
        .arg(SHORT_READ_MAX)
        .arg(DESCRIPTION_READ_MAX)
        .arg(DATA_READ_MAX)
        .arg(STREAM_READ_MAX)
        .arg(CALL_READ_BUDGET);
    let len = |h: &Head| h.as_ref().map_or(0, |(n, _)| *n);
    for h in heads {
        cmd.arg(len(&h.description)).arg(len(&h.data));
    }
    cmd
}

/// The rows of one script reply: at least one and at most `asked`, else `None` (an error,
/// or a reply this client cannot read).
fn rows_from_script(reply: &Value, asked: usize) -> Option<Vec<RawRow>> {
    let values = reply::items(reply);
    let n = values.len() / ROW_VALUES;
    if reply::error(reply).is_some()
        || !values.len().is_multiple_of(ROW_VALUES)
        || n == 0
        || n > asked
    {
        return None;
    }
    Some(
        values
            .chunks_exact(ROW_VALUES)
            .map(RawRow::from_script)
            .collect(),
    )
}

/// What a row holds of a traceback: nothing, the whole compressed text, or only its size.
#[derive(Debug, Clone, PartialEq)]
enum Capped {
    Absent,
    Whole(Vec<u8>),
    TooLarge(u64),
    /// The result stream was too large to read at all: its size in bytes.
    StreamTooLarge(u64),
}

impl Capped {
    fn of(bytes: Vec<u8>, len: u64) -> Self {
        if len == 0 {
            Self::Absent
        } else if bytes.len() as u64 == len {
            Self::Whole(bytes)
        } else {
            Self::TooLarge(len)
        }
    }

    /// From a field read whole (no script): kept only within the cap, as the script does.
    fn cut(bytes: Vec<u8>) -> Self {
        let len = bytes.len() as u64;
        if bytes.len() > TRACEBACK_CAP {
            Self::TooLarge(len)
        } else {
            Self::of(bytes, len)
        }
    }

    /// The traceback's last line; `base64` for a result stream's `exc_string`.
    fn last_line(&self, base64: bool) -> Option<String> {
        match self {
            Self::Absent => None,
            Self::Whole(raw) => {
                let lines = || LAST_LINES.lock().unwrap_or_else(PoisonError::into_inner);
                let key = {
                    let cache = lines();
                    let key = cache.0.hash_one((base64, raw));
                    if let Some(line) = cache.1.get(&key) {
                        return line.clone();
                    }
                    key
                };
                let line = if base64 {
                    decode::exc_string_last_line(raw, TABLE_INFLATE_LIMIT)
                } else {
                    decode::exc_info_last_line(raw, TABLE_INFLATE_LIMIT)
                };
                let mut cache = lines();
                if cache.1.len() >= CACHE_LINES {
                    cache.1.clear();
                }
                cache.1.insert(key, line.clone());
                line
            }
            Self::TooLarge(n) => {
                // base64 stores 3 bytes in 4.
                let compressed = if base64 { n / 4 * 3 } else { *n };
                Some(format!(
                    "traceback too large to show here ({} compressed): open the job",
                    decode::size(compressed)
                ))
            }
            Self::StreamTooLarge(n) => Some(format!(
                "traceback too large to show here (its result stream holds {}): open the job",
                decode::size(*n)
            )),
        }
    }
}

/// One job as a table row reads it: short fields whole (within `SHORT_CAP`), long ones as
/// a head with their full length, tracebacks whole or only their size.
#[derive(Debug)]
struct RawRow {
    exists: bool,
    short: [Option<String>; SHORT_FIELDS.len()],
    description: Vec<u8>,
    description_len: u64,
    data: Vec<u8>,
    data_len: u64,
    exc_info: Capped,
    /// `None` when there is no result entry with an `exc_string`.
    exc_string: Option<Capped>,
}

impl RawRow {
    /// One job's `ROW_VALUES` values from `job_rows.lua`.
    fn from_script(v: &[Value]) -> Self {
        let b = |i: usize| v.get(i).and_then(reply::bytes).unwrap_or_default();
        let n = |i: usize| {
            v.get(i)
                .and_then(reply::int)
                .and_then(|x| u64::try_from(x).ok())
                .unwrap_or(0)
        };
        Self {
            exists: n(0) > 0,
            short: std::array::from_fn(|k| v.get(1 + k).and_then(reply::text)),
            description: b(8),
            description_len: n(9),
            data: b(10),
            data_len: n(11),
            exc_info: Capped::of(b(12), n(13)),
            exc_string: match n(14) {
                0 => None,
                2 => Some(Capped::StreamTooLarge(n(16))),
                _ => Some(Capped::of(b(15), n(16))),
            },
        }
    }

    /// One job from a plain HMGET (`SHORT_FIELDS` then `LONG_FIELDS`) and XREVRANGE.
    fn from_plain(values: &Value, exists: bool, entry: &Value) -> Self {
        let vals = reply::items(values);
        let raw = |i: usize| vals.get(i).and_then(reply::bytes).unwrap_or_default();
        // A copy, not `truncate`: the rows of a trip are kept, and a truncated Vec would
        // keep its megabytes of capacity.
        let head = |b: Vec<u8>, cap: usize| b[..b.len().min(cap)].to_vec();
        let description = raw(SHORT_FIELDS.len());
        let data = raw(SHORT_FIELDS.len() + 1);
        let exc_string = results::latest_field(entry, "exc_string").map(Capped::cut);
        Self {
            exists,
            short: std::array::from_fn(|k| {
                let b = head(raw(k), SHORT_CAP);
                (!b.is_empty()).then(|| String::from_utf8_lossy(&b).into_owned())
            }),
            description_len: description.len() as u64,
            description: head(description, DESCRIPTION_CAP),
            data_len: data.len() as u64,
            data: head(data, DATA_HEAD),
            exc_info: Capped::cut(raw(SHORT_FIELDS.len() + 2)),
            exc_string,
        }
    }
}

fn summary_row(id: &str, exec: Option<&str>, score: Option<f64>, row: RawRow) -> JobSummary {
    let [
        status,
        origin,
        created_at,
        enqueued_at,
        started_at,
        ended_at,
        worker_name,
    ] = row.short;
    let status = row.exists.then(|| JobStatus::parse(status.as_deref()));
    let error = match status {
        Some(JobStatus::Failed | JobStatus::Stopped) | None => match &row.exc_string {
            Some(exc) => exc.last_line(true),
            None => row.exc_info.last_line(false),
        },
        _ => None,
    };
    let description_truncated = row.description_len > row.description.len() as u64;
    JobSummary {
        id: id.to_string(),
        status,
        missing: !row.exists,
        func_name: decode::func_from_data_head(&row.data),
        description: (!row.description.is_empty()).then(|| utf8_head(&row.description)),
        description_truncated,
        origin,
        created_at: created_at.and_then(|t| decode::timestamp(&t)),
        enqueued_at: enqueued_at.and_then(|t| decode::timestamp(&t)),
        started_at: started_at.and_then(|t| decode::timestamp(&t)),
        ended_at: ended_at.and_then(|t| decode::timestamp(&t)),
        worker_name,
        error,
        score: score.filter(|s| !s.is_nan()),
        score_at: score
            .filter(|s| s.is_finite() && *s > 0.0)
            .and_then(Timestamp::from_unix),
        execution_id: exec.map(str::to_string),
    }
}

/// Text of a head cut at a byte count: a character cut in two at the end is dropped.
fn utf8_head(b: &[u8]) -> String {
    let mut end = b.len();
    // The last character starts at most 3 bytes from the end; drop it if incomplete.
    for i in (b.len().saturating_sub(3)..b.len()).rev() {
        let width = match b[i] {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            0x80..=0xBF => continue,
            _ => 1,
        };
        if i + width > b.len() {
            end = i;
        }
        break;
    }
    String::from_utf8_lossy(&b[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_never_end_in_half_a_character() {
        assert_eq!(utf8_head("abc".as_bytes()), "abc");
        let e = "aé€😀".as_bytes(); // 1 + 2 + 3 + 4 bytes
        assert_eq!(utf8_head(&e[..10]), "aé€😀");
        assert_eq!(utf8_head(&e[..9]), "aé€");
        assert_eq!(utf8_head(&e[..7]), "aé€");
        assert_eq!(utf8_head(&e[..5]), "aé");
        assert_eq!(utf8_head(&e[..2]), "a");
        assert_eq!(utf8_head(&[0xff, 0xfe]), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn plain_reads_are_cut_to_the_script_bounds() {
        let big = |n: usize| Value::BulkString(vec![b'd'; n]);
        let mut fields = vec![Value::BulkString(b"failed".to_vec()); SHORT_FIELDS.len()];
        fields.extend([big(5_000), big(10_000), big(TRACEBACK_CAP + 1)]);
        let row = RawRow::from_plain(&Value::Array(fields), true, &Value::Nil);
        assert_eq!(row.description.len(), DESCRIPTION_CAP);
        assert_eq!(row.description_len, 5_000);
        assert_eq!(row.data.len(), DATA_HEAD);
        assert_eq!(row.exc_info, Capped::TooLarge(TRACEBACK_CAP as u64 + 1));
        assert_eq!(row.exc_string, None);
        let s = summary_row("j", None, None, row);
        assert!(s.description_truncated);
        assert_eq!(s.status, Some(JobStatus::Failed));
        assert_eq!(s.func_name, None);
        assert_eq!(
            s.error.as_deref(),
            Some("traceback too large to show here (16.0 KiB compressed): open the job")
        );
    }
}
