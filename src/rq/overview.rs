//! The overview: server facts, every queue with its counts, every worker. Read in at most
//! three pipelined round trips whose size depends on the number of queues and workers,
//! never on the number of jobs. Nothing here writes (unlike `rq info`).

use std::collections::HashMap;
use std::time::SystemTime;

use redis::Value;

use super::client::RqClient;
use super::decode;
use super::error::Result;
use super::keys::{self, Registry};
use super::model::{KeyspaceEvents, Liveness, Overview, QueueInfo, ServerInfo, WorkerInfo};
use super::reply::{self, Replies};

/// What the first round trip finds.
struct Roots {
    problems: Vec<String>,
    resumes_in: Option<f64>,
    queues: Vec<String>,
    workers: Vec<String>,
    suspended: bool,
    version: Option<String>,
    events: KeyspaceEvents,
    now: f64,
}

impl RqClient {
    /// Reads the overview (`rqctl info`).
    pub async fn overview(&mut self) -> Result<Overview> {
        let roots = self.fetch_roots().await?;
        let (mut queues, mut workers) = self.fetch_counts(&roots).await?;
        self.fill_times(&mut queues, &mut workers).await?;
        Ok(Overview {
            redis: ServerInfo {
                url: self.url().to_string(),
                version: roots.version,
                db: self.db(),
                keyspace_events: roots.events,
            },
            suspended: roots.suspended,
            resumes_in: roots.resumes_in,
            queues: queues.into_iter().map(|(q, _)| q).collect(),
            workers,
            problems: roots.problems,
        })
    }

    /// Every queue name in `rq:queues` (one command).
    pub async fn queue_names(&mut self) -> Result<Vec<String>> {
        let v = self
            .cmd(
                "read queues",
                redis::cmd("SMEMBERS").arg(keys::QUEUES).clone(),
            )
            .await?;
        Ok(reply::members(&v)
            .iter()
            .filter_map(|k| keys::queue_name_from_key(k))
            .collect())
    }

    /// Whether RQ knows the queue: in `rq:queues`, or its list exists (rq-scheduler's
    /// target queues join `rq:queues` only at their first run).
    pub async fn queue_exists(&mut self, name: &str) -> Result<bool> {
        let mut pipe = redis::pipe();
        pipe.cmd("SISMEMBER")
            .arg(keys::QUEUES)
            .arg(keys::queue(name));
        pipe.cmd("EXISTS").arg(keys::queue(name));
        let replies = self.pipeline("check queue", pipe).await?;
        Ok(replies.iter().any(|v| reply::int(v).unwrap_or(0) > 0))
    }

    async fn fetch_roots(&mut self) -> Result<Roots> {
        let mut pipe = redis::pipe();
        pipe.cmd("SMEMBERS").arg(keys::QUEUES);
        pipe.cmd("SMEMBERS").arg(keys::WORKERS);
        pipe.cmd("EXISTS").arg(keys::SUSPENDED);
        pipe.cmd("PTTL").arg(keys::SUSPENDED);
        pipe.cmd("INFO").arg("server");
        pipe.cmd("CONFIG").arg("GET").arg("notify-keyspace-events");
        pipe.cmd("TIME");
        let mut r = Replies::new(self.pipeline("read queues and workers", pipe).await?);
        let mut problems = Vec::new();
        let queue_keys = set_or_problem(r.next(), keys::QUEUES, &mut problems);
        let worker_keys = set_or_problem(r.next(), keys::WORKERS, &mut problems);
        let mut queues: Vec<String> = queue_keys
            .iter()
            .filter_map(|k| keys::queue_name_from_key(k))
            .collect();
        queues.sort();
        queues.dedup();
        let mut workers: Vec<String> = worker_keys
            .iter()
            .filter_map(|k| keys::worker_name_from_key(k))
            .collect();
        workers.sort();
        workers.dedup();
        let suspended = reply::int(&r.next()).unwrap_or(0) > 0;
        let resumes_in = reply::int(&r.next())
            .filter(|ms| *ms >= 0 && suspended)
            .map(|ms| ms as f64 / 1000.0);
        let version = reply::text(&r.next()).and_then(|info| info_field(&info, "redis_version"));
        let events = keyspace_events(&r.next());
        let now = server_time(&r.next());
        Ok(Roots {
            problems,
            resumes_in,
            queues,
            workers,
            suspended,
            version,
            events,
            now,
        })
    }

    async fn fetch_counts(
        &mut self,
        roots: &Roots,
    ) -> Result<(Vec<(QueueInfo, Option<String>)>, Vec<WorkerInfo>)> {
        let mut pipe = redis::pipe();
        for q in &roots.queues {
            pipe.cmd("LLEN").arg(keys::queue(q));
            pipe.cmd("LINDEX").arg(keys::queue(q)).arg(0);
            for reg in Registry::ALL {
                pipe.cmd("ZCARD").arg(reg.key(q));
                if reg.expires_by_score() {
                    pipe.cmd("ZCOUNT").arg(reg.key(q)).arg(0).arg(roots.now);
                }
            }
        }
        for w in &roots.workers {
            pipe.cmd("HGETALL").arg(keys::worker(w));
            pipe.cmd("TTL").arg(keys::worker(w));
        }
        let mut r = Replies::new(self.pipeline("read queue counts", pipe).await?);
        let mut queues = Vec::with_capacity(roots.queues.len());
        for name in &roots.queues {
            let mut problems = Vec::new();
            let llen = r.next();
            let queued = count_or_note(&llen, &keys::queue(name), &mut problems);
            let head = reply::text(&r.next());
            let mut q = QueueInfo {
                name: name.clone(),
                queued,
                started: 0,
                deferred: 0,
                finished: 0,
                failed: 0,
                scheduled: 0,
                canceled: 0,
                workers: 0,
                oldest_queued_at: None,
                expired: 0,
                problem: None,
            };
            for reg in Registry::ALL {
                let total = count_or_note(&r.next(), &reg.key(name), &mut problems);
                let expired = if reg.expires_by_score() {
                    count(&r.next())
                } else {
                    0
                };
                q.expired += expired;
                *registry_slot(&mut q, reg) = total.saturating_sub(expired);
            }
            if !problems.is_empty() {
                q.problem = Some(problems.join("; "));
            }
            queues.push((q, head));
        }
        let mut workers = Vec::new();
        for name in &roots.workers {
            let fields = reply::pairs(&r.next());
            let ttl = reply::int(&r.next());
            // A member whose key is gone is a stale registration: RQ does not count it.
            if !fields.is_empty() {
                workers.push(worker_from_hash(name, &fields, ttl));
            }
        }
        for (q, _) in &mut queues {
            q.workers = workers
                .iter()
                .filter(|w| w.liveness != Liveness::Dead && w.queues.contains(&q.name))
                .count() as u64;
        }
        Ok((queues, workers))
    }

    /// Third round trip: `enqueued_at` of each queue's head job, and `started_at` of each
    /// worker's current job.
    async fn fill_times(
        &mut self,
        queues: &mut [(QueueInfo, Option<String>)],
        workers: &mut [WorkerInfo],
    ) -> Result<()> {
        let mut pipe = redis::pipe();
        for (_, head) in queues.iter() {
            if let Some(id) = head {
                pipe.cmd("HGET").arg(keys::job(id)).arg("enqueued_at");
            }
        }
        for w in workers.iter() {
            if let Some(id) = &w.current_job {
                pipe.cmd("HGET").arg(keys::job(id)).arg("started_at");
            }
        }
        let mut r = Replies::new(self.pipeline("read job times", pipe).await?);
        let mut next_time = || reply::text(&r.next()).and_then(|t| decode::timestamp(&t));
        for (q, head) in queues.iter_mut() {
            if head.is_some() {
                q.oldest_queued_at = next_time();
            }
        }
        for w in workers.iter_mut() {
            if w.current_job.is_some() {
                w.current_job_started_at = next_time();
            }
        }
        Ok(())
    }
}

/// The members of a set RQ keeps (`rq:queues`, `rq:workers`); any other reply (the key
/// holds another type, the user may not read it) is a problem to report, never "empty".
fn set_or_problem(v: Value, key: &str, problems: &mut Vec<String>) -> Vec<Vec<u8>> {
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

fn registry_slot(q: &mut QueueInfo, reg: Registry) -> &mut u64 {
    match reg {
        Registry::Started => &mut q.started,
        Registry::Deferred => &mut q.deferred,
        Registry::Finished => &mut q.finished,
        Registry::Failed => &mut q.failed,
        Registry::Scheduled => &mut q.scheduled,
        Registry::Canceled => &mut q.canceled,
    }
}

/// A count reply; a server error (e.g. WRONGTYPE on a non-RQ key) is noted, and counts 0.
fn count_or_note(v: &Value, key: &[u8], problems: &mut Vec<String>) -> u64 {
    if let Some(err) = reply::error(v) {
        problems.push(format!("{}: {err}", String::from_utf8_lossy(key)));
    }
    count(v)
}

fn count(v: &Value) -> u64 {
    reply::int(v)
        .and_then(|i| u64::try_from(i).ok())
        .unwrap_or(0)
}

/// Builds a worker from its hash fields (lenient: every field may be missing or garbage).
pub(crate) fn worker_from_hash(
    name: &str,
    fields: &[(Vec<u8>, Vec<u8>)],
    ttl: Option<i64>,
) -> WorkerInfo {
    let map: HashMap<&[u8], String> = fields
        .iter()
        .map(|(k, v)| (k.as_slice(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    let get = |k: &str| map.get(k.as_bytes()).filter(|v| !v.is_empty()).cloned();
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
    secs.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    })
    .floor()
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
