//! `rqctl check`: a monitoring plugin (Nagios, Icinga, Sensu, Zabbix agents). Exit 0 OK,
//! 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Redis unreachable, a threshold that does not parse, a
//! queue that does not exist); one status line with performance data, or `--json`.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;
use serde::Serialize;

use crate::cli::check::evaluate::{Asked, CheckResult, Facts, evaluate};
use crate::cli::check::thresholds::{Level, Threshold, Unit, parse, parse_level};
use crate::cli::output::Output;
use crate::present::thousands;
use crate::rq::{ConnectOptions, Overview, RqClient, ScheduleSource};

#[derive(Debug, Args)]
#[command(after_help = "\
Thresholds: WARN:CRIT alerts above WARN (warning) or above CRIT (critical); :CRIT or WARN:
for one level. QUEUE=WARN:CRIT is for one queue, and a threshold without QUEUE= covers every
other queue. Repeat a flag for several queues. Counts: 10000 or 10_000; ages: 30s, 10m, 1h.

Examples:
  rqctl check --queued 5000:10000 --queued emails=100:500 --oldest 10m:1h
  rqctl check --failed-recent 5:20/10m --no-worker --stale-workers 0:2 --suspended-for 30m:2h
  rqctl check --missed-run 5m:30m --json

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Redis unreachable, bad threshold,
no such queue).")]
pub struct CheckArgs {
    /// Jobs waiting in the queue: [QUEUE=]WARN:CRIT, e.g. 5000:10000.
    #[arg(long, value_name = "[QUEUE=]WARN:CRIT")]
    pub queued: Vec<String>,
    /// Age of the oldest queued job: [QUEUE=]WARN:CRIT, e.g. 10m:1h.
    #[arg(long, value_name = "[QUEUE=]WARN:CRIT")]
    pub oldest: Vec<String>,
    /// Jobs in the failed registry: [QUEUE=]WARN:CRIT, e.g. 10:100.
    #[arg(long, value_name = "[QUEUE=]WARN:CRIT")]
    pub failed: Vec<String>,
    /// Jobs that failed within WINDOW: [QUEUE=]WARN:CRIT/WINDOW, e.g. 5:20/10m.
    #[arg(long, value_name = "[QUEUE=]WARN:CRIT/WINDOW")]
    pub failed_recent: Vec<String>,
    /// The failure_ttl your jobs use (RQ scores a failed job with its failure time plus
    /// this; --failed-recent reads the time back from the score). RQ's default: 365d.
    #[arg(long, value_name = "DURATION", default_value = "365d", value_parser = humantime::parse_duration)]
    pub failure_ttl: Duration,
    /// A queue with jobs and no live worker listening: [QUEUE=]warning|critical, or QUEUE
    /// (critical when no level is given).
    #[arg(long, value_name = "[QUEUE=]LEVEL", num_args = 0..=1, default_missing_value = "critical")]
    pub no_worker: Vec<String>,
    /// Workers (not dead) whose last heartbeat is older than AGE (default 8m):
    /// WARN:CRIT[/AGE], e.g. 0:2/10m.
    #[arg(long, value_name = "WARN:CRIT[/AGE]")]
    pub stale_workers: Option<String>,
    /// How long workers have been suspended: WARN:CRIT, e.g. 30m:2h.
    #[arg(long, value_name = "WARN:CRIT")]
    pub suspended_for: Option<String>,
    /// How late the most overdue RQ cron entry, rq-scheduler job or scheduled job is:
    /// WARN:CRIT, e.g. 5m:30m.
    #[arg(long, alias = "missed-cron", value_name = "WARN:CRIT")]
    pub missed_run: Option<String>,
}

/// A reason the check cannot judge (exit 3).
struct Unknown(String);

impl<E: std::fmt::Display> From<E> for Unknown {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

#[derive(Serialize)]
struct Document<'a> {
    status: Level,
    exit_code: u8,
    summary: &'a str,
    checks: &'a [CheckResult],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// Runs before any connection is made, so that even a Redis that cannot be reached is an
/// UNKNOWN in the plugin's format rather than rqctl's usual error.
pub async fn run(args: &CheckArgs, opts: ConnectOptions, out: &mut Output) -> ExitCode {
    match judge(args, opts).await {
        Ok((results, seen)) => report(out, &results, &seen),
        Err(Unknown(why)) => unknown(out, &why),
    }
}

/// `RQ UNKNOWN - why` (or its document), exit 3: also for a target that cannot even be
/// resolved (a config error), so that a monitoring agent always gets the plugin's format.
pub fn unknown(out: &mut Output, why: &str) -> ExitCode {
    let why = crate::present::safe(why).into_owned();
    let summary = format!("RQ UNKNOWN - {why}");
    if out.json {
        let _ = out.json(&Document {
            status: Level::Unknown,
            exit_code: 3,
            summary: &summary,
            checks: &[],
            error: Some(&why),
        });
    } else {
        out.line(&summary);
    }
    ExitCode::from(Level::Unknown.code())
}

/// The status line (or document) and the exit code of the worst result.
fn report(out: &mut Output, results: &[CheckResult], seen: &str) -> ExitCode {
    let worst = results.iter().map(|r| r.level).max().unwrap_or(Level::Ok);
    let mut bad: Vec<&CheckResult> = results.iter().filter(|r| r.level > Level::Ok).collect();
    bad.sort_by_key(|r| std::cmp::Reverse(r.level));
    let text = if bad.is_empty() {
        let n = results
            .iter()
            .filter(|r| r.warn.is_some() || r.crit.is_some())
            .count();
        match n {
            0 => seen.to_string(),
            1 => format!("{seen}; 1 check within its thresholds"),
            n => format!("{seen}; {n} checks within their thresholds"),
        }
    } else {
        bad.iter()
            .map(|r| r.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let perf = perfdata(results);
    let summary = if perf.is_empty() {
        format!("RQ {} - {text}", worst.word())
    } else {
        format!("RQ {} - {text} | {perf}", worst.word())
    };
    if out.json {
        let _ = out.json(&Document {
            status: worst,
            exit_code: worst.code(),
            summary: &summary,
            checks: results,
            error: None,
        });
    } else {
        out.line(&summary);
    }
    ExitCode::from(worst.code())
}

/// `label=value[s];warn;crit;0;` for each result, labels quoted where needed.
fn perfdata(results: &[CheckResult]) -> String {
    results
        .iter()
        .filter(|r| r.check != "problem")
        .map(|r| {
            let label = match &r.subject {
                Some(s) => format!("{s}_{}", r.check),
                None => r.check.to_string(),
            };
            let uom = if r.unit == "seconds" { "s" } else { "" };
            let value = if r.value.is_finite() {
                format!("{}{uom}", trim(r.value))
            } else {
                "U".to_string()
            };
            let lvl = |l: Option<f64>| l.map(trim).unwrap_or_default();
            format!(
                "{}={value};{};{};0;",
                perf_label(&label),
                lvl(r.warn),
                lvl(r.crit)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

/// A perfdata label: plain when it is plain, else single-quoted with `'` doubled; `=` (which
/// ends a label) and control characters become `_`.
fn perf_label(label: &str) -> String {
    let clean: String = label
        .chars()
        .map(|c| if c == '=' || c.is_control() { '_' } else { c })
        .collect();
    if clean
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        clean
    } else {
        format!("'{}'", clean.replace('\'', "''"))
    }
}

fn thresholds(
    flag: &str,
    values: &[String],
    unit: Unit,
    window: bool,
) -> Result<Vec<Threshold>, Unknown> {
    values
        .iter()
        .map(|v| parse(flag, v, unit, window).map_err(Unknown))
        .collect()
}

fn asked(args: &CheckArgs) -> Result<Asked, Unknown> {
    let failed_recent = thresholds("failed-recent", &args.failed_recent, Unit::Count, true)?;
    if let Some(t) = failed_recent.iter().find(|t| t.window.is_none()) {
        let q = t
            .queue
            .as_deref()
            .map(|q| format!("{q}="))
            .unwrap_or_default();
        return Err(Unknown(format!(
            "--failed-recent needs its window after /, e.g. {q}5:20/10m"
        )));
    }
    let one =
        |flag: &str, v: &Option<String>, window: bool| -> Result<Option<Threshold>, Unknown> {
            let Some(v) = v else { return Ok(None) };
            let unit = if flag == "stale-workers" {
                Unit::Count
            } else {
                Unit::Seconds
            };
            let t = parse(flag, v, unit, window).map_err(Unknown)?;
            if t.queue.is_some() {
                return Err(Unknown(format!(
                    "--{flag} {v:?}: this check is not per queue"
                )));
            }
            Ok(Some(t))
        };
    Ok(Asked {
        queued: thresholds("queued", &args.queued, Unit::Count, false)?,
        oldest: thresholds("oldest", &args.oldest, Unit::Seconds, false)?,
        failed: thresholds("failed", &args.failed, Unit::Count, false)?,
        failed_recent,
        no_worker: args
            .no_worker
            .iter()
            .map(|v| parse_level(v).map_err(Unknown))
            .collect::<Result<_, _>>()?,
        stale_workers: one("stale-workers", &args.stale_workers, true)?,
        suspended_for: one("suspended-for", &args.suspended_for, false)?,
        missed_run: one("missed-run", &args.missed_run, false)?,
    })
}

/// Every queue a threshold names must exist: a typo must not read as "all is well".
async fn named_queues_exist(
    asked: &Asked,
    ov: &Overview,
    client: &mut RqClient,
) -> Result<(), Unknown> {
    let named = (asked.queued.iter())
        .chain(&asked.oldest)
        .chain(&asked.failed)
        .chain(&asked.failed_recent)
        .filter_map(|t| t.queue.as_deref())
        .chain(asked.no_worker.iter().filter_map(|(q, _)| q.as_deref()));
    for q in named {
        if !ov.queues.iter().any(|x| x.name == q) {
            crate::cli::cmd::known_queue(client, q).await?;
        }
    }
    Ok(())
}

/// The results, and what was seen (the text of an OK line).
async fn judge(
    args: &CheckArgs,
    opts: ConnectOptions,
) -> Result<(Vec<CheckResult>, String), Unknown> {
    let asked = asked(args)?;
    let mut client = RqClient::connect(&opts).await?;
    let ov = client.overview().await?;
    named_queues_exist(&asked, &ov, &mut client).await?;
    let now = SystemTime::now();
    let names: Vec<String> = ov.queues.iter().map(|q| q.name.clone()).collect();
    let mut failed_recent = Vec::new();
    for t in &asked.failed_recent {
        let Some(window) = t.window else { continue };
        if failed_recent.iter().any(|(w, _)| *w == window) {
            continue;
        }
        let unix = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let from = unix - window.as_secs_f64() + args.failure_ttl.as_secs_f64();
        failed_recent.push((window, client.failed_scored_since(&names, from).await?));
    }
    let suspended = if asked.suspended_for.is_some() {
        client.suspended_since().await?
    } else {
        crate::rq::SuspendedSince::No
    };
    let schedules = if asked.missed_run.is_some() {
        let s = client.schedules(crate::rq::MAX_PAGE).await?;
        s.entries
            .into_iter()
            .filter(|e| {
                matches!(
                    e.source,
                    ScheduleSource::RqCron
                        | ScheduleSource::RqScheduler
                        | ScheduleSource::Scheduled
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let facts = Facts {
        overview: &ov,
        failed_recent: &failed_recent,
        suspended,
        schedules: &schedules,
        now,
    };
    let mut results = evaluate(&asked, &facts);
    let queued: u64 = ov.queues.iter().map(|q| q.queued).sum();
    let seen = format!(
        "{} queues, {} queued, {} workers",
        ov.queues.len(),
        thousands(queued),
        ov.workers.len()
    );
    if results.is_empty() {
        // No threshold asked: Redis answers and RQ's keys read; the total is the perfdata.
        results.push(CheckResult {
            check: "queued",
            subject: None,
            value: queued as f64,
            unit: "count",
            warn: None,
            crit: None,
            level: Level::Ok,
            message: seen.clone(),
        });
    }
    Ok((results, seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_labels() {
        assert_eq!(perf_label("emails_queued"), "emails_queued");
        assert_eq!(perf_label("my q_queued"), "'my q_queued'");
        assert_eq!(perf_label("it's=\u{1b}x"), "'it''s__x'");
    }
}
