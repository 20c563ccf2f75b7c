//! The overview as Prometheus text exposition (format 0.0.4). rq-exporter's families come
//! first with its names, types, help and labels, so that its Grafana dashboard (grafana.com
//! 12196) works unchanged; then rqctl's own, each with a label set bounded by the queues,
//! workers, cron entries or rate limits that exist (never by jobs).

use std::fmt::Write;
use std::time::SystemTime;

use crate::rq::{Liveness, Overview};

/// A worker whose last heartbeat is older than this is stale: RQ's default worker TTL
/// (420 s) plus the 60 s RQ adds; a healthy idle worker heartbeats at least every 405 s.
pub const STALE_AFTER_SECS: f64 = 480.0;

/// What the exporter process knows beyond one read: how its reads went so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadStats {
    /// Reads made (successful or not), as rq-exporter's `rq_request_processing_seconds_count`.
    pub count: u64,
    /// Seconds they took in all.
    pub seconds: f64,
}

/// The families in the order they are written, with their type and help.
struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn head(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape_label(self.out, v);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        push_value(self.out, value);
        self.out.push('\n');
    }
}

/// Label values escape exactly what the format defines: backslash, quote and newline. Any
/// other character is valid UTF-8 text and is kept (names from Redis stay exact).
fn escape_label(out: &mut String, v: &str) {
    if !v.contains(['\\', '"', '\n']) {
        out.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn push_value(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v}");
    }
}

/// The exposition for one read: `ov` is None when Redis could not be read (then only
/// `rq_up 0` and the read statistics are written).
#[must_use]
pub fn render(ov: Option<&Overview>, stats: ReadStats, now: SystemTime) -> String {
    // About what 200 workers and 10 queues write (90 kB): grown by doubling from a few kB,
    // the text was a tenth of a scrape's CPU.
    let size = ov.map_or(0, |o| 450 * o.workers.len() + 1500 * o.queues.len());
    let mut text = String::with_capacity(4096 + size);
    let mut f = Family { out: &mut text };
    if let Some(ov) = ov {
        exporter_families(&mut f, ov);
    }
    f.head(
        "rq_request_processing_seconds",
        "summary",
        "Time spent collecting RQ data",
    );
    f.sample(
        "rq_request_processing_seconds_count",
        &[],
        stats.count as f64,
    );
    f.sample("rq_request_processing_seconds_sum", &[], stats.seconds);
    f.head(
        "rq_up",
        "gauge",
        "1 when the last read of Redis succeeded, 0 when Redis could not be read",
    );
    f.sample("rq_up", &[], if ov.is_some() { 1.0 } else { 0.0 });
    if let Some(ov) = ov {
        extra_families(&mut f, ov, now);
    }
    text
}

/// rq-exporter 3.x: `rq_workers`, the three worker counters and `rq_jobs`.
fn exporter_families(f: &mut Family<'_>, ov: &Overview) {
    let joined: Vec<String> = ov.workers.iter().map(|w| w.queues.join(",")).collect();
    f.head("rq_workers", "gauge", "RQ workers");
    for (w, queues) in ov.workers.iter().zip(&joined) {
        let labels = [
            ("name", w.name.as_str()),
            ("state", w.state.as_str()),
            ("queues", queues.as_str()),
        ];
        f.sample("rq_workers", &labels, 1.0);
    }
    type Counter = fn(&crate::rq::WorkerInfo) -> f64;
    let counters: [(&str, &str, Counter); 3] = [
        (
            "rq_workers_success_total",
            "RQ workers success count",
            |w| w.successful_job_count as f64,
        ),
        ("rq_workers_failed_total", "RQ workers fail count", |w| {
            w.failed_job_count as f64
        }),
        (
            "rq_workers_working_time_total",
            "RQ workers spent seconds",
            |w| w.total_working_time,
        ),
    ];
    for (name, help, value) in counters {
        f.head(name, "counter", help);
        for (w, queues) in ov.workers.iter().zip(&joined) {
            let labels = [("name", w.name.as_str()), ("queues", queues.as_str())];
            f.sample(name, &labels, value(w));
        }
    }
    f.head("rq_jobs", "gauge", "RQ jobs by state");
    for q in &ov.queues {
        let counts = [
            ("queued", q.queued),
            ("started", q.started),
            ("finished", q.finished),
            ("failed", q.failed),
            ("deferred", q.deferred),
            ("scheduled", q.scheduled),
            ("canceled", q.canceled),
        ];
        for (status, n) in counts {
            f.sample(
                "rq_jobs",
                &[("queue", &q.name), ("status", status)],
                n as f64,
            );
        }
    }
}

/// rqctl's own families.
fn extra_families(f: &mut Family<'_>, ov: &Overview, now: SystemTime) {
    f.head(
        "rq_suspended",
        "gauge",
        "1 while workers are suspended (rq suspend), else 0",
    );
    f.sample("rq_suspended", &[], if ov.suspended { 1.0 } else { 0.0 });

    f.head(
        "rq_queue_oldest_job_age_seconds",
        "gauge",
        "Age of the job at the head of the queue (enqueued_at), 0 when the queue is empty",
    );
    for q in &ov.queues {
        let age = match q.oldest_queued_at {
            _ if q.queued == 0 => Some(0.0),
            Some(at) => Some(at.age_secs(now).max(0.0)),
            None => None,
        };
        if let Some(age) = age {
            f.sample(
                "rq_queue_oldest_job_age_seconds",
                &[("queue", &q.name)],
                age,
            );
        }
    }
    f.head(
        "rq_queue_workers",
        "gauge",
        "Live workers listening on the queue",
    );
    for q in &ov.queues {
        f.sample("rq_queue_workers", &[("queue", &q.name)], q.workers as f64);
    }
    f.head(
        "rq_jobs_expired",
        "gauge",
        "Registry entries past their expiry that RQ's next cleanup removes (not in rq_jobs)",
    );
    for q in &ov.queues {
        f.sample("rq_jobs_expired", &[("queue", &q.name)], q.expired as f64);
    }
    f.head(
        "rq_queue_next_scheduled_timestamp_seconds",
        "gauge",
        "When the soonest job of the queue's scheduled registry is due (UNIX seconds)",
    );
    for q in &ov.queues {
        if let Some(at) = q.next_scheduled_at {
            let labels = [("queue", q.name.as_str())];
            f.sample(
                "rq_queue_next_scheduled_timestamp_seconds",
                &labels,
                at.unix_secs(),
            );
        }
    }

    let stale = |w: &crate::rq::WorkerInfo| {
        w.last_heartbeat
            .is_none_or(|at| at.age_secs(now) > STALE_AFTER_SECS)
    };
    let live = ov
        .workers
        .iter()
        .filter(|w| w.liveness != Liveness::Dead && !stale(w))
        .count();
    let stale_n = ov
        .workers
        .iter()
        .filter(|w| w.liveness != Liveness::Dead && stale(w))
        .count();
    f.head(
        "rq_workers_live",
        "gauge",
        "Registered workers that are not dead and heartbeat within 480 s",
    );
    f.sample("rq_workers_live", &[], live as f64);
    f.head(
        "rq_workers_stale",
        "gauge",
        "Registered workers that are not dead but whose last heartbeat is older than 480 s",
    );
    f.sample("rq_workers_stale", &[], stale_n as f64);
    f.head(
        "rq_worker_heartbeat_age_seconds",
        "gauge",
        "Seconds since the worker's last heartbeat",
    );
    for w in &ov.workers {
        if let Some(at) = w.last_heartbeat {
            let labels = [("name", w.name.as_str())];
            f.sample(
                "rq_worker_heartbeat_age_seconds",
                &labels,
                at.age_secs(now).max(0.0),
            );
        }
    }

    f.head(
        "rq_cron_last_enqueue_age_seconds",
        "gauge",
        "Seconds since the RQ cron entry last enqueued a job",
    );
    for c in &ov.cron {
        if let Some(at) = c.last_enqueued_at {
            let labels = [("name", c.name.as_str())];
            f.sample(
                "rq_cron_last_enqueue_age_seconds",
                &labels,
                at.age_secs(now).max(0.0),
            );
        }
    }
    f.head(
        "rq_cron_schedulers",
        "gauge",
        "Live rq cron processes (a heartbeat within 120 s)",
    );
    f.sample("rq_cron_schedulers", &[], ov.cron_schedulers as f64);
    f.head(
        "rq_scheduler_jobs",
        "gauge",
        "Entries in rq-scheduler's scheduled_jobs",
    );
    f.sample("rq_scheduler_jobs", &[], ov.rq_scheduler.jobs as f64);
    if let Some(at) = ov.rq_scheduler.next_run {
        f.head(
            "rq_scheduler_next_run_timestamp_seconds",
            "gauge",
            "When rq-scheduler's soonest entry is due (UNIX seconds)",
        );
        f.sample(
            "rq_scheduler_next_run_timestamp_seconds",
            &[],
            at.unix_secs(),
        );
    }

    if !ov.rate_limits.is_empty() {
        f.head(
            "rq_rate_limit_slots_held",
            "gauge",
            "RQ 3.0 rate limit: jobs holding a slot (queued or running)",
        );
        for r in &ov.rate_limits {
            f.sample(
                "rq_rate_limit_slots_held",
                &[("key", &r.key)],
                r.allowed as f64,
            );
        }
        f.head(
            "rq_rate_limit_waiting",
            "gauge",
            "RQ 3.0 rate limit: jobs waiting for a slot",
        );
        for r in &ov.rate_limits {
            f.sample(
                "rq_rate_limit_waiting",
                &[("key", &r.key)],
                r.waiting as f64,
            );
        }
    }
    f.head(
        "rq_problems",
        "gauge",
        "Keys that could not be read as RQ writes them (the numbers above are incomplete)",
    );
    let problems = ov.problems.len() + ov.queues.iter().filter(|q| q.problem.is_some()).count();
    f.sample("rq_problems", &[], problems as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_only_what_the_format_defines() {
        let mut s = String::new();
        escape_label(&mut s, "a\\b\"c\nd\te\u{1b}é");
        assert_eq!(s, "a\\\\b\\\"c\\nd\te\u{1b}é");
    }

    #[test]
    fn values() {
        let mut s = String::new();
        for v in [3.0, 0.25, f64::NAN, f64::INFINITY, 1e20] {
            push_value(&mut s, v);
            s.push(' ');
        }
        assert_eq!(s, "3 0.25 NaN +Inf 100000000000000000000 ");
    }

    #[test]
    fn unreachable_redis_is_up_zero_and_nothing_else() {
        let text = render(None, ReadStats::default(), SystemTime::now());
        assert!(text.contains("\nrq_up 0\n"), "{text}");
        assert!(!text.contains("rq_jobs"), "{text}");
    }
}
