//! Job hashes and result entries exactly as RQ 2.12 writes them (field names, order and
//! encodings of `Job.to_dict()` and `Result.serialize()`).

use std::io::Write;
use std::time::SystemTime;

use base64::Engine;
use redis::Pipeline;

use super::K;
use super::pickle_out::{self, EncodeError};
use super::util::{self, epoch_f, epoch_i, ts};
use crate::rq::keys::Registry;
use crate::rq::pickle::PyValue;

/// RQ's queue default `timeout`, and the worker defaults for `result_ttl` and `failure_ttl`.
pub const DEFAULT_TIMEOUT: i64 = 180;
pub const RESULT_TTL: i64 = 500;
pub const FAILURE_TTL: i64 = 31_536_000;

/// A function call: what `data` pickles and `description` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub func: String,
    pub args: Vec<PyValue>,
    pub kwargs: Vec<(String, PyValue)>,
}

impl Call {
    #[must_use]
    pub fn new(func: &str) -> Self {
        Self {
            func: func.to_string(),
            args: Vec::new(),
            kwargs: Vec::new(),
        }
    }

    #[must_use]
    pub fn arg(mut self, v: PyValue) -> Self {
        self.args.push(v);
        self
    }

    #[must_use]
    pub fn kw(mut self, k: &str, v: PyValue) -> Self {
        self.kwargs.push((k.to_string(), v));
        self
    }

    /// RQ's `get_call_string(func_name, args, kwargs, max_length=75)`.
    #[must_use]
    pub fn description(&self) -> String {
        let cut = |r: String| {
            if r.chars().count() > 75 {
                format!("{}...", r.chars().take(75).collect::<String>())
            } else {
                r
            }
        };
        let mut parts: Vec<String> = self.args.iter().map(|a| cut(a.repr())).collect();
        let mut kw: Vec<String> = self
            .kwargs
            .iter()
            .map(|(k, v)| format!("{k}={}", cut(v.repr())))
            .collect();
        kw.sort();
        parts.extend(kw);
        format!("{}({})", self.func, parts.join(", "))
    }

    /// The pickled `(func_name, None, args, kwargs)` tuple, before zlib.
    pub fn pickle(&self) -> Result<Vec<u8>, EncodeError> {
        let kwargs = self
            .kwargs
            .iter()
            .map(|(k, v)| (pickle_out::s(k), v.clone()))
            .collect();
        pickle_out::dumps(&PyValue::Tuple(vec![
            pickle_out::s(&self.func),
            PyValue::None,
            PyValue::Tuple(self.args.clone()),
            PyValue::Dict(kwargs),
        ]))
    }

    /// The `data` field: zlib(pickle protocol 5 of the call tuple).
    #[must_use]
    pub fn data(&self) -> Vec<u8> {
        zlib(&self.pickle().unwrap_or_default())
    }
}

/// `zlib.compress(data)` (default level, `78 9c` header).
#[must_use]
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    if enc.write_all(data).is_err() {
        return Vec::new();
    }
    enc.finish().unwrap_or_default()
}

/// One job hash to write, with the optional fields RQ writes only when set.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub call: Call,
    pub origin: String,
    pub status: &'static str,
    pub created_at: SystemTime,
    pub enqueued_at: Option<SystemTime>,
    pub started_at: Option<SystemTime>,
    pub ended_at: Option<SystemTime>,
    pub worker_name: String,
    pub timeout: Option<i64>,
    pub result_ttl: Option<i64>,
    pub failure_ttl: Option<i64>,
    pub retries: Option<(i64, Vec<i64>)>,
    pub depends_on: Option<String>,
    pub meta: Option<PyValue>,
}

impl NewJob {
    #[must_use]
    pub fn new(id: String, call: Call, origin: &str, created_at: SystemTime) -> Self {
        Self {
            id,
            call,
            origin: origin.to_string(),
            status: "queued",
            created_at,
            enqueued_at: None,
            started_at: None,
            ended_at: None,
            worker_name: String::new(),
            timeout: Some(DEFAULT_TIMEOUT),
            result_ttl: None,
            failure_ttl: None,
            retries: None,
            depends_on: None,
            meta: None,
        }
    }

    /// The hash fields in `Job.to_dict()` order.
    #[must_use]
    pub fn fields(&self) -> Vec<(&'static str, Vec<u8>)> {
        let text = |s: String| s.into_bytes();
        let opt_ts = |t: Option<SystemTime>| t.map(ts).unwrap_or_default().into_bytes();
        let mut f = vec![
            ("created_at", text(ts(self.created_at))),
            ("data", self.call.data()),
            ("success_callback_name", Vec::new()),
            ("failure_callback_name", Vec::new()),
            ("stopped_callback_name", Vec::new()),
            ("started_at", opt_ts(self.started_at)),
            ("ended_at", opt_ts(self.ended_at)),
            ("last_heartbeat", opt_ts(self.ended_at.or(self.started_at))),
            ("worker_name", text(self.worker_name.clone())),
            ("group_id", Vec::new()),
        ];
        if let Some((left, intervals)) = &self.retries {
            f.push(("retries_left", text(left.to_string())));
            f.push(("retry_intervals", text(util::py_json(intervals))));
        }
        f.push(("origin", text(self.origin.clone())));
        f.push(("description", text(self.call.description())));
        if let Some(t) = self.enqueued_at {
            f.push(("enqueued_at", text(ts(t))));
        }
        let ints = [
            ("timeout", self.timeout),
            ("result_ttl", self.result_ttl),
            ("failure_ttl", self.failure_ttl),
        ];
        for (name, v) in ints {
            if let Some(v) = v {
                f.push((name, text(v.to_string())));
            }
        }
        f.push(("status", text(self.status.to_string())));
        if let Some(parent) = &self.depends_on {
            f.push(("dependency_id", text(parent.clone())));
            f.push(("dependency_ids", text(util::py_json(&[parent]))));
        }
        if let Some(meta) = &self.meta
            && let Ok(bytes) = pickle_out::dumps(meta)
        {
            f.push(("meta", bytes));
        }
        f
    }

    fn hset(&self, pipe: &mut Pipeline) {
        let cmd = pipe.cmd("HSET").arg(K.job(&self.id));
        for (k, v) in self.fields() {
            cmd.arg(k).arg(v);
        }
    }

    /// `Queue.enqueue_job`: register the queue, write the hash, RPUSH the id (in a MULTI).
    pub fn enqueue(&self, pipe: &mut Pipeline) {
        pipe.cmd("SADD").arg(K.queues()).arg(K.queue(&self.origin));
        self.hset(pipe);
        pipe.cmd("RPUSH").arg(K.queue(&self.origin)).arg(&self.id);
    }

    /// `enqueue_at`/`enqueue_in`: ZADD the run time first, then the hash (B.7).
    pub fn schedule(&self, pipe: &mut Pipeline, run_at: SystemTime) {
        pipe.cmd("ZADD")
            .arg(K.registry(Registry::Scheduled, &self.origin))
            .arg(epoch_i(run_at))
            .arg(&self.id);
        pipe.cmd("SADD").arg(K.queues()).arg(K.queue(&self.origin));
        self.hset(pipe);
    }

    /// Enqueue with an unmet `depends_on`: deferred, linked both ways (double-colon key).
    pub fn defer(&self, pipe: &mut Pipeline) {
        let Some(parent) = &self.depends_on else {
            return;
        };
        self.hset(pipe);
        pipe.cmd("SADD").arg(K.dependents(parent)).arg(&self.id);
        pipe.cmd("SADD").arg(K.dependencies(&self.id)).arg(parent);
        pipe.cmd("ZADD")
            .arg(K.registry(Registry::Deferred, &self.origin))
            .arg(epoch_i(self.created_at))
            .arg(&self.id);
    }

    /// Writes the hash only (terminal states built by the seed).
    pub fn save(&self, pipe: &mut Pipeline) {
        self.hset(pipe);
    }
}

/// How one execution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Success(PyValue),
    /// The traceback text (`exc_string`).
    Failure(String),
}

/// One execution, for the result stream.
#[derive(Debug, Clone)]
pub struct Execution<'a> {
    pub job_id: &'a str,
    pub id: &'a str,
    pub worker: &'a str,
    pub started: SystemTime,
    /// None when the horse was killed (stop-job).
    pub ended: Option<SystemTime>,
}

/// `XADD rq:results:<id> MAXLEN ~ 10 * …` as `Result.serialize()` lays it out, then the TTL
/// (`None`: leave the stream without one, as RQ does for failures without `failure_ttl`).
pub fn add_result(pipe: &mut Pipeline, exec: &Execution<'_>, outcome: &Outcome, ttl: Option<i64>) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = K.results(exec.job_id);
    // The entry id is the result's creation time (RQ reads `created_at` from it): a result of
    // the seeded past is stamped when its job ended, not when the demo wrote it.
    let when = exec.ended.unwrap_or(exec.started);
    let id = match SystemTime::now().duration_since(when) {
        Ok(age) if age.as_secs() > 5 => when
            .duration_since(std::time::UNIX_EPOCH)
            .map_or_else(|_| "*".to_string(), |d| format!("{}-0", d.as_millis())),
        _ => "*".to_string(),
    };
    let cmd = pipe
        .cmd("XADD")
        .arg(&key)
        .arg("MAXLEN")
        .arg("~")
        .arg(10)
        .arg(id);
    match outcome {
        Outcome::Success(value) => {
            cmd.arg("type").arg(1).arg("worker_name").arg(exec.worker);
            if *value != PyValue::None
                && let Ok(p) = pickle_out::dumps(value)
            {
                cmd.arg("return_value").arg(b64.encode(p));
            }
        }
        Outcome::Failure(text) => {
            cmd.arg("type").arg(2).arg("worker_name").arg(exec.worker);
            cmd.arg("exc_string").arg(b64.encode(zlib(text.as_bytes())));
        }
    }
    cmd.arg("execution_id").arg(exec.id);
    cmd.arg("execution_started_at").arg(epoch_f(exec.started));
    if let Some(end) = exec.ended {
        cmd.arg("execution_ended_at").arg(epoch_f(end));
    }
    match ttl {
        Some(-1) => {
            pipe.cmd("PERSIST").arg(&key);
        }
        Some(t) => {
            pipe.cmd("EXPIRE").arg(&key).arg(t);
        }
        None => {}
    }
}

/// `EXPIRE` (or `PERSIST` for -1) on the job and its dependency sets, as `Job.cleanup(ttl)`.
pub fn expire_job(pipe: &mut Pipeline, id: &str, ttl: i64) {
    for key in [K.job(id), K.dependents(id), K.dependencies(id)] {
        if ttl == -1 {
            pipe.cmd("PERSIST").arg(key);
        } else {
            pipe.cmd("EXPIRE").arg(key).arg(ttl);
        }
    }
}

/// The registry score for an expiry `ttl` from `now` (`+inf` for -1, RQ's "keep for ever").
#[must_use]
pub fn expiry_score(now: SystemTime, ttl: i64, failed: bool) -> String {
    match ttl {
        -1 if failed => "-1".to_string(),
        -1 => "+inf".to_string(),
        t => (epoch_i(now) + t).to_string(),
    }
}
