//! The values the data layer returns. They derive `Serialize`: they are rqctl's JSON contract
//! (snake_case names, RFC 3339 times, durations in seconds, missing values as null).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

pub use super::keys::Registry;

/// A point in time, serialised as RFC 3339 (UTC, seconds precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub SystemTime);

impl Timestamp {
    /// From UNIX seconds (RQ's EPOCHF/EPOCHI); `None` for NaN, infinities and absurd values.
    #[must_use]
    pub fn from_unix(secs: f64) -> Option<Self> {
        if !secs.is_finite() || !(0.0..=1.0e11).contains(&secs) {
            return None;
        }
        Duration::try_from_secs_f64(secs)
            .ok()
            .and_then(|d| UNIX_EPOCH.checked_add(d))
            .map(Self)
    }

    #[must_use]
    pub fn unix_secs(self) -> f64 {
        self.0
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    /// Seconds from `self` to `now`; negative when `self` is in the future.
    #[must_use]
    pub fn age_secs(self, now: SystemTime) -> f64 {
        match now.duration_since(self.0) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        }
    }

    #[must_use]
    pub fn rfc3339(self) -> String {
        humantime::format_rfc3339_seconds(self.0).to_string()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// A job status as RQ writes it; unknown strings (future RQ versions) are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Created,
    Queued,
    Started,
    Deferred,
    Scheduled,
    Finished,
    Failed,
    Stopped,
    Canceled,
    /// RQ 3.0: held back by a rate limit, in no queue until a slot frees.
    RateLimited,
    /// RQ 3.0: dependencies met, about to be enqueued (the ready registry).
    ReadyToEnqueue,
    /// No `status` field (rq 1.x with rq-scheduler 0.13 writes none): RQ's `get_status()`
    /// returns None, so this shows as stored: null in JSON, `-` in tables.
    Unset,
    Unknown(String),
}

impl JobStatus {
    /// The status as stored; a missing or empty field is `Unset`, as RQ reads it (None).
    #[must_use]
    pub fn parse(s: Option<&str>) -> Self {
        match s.unwrap_or("") {
            "" => Self::Unset,
            "created" => Self::Created,
            "queued" => Self::Queued,
            "started" => Self::Started,
            "deferred" => Self::Deferred,
            "scheduled" => Self::Scheduled,
            "finished" => Self::Finished,
            "failed" => Self::Failed,
            "stopped" => Self::Stopped,
            "canceled" => Self::Canceled,
            "rate_limited" => Self::RateLimited,
            "ready_to_enqueue" => Self::ReadyToEnqueue,
            other => Self::Unknown(other.to_string()),
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Created => "created",
            Self::Queued => "queued",
            Self::Started => "started",
            Self::Deferred => "deferred",
            Self::Scheduled => "scheduled",
            Self::Finished => "finished",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::Canceled => "canceled",
            Self::RateLimited => "rate_limited",
            Self::ReadyToEnqueue => "ready_to_enqueue",
            Self::Unset => "-",
            Self::Unknown(s) => s,
        }
    }

    /// The registry a job of this status lives in, if any.
    #[must_use]
    pub fn registry(&self) -> Option<Registry> {
        match self {
            Self::Started => Some(Registry::Started),
            Self::Deferred => Some(Registry::Deferred),
            Self::Scheduled => Some(Registry::Scheduled),
            Self::Finished => Some(Registry::Finished),
            Self::Failed | Self::Stopped => Some(Registry::Failed),
            Self::Canceled => Some(Registry::Canceled),
            Self::ReadyToEnqueue => Some(Registry::Ready),
            _ => None,
        }
    }
}

impl Serialize for JobStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Unset => s.serialize_none(),
            other => s.serialize_str(other.as_str()),
        }
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Redis server we talk to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerInfo {
    /// RQ's key prefix read (`rq`, or RQ 3.0's `RQ_KEY_PREFIX`).
    pub prefix: String,
    /// The URL with the password hidden.
    pub url: String,
    pub version: Option<String>,
    pub db: i64,
    /// `notify-keyspace-events` as the server reports it.
    pub keyspace_events: KeyspaceEvents,
}

/// Whether the server publishes the keyspace notifications rqtop needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeyspaceEvents {
    /// Flags are set and include keyspace events for every key type RQ uses.
    On { flags: String },
    /// Off, or missing the flags rqtop needs.
    Off { flags: String },
    /// `CONFIG GET` was refused (ACL, managed Redis).
    Unknown { reason: String },
}

/// One queue with the seven counts RQ keeps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueInfo {
    pub name: String,
    pub queued: u64,
    pub started: u64,
    pub deferred: u64,
    pub finished: u64,
    pub failed: u64,
    pub scheduled: u64,
    pub canceled: u64,
    /// Live workers listening on this queue.
    pub workers: u64,
    /// `enqueued_at` of the job at the head of the queue (the next to run).
    pub oldest_queued_at: Option<Timestamp>,
    /// RQ 3.0: jobs whose dependencies are met, about to be enqueued (normally 0).
    pub ready: u64,
    /// RQ 3.0: jobs of this queue waiting for a rate-limit slot (exact up to 2,000 waiting
    /// jobs over all rate limits, a lower bound beyond; see `Overview::rate_limits`).
    pub rate_limited: u64,
    /// Entries whose expiry score has passed: RQ's next cleanup removes them (started ones
    /// become failed). Not part of the counts above, as RQ would not count them either.
    pub expired: u64,
    /// When the soonest job of the scheduled registry is due (its score), if any.
    pub next_scheduled_at: Option<Timestamp>,
    /// Set when a key of this queue is not what RQ writes (e.g. the wrong type).
    pub problem: Option<String>,
}

impl QueueInfo {
    #[must_use]
    pub fn count(&self, registry: Registry) -> u64 {
        match registry {
            Registry::Started => self.started,
            Registry::Deferred => self.deferred,
            Registry::Finished => self.finished,
            Registry::Failed => self.failed,
            Registry::Scheduled => self.scheduled,
            Registry::Canceled => self.canceled,
            Registry::Ready => self.ready,
        }
    }
}

/// One RQ 3.0 rate limit (`RateLimit(key, concurrency)`): how many jobs may hold a slot,
/// how many do, and how many wait for one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateLimitInfo {
    pub key: String,
    /// `concurrency` as the last enqueue wrote it, or null when unreadable.
    pub concurrency: Option<u64>,
    /// Jobs holding a slot (queued or running; RQ's maintenance drops leaked ones).
    pub allowed: u64,
    /// Jobs waiting for a slot (status `rate_limited`, in no queue).
    pub waiting: u64,
    /// When the longest-waiting job started waiting (to the second, as RQ scores it).
    pub oldest_waiting_since: Option<Timestamp>,
}

/// How RQ would judge a worker: alive while its key exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    Alive,
    /// A warm shutdown was requested; it finishes its job first.
    Stopping,
    /// It registered a clean death; the key expires shortly.
    Dead,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerInfo {
    pub name: String,
    /// The `state` field verbatim: started, idle, busy, suspended (or anything newer).
    pub state: String,
    pub liveness: Liveness,
    pub queues: Vec<String>,
    /// The job it runs: RQ < 3 writes `current_job` in the worker hash; RQ 3.0 indexes its
    /// executions in `<p>:worker:<name>:executions` (the first of them here).
    pub current_job: Option<String>,
    /// Every job it runs (RQ 3.0 allows several executions per worker; one before).
    pub current_jobs: Vec<String>,
    /// `started_at` of the current job.
    pub current_job_started_at: Option<Timestamp>,
    pub current_job_working_time: Option<f64>,
    pub hostname: Option<String>,
    pub pid: Option<i64>,
    pub ip_address: Option<String>,
    pub birth: Option<Timestamp>,
    pub last_heartbeat: Option<Timestamp>,
    pub death: Option<Timestamp>,
    pub shutdown_requested_at: Option<Timestamp>,
    pub successful_job_count: u64,
    pub failed_job_count: u64,
    pub total_working_time: f64,
    pub rq_version: Option<String>,
    pub python_version: Option<String>,
    /// Seconds until the worker key expires (RQ's liveness clock); null if it has no TTL.
    pub expires_in: Option<i64>,
}

/// The overview `rqctl info` prints and rqtop's header and first tabs show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub redis: ServerInfo,
    pub suspended: bool,
    /// Seconds until a suspension with a duration ends by itself (`rq:suspended`'s TTL),
    /// or null (not suspended, or until resumed).
    pub resumes_in: Option<f64>,
    pub queues: Vec<QueueInfo>,
    pub workers: Vec<WorkerInfo>,
    /// RQ 3.0 rate limits in use (`<p>:rl-keys`), sorted by key.
    pub rate_limits: Vec<RateLimitInfo>,
    /// RQ cron entries with their last enqueue (`<p>:cron_jobs`, RQ 2.11+), sorted by name;
    /// at most `MAX_CRON_ENTRIES`.
    pub cron: Vec<CronLast>,
    /// Live `rq cron` processes: members of `<p>:cron_schedulers` (RQ 2.6+) that
    /// heartbeat within `CRON_SCHEDULER_TTL` (RQ's readers drop older ones).
    pub cron_schedulers: u64,
    /// rq-scheduler's sorted set: how many entries and the soonest run.
    pub rq_scheduler: RqSchedulerSummary,
    /// What could not be read as RQ writes it (e.g. `rq:queues` is not a set): the
    /// numbers above are then incomplete, and the front-ends say so.
    pub problems: Vec<String>,
}

/// One RQ cron entry and when it last enqueued a job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CronLast {
    pub name: String,
    pub last_enqueued_at: Option<Timestamp>,
}

/// rq-scheduler's `scheduled_jobs`, counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RqSchedulerSummary {
    pub jobs: u64,
    pub next_run: Option<Timestamp>,
}

/// Where a page of jobs comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobSource {
    /// The queue list itself (queued jobs, head first).
    Queue,
    Registry(Registry),
}

impl std::fmt::Display for JobSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Queue => f.write_str("queued"),
            Self::Registry(r) => r.fmt(f),
        }
    }
}

/// A request for one page of jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobQuery {
    pub queue: String,
    pub source: JobSource,
    pub offset: u64,
    pub limit: u64,
    pub newest_first: bool,
}

/// One row of a job table: the fields a list shows, each read only as far as it shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSummary {
    pub id: String,
    /// None when the job hash is gone (a dangling id).
    pub status: Option<JobStatus>,
    pub missing: bool,
    /// From `data` (never from the description); null when it cannot be read.
    pub func_name: Option<String>,
    /// The start of the description: a table reads only its first KB.
    pub description: Option<String>,
    /// The description is longer than `description` (the job view shows it whole).
    pub description_truncated: bool,
    pub origin: Option<String>,
    pub created_at: Option<Timestamp>,
    pub enqueued_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub worker_name: Option<String>,
    /// The last line of the latest traceback (failed jobs only).
    pub error: Option<String>,
    /// The registry score (expiry, run time, or cancel time, depending on the registry).
    pub score: Option<f64>,
    /// The score as a time (RFC 3339), or null when it is none (-1: never expires; inf).
    pub score_at: Option<Timestamp>,
    /// The execution id from a 2.x started-registry member.
    pub execution_id: Option<String>,
}

impl JobSummary {
    /// A started-registry entry whose expiry passed: its worker stopped heartbeating it (died
    /// or was killed), and RQ's next cleanup fails it. Counts leave these out, as RQ does.
    #[must_use]
    pub fn abandoned(&self, source: JobSource, now: std::time::SystemTime) -> bool {
        source == JobSource::Registry(super::keys::Registry::Started)
            && self.score_at.is_some_and(|t| t.age_secs(now) > 0.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobPage {
    pub queue: String,
    pub source: JobSource,
    pub total: u64,
    pub offset: u64,
    pub newest_first: bool,
    pub jobs: Vec<JobSummary>,
}

/// The latest entry of `rq:results:<id>` (or the legacy hash fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobResult {
    /// successful, failed, stopped, retried, max_retries_exceeded, or the number.
    pub kind: String,
    pub created_at: Option<Timestamp>,
    pub worker_name: Option<String>,
    /// The return value as JSON where it maps, else Python's repr as a string.
    pub return_value: Option<serde_json::Value>,
    pub return_value_repr: Option<String>,
    pub exc_string: Option<String>,
    pub execution_id: Option<String>,
    /// Where it came from: "stream" (RQ >= 1.12) or "hash" (legacy fields).
    pub source: &'static str,
}

/// What `data` holds, decoded without running any Python.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallInfo {
    pub func_name: Option<String>,
    pub instance: Option<String>,
    pub args: Vec<serde_json::Value>,
    pub kwargs: BTreeMap<String, serde_json::Value>,
    pub args_repr: Vec<String>,
    pub kwargs_repr: BTreeMap<String, String>,
    /// pickle, json, or unknown.
    pub serializer: &'static str,
}

/// One job, whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: String,
    pub status: JobStatus,
    pub origin: Option<String>,
    pub func_name: Option<String>,
    pub args: Vec<serde_json::Value>,
    pub kwargs: BTreeMap<String, serde_json::Value>,
    pub args_repr: Vec<String>,
    pub kwargs_repr: BTreeMap<String, String>,
    pub instance: Option<String>,
    pub serializer: Option<&'static str>,
    /// Why `data` could not be decoded (the rest of the job is still shown).
    pub data_error: Option<String>,
    pub data_size: usize,
    pub description: Option<String>,
    pub created_at: Option<Timestamp>,
    pub enqueued_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub last_heartbeat: Option<Timestamp>,
    pub worker_name: Option<String>,
    pub timeout: Option<i64>,
    pub result_ttl: Option<i64>,
    pub failure_ttl: Option<i64>,
    pub ttl: Option<i64>,
    pub retries_left: Option<i64>,
    pub group_id: Option<String>,
    pub meta: Option<serde_json::Value>,
    pub meta_error: Option<String>,
    /// The latest return value (as JSON where it maps).
    pub result: Option<serde_json::Value>,
    pub latest_result: Option<JobResult>,
    /// The latest traceback text, or null.
    pub exc_info: Option<String>,
    pub dependency_ids: Vec<String>,
    /// Jobs waiting on this one (at most 1,000 listed; `dependents_total` counts them all).
    pub dependents: Vec<String>,
    pub dependents_total: u64,
    /// Seconds until the job hash expires, null when it never does.
    pub expires_in: Option<i64>,
    /// The job is in rq-scheduler's `scheduled_jobs` (it may be queued/finished as well).
    pub rq_scheduler_next_run: Option<Timestamp>,
    /// When RQ's scheduler enqueues it: its score in `scheduled:<origin>` (scheduled jobs).
    pub scheduled_for: Option<Timestamp>,
    /// Every hash field: text verbatim, binary ones as `<N bytes: hex…>`.
    pub fields: BTreeMap<String, String>,
}

/// Where a schedule entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleSource {
    /// RQ's `rq:scheduled:<queue>` registry (enqueue_at / enqueue_in / retry intervals).
    Scheduled,
    /// RQ 2.x `rq cron`.
    RqCron,
    /// rq-scheduler's `rq:scheduler:scheduled_jobs` (also Flask-RQ2's `.schedule`/`.cron`).
    RqScheduler,
}

/// One thing that will run: a job id or a cron entry, with when and how often.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub source: ScheduleSource,
    /// Job id (registries, rq-scheduler) or cron job name (RQ cron).
    pub id: String,
    pub queue: Option<String>,
    pub func_name: Option<String>,
    pub description: Option<String>,
    pub next_run: Option<Timestamp>,
    pub interval: Option<f64>,
    pub cron: Option<String>,
    pub repeat: Option<i64>,
    /// The job hash is gone (the schedule entry dangles).
    pub missing: bool,
    pub status: Option<JobStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedules {
    pub entries: Vec<Schedule>,
    /// True when a source held more entries than the limit.
    pub truncated: bool,
}
