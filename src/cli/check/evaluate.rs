//! Turns what was read into one result per check and subject, each with its level.

use std::time::SystemTime;

use serde::Serialize;

use super::thresholds::{Level, Levels, Threshold, Unit, for_queue};
use crate::present::{safe, span, thousands};
use crate::rq::{Liveness, Overview, Schedule, ScheduleSource, SuspendedSince};

/// One check on one subject (a queue, a schedule entry, or the whole server).
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// queued, oldest, failed, failed_recent, no_worker, stale_workers, suspended_for,
    /// missed_run, or problem (a key RQ would not write that way).
    pub check: &'static str,
    pub subject: Option<String>,
    pub value: f64,
    pub unit: &'static str,
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    pub level: Level,
    pub message: String,
}

/// Everything the checks look at.
pub struct Facts<'a> {
    pub overview: &'a Overview,
    /// Per `--failed-recent` window: failed entries in it, per queue of the overview.
    pub failed_recent: &'a [(std::time::Duration, Vec<u64>)],
    pub suspended: SuspendedSince,
    /// Schedule entries (when `--missed-run` was asked).
    pub schedules: &'a [Schedule],
    pub now: SystemTime,
}

/// The checks asked for, parsed.
#[derive(Debug, Default)]
pub struct Asked {
    pub queued: Vec<Threshold>,
    pub oldest: Vec<Threshold>,
    pub failed: Vec<Threshold>,
    pub failed_recent: Vec<Threshold>,
    pub no_worker: Vec<(Option<String>, Level)>,
    pub stale_workers: Option<Threshold>,
    pub suspended_for: Option<Threshold>,
    pub missed_run: Option<Threshold>,
}

/// Default heartbeat age beyond which a worker is stale (RQ's worker TTL, 420 s, plus 60).
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(480);

fn fmt(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Count => thousands(value.max(0.0) as u64),
        Unit::Seconds => span(value),
    }
}

fn result(
    check: &'static str,
    subject: Option<&str>,
    value: f64,
    unit: Unit,
    levels: Levels,
    describe: impl FnOnce(&str) -> String,
) -> CheckResult {
    // Ages to the second: a status line and its perfdata need no milliseconds.
    let value = match unit {
        Unit::Seconds => value.floor(),
        Unit::Count => value,
    };
    let level = levels.judge(value);
    let mut message = describe(&fmt(value, unit));
    if let Some(limit) = levels.limit(level) {
        let word = if level == Level::Critical {
            "crit"
        } else {
            "warn"
        };
        message.push_str(&format!(" ({word} {})", fmt(limit, unit)));
    }
    CheckResult {
        check,
        subject: subject.map(str::to_string),
        value,
        unit: match unit {
            Unit::Count => "count",
            Unit::Seconds => "seconds",
        },
        warn: levels.warn,
        crit: levels.crit,
        level,
        message,
    }
}

#[must_use]
pub fn evaluate(asked: &Asked, f: &Facts<'_>) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let ov = f.overview;
    for (i, q) in ov.queues.iter().enumerate() {
        let name = safe(&q.name).into_owned();
        if let Some(t) = for_queue(&asked.queued, &q.name) {
            out.push(result(
                "queued",
                Some(&q.name),
                q.queued as f64,
                Unit::Count,
                t.levels,
                |v| format!("{name}: {v} queued"),
            ));
        }
        if let Some(t) = for_queue(&asked.oldest, &q.name) {
            let age = match q.oldest_queued_at {
                Some(at) if q.queued > 0 => at.age_secs(f.now).max(0.0),
                _ => 0.0,
            };
            out.push(result(
                "oldest",
                Some(&q.name),
                age,
                Unit::Seconds,
                t.levels,
                |v| format!("{name}: oldest queued job waits {v}"),
            ));
        }
        if let Some(t) = for_queue(&asked.failed, &q.name) {
            out.push(result(
                "failed",
                Some(&q.name),
                q.failed as f64,
                Unit::Count,
                t.levels,
                |v| format!("{name}: {v} failed"),
            ));
        }
        let recent = for_queue(&asked.failed_recent, &q.name).and_then(|t| {
            let counts = f.failed_recent.iter().find(|(w, _)| Some(*w) == t.window)?;
            Some((t, counts))
        });
        if let Some((t, (window, counts))) = recent {
            let n = counts.get(i).copied().unwrap_or(0);
            let w = humantime::format_duration(*window).to_string();
            out.push(result(
                "failed_recent",
                Some(&q.name),
                n as f64,
                Unit::Count,
                t.levels,
                |v| format!("{name}: {v} failed in the last {w}"),
            ));
        }
        let no_worker = asked
            .no_worker
            .iter()
            .rev()
            .find(|(qn, _)| qn.as_deref() == Some(q.name.as_str()))
            .or_else(|| asked.no_worker.iter().rev().find(|(qn, _)| qn.is_none()));
        if let Some((_, level)) = no_worker {
            let orphaned = q.queued > 0 && q.workers == 0;
            let level = if orphaned { *level } else { Level::Ok };
            let message = if orphaned {
                format!(
                    "{name}: {} queued and no worker listens",
                    thousands(q.queued)
                )
            } else {
                format!("{name}: {} workers listen", q.workers)
            };
            out.push(CheckResult {
                check: "no_worker",
                subject: Some(q.name.clone()),
                value: q.workers as f64,
                unit: "count",
                warn: None,
                crit: None,
                level,
                message,
            });
        }
    }
    if let Some(t) = &asked.stale_workers {
        let after = t.window.unwrap_or(STALE_AFTER);
        let stale = ov
            .workers
            .iter()
            .filter(|w| w.liveness != Liveness::Dead)
            .filter(|w| {
                w.last_heartbeat
                    .is_none_or(|at| at.age_secs(f.now) > after.as_secs_f64())
            })
            .count();
        let a = span(after.as_secs_f64());
        out.push(result(
            "stale_workers",
            None,
            stale as f64,
            Unit::Count,
            t.levels,
            |v| format!("{v} workers without a heartbeat for {a}"),
        ));
    }
    if let Some(t) = &asked.suspended_for {
        out.push(match f.suspended {
            SuspendedSince::No => result("suspended_for", None, 0.0, Unit::Seconds, t.levels, |_| {
                "workers not suspended".to_string()
            }),
            SuspendedSince::At(at) => {
                let secs = at.age_secs(f.now).max(0.0);
                result("suspended_for", None, secs, Unit::Seconds, t.levels, |v| {
                    format!("workers suspended for {v}")
                })
            }
            // `rq suspend` records no time: suspended, for how long nobody can say.
            SuspendedSince::Unknown => CheckResult {
                check: "suspended_for",
                subject: None,
                value: f64::NAN,
                unit: "seconds",
                warn: t.levels.warn,
                crit: t.levels.crit,
                level: Level::Warning,
                message: "workers suspended since an unknown time (rq suspend records none; rqctl suspend does)".to_string(),
            },
        });
    }
    if let Some(t) = &asked.missed_run {
        out.extend(missed_runs(t, f));
        out.extend(unscheduled_cron(t, f));
    }
    for p in &ov.problems {
        out.push(problem(p));
    }
    for q in ov.queues.iter().filter_map(|q| q.problem.as_ref()) {
        out.push(problem(q));
    }
    out
}

fn problem(p: &str) -> CheckResult {
    CheckResult {
        check: "problem",
        subject: None,
        value: 1.0,
        unit: "count",
        warn: None,
        crit: None,
        level: Level::Warning,
        message: safe(p).into_owned(),
    }
}

/// RQ cron entries that enqueued within this long but that no live `rq cron` process lists
/// are taken as stopped; older ones as retired.
pub const CRON_UNSCHEDULED_WINDOW: f64 = 24.0 * 3600.0;

/// RQ cron entries that no live `rq cron` process lists any more although one enqueued
/// recently: its process stopped (a clean stop drops it at once, a killed one 120 s later,
/// when its record expires), so they will not run again and `missed_runs` cannot see them.
/// The one that enqueued longest ago is the result, judged by the same levels on the time
/// since it last enqueued, and never better than WARNING. An entry removed from the config
/// warns too, until a day after its last run.
fn unscheduled_cron(t: &Threshold, f: &Facts<'_>) -> Option<CheckResult> {
    let listed: std::collections::HashSet<&str> = (f.schedules.iter())
        .filter(|s| s.source == ScheduleSource::RqCron)
        .map(|s| s.id.as_str())
        .collect();
    let stopped: Vec<(&str, f64)> = (f.overview.cron.iter())
        .filter(|c| !listed.contains(c.name.as_str()))
        .filter_map(|c| {
            Some((
                c.name.as_str(),
                c.last_enqueued_at?.age_secs(f.now).max(0.0),
            ))
        })
        .filter(|(_, age)| *age < CRON_UNSCHEDULED_WINDOW)
        .collect();
    let (name, age) = stopped.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let others = match stopped.len() {
        1 => String::new(),
        n => format!(" ({} more)", n - 1),
    };
    let mut r = result(
        "missed_run",
        Some("rq_cron_unscheduled"),
        age,
        Unit::Seconds,
        t.levels,
        |v| {
            format!(
                "RQ cron entry {} last enqueued {v} ago and no live `rq cron` process runs it{others}",
                safe(name)
            )
        },
    );
    r.level = r.level.max(Level::Warning);
    Some(r)
}

/// The latest run of each schedule source: the most overdue entry is the result (one per
/// source that has entries), so a config line stays one line.
fn missed_runs(t: &Threshold, f: &Facts<'_>) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for source in [
        ScheduleSource::RqCron,
        ScheduleSource::RqScheduler,
        ScheduleSource::Scheduled,
    ] {
        let late = f
            .schedules
            .iter()
            .filter(|s| s.source == source)
            .filter_map(|s| Some((s, s.next_run?.age_secs(f.now).max(0.0))))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((entry, late)) = late else { continue };
        let (what, all, check_subject) = match source {
            ScheduleSource::RqCron => ("RQ cron entry", "RQ cron entries", "rq_cron"),
            ScheduleSource::RqScheduler => {
                ("rq-scheduler job", "rq-scheduler jobs", "rq_scheduler")
            }
            ScheduleSource::Scheduled => ("scheduled job", "scheduled jobs", "scheduled"),
        };
        let id = safe(&entry.id).into_owned();
        let queue = entry
            .queue
            .as_deref()
            .map(|q| format!(" on {}", safe(q)))
            .unwrap_or_default();
        out.push(result(
            "missed_run",
            Some(check_subject),
            late,
            Unit::Seconds,
            t.levels,
            |v| {
                if late > 0.0 {
                    format!("{what} {id}{queue} is {v} late")
                } else {
                    format!("{all} on time")
                }
            },
        ));
    }
    out
}
