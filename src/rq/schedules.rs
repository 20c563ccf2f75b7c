//! What runs next: RQ's scheduled registries, RQ 2.x cron, and rq-scheduler's sorted set
//! (which Flask-RQ2's `.schedule()` and `.cron()` also use), merged into one timeline.

use redis::Value;

use super::client::RqClient;
use super::decode;
use super::error::Result;
use super::keys;
use super::keys::Registry;
use super::model::{JobStatus, Schedule, ScheduleSource, Schedules, Timestamp};
use super::reply::{self, Replies};

impl RqClient {
    /// The next `limit` entries of each source, merged and sorted by next run time.
    pub async fn schedules(&mut self, limit: u64) -> Result<Schedules> {
        let limit = limit.clamp(1, super::MAX_PAGE);
        let last = i64::try_from(limit).unwrap_or(i64::MAX) - 1;

        let mut pipe = redis::pipe();
        pipe.cmd("SMEMBERS").arg(self.keys.queues());
        pipe.cmd("ZCARD").arg(keys::RQ_SCHEDULER_JOBS);
        pipe.cmd("ZRANGE")
            .arg(keys::RQ_SCHEDULER_JOBS)
            .arg(0)
            .arg(last)
            .arg("WITHSCORES");
        pipe.cmd("ZRANGE")
            .arg(self.keys.cron_schedulers())
            .arg(0)
            .arg(-1);
        let mut r = Replies::new(self.pipeline("read schedules", pipe).await?);
        let mut queues: Vec<String> = reply::members(&r.next())
            .iter()
            .filter_map(|k| self.keys.queue_name_from_key(k))
            .collect();
        queues.sort();
        let rqs_total = reply::int(&r.next()).unwrap_or(0);
        let rqs = reply::scored(&r.next());
        let cron_schedulers: Vec<String> = reply::members(&r.next())
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect();
        let mut truncated = u64::try_from(rqs_total).unwrap_or(0) > limit;

        let mut pipe = redis::pipe();
        for q in &queues {
            let key = self.keys.registry(Registry::Scheduled, q);
            pipe.cmd("ZCARD").arg(&key);
            pipe.cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(last)
                .arg("WITHSCORES");
        }
        for name in &cron_schedulers {
            pipe.cmd("HGET")
                .arg(self.keys.cron_scheduler(name))
                .arg("cron_jobs");
        }
        let mut r = Replies::new(self.pipeline("read schedules", pipe).await?);
        let mut pending: Vec<(ScheduleSource, String, Option<String>, f64)> = Vec::new();
        for q in &queues {
            truncated |= reply::int(&r.next())
                .and_then(|t| u64::try_from(t).ok())
                .unwrap_or(0)
                > limit;
            for (id, score) in reply::scored(&r.next()) {
                let id = keys::name_from_bytes(&id);
                pending.push((ScheduleSource::Scheduled, id, Some(q.clone()), score));
            }
        }
        for (id, score) in rqs {
            let id = keys::name_from_bytes(&id);
            pending.push((ScheduleSource::RqScheduler, id, None, score));
        }
        let mut entries = Vec::new();
        for _ in &cron_schedulers {
            if let Some(json) = reply::text(&r.next()) {
                entries.extend(cron_entries(&json));
            }
        }
        entries.sort_by(|a: &Schedule, b: &Schedule| {
            (a.id.as_str(), &a.queue).cmp(&(b.id.as_str(), &b.queue))
        });
        entries.dedup_by(|a, b| a.id == b.id && a.queue == b.queue);

        // Only the soonest `limit` job entries are worth a read: cut before fetching, so
        // that many queues with many scheduled jobs cost no more than one page.
        pending.sort_by(|a, b| a.3.total_cmp(&b.3));
        if pending.len() as u64 > limit {
            pending.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            truncated = true;
        }
        if !pending.is_empty() {
            let mut pipe = redis::pipe();
            for (_, id, _, _) in &pending {
                pipe.cmd("HMGET")
                    .arg(self.keys.job(id))
                    .arg("status")
                    .arg("description")
                    .arg("origin")
                    .arg("meta");
                pipe.cmd("EXISTS").arg(self.keys.job(id));
                pipe.cmd("HSTRLEN").arg(self.keys.job(id)).arg("data");
            }
            let mut r = Replies::new(self.pipeline("read scheduled jobs", pipe).await?);
            let mut read = Vec::with_capacity(pending.len());
            for (source, id, queue, score) in pending {
                let fields = r.next();
                let exists = reply::int(&r.next()).unwrap_or(0) > 0;
                let data_len = reply::int(&r.next()).unwrap_or(0);
                read.push((source, id, queue, score, fields, exists, data_len));
            }
            // The function is named at the start of `data` (never taken from the
            // description, which may say anything): read it where it is of a sane size.
            let mut pipe = redis::pipe();
            let small = |len: i64| (1..=MAX_DATA_READ).contains(&len);
            for (_, id, _, _, _, _, len) in &read {
                if small(*len) {
                    pipe.cmd("HGET").arg(self.keys.job(id)).arg("data");
                }
            }
            let mut data = Replies::new(self.pipeline("read scheduled jobs", pipe).await?);
            for (source, id, queue, score, fields, exists, len) in read {
                let func = if small(len) {
                    reply::bytes(&data.next()).and_then(|d| decode::func_from_data_head(&d))
                } else {
                    None
                };
                let mut entry = job_entry(source, id, queue, score, &fields, exists);
                entry.func_name = func;
                entries.push(entry);
            }
        }
        entries.sort_by(|a, b| {
            let key = |s: &Schedule| s.next_run.map_or(f64::INFINITY, Timestamp::unix_secs);
            key(a).total_cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
        });
        if entries.len() as u64 > limit {
            entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            truncated = true;
        }
        Ok(Schedules { entries, truncated })
    }
}

/// `data` larger than this (compressed) is not read for a schedule's function name.
const MAX_DATA_READ: i64 = 64 * 1024;

fn job_entry(
    source: ScheduleSource,
    id: String,
    queue: Option<String>,
    score: f64,
    fields: &Value,
    exists: bool,
) -> Schedule {
    let vals = reply::items(fields);
    let get = |i: usize| vals.get(i).and_then(reply::text);
    let description = get(1);
    let meta = vals
        .get(3)
        .and_then(reply::bytes)
        .filter(|b| !b.is_empty())
        .and_then(|m| decode::payload(&m).ok())
        .map(|p| p.to_json());
    let meta_field = |k: &str| meta.as_ref().and_then(|m| m.get(k)).cloned();
    Schedule {
        source,
        queue: queue.or_else(|| get(2)),
        func_name: None,
        description,
        next_run: Timestamp::from_unix(score),
        interval: meta_field("interval").and_then(|v| v.as_f64()),
        cron: meta_field("cron_string").and_then(|v| v.as_str().map(str::to_string)),
        repeat: meta_field("repeat").and_then(|v| v.as_i64()),
        missing: !exists,
        status: exists.then(|| JobStatus::parse(get(0).as_deref())),
        id,
    }
}

/// Entries of a CronScheduler's `cron_jobs` JSON (RQ 2.4+ `rq cron`).
fn cron_entries(json: &str) -> Vec<Schedule> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(json)
    else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            let s = |k: &str| item.get(k).and_then(|v| v.as_str()).map(str::to_string);
            Schedule {
                source: ScheduleSource::RqCron,
                id: s("name").or_else(|| s("func_name")).unwrap_or_default(),
                queue: s("queue_name"),
                func_name: s("func_name"),
                description: None,
                next_run: s("next_enqueue_time").and_then(|t| decode::timestamp(&t)),
                interval: item.get("interval").and_then(serde_json::Value::as_f64),
                cron: s("cron"),
                repeat: None,
                missing: false,
                status: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_json_as_rq_writes_it() {
        let json = r#"[{"func_name":"labjobs.add","name":"adder","queue_name":"default","args":"[1, 2]","kwargs":null,"interval":30,"cron":null,"latest_enqueue_time":"2026-11-23T19:37:14.315855Z","next_enqueue_time":"2026-11-23T19:37:44.315855Z","result_ttl":500},{"func_name":"labjobs.hello","name":"labjobs.hello","queue_name":"low","interval":null,"cron":"*/5 * * * *","next_enqueue_time":"2026-11-23T19:40:00.000000Z"}]"#;
        let e = cron_entries(json);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].id, "adder");
        assert_eq!(e[0].interval, Some(30.0));
        assert_eq!(e[1].cron.as_deref(), Some("*/5 * * * *"));
        assert!(cron_entries("not json").is_empty());
        assert!(cron_entries("{}").is_empty());
    }
}
