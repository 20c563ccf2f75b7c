//! The overview: server facts, every queue with its counts, every worker. Read in three
//! pipelined round trips (two for a reader that reads ahead, see `overview_ahead`) whose
//! size depends on the number of queues and workers, never on the number of jobs (beyond
//! ~9,000 queues the second and third are cut into pipelines of `COMMANDS_PER_TRIP`
//! commands, to bound memory). Nothing here writes (unlike `rq info`).

use std::collections::HashMap;
use std::ops::Range;
use std::time::SystemTime;

use futures_util::stream::{self, StreamExt};
use redis::Value;

use super::client::RqClient;
use super::decode;
use super::error::Result;
use super::keys::{Keys, Registry};
use super::model::{
    CronLast, KeyspaceEvents, Liveness, Overview, QueueInfo, RateLimitInfo, RqSchedulerSummary,
    ServerInfo, WorkerInfo,
};
use super::reply::{self, Replies};

mod counts;
use counts::CountTrip;

/// What the first round trip finds.
struct Roots {
    problems: Vec<String>,
    names: Names,
    resumes_in: Option<f64>,
    suspended: bool,
    version: Option<String>,
    events: KeyspaceEvents,
    /// The server's clock (TIME), in seconds with microseconds.
    now: f64,
    cron: Vec<CronLast>,
    cron_schedulers: u64,
    rq_scheduler: RqSchedulerSummary,
}

/// RQ cron entries read per overview: a bound on the reply, far above real configurations.
pub const MAX_CRON_ENTRIES: usize = 1000;

/// Seconds after its last heartbeat that an `rq cron` process counts as gone: the TTL of its
/// record, after which RQ's own readers drop it.
pub const CRON_SCHEDULER_TTL: f64 = 120.0;

/// How much an overview reads beyond the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything `rqctl info`, `rqctl workers`, `check` and rqtop show.
    Full,
    /// What the metrics exposition writes and no more: every count, each worker's state,
    /// queues, heartbeat and counters, the age of each queue's head job. Left out: server
    /// version and keyspace-event settings, worker TTLs, hosts and versions, RQ 3.0
    /// executions, current-job start times and the queue of each rate-limited job. That is
    /// half of Redis's work on a scrape of 200 workers (one HMGET of 8 fields per worker
    /// instead of an HMGET of 16, a TTL and an SMEMBERS).
    Counts,
}

impl RqClient {
    /// Reads the overview (`rqctl info`).
    pub async fn overview(&mut self) -> Result<Overview> {
        self.overview_with(Detail::Full).await
    }

    /// Reads the overview with the given detail: the same three round trips, with fewer
    /// commands in each for `Detail::Counts`.
    pub async fn overview_with(&mut self, detail: Detail) -> Result<Overview> {
        self.overview_ahead(detail, &mut ReadAhead::default()).await
    }

    /// Reads the overview for a reader that reads again and again (`rqctl metrics
    /// --listen`): the counts of the queues and workers the last read found are sent with
    /// the first round trip. When that round trip finds the same names (the common case),
    /// the read takes two round trips instead of three; when it finds others, the guess is
    /// dropped and the counts are read for the names found, as a plain read does.
    pub async fn overview_ahead(
        &mut self,
        detail: Detail,
        ahead: &mut ReadAhead,
    ) -> Result<Overview> {
        let guess = ahead
            .names
            .take()
            .filter(|n| plan_trips(n.queues.len(), n.workers.len(), COMMANDS_PER_TRIP).len() <= 1);
        let mut pipe = self.roots_pipeline(detail);
        if let Some(names) = &guess {
            let now = (local_clock() + ahead.clock_offset).floor();
            counts::add(&self.keys, &mut pipe, &CountTrip::whole(names), detail, now);
        }
        let mut r = Replies::new(self.pipeline("read queues and workers", pipe).await?);
        let roots = self.roots_from(&mut r, detail);
        ahead.clock_offset = roots.now - local_clock();
        let mut found = match &guess {
            Some(names) if *names == roots.names => {
                ahead.held += 1;
                let mut acc = Counts::default();
                counts::take(
                    &self.keys,
                    &mut r,
                    &CountTrip::whole(names),
                    detail,
                    &mut acc,
                );
                acc.finish(&roots.names)
            }
            _ => self.fetch_counts(&roots, detail).await?,
        };
        ahead.names = Some(roots.names.clone());
        if detail == Detail::Counts {
            found.waiting.clear();
        }
        let Counts {
            mut queues,
            mut workers,
            limits: rate_limits,
            waiting,
            problems,
        } = found;
        self.fill_times(&mut queues, &mut workers, &waiting, detail)
            .await?;
        Ok(Overview {
            redis: ServerInfo {
                url: self.url().to_string(),
                prefix: self.keys.prefix().to_string(),
                version: roots.version,
                db: self.db(),
                keyspace_events: roots.events,
            },
            suspended: roots.suspended,
            resumes_in: roots.resumes_in,
            queues: queues.into_iter().map(|(q, _)| q).collect(),
            workers,
            rate_limits,
            cron: roots.cron,
            cron_schedulers: roots.cron_schedulers,
            rq_scheduler: roots.rq_scheduler,
            problems: roots.problems.into_iter().chain(problems).collect(),
        })
    }

    /// Every queue name in `rq:queues` (one command).
    pub async fn queue_names(&mut self) -> Result<Vec<String>> {
        let v = self
            .cmd(
                "read queues",
                redis::cmd("SMEMBERS").arg(self.keys.queues()).clone(),
            )
            .await?;
        Ok(reply::members(&v)
            .iter()
            .filter_map(|k| self.keys.queue_name_from_key(k))
            .collect())
    }

    /// Whether RQ knows the queue: in `rq:queues`, or its list exists (rq-scheduler's
    /// target queues join `rq:queues` only at their first run).
    pub async fn queue_exists(&mut self, name: &str) -> Result<bool> {
        let mut pipe = redis::pipe();
        pipe.cmd("SISMEMBER")
            .arg(self.keys.queues())
            .arg(self.keys.queue(name));
        pipe.cmd("EXISTS").arg(self.keys.queue(name));
        let replies = self.pipeline("check queue", pipe).await?;
        Ok(replies.iter().any(|v| reply::int(v).unwrap_or(0) > 0))
    }

    /// The first round trip's commands: names, suspension, server facts, cron entries.
    fn roots_pipeline(&self, detail: Detail) -> redis::Pipeline {
        let full = detail == Detail::Full;
        let mut pipe = redis::pipe();
        pipe.cmd("SMEMBERS").arg(self.keys.queues());
        pipe.cmd("SMEMBERS").arg(self.keys.workers());
        pipe.cmd("EXISTS").arg(self.keys.suspended());
        pipe.cmd("PTTL").arg(self.keys.suspended());
        pipe.cmd("SMEMBERS").arg(self.keys.rate_limit_keys());
        if full {
            pipe.cmd("INFO").arg("server");
            pipe.cmd("CONFIG").arg("GET").arg("notify-keyspace-events");
        }
        pipe.cmd("TIME");
        pipe.cmd("ZRANGE")
            .arg(self.keys.cron_jobs())
            .arg(0)
            .arg(MAX_CRON_ENTRIES - 1)
            .arg("WITHSCORES");
        pipe.cmd("ZRANGE")
            .arg(self.keys.cron_schedulers())
            .arg(0)
            .arg(MAX_CRON_ENTRIES - 1)
            .arg("WITHSCORES");
        pipe.cmd("ZCARD").arg(super::keys::RQ_SCHEDULER_JOBS);
        pipe.cmd("ZRANGE")
            .arg(super::keys::RQ_SCHEDULER_JOBS)
            .arg(0)
            .arg(0)
            .arg("WITHSCORES");
        pipe
    }

    /// The replies of `roots_pipeline`, in order.
    fn roots_from(&self, r: &mut Replies, detail: Detail) -> Roots {
        let full = detail == Detail::Full;
        let mut problems = Vec::new();
        let queue_keys = set_or_problem(r.next(), &self.keys.queues(), &mut problems);
        let worker_keys = set_or_problem(r.next(), &self.keys.workers(), &mut problems);
        let mut queues: Vec<String> = queue_keys
            .iter()
            .filter_map(|k| self.keys.queue_name_from_key(k))
            .collect();
        queues.sort();
        queues.dedup();
        let mut workers: Vec<String> = worker_keys
            .iter()
            .filter_map(|k| self.keys.worker_name_from_key(k))
            .collect();
        workers.sort();
        workers.dedup();
        let suspended = reply::int(&r.next()).unwrap_or(0) > 0;
        let resumes_in = reply::int(&r.next())
            .filter(|ms| *ms >= 0 && suspended)
            .map(|ms| ms as f64 / 1000.0);
        let mut rate_limit_keys: Vec<String> = reply::members(&r.next())
            .iter()
            .map(|m| super::keys::name_from_bytes(m))
            .collect();
        rate_limit_keys.sort();
        let (version, events) = if full {
            let version =
                reply::text(&r.next()).and_then(|info| info_field(&info, "redis_version"));
            (version, keyspace_events(&r.next()))
        } else {
            let reason = "not read (Detail::Counts)".to_string();
            (None, KeyspaceEvents::Unknown { reason })
        };
        let now = server_time(&r.next());
        let mut cron: Vec<CronLast> = reply::scored(&r.next())
            .into_iter()
            .map(|(name, at)| CronLast {
                name: super::keys::name_from_bytes(&name),
                last_enqueued_at: super::model::Timestamp::from_unix(at),
            })
            .collect();
        cron.sort_by(|a, b| a.name.cmp(&b.name));
        let cron_schedulers = reply::scored(&r.next())
            .iter()
            .filter(|(_, beat)| now - beat <= CRON_SCHEDULER_TTL)
            .count() as u64;
        let rq_scheduler = RqSchedulerSummary {
            jobs: count(&r.next()),
            next_run: first_score(&r.next()),
        };
        Roots {
            problems,
            names: Names {
                queues,
                workers,
                rate_limit_keys,
            },
            resumes_in,
            suspended,
            version,
            events,
            now,
            cron,
            cron_schedulers,
            rq_scheduler,
        }
    }

    /// Second round trip: every queue's counts and every worker's hash. Above
    /// `COMMANDS_PER_TRIP` commands it is cut into several pipelines (see `plan_trips`), so
    /// that the commands and replies held at once stay bounded: 100,000 queues made 1.1 M
    /// commands and most of rqctl's 480 MB as one pipeline. The next pipeline is sent
    /// before the replies of the current one are read, so Redis works while we parse.
    async fn fetch_counts(&mut self, roots: &Roots, detail: Detail) -> Result<Counts> {
        let names = &roots.names;
        let now = roots.now.floor();
        let mut trips = plan_trips(names.queues.len(), names.workers.len(), COMMANDS_PER_TRIP);
        if trips.is_empty() && !names.rate_limit_keys.is_empty() {
            trips.push((0..0, 0..0));
        }
        let trips: Vec<CountTrip> = (trips.into_iter().enumerate())
            .map(|(i, (qs, ws))| CountTrip {
                names,
                qs,
                ws,
                first: i == 0,
            })
            .collect();
        let client = &*self;
        // Items by index, not by reference: a closure over a borrowed item makes the
        // future not `Send` for axum and the fleet's tasks.
        let mut replies = stream::iter(0..trips.len())
            .map(|i| {
                let mut pipe = redis::pipe();
                if let Some(trip) = trips.get(i) {
                    counts::add(&client.keys, &mut pipe, trip, detail, now);
                }
                let mut c = client.clone();
                async move { c.pipeline("read queue counts", pipe).await }
            })
            .buffered(2);
        let mut acc = Counts::default();
        for trip in &trips {
            let mut r = Replies::new(replies.next().await.unwrap_or(Ok(Vec::new()))?);
            counts::take(&self.keys, &mut r, trip, detail, &mut acc);
        }
        Ok(acc.finish(names))
    }

    /// Third round trip: `enqueued_at` of each queue's head job, `started_at` of each
    /// worker's current job, and the queue of each rate-limited job read (`waiting`).
    async fn fill_times(
        &mut self,
        queues: &mut [(QueueInfo, Option<String>)],
        workers: &mut [WorkerInfo],
        waiting: &[String],
        detail: Detail,
    ) -> Result<()> {
        let index: HashMap<String, usize> = (queues.iter().enumerate())
            .map(|(i, (q, _))| (q.name.clone(), i))
            .collect();
        let wanted: Vec<TimeOf> = (queues.iter().enumerate())
            .filter(|(_, (_, head))| head.is_some())
            .map(|(i, _)| TimeOf::QueueHead(i))
            .chain(
                (workers.iter().enumerate())
                    .filter(|(_, w)| detail == Detail::Full && w.current_job.is_some())
                    .map(|(i, _)| TimeOf::WorkerJob(i)),
            )
            .chain((0..waiting.len()).map(TimeOf::WaitingOrigin))
            .collect();
        for part in wanted.chunks(COMMANDS_PER_TRIP) {
            let mut pipe = redis::pipe();
            for t in part {
                let (id, field) = match *t {
                    TimeOf::QueueHead(i) => {
                        (queues.get(i).and_then(|q| q.1.as_ref()), "enqueued_at")
                    }
                    TimeOf::WorkerJob(i) => (
                        workers.get(i).and_then(|w| w.current_job.as_ref()),
                        "started_at",
                    ),
                    TimeOf::WaitingOrigin(i) => (waiting.get(i), "origin"),
                };
                // Always one command per entry, so that replies stay aligned.
                pipe.cmd("HGET")
                    .arg(self.keys.job(id.map_or("", String::as_str)))
                    .arg(field);
            }
            let mut r = Replies::new(self.pipeline("read job times", pipe).await?);
            for t in part {
                let value = reply::text(&r.next());
                let at = || value.as_deref().and_then(decode::timestamp);
                match *t {
                    TimeOf::WaitingOrigin(_) => {
                        let slot = value.as_ref().and_then(|o| index.get(o).copied());
                        if let Some((q, _)) = slot.and_then(|i| queues.get_mut(i)) {
                            q.rate_limited += 1;
                        }
                    }
                    TimeOf::QueueHead(i) => {
                        if let Some((q, _)) = queues.get_mut(i) {
                            q.oldest_queued_at = at();
                        }
                    }
                    TimeOf::WorkerJob(i) => {
                        if let Some(w) = workers.get_mut(i) {
                            w.current_job_started_at = at();
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whose job time the third round trip reads: the head job of queue i, or the current job
/// of worker i.
#[derive(Debug, Clone, Copy)]
enum TimeOf {
    QueueHead(usize),
    WorkerJob(usize),
    /// The queue of waiting (rate-limited) job i.
    WaitingOrigin(usize),
}

/// The queue, worker and rate-limit key names one read found (sorted, without repeats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Names {
    queues: Vec<String>,
    workers: Vec<String>,
    rate_limit_keys: Vec<String>,
}

/// What a reader that reads again and again keeps from one read for the next (see
/// `RqClient::overview_ahead`): the names it found and how far the server's clock is from
/// ours. A wrong guess costs one round trip more, never a wrong count.
#[derive(Debug, Default)]
pub struct ReadAhead {
    names: Option<Names>,
    clock_offset: f64,
    held: u64,
}

impl ReadAhead {
    /// How many reads found the names guessed (and so took two round trips).
    #[must_use]
    pub fn held(&self) -> u64 {
        self.held
    }
}

/// This machine's clock, in UNIX seconds.
fn local_clock() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What the second round trip reads: queues with their head job, workers, RQ 3.0 rate
/// limits and the waiting job ids whose queue the third round trip reads.
#[derive(Default)]
struct Counts {
    queues: Vec<(QueueInfo, Option<String>)>,
    workers: Vec<WorkerInfo>,
    limits: Vec<RateLimitInfo>,
    waiting: Vec<String>,
    /// Worker keys that could not be read as RQ writes them (not a hash).
    problems: Vec<String>,
}

/// How many live (not dead) workers listen on each of `queues`, in the same order. One pass
/// over the workers' queue lists with a name index: linear in queues + listed names, where
/// matching every worker against every queue was O(queues × workers) (68 s for 100,000
/// queues and 50,000 workers). A worker that lists a queue twice counts once, as before;
/// names that are not in `queues` are ignored.
fn listener_counts(queues: &[String], workers: &[WorkerInfo]) -> Vec<u64> {
    let index: HashMap<&str, usize> = queues
        .iter()
        .enumerate()
        .map(|(i, q)| (q.as_str(), i))
        .collect();
    let mut counts = vec![0u64; queues.len()];
    // The last worker counted for each queue, so that a repeated name counts once.
    let mut counted_by = vec![usize::MAX; queues.len()];
    let live = workers
        .iter()
        .enumerate()
        .filter(|(_, w)| w.liveness != Liveness::Dead);
    for (wi, w) in live {
        for name in &w.queues {
            if let Some(&qi) = index.get(name.as_str())
                && counted_by[qi] != wi
            {
                counted_by[qi] = wi;
                counts[qi] += 1;
            }
        }
    }
    counts
}

/// The members of a set RQ keeps (`rq:queues`, `rq:workers`); any other reply (the key
/// holds another type, the user may not read it) is a problem to report, never "empty".
fn set_or_problem(v: Value, key: &[u8], problems: &mut Vec<String>) -> Vec<Vec<u8>> {
    let key = super::keys::name_from_bytes(key);
    match reply::error(&v) {
        Some(err) if err.to_ascii_uppercase().contains("WRONGTYPE") => {
            problems.push(format!(
                "{key} is not a set as RQ keeps it, so what it lists cannot be read ({err})"
            ));
            Vec::new()
        }
        Some(err) => {
            problems.push(format!("{key} could not be read: {err}"));
            Vec::new()
        }
        None => reply::members(&v),
    }
}

/// Commands per pipeline above which a read is cut into several round trips: small enough
/// that the commands and replies held at once stay in the tens of MB, large enough that
/// ~9,000 queues, or a few hundred queues and ~2,000 workers, are still read in one.
const COMMANDS_PER_TRIP: usize = 100_000;

/// The worker hash fields `worker_from_hash` reads (HMGET, in this order).
const WORKER_FIELDS: [&str; 16] = [
    "state",
    "queues",
    "current_job",
    "current_job_working_time",
    "hostname",
    "pid",
    "ip_address",
    "birth",
    "last_heartbeat",
    "death",
    "shutdown_requested_date",
    "successful_job_count",
    "failed_job_count",
    "total_working_time",
    "version",
    "python_version",
];

/// The worker hash fields `Detail::Counts` reads: what the metrics exposition writes and
/// what tells a dead or stopping worker.
const COUNT_WORKER_FIELDS: [&str; 8] = [
    "state",
    "queues",
    "last_heartbeat",
    "death",
    "shutdown_requested_date",
    "successful_job_count",
    "failed_job_count",
    "total_working_time",
];

/// A worker's share of `COMMANDS_PER_TRIP`: HMGET, TTL and SMEMBERS of its executions,
/// plus the values of the HMGET reply, which weigh like commands.
const WORKER_COST: usize = 35;

/// RQ 3.0 keeps no `current_job` in the worker hash: its running executions are members
/// `<job id>:<execution id>` of `<p>:worker:<name>:executions`. Read without RQ's side
/// effect (`get_current_executions` drops members whose execution expired; a read must not).
fn with_executions(w: &mut WorkerInfo, members: &[Vec<u8>]) {
    let mut ids: Vec<String> = members
        .iter()
        .map(|m| super::keys::name_from_bytes(m))
        .map(|m| decode::wip_member(&m).0.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    if w.current_job.is_none() {
        w.current_job = ids.first().cloned();
    }
    if ids.is_empty() {
        ids.extend(w.current_job.clone());
    }
    w.current_jobs = ids;
}

/// Commands `read_queue` sends per queue.
fn queue_cost() -> usize {
    3 + Registry::ALL.len()
        + Registry::ALL
            .iter()
            .filter(|r| r.expires_by_score())
            .count()
}

/// Cuts the reads of `queues` queues, then `workers` workers, into consecutive pipelines of
/// about `budget` commands (each holds at least one entry): the queue and worker index
/// ranges of each. Empty when there is nothing to read; one pipeline for small servers.
fn plan_trips(queues: usize, workers: usize, budget: usize) -> Vec<(Range<usize>, Range<usize>)> {
    let per_trip = |cost: usize| (budget / cost).max(1);
    let mut trips = Vec::new();
    let (mut q, mut w) = (0, 0);
    while q < queues || w < workers {
        let q_end = (q + per_trip(queue_cost())).min(queues);
        let left = budget.saturating_sub((q_end - q) * queue_cost());
        let w_end = if q_end < queues {
            w
        } else if q_end > q {
            (w + left / WORKER_COST).min(workers)
        } else {
            (w + per_trip(WORKER_COST)).min(workers)
        };
        trips.push((q..q_end, w..w_end));
        (q, w) = (q_end, w_end);
    }
    trips
}

/// Queues one queue's counts (`queue_cost()` commands).
fn read_queue(pipe: &mut redis::Pipeline, keys: &Keys, q: &str, now: f64) {
    let key = keys.queue(q);
    pipe.cmd("LLEN").arg(&key);
    pipe.cmd("LINDEX").arg(&key).arg(0);
    for reg in Registry::ALL {
        let key = keys.registry(reg, q);
        pipe.cmd("ZCARD").arg(&key);
        if reg.expires_by_score() {
            pipe.cmd("ZCOUNT").arg(&key).arg(0).arg(now);
        }
    }
    pipe.cmd("ZRANGE")
        .arg(keys.registry(Registry::Scheduled, q))
        .arg(0)
        .arg(0)
        .arg("WITHSCORES");
}

/// The score of the first member of a `ZRANGE … WITHSCORES` reply, as a time.
fn first_score(v: &Value) -> Option<super::model::Timestamp> {
    reply::scored(v)
        .first()
        .and_then(|(_, s)| super::model::Timestamp::from_unix(*s))
}

/// The replies of `read_queue`, in the same order: the queue and its head job's id.
fn queue_from_replies(r: &mut Replies, keys: &Keys, name: &str) -> (QueueInfo, Option<String>) {
    let mut problems = Vec::new();
    let llen = r.next();
    let queued = count_or_note(&llen, || keys.queue(name), &mut problems);
    let head = reply::text(&r.next());
    let mut q = QueueInfo {
        name: name.to_string(),
        queued,
        started: 0,
        deferred: 0,
        finished: 0,
        failed: 0,
        scheduled: 0,
        canceled: 0,
        ready: 0,
        rate_limited: 0,
        workers: 0,
        oldest_queued_at: None,
        expired: 0,
        next_scheduled_at: None,
        problem: None,
    };
    for reg in Registry::ALL {
        let total = count_or_note(&r.next(), || keys.registry(reg, name), &mut problems);
        let expired = if reg.expires_by_score() {
            count(&r.next())
        } else {
            0
        };
        q.expired += expired;
        *registry_slot(&mut q, reg) = total.saturating_sub(expired);
    }
    q.next_scheduled_at = first_score(&r.next());
    if !problems.is_empty() {
        q.problem = Some(problems.join("; "));
    }
    (q, head)
}

fn registry_slot(q: &mut QueueInfo, reg: Registry) -> &mut u64 {
    match reg {
        Registry::Started => &mut q.started,
        Registry::Deferred => &mut q.deferred,
        Registry::Finished => &mut q.finished,
        Registry::Failed => &mut q.failed,
        Registry::Scheduled => &mut q.scheduled,
        Registry::Canceled => &mut q.canceled,
        Registry::Ready => &mut q.ready,
    }
}

/// A count reply; a server error (e.g. WRONGTYPE on a non-RQ key) is noted with the key
/// (built only then), and counts 0.
fn count_or_note(v: &Value, key: impl FnOnce() -> Vec<u8>, problems: &mut Vec<String>) -> u64 {
    if let Some(err) = reply::error(v) {
        problems.push(format!("{}: {err}", String::from_utf8_lossy(&key())));
    }
    count(v)
}

fn count(v: &Value) -> u64 {
    reply::int(v)
        .and_then(|i| u64::try_from(i).ok())
        .unwrap_or(0)
}

/// Builds a worker from its hash fields (lenient: every field may be missing or garbage).
pub(crate) fn worker_from_hash<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    name: &str,
    fields: &[(K, V)],
    ttl: Option<i64>,
) -> WorkerInfo {
    // A scan of ~16 fields per lookup: cheaper than hashing them all (200 workers a scrape).
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f.as_ref() == k.as_bytes())
            .map(|(_, v)| String::from_utf8_lossy(v.as_ref()).into_owned())
            .filter(|v| !v.is_empty())
    };
    let ts = |k: &str| get(k).and_then(|v| decode::timestamp(&v));
    let death = ts("death");
    let shutdown = ts("shutdown_requested_date");
    let liveness = if death.is_some() {
        Liveness::Dead
    } else if shutdown.is_some() {
        Liveness::Stopping
    } else {
        Liveness::Alive
    };
    WorkerInfo {
        name: name.to_string(),
        state: get("state").unwrap_or_else(|| "unknown".to_string()),
        liveness,
        queues: get("queues")
            .map(|q| {
                q.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        current_job: get("current_job"),
        current_jobs: Vec::new(),
        current_job_started_at: None,
        current_job_working_time: get("current_job_working_time").and_then(|v| v.parse().ok()),
        hostname: get("hostname"),
        pid: get("pid").and_then(|v| v.trim().parse().ok()),
        ip_address: get("ip_address"),
        birth: ts("birth"),
        last_heartbeat: ts("last_heartbeat"),
        death,
        shutdown_requested_at: shutdown,
        successful_job_count: get("successful_job_count")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        failed_job_count: get("failed_job_count")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        total_working_time: get("total_working_time")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|f| f.is_finite())
            .unwrap_or(0.0),
        rq_version: get("version"),
        python_version: get("python_version"),
        expires_in: ttl.filter(|t| *t >= 0),
    }
}

fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

/// Keyspace events rqtop needs: keyspace channel (K) and generic, list, set, zset, hash,
/// string, expired and stream classes (or A for all of them).
pub const NEEDED_EVENT_FLAGS: &str = "Kg$lshzxe";

fn keyspace_events(v: &Value) -> KeyspaceEvents {
    if let Some(err) = reply::error(v) {
        return KeyspaceEvents::Unknown { reason: err };
    }
    let items = reply::members(v);
    let Some(flags) = items
        .get(1)
        .map(|f| String::from_utf8_lossy(f).into_owned())
    else {
        return KeyspaceEvents::Unknown {
            reason: "no reply to CONFIG GET".to_string(),
        };
    };
    if events_sufficient(&flags) {
        KeyspaceEvents::On { flags }
    } else {
        KeyspaceEvents::Off { flags }
    }
}

/// True when `flags` publish keyspace events for every class rqtop watches.
#[must_use]
pub fn events_sufficient(flags: &str) -> bool {
    if !flags.contains('K') {
        return false;
    }
    let all = flags.contains('A');
    ["g", "$", "l", "s", "h", "z"]
        .iter()
        .all(|c| all || flags.contains(c))
}

fn server_time(v: &Value) -> f64 {
    let parts = reply::members(v);
    let secs = parts
        .first()
        .and_then(|s| String::from_utf8_lossy(s).parse::<f64>().ok());
    let micros = parts
        .get(1)
        .and_then(|s| String::from_utf8_lossy(s).parse::<f64>().ok());
    match secs {
        Some(s) => s + micros.unwrap_or(0.0) / 1e6,
        None => local_clock(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_flags() {
        assert!(events_sufficient("KEA"));
        assert!(events_sufficient("AK"));
        assert!(!events_sufficient(""));
        assert!(!events_sufficient("Ex"));
        assert!(events_sufficient("Kg$lshz"));
    }

    fn worker(name: &str, queues: &str, death: bool) -> WorkerInfo {
        let mut fields = vec![(b"queues".to_vec(), queues.as_bytes().to_vec())];
        if death {
            fields.push((b"death".to_vec(), b"2026-11-23T19:35:51.040728Z".to_vec()));
        }
        worker_from_hash(name, &fields, Some(400))
    }

    #[test]
    fn listeners_count_each_live_worker_once_per_queue() {
        let queues: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let mut stopping = worker("w4", "c", false);
        stopping.liveness = Liveness::Stopping;
        let workers = vec![
            worker("w1", "a,b", false),
            worker("w2", "b,c,b", false), // b listed twice: one listener
            worker("w3", "a,b,c,d", true), // dead: listens on nothing
            stopping,                     // still working: counts
            worker("w5", "zz,,a", false), // unknown and empty names are ignored
        ];
        assert_eq!(listener_counts(&queues, &workers), vec![2, 2, 2, 0]);
        assert_eq!(listener_counts(&queues, &[]), vec![0; 4]);
        assert!(listener_counts(&[], &workers).is_empty());
    }

    #[test]
    fn listeners_scale_with_many_queues_and_workers() {
        // Behaviour, not timing: 2,000 queues, 1,000 workers on two queues each (every
        // 10th dead). Each queue i has worker i % 1000 on it, alive unless i % 1000 % 10 == 9.
        let queues: Vec<String> = (0..2000).map(|i| format!("q{i}")).collect();
        let workers: Vec<WorkerInfo> = (0..1000)
            .map(|w| {
                worker(
                    &format!("w{w}"),
                    &format!("q{w},q{}", w + 1000),
                    w % 10 == 9,
                )
            })
            .collect();
        let counts = listener_counts(&queues, &workers);
        for (i, n) in counts.iter().enumerate() {
            assert_eq!(*n, u64::from(i % 1000 % 10 != 9), "queue q{i}");
        }
    }

    /// Every trip's ranges, checked: consecutive, covering everything once, queues first,
    /// and within the budget unless a trip holds a single entry.
    fn check_trips(queues: usize, workers: usize, budget: usize) -> usize {
        let trips = plan_trips(queues, workers, budget);
        let (mut q, mut w) = (0, 0);
        for (qs, ws) in &trips {
            assert_eq!((qs.start, ws.start), (q, w), "{trips:?}");
            assert!(!qs.is_empty() || !ws.is_empty(), "an empty trip: {trips:?}");
            assert!(
                ws.is_empty() || qs.end == queues,
                "workers after every queue"
            );
            let cost = qs.len() * queue_cost() + ws.len() * WORKER_COST;
            assert!(
                cost <= budget || qs.len() + ws.len() == 1,
                "{cost} > {budget}"
            );
            (q, w) = (qs.end, ws.end);
        }
        assert_eq!((q, w), (queues, workers));
        trips.len()
    }

    #[test]
    fn reads_are_cut_into_bounded_pipelines_only_when_large() {
        assert_eq!(
            queue_cost(),
            3 + Registry::ALL.len() + 3,
            "LLEN, LINDEX, a ZCARD per registry, a ZCOUNT per expiring one, the next scheduled"
        );
        assert_eq!(check_trips(0, 0, COMMANDS_PER_TRIP), 0, "nothing to read");
        // The usual server: one pipeline, as before.
        assert_eq!(check_trips(10, 200, COMMANDS_PER_TRIP), 1);
        assert_eq!(check_trips(500, 2000, COMMANDS_PER_TRIP), 1);
        assert_eq!(check_trips(0, 1, COMMANDS_PER_TRIP), 1);
        // 100,000 queues and 50,000 workers: as few pipelines as the budget allows, give or
        // take the partly filled ones where queues end and at the very end (30 with 12
        // commands per queue).
        let cost = 100_000 * queue_cost() + 50_000 * WORKER_COST;
        let fewest = cost.div_ceil(COMMANDS_PER_TRIP);
        let n = check_trips(100_000, 50_000, COMMANDS_PER_TRIP);
        assert!(
            (fewest..=fewest + 2).contains(&n),
            "{n} pipelines, {fewest} at best"
        );
        // A budget below one entry's cost still makes progress, one entry per trip.
        assert_eq!(check_trips(3, 2, 1), 5);
        assert_eq!(check_trips(7, 0, 3 * queue_cost() + 1), 3);
    }

    #[test]
    fn worker_hash_garbage() {
        let fields = vec![
            (b"state".to_vec(), vec![0xff, 0xfe]),
            (b"pid".to_vec(), b"abc".to_vec()),
            (b"total_working_time".to_vec(), b"nan".to_vec()),
            (b"death".to_vec(), b"2026-11-23T19:35:51.040728Z".to_vec()),
        ];
        let w = worker_from_hash("w", &fields, Some(-2));
        assert_eq!(w.pid, None);
        assert_eq!(w.total_working_time, 0.0);
        assert_eq!(w.liveness, Liveness::Dead);
        assert_eq!(w.expires_in, None);
    }
}
